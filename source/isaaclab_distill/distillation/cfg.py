"""Configuration of the distillation engine (pure data, no behaviour).

Nested like Isaac Lab's ``RslRlDistillationRunnerCfg``: the runner's fields at the top, then ``algorithm``,
``storage``, ``student`` and ``multi_teacher``. Override them as ``agent.n_epochs=...``,
``agent.algorithm.learning_rate=...``, ``agent.storage.max_dataset_steps=...``, ``agent.student.class_name=...``.

Epoch length is defined by a fixed rollout length, :attr:`DistillationCfg.num_steps_per_env`, not by a number of
completed episodes: every epoch then adds exactly ``num_envs * num_steps_per_env`` transitions, so the dataset growth,
the time per epoch and the samples/s figure are predictable, and short (failed) episodes are not over-represented the
way they are when an epoch ends after N completed episodes.
"""

from __future__ import annotations

from typing import Literal

from isaaclab.utils import configclass

from ..models.cfg import StudentCfg


@configclass
class MultiTeacherCfg:
    """Several teachers, each labelling its own group of environments (e.g. one per vehicle model)."""

    selection: Literal["all", "worst_k"] = "all"
    """``"all"``: every teacher's envs feed the dataset. ``"worst_k"``: only the envs of the ``k`` teachers whose
    groups got the lowest student evaluation return at the last evaluation (all teachers before the first one)."""

    k: int = 1
    """Number of teachers kept by ``"worst_k"``."""

    position_offset_correction: bool = False
    """RAPTOR-style correction: the steady-state position error of each teacher, measured on its own rollouts during
    the initial teacher evaluation, is subtracted from the position slice of the student observation of that teacher's
    envs during data collection, so the student learns an offset-free policy. Evaluation rollouts are not corrected."""

    position_obs_slice: tuple[int, int] = (0, 3)
    """``[start, stop)`` columns of the first student observation group that hold the position error term."""

    offset_settle_steps: int = 100
    """Steps after an episode start that are ignored when measuring the steady-state position error."""

    group_loss_power: float = 0.0
    """Per-teacher-group loss weights ``w_k ∝ l_k ** p`` (mean 1) from each group's moving-average action loss
    ``l_k`` (:mod:`~isaaclab_distill.distillation.balance`): the teachers the student imitates worst count more, every
    group still feeds the update. 0: every step counts alike; 1: each group in proportion to its loss. Logged as
    ``multi_teacher/loss_weight_<k>`` and ``multi_teacher/action_loss_<k>``."""


@configclass
class DistillationAlgorithmCfg:
    """The algorithm: the update (optimizer, loss, TBPTT segments) and who acts (teacher forcing, DAgger's beta)."""

    learning_rate: float = 1e-4
    """Adam learning rate (of the first epoch with a ``learning_rate_schedule``)."""

    learning_rate_schedule: Literal["constant", "cosine"] = "constant"
    """``"cosine"``: the learning rate follows a half cosine from ``learning_rate`` at the first epoch to
    ``min_learning_rate`` at the last (``n_epochs``), so the last students of a run differ less (the free evaluation
    of the last epochs averages them; it is not a measurement of the final student, see :mod:`.evaluation`)."""

    min_learning_rate: float = 0.0
    """Learning rate of the last epoch under the ``"cosine"`` schedule."""

    average_last_epochs: int = 0
    """The run's final student (``final_student.pt``, the final evaluation) is the uniform average of the students
    after each of the last ``average_last_epochs`` updates, those after teacher forcing only (a shorter run averages
    fewer, or none; stochastic weight averaging, :mod:`.averaging`); the trained student still drives the
    collection. 0: the last student."""

    optimizer: Literal["adam", "adamw", "sgd", "rmsprop"] = "adam"
    """Optimizer, by rsl_rl's name (``rsl_rl.utils.resolve_optimizer``)."""

    max_grad_norm: float | None = 1.0
    """Gradient-norm clip; ``None`` disables clipping."""

    loss: Literal["mse", "huber", "l1"] = "mse"
    """Per-step action loss, averaged over action dimensions and over the valid steps of a minibatch."""

    latent_loss_coef: float = 0.0
    """Weight of the latent regression term: ``loss = action loss + coef * mse(student feature, teacher latent)`` on
    the same step, logged as ``training/loss_latent`` next to ``training/loss_action``. Needs a teacher with a scandots
    latent (:class:`~isaaclab_distill.models.scandots_teacher.ScandotsEncoderModel`) and a student with a feature of the
    latent's size (:class:`~isaaclab_distill.models.DepthStudent`). 0: the action loss alone."""

    num_learning_passes: int = 1
    """Full passes over the dataset per epoch (unless ``num_updates_per_epoch`` is set)."""

    num_updates_per_epoch: int | None = None
    """Bounded update: exactly this many minibatches per epoch, drawn from shuffled passes over the aggregated dataset,
    so the epoch's update time stays flat while the dataset grows. ``None``: ``num_learning_passes`` full passes."""

    batch_size: int = 256
    """Segments per minibatch (= transitions per minibatch when ``sequence_length == 1``)."""

    sequence_length: int = 1
    """TBPTT segment length. 1 trains on independent transitions (the stored hidden state is used for recurrent
    students). Longer trajectories are cut into segments of this length, the shorter tail segment is kept (masked)."""

    shuffle: bool = True
    """Shuffle segments across the whole dataset each pass."""

    epoch_teacher_forcing: int = 50
    """Epochs ``[0, epoch_teacher_forcing)`` are behaviour cloning: the teacher drives the env. Afterwards the student
    drives (DAgger) and the teacher only labels, except where beta mixing hands control back to the teacher."""

    teacher_forcing_share: float = 1.0
    """Share of the envs (evenly spaced over each rank's) that the teacher drives during teacher forcing; the student
    drives the others from the first epoch (DAgger). Below 1 the teacher's episodes on its envs still give its return
    for free (``eval_mode="collection"``) while most of the data is the student's own (measured on the quadcopter:
    pure BC for 10 epochs left a student at 0.06 of the teacher's return when it took over, DAgger from the start
    was at 0.94 after 20 epochs). Each teacher env gives one counted episode within twice the episode length."""

    beta_start: float = 1.0
    """Probability that the teacher acts (per env, per step) at the first DAgger epoch (at most
    ``teacher_forcing_share``)."""

    beta_decay: float = 0.9
    """Per-epoch multiplicative decay of beta after teacher forcing: ``beta = beta_start * beta_decay**(e - e_tf)``."""

    beta_min: float = 0.0
    """Lower bound of beta."""

    teacher_deterministic: bool = True
    """The teacher acts with its distribution mean; ``False`` samples from its action distribution."""

    init_student_from_teacher: bool = False
    """Copy the teacher's weights into the student where shapes allow (see :func:`init_from_teacher`)."""

    teacher_input_indices: list[int] | None = None
    """Teacher input columns that the student observation corresponds to, used by ``init_student_from_teacher``.
    ``None`` means the student observation is a prefix of the teacher's."""


@configclass
class DistillationStorageCfg:
    """The DAgger dataset of (student obs, teacher action) transitions, kept on the env device."""

    max_dataset_steps: int = 1_000_000
    """Dataset bound in transitions (``num_envs * steps``); the oldest steps are dropped first. Must hold at least one
    rollout, ``num_envs * num_steps_per_env``."""

    image_dtype: Literal["float32", "float16", "uint8"] = "uint8"
    """How image groups (``[C, H, W]`` per env, e.g. the parkour depth) are stored: ``uint8`` with a per-image affine
    scale (error <= half a step of (max - min) / 255; a 58 x 87 depth image takes 5 kB instead of 20 kB), ``float16``,
    or ``float32``. Vector groups stay float32; a minibatch is decoded to float32 when it is formed."""

    on_policy: bool = False
    """Clear the dataset before each collection (train on the last rollout only) instead of aggregating (DAgger)."""


@configclass
class DistillationCfg:
    """Teacher -> student distillation (the runner): behaviour cloning with teacher forcing, then DAgger."""

    experiment_name: str = "distillation"
    """Folder under ``logs/distillation/``."""

    run_name: str = ""
    """Suffix of the timestamped run folder."""

    seed: int = 42
    """Seed of the trainer's own generators (dataset shuffling, beta mixing)."""

    n_epochs: int = 100
    """Number of epochs; an epoch is one collection rollout, one training phase and (optionally) one evaluation."""

    num_steps_per_env: int = 64
    """Rollout length per epoch: every epoch collects ``num_envs * num_steps_per_env`` transitions."""

    student_obs_groups: list[str] = ["policy"]
    """Observation groups of the env's TensorDict that the student reads, in order (rsl_rl's ``obs_groups`` of the
    student): vector groups are concatenated, an image group ``[N, C, H, W]`` goes to an image student's CNN."""

    init_at_random_ep_len: bool = True
    """Randomise ``env.episode_length_buf`` once at the start of a fresh run (as rsl_rl's runners do) so that the
    envs' episodes are out of phase and every rollout sees all phases of an episode."""

    eval_interval: int = 1
    """Evaluate the student every this many epochs (and always after the last epoch). An evaluation costs up to
    ``eval_steps`` env steps, usually far more than a rollout: raise this for long episodes."""

    eval_mode: Literal["collection", "rollout"] = "collection"
    """``"collection"``: evaluate for free on the collection rollouts (:mod:`.evaluation`): a student evaluation is
    the episodes that the deterministic student drove alone during the epochs since the last one, the teacher's
    return the episodes of the teacher-forcing rollouts; an evaluation epoch with fewer than ``eval_min_episodes``
    such episodes is skipped, except the last, which then rolls out. ``"rollout"``: every evaluation is an explicit
    rollout of up to ``eval_steps`` env steps (exact for the newest student, but it steps the env for nothing else)."""

    final_evaluation: Literal["rollout", "collection"] = "rollout"
    """The last epoch's evaluation, the run's result: ``"rollout"`` measures the final student itself (on an env
    with ``reset()`` every env restarts and flies one episode: ``max_episode_length`` steps); ``"collection"`` takes
    the free window as the other evaluations do (no env step, but its episodes were flown by the students of the
    window's epochs, a lagging number; with ``algorithm.average_last_epochs`` the final student is their weight
    average)."""

    eval_min_episodes: int = 32
    """Fewest free episodes (all ranks) that make an evaluation in ``"collection"`` mode."""

    eval_steps: int = 1000
    """Cap on the evaluation rollout length. Evaluation does not reset the env; each env contributes the first
    episode that starts inside the evaluation, so this should be about twice the maximum episode length."""

    checkpoint_dataset: bool = False
    """Also store the dataset and the env-stream state (student hidden state, running episode statistics) in every
    checkpoint. A resume then trains on the same data; given the same env state (``resume(...,
    restore_env_stream=True)``) it continues bit for bit like an uninterrupted run. Isaac Lab cannot save simulator
    state, so ``scripts/distillation.py --resume`` restores the dataset and starts new episodes. Costs
    ``max_dataset_steps`` transitions of disk per checkpoint."""

    save_interval: int = 10
    """Write ``checkpoint_epoch_{N}.pt`` every this many epochs."""

    algorithm: DistillationAlgorithmCfg = DistillationAlgorithmCfg()
    """Update and acting schedule."""

    storage: DistillationStorageCfg = DistillationStorageCfg()
    """The dataset."""

    student: StudentCfg = StudentCfg()
    """Student network."""

    multi_teacher: MultiTeacherCfg = MultiTeacherCfg()
    """Multi-teacher options (ignored with a single teacher, except the position offset correction)."""
