"""The distillation runner: the epoch loop, evaluation schedule, logging and checkpoint files.

Per epoch: (1) collect ``num_steps_per_env`` steps in every env with :class:`.algorithm.DistillationAlgorithm`;
(2) update the student on its dataset; (3) evaluate the student deterministically (:func:`.rollout.rollout`); (4) log
to TensorBoard, print one line, write checkpoints. This is the one place that knows the checkpoint file names.

Resume restores the student, optimizer, epoch, best return, RNG states and the teacher evaluation results (teacher
return, position offsets, per-teacher student returns, loss weights). The dataset (it can be GBs) is saved only with
``checkpoint_dataset``; then, given the same env state, a resumed run is bit-for-bit the uninterrupted one. Without
it a resumed run refills the dataset from new rollouts. A simulator always restarts from a reset (Isaac Lab cannot
save its state), so a resumed script run collects different episodes than the uninterrupted run would have.

Under ``torchrun`` (``ranks``) each rank runs this loop on its own envs and dataset from rank 0's student (broadcast
at ``learn``, also after a resume); every statistic that decides something (returns, per-teacher returns, position
offsets) is reduced over the ranks, so all ranks decide alike. Rank 0 alone writes checkpoints and prints.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from tensordict import TensorDict

from ..models import MLPStudent
from ..models.observations import shape_mismatch
from ..utils.distributed import Distributed
from .algorithm import DistillationAlgorithm
from .cfg import DistillationCfg
from .checkpoint import capture_rng_state, load_checkpoint, restore_rng_state, save_checkpoint
from .errors import CheckpointError, DistillationError
from .evaluation import TEACHER, Evaluator
from .logger import EpochLogger
from .rollout import EpisodeTracker, episode_stats, episode_sums
from .teacher import Teacher

BEST_FILE, FINAL_FILE, INTERRUPTED_FILE = "best_student.pt", "final_student.pt", "interrupted_student.pt"
PERIODIC_FILE = "checkpoint_epoch_{epoch}.pt"
PERIODIC_PATTERN = r"checkpoint_epoch_(\d+)\.pt"
"""Student checkpoint files of a run directory (best evaluation, last epoch, Ctrl-C, every ``save_interval``)."""


class DistillationRunner:
    """Distil one or more :class:`Teacher` into a student on an rsl_rl ``VecEnv``."""

    def __init__(
        self,
        env: Any,
        teachers: Teacher | Sequence[Teacher],
        student: MLPStudent,
        cfg: DistillationCfg,
        log_dir: str,
        writer: Any | None = None,
        env_teacher_ids: torch.Tensor | None = None,
        ranks: Distributed | None = None,
    ) -> None:
        """Check the env against the student and build the algorithm.

        Args:
            env: rsl_rl ``VecEnv`` (``num_envs``, ``num_actions``, ``device``, ``get_observations()``, ``step()``;
                optionally ``episode_length_buf``/``max_episode_length``), e.g. isaaclab_rl's ``RslRlVecEnvWrapper``.
            teachers: One teacher or a list; teacher ``k`` labels the envs with ``env_teacher_ids == k``.
            student: Student network (see :mod:`isaaclab_distill.models`); moved to the env device.
            cfg: Distillation config.
            log_dir: Directory of the checkpoints.
            writer: TensorBoard ``SummaryWriter`` (or anything with ``add_scalar``); ``None`` disables logging.
            env_teacher_ids: ``[num_envs]`` teacher index per env; default: equal contiguous blocks.
            ranks: The ``torchrun`` job this process is one rank of (default: one process).
        """
        self.env, self.cfg, self.log_dir, self.ranks = env, cfg, log_dir, ranks or Distributed()
        samples = int(env.num_envs) * cfg.num_steps_per_env * self.ranks.world_size  # per epoch, all ranks
        self.logger = EpochLogger(writer, samples, cfg.n_epochs, self.ranks.is_main)
        self.device, self.num_envs = torch.device(env.device), int(env.num_envs)
        obs = env.get_observations()
        found = shape_mismatch(student.obs_shapes, obs)
        if list(student.obs_shapes) != list(cfg.student_obs_groups):
            found = f"it reads {list(student.obs_shapes)}, the config's student_obs_groups are {cfg.student_obs_groups}"
        elif found is None and int(env.num_actions) != student.action_dim:
            found = f"the env has {env.num_actions} actions, the student {student.action_dim}"
        if found is not None:
            raise DistillationError(f"The student does not fit the env: {found}.")
        self.alg = DistillationAlgorithm(student, teachers, cfg, self.num_envs, self.device, env_teacher_ids, ranks)
        # Run state (saved in checkpoints) and the env stream: current obs, running episode statistics
        self.epoch = 0  # completed epochs
        self.best_return = -math.inf
        self.teacher_return = math.nan
        self._obs: TensorDict = obs
        self.episodes = EpisodeTracker(self.num_envs, self.device)
        self.seconds = {"collect": 0.0, "update": 0.0, "evaluate": 0.0}  # wall time by phase (this process)
        self.evaluator = Evaluator(env, self.alg, self.episodes, self.ranks, self.logger.info)
        self._phases_randomized = False
        self.check_interrupt: Callable[[], None] = lambda: None  # every step and minibatch; Ctrl-C raises in it
        self._check_obs(obs, "env.get_observations")
        if cfg.algorithm.init_student_from_teacher:
            report = self.alg.init_student_from_teacher()
            self.logger.info("[distill] init from teacher: " + ", ".join(f"{k} {v}" for k, v in report.items()))

    student = property(lambda self: self.alg.student, doc="The student being trained.")

    def _check_obs(
        self, obs: TensorDict, where: str, rewards: torch.Tensor | None = None, labels: torch.Tensor | None = None
    ) -> None:
        """Raise on NaN/inf in any observation group, the rewards or the teacher's labels (one device sync)."""
        values = dict(obs.items()) | ({} if rewards is None else {"rewards": rewards})
        values |= {} if labels is None else {"teacher actions (labels)": labels}
        if not bool(torch.stack([torch.isfinite(v).all() for v in values.values()]).all()):
            bad = [k for k, v in values.items() if not bool(torch.isfinite(v).all())]
            raise DistillationError(f"Non-finite values in {bad} returned by {where} (epoch {self.epoch + 1}).")

    def _after_step(self, obs: TensorDict, rewards: torch.Tensor) -> None:
        self.check_interrupt()
        self._check_obs(obs, "env.step", rewards)

    @torch.no_grad()  # ------------------------------------------------------------ the three phases
    def collect(self, epoch: int) -> dict[str, float]:
        """Roll out ``num_steps_per_env`` steps with the algorithm acting and storing; returns collection stats."""
        beta = self.alg.start_rollout(epoch)
        obs, dones = self._obs, None
        sums = torch.zeros(4, dtype=torch.float64, device=self.device)  # of the completed episodes (episode_sums)
        for _ in range(self.cfg.num_steps_per_env):
            self.check_interrupt()
            actions = self.alg.act(obs, dones)
            obs, rewards, dones, _ = self.env.step(actions.to(self.env.device))
            obs, rewards, dones = obs.to(self.device), rewards.to(self.device).view(-1), dones.to(self.device).view(-1)
            self._check_obs(obs, "env.step", rewards, self.alg.labels)  # the one device sync of a step
            dones = dones.bool()
            ep_ret, ep_len = self.episodes.step(rewards, dones)
            self.evaluator.collection_step(self.alg.driver, dones, ep_ret, ep_len)
            self.alg.process_env_step(dones)
            sums += episode_sums(ep_ret, ep_len, weights=dones)  # completed-episode statistics (no sync)
        self._obs = obs
        self.alg.end_rollout()
        return {**episode_stats(sums, self.ranks), "beta": beta, "learning_rate": self.alg.learning_rate(epoch)}

    def update(self, epoch: int | None = None) -> float:
        """The algorithm's update of ``epoch`` (default: the next one), interruptible at every minibatch."""
        return self.alg.update(self.epoch if epoch is None else epoch, self.check_interrupt)

    @torch.no_grad()
    def evaluate(self, policy: str = "student", fresh: bool = False) -> dict[str, float]:
        """Explicit evaluation of the student, or of the teachers (:meth:`.evaluation.Evaluator.explicit`)."""
        start = time.time()
        summary, self._obs = self.evaluator.explicit(policy, self._obs, self._after_step, fresh)
        self.seconds["evaluate"] += time.time() - start
        return summary

    # ------------------------------------------------------------------ main loop
    def learn(self, on_epoch: Callable[[int], None] | None = None) -> dict[str, float]:
        """Run epochs ``[self.epoch, cfg.n_epochs)``; ``on_epoch(epoch)`` after each (e.g. a benchmark's snapshot).

        Returns the last evaluation, the best and the teacher's return, env steps by purpose and seconds by phase.
        """
        cfg = self.cfg
        for network in dict.fromkeys((self.alg.student, self.alg.final_student)):  # every rank: rank 0's weights
            self.ranks.broadcast_module(network)
        if math.isnan(self.teacher_return) and not self.evaluator.free_teacher(self.epoch):
            self._evaluate_teacher()
        last_eval: dict[str, float] = {}
        start_epoch, t_start = self.epoch, time.time()
        if not self._phases_randomized and cfg.init_at_random_ep_len and hasattr(self.env, "episode_length_buf"):
            # Desynchronise episode phases (as rsl_rl's runners do) so rollouts cover all phases of an episode
            self._phases_randomized = True
            buf, high = self.env.episode_length_buf, int(self.env.max_episode_length)
            self.env.episode_length_buf = torch.randint_like(buf, high=high)
        for epoch in range(start_epoch, cfg.n_epochs):
            t0 = time.time()
            coll = self.collect(epoch)  # 1. data collection
            self.seconds["collect"] += time.time() - t0
            last = epoch + 1 == cfg.n_epochs
            evaluate = (epoch + 1) % cfg.eval_interval == 0 or last
            forcing_ends = last or epoch + 1 >= cfg.algorithm.epoch_teacher_forcing
            if math.isnan(self.teacher_return) and (evaluate or forcing_ends):
                self._evaluate_teacher(free=True, wait=not forcing_ends)  # the teacher-forcing episodes, else a rollout
            t1 = time.time()
            loss = self.update(epoch)  # 2. training
            self.seconds["update"] += time.time() - t1
            ev = self._evaluate_student(last) if evaluate else None  # 3. evaluation (None: too few free episodes)
            self.epoch, last_eval = epoch + 1, last_eval if ev is None else ev
            ratio = ev["mean_return"] / self.teacher_return if ev is not None and self.teacher_return else math.nan
            losses = {"": loss, **self.alg.loss_parts}  # 4. logging
            self.logger.log_epoch(self.epoch, coll, losses, ev, ratio, self.alg.balance.scalars())
            # 5. checkpoints (only after a fully successful epoch)
            if ev is not None and ev["mean_return"] > self.best_return:
                self.best_return = ev["mean_return"]
                self.save_checkpoint(BEST_FILE, final=last and cfg.final_evaluation == "rollout")  # what ev measured
            if cfg.save_interval > 0 and self.epoch % cfg.save_interval == 0:
                self.save_checkpoint(PERIODIC_FILE.format(epoch=self.epoch))
            forcing = epoch < cfg.algorithm.epoch_teacher_forcing
            per_epoch, seconds = (time.time() - t_start) / (self.epoch - start_epoch), time.time() - t0
            self.logger.print_epoch(self.epoch, forcing, coll, loss, ev, ratio, seconds, per_epoch)
            if on_epoch is not None:
                on_epoch(self.epoch)
        self.save_checkpoint(FINAL_FILE)
        self.logger.flush()
        steps = self.evaluator.step_share()
        self.logger.info(
            f"[distill] env steps: collection {steps['collection_env_steps']:,.0f}, evaluation"
            f" {steps['evaluation_env_steps']:,.0f} ({100 * steps['evaluation_share']:.1f} % of all)"
        )
        seconds = {f"{phase}_s": value for phase, value in self.seconds.items()}
        return {**last_eval, "best_return": self.best_return, "teacher_return": self.teacher_return, **steps, **seconds}

    def _evaluate_teacher(self, free: bool = False, wait: bool = False) -> None:
        """Measure the teacher's return: its free teacher-forcing episodes when ``free`` and enough, else a rollout.

        ``wait``: too few free episodes yet and teacher forcing goes on: measure nothing now.
        """
        if (t_eval := self.evaluator.free_summary(TEACHER) if free else None) is None and wait:
            return
        how = f"free, from {t_eval['episodes']} teacher-forcing episodes" if t_eval else "rollout"
        t_eval = t_eval or self.evaluate("teacher")
        self.teacher_return = t_eval["mean_return"]
        self.logger.info(
            f"[distill] teacher: return {t_eval['mean_return']:.3f} +- {t_eval['std_return']:.3f},"
            f" length {t_eval['mean_length']:.1f} ({int(t_eval['episodes'])} episodes, {how})"
        )
        if self.cfg.multi_teacher.position_offset_correction:
            self.logger.info(f"[distill] teacher position offsets: {self.alg.position_offsets.cpu().tolist()}")

    def _evaluate_student(self, last: bool) -> dict[str, float] | None:
        """Evaluate the student, or return ``None`` (no evaluation this epoch).

        The ``last`` epoch's is a rollout of the final student (``final_evaluation``); the others are the free window
        since the last one when it holds enough episodes, else a rollout in ``rollout`` mode, else none.
        """
        if last and self.cfg.final_evaluation == "rollout":
            return self.evaluate("student", fresh=True)
        free = self.evaluator.free_student()
        return self.evaluate("student") if free is None and (self.evaluator.free is None or last) else free

    # ------------------------------------------------------------------ checkpoints
    def save_checkpoint(self, name: str, final: bool = False) -> str:
        """Atomically write ``log_dir/name`` with the full learner state (rank 0 alone); returns the path.

        Always: student (``final``: the final one), optimizer, epoch, best return, RNG states, teacher results. With
        ``cfg.checkpoint_dataset`` also the dataset and the env-stream state (hidden states, running returns/lengths
        of the running episodes): given the same env state, a resumed run then continues bit for bit.
        """
        if not self.ranks.is_main:
            return os.path.join(self.log_dir, name)
        final = final or name == FINAL_FILE  # the final student: the weight average of the last epochs, if any
        state = self.alg.state_dict(include_data=self.cfg.checkpoint_dataset, final=final)
        trainer_state = {k: v for k, v in state.items() if k not in ("model", "optimizer", "hidden")}  # + dataset
        trainer_state["teacher_return"] = float(self.teacher_return)
        if self.cfg.checkpoint_dataset:
            trainer_state["stream"] = {
                "hidden": state["hidden"],
                "episode_return": self.episodes.returns,
                "episode_length": self.episodes.lengths,
                "phases_randomized": self._phases_randomized,
            }
        return save_checkpoint(
            os.path.join(self.log_dir, name),
            student=self.alg.final_student if final else self.alg.student,
            optimizer=self.alg.optimizer,
            epoch=self.epoch,
            best_return=self.best_return,
            distillation_cfg=self.cfg.to_dict(),
            rng_state=capture_rng_state(self.alg.generators),
            trainer_state=trainer_state,
        )

    def resume(self, path: str, restore_env_stream: bool = False) -> None:
        """Restore what :meth:`save_checkpoint` wrote (the runner must be built with the same student config).

        Args:
            path: Student checkpoint.
            restore_env_stream: Also restore the hidden state and running statistics of the running episodes: only
                right when the env continues from that very state (a restarted simulator does not; the scripts don't).

        Raises:
            CheckpointError: Unreadable file, wrong kind, or a student/dataset that does not match this runner's.
        """
        data = load_checkpoint(path, map_location=self.device)
        if dict(data["student_cfg"]) != self.student.config:
            raise CheckpointError(
                f"Checkpoint '{path}' student {data['student_cfg']} does not match the current student"
                f" {self.student.config}."
            )
        state = dict(data["trainer_state"])
        stream = state.pop("stream", None) if restore_env_stream else None  # alg.load_state_dict ignores it
        state.update(model=data["model_state_dict"], optimizer=data["optimizer_state_dict"])
        if stream is not None:
            state["hidden"] = stream["hidden"]
        try:
            self.alg.load_state_dict(state)
        except (RuntimeError, ValueError, KeyError) as err:
            raise CheckpointError(f"Cannot restore '{path}': {err}") from err
        self.epoch, self.best_return = int(data["epoch"]), float(data["best_return"])
        if self.ranks.is_main:  # the other ranks keep their own streams (seed + RANK)
            restore_rng_state(data["rng_state"], self.alg.generators)
        self.teacher_return = float(state.get("teacher_return", math.nan))
        if stream is not None:
            self._phases_randomized = bool(stream["phases_randomized"])
            self.episodes.returns, self.episodes.lengths = stream["episode_return"], stream["episode_length"]
        self.logger.info(f"[distill] resumed '{path}' at epoch {self.epoch} (best return {self.best_return:.3f})")
