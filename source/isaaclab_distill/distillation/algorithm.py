"""The distillation algorithm: who acts, what is stored, the update. Pure torch: no env loop, files or printing.

Where and why this differs from rsl_rl's ``Distillation`` (``rsl_rl/algorithms/distillation.py``, 5.5.1):

- Loss scale. rsl_rl backpropagates the SUM of ``gradient_length`` per-step losses (the gradient grows with it; a
  tail that does not divide is dropped). Here each segment of ``sequence_length`` steps is unrolled from its stored
  hidden state and the loss is the AVERAGE over valid steps; the shorter tail segment is kept and masked.
- Data. rsl_rl trains online on the last rollout only (storage cleared after every update). Here the transitions are
  aggregated in a bounded DAgger dataset (oldest dropped); ``on_policy=True`` gives the rsl_rl behaviour.
- Who acts. rsl_rl always lets the student act (sampled) while the teacher labels. Here the teacher drives for the
  first ``epoch_teacher_forcing`` epochs (BC; on ``teacher_forcing_share`` of the envs, the student drives the
  others), then the student drives (DAgger), the teacher taking over per env and step with probability beta.
- Hidden states. rsl_rl replays its rollout in order (no shuffling). Here each step stores the student's hidden state.
- Teachers. rsl_rl has one. Here a list, each labelling its env group (worst_k, RAPTOR's offsets, :mod:`.balance`).
- Final student. rsl_rl's is its last. Here: optionally the weight average of the last epochs' (:mod:`.averaging`).
- Latent. A scandots-encoder teacher's latent can be a second label (``latent_loss_coef``, :func:`.sequence_loss`).

Use (the runner's rollout, as rsl_rl's runners drive ``alg.act`` / ``alg.process_env_step``)::

    alg.start_rollout(epoch)
    for _ in range(num_steps_per_env):
        obs, rewards, dones, extras = env.step(alg.act(obs, dones))  # actions [N, A]
        alg.process_env_step(dones)
    alg.end_rollout()
    loss = alg.update(epoch)  # alg.loss_parts: its terms
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn as nn
from rsl_rl.utils.utils import reduce_gradients_in_buckets, resolve_optimizer
from tensordict import TensorDict

from ..models import MLPStudent, reset_hidden
from ..models.observations import select_groups
from ..utils.distributed import Distributed
from .averaging import WeightAverage
from .balance import GroupLossBalance
from .cfg import DistillationCfg
from .errors import DistillationError
from .losses import segment_losses
from .schedule import MIXED, STUDENT, TEACHER, learning_rate, minibatches, teacher_envs, teacher_probability
from .storage import EpisodeDataset
from .teacher import Teacher, group_means, latent_label_dim, offset_columns, teacher_groups, worst_groups


class DistillationAlgorithm:
    """Distil one or more :class:`Teacher` into a student: acting (teacher forcing / DAgger mix) and the update."""

    def __init__(
        self,
        student: MLPStudent,
        teachers: Teacher | Sequence[Teacher],
        cfg: DistillationCfg,
        num_envs: int,
        device: str | torch.device,
        env_teacher_ids: torch.Tensor | None = None,
        ranks: Distributed | None = None,
    ) -> None:
        """Set up storage, optimizer and the learner state.

        Args:
            student: Student network (see :mod:`isaaclab_distill.models`); moved to ``device``.
            teachers: One teacher or a list; teacher ``k`` labels the envs with ``env_teacher_ids == k``.
            cfg: Distillation config.
            num_envs: N, envs of every observation batch.
            device: Device of the env's tensors.
            env_teacher_ids: ``[N]`` teacher index per env; default: equal contiguous blocks.
            ranks: The ``torchrun`` job (default: one process); each rank keeps the dataset of its own N envs.
        """
        self.cfg, self.device, self.num_envs = cfg, torch.device(device), int(num_envs)
        self.ranks = ranks or Distributed()
        self.teachers = [teachers] if isinstance(teachers, Teacher) else list(teachers)
        self.student = student.to(self.device)
        n, n_t = self.num_envs, len(self.teachers)
        if n_t == 0:
            raise DistillationError("At least one teacher is required.")
        self.env_teacher_ids, self.teacher_env_ids = teacher_groups(env_teacher_ids, n, n_t, self.device)  # [N], [K][.]
        capacity, image = cfg.storage.max_dataset_steps // n, cfg.storage.image_dtype  # storage of max_dataset_steps
        if capacity < cfg.num_steps_per_env:
            raise DistillationError(
                f"max_dataset_steps={cfg.storage.max_dataset_steps} cannot hold one rollout of {n}"
                f" envs x {cfg.num_steps_per_env} steps = {n * cfg.num_steps_per_env} transitions."
            )
        hidden, algo = (student.hidden_shape if student.is_recurrent else None), cfg.algorithm
        self.latent_dim = latent_label_dim(self.teachers, student, algo.latent_loss_coef)  # labels [A + L]
        labels = student.action_dim + self.latent_dim
        self.dataset = EpisodeDataset(n, student.obs_shapes, labels, capacity, self.device, hidden, image)
        self.loss_parts: dict[str, float] = {}  # the last update's mean loss terms, when there are several
        optimizer_class = resolve_optimizer(algo.optimizer)  # rsl_rl's names: adam, adamw, sgd, rmsprop
        self.optimizer = optimizer_class(self.student.parameters(), lr=algo.learning_rate)
        self.generators = {
            "shuffle": torch.Generator().manual_seed(cfg.seed),  # CPU: dataset permutation
            "beta": torch.Generator(device=self.device).manual_seed(cfg.seed + 1),  # env device: teacher/student mix
        }
        self.student_group_returns = torch.full((n_t,), math.nan)  # worst_k's student return per teacher group
        first = cfg.student_obs_groups[0]  # the group of the position slice: [n_teachers, P] offsets
        self.position_offsets = offset_columns(cfg.multi_teacher, first, student.obs_shapes, n_t, self.device)
        self.balance = GroupLossBalance(self.env_teacher_ids, n_t, cfg.multi_teacher.group_loss_power, self.ranks)
        self.hidden = student.initial_hidden(n)  # [K, N, H] student state of the running episodes (None: MLP)
        self._rollout: dict[str, Any] = {}
        self.driver = torch.full((n,), MIXED, dtype=torch.int8, device=self.device)  # [N] of the last act()
        self._teacher_envs = teacher_envs(cfg.algorithm, n, self.device)  # [N] driven in teacher forcing (None: all)
        self.average = WeightAverage(algo.average_last_epochs, cfg.n_epochs, algo.epoch_teacher_forcing)

    final_student = property(lambda self: self.average.final(self.student), doc="The student a run ends with.")

    def init_student_from_teacher(self) -> dict[str, list[str]]:
        """Start the student from the first teacher's weights (:meth:`MLPStudent.init_from_teacher`)."""
        return self.student.init_from_teacher(self.teachers[0].model, self.cfg.algorithm.teacher_input_indices)

    # ------------------------------------------------------------------ acting
    def student_obs(self, obs: TensorDict, correct: bool = False) -> TensorDict:
        """The student's groups ``[N]``, position-offset corrected when ``correct`` and enabled (collection)."""
        x = select_groups(obs, self.cfg.student_obs_groups)
        if correct and self.cfg.multi_teacher.position_offset_correction:
            a, b = self.cfg.multi_teacher.position_obs_slice
            group = self.cfg.student_obs_groups[0]
            x[group] = x[group].clone()  # the env's tensor stays untouched
            x[group][:, a:b] -= self.position_offsets[self.env_teacher_ids]  # remove each teacher's steady-state error
        return x

    def teacher_actions(
        self, obs: TensorDict, dones: torch.Tensor | None, deterministic: bool, check: bool = True
    ) -> torch.Tensor:
        """Each teacher labels its own env group: ``[N, A]`` (``check``: raise on non-finite ones, a device sync)."""
        if len(self.teachers) == 1:
            actions = self.teachers[0].act(obs, dones, deterministic)
        else:
            actions = torch.empty(self.num_envs, self.student.action_dim, device=self.device)
            for teacher, ids in zip(self.teachers, self.teacher_env_ids):
                actions[ids] = teacher.act(obs[ids], None if dones is None else dones[ids], deterministic)
        if check and not bool(torch.isfinite(actions).all()):
            raise DistillationError("The teacher produced non-finite actions (check the teacher checkpoint/obs).")
        return actions

    def active_envs(self) -> torch.Tensor:
        """``[N]`` bool: envs whose teacher is selected this epoch ('all' or the k worst student groups)."""
        mt, returns = self.cfg.multi_teacher, self.student_group_returns
        k = len(self.teachers) if mt.selection == "all" else mt.k
        return worst_groups(returns, k, self.env_teacher_ids)

    def record_student_returns(self, env_ids: torch.Tensor, returns: torch.Tensor, counts: torch.Tensor | None = None):
        """worst_k's per-teacher-group return: ``returns[E]`` of envs ``env_ids[E]``, sums of ``counts[E]`` episodes."""
        ids = self.env_teacher_ids[env_ids]
        self.student_group_returns = group_means(ids, returns, counts, len(self.teachers), self.ranks).cpu()

    def start_rollout(self, epoch: int) -> float:
        """Prepare a collection rollout of ``epoch``; returns its beta."""
        if self.cfg.storage.on_policy:
            self.dataset.clear()
        self.dataset.start_rollout()
        self.student.eval()
        for teacher in self.teachers:  # the teachers did not follow the env during evaluation
            teacher.reset()
        beta, forcing = teacher_probability(self.cfg.algorithm, epoch), epoch < self.cfg.algorithm.epoch_teacher_forcing
        self._rollout = {"beta": beta, "forcing": forcing, "active": self.active_envs(), "obs": []}
        return beta

    @torch.no_grad()
    def act(self, obs: TensorDict, dones: torch.Tensor | None) -> torch.Tensor:
        """Actions ``[N, A]`` of one collection step: teacher (BC), student (DAgger), or a per-env Bernoulli(beta) mix.

        Args:
            obs: The env's observation TensorDict.
            dones: ``[N]`` flags of the previous step (``None`` at the first step), for recurrent teachers.
        """
        r, n = self._rollout, self.num_envs
        s_obs = self.student_obs(obs, correct=True)  # TensorDict [N]
        t_act = self.teacher_actions(obs, dones, self.cfg.algorithm.teacher_deterministic, check=False)  # [N, A]
        h = self.hidden  # [K, N, H] before this step (None for MLP)
        # Who drives each env ([N], for the free evaluation): a deterministic teacher, the student on raw inputs
        teacher = TEACHER if self.cfg.algorithm.teacher_deterministic else MIXED
        student = MIXED if self.cfg.multi_teacher.position_offset_correction else STUDENT
        forced = self._teacher_envs if r["forcing"] else None  # [N] teacher forcing on a share of the envs (beta)
        if r["beta"] >= 1.0:  # teacher forcing on every env; a recurrent student still follows the episode
            actions, h_next = t_act, (self.student(s_obs, h)[1] if self.student.is_recurrent else None)
            self.driver = torch.full((n,), teacher, dtype=torch.int8, device=self.device)
        else:
            actions, h_next = self.student(s_obs, h)  # [N, A]
            self.driver = torch.full((n,), student, dtype=torch.int8, device=self.device)
            if forced is None and r["beta"] > 0.0:  # per env, the teacher takes over with probability beta
                forced = torch.rand(n, device=self.device, generator=self.generators["beta"]) < r["beta"]
            if forced is not None:
                actions = torch.where(forced.unsqueeze(-1), t_act, actions)
                self.driver.masked_fill_(forced, teacher)
        labels = torch.cat((t_act, self.teachers[0].latent(obs)), dim=-1) if self.latent_dim else t_act
        r["step"], self.labels = (s_obs, labels, h, h_next), t_act  # the runner checks the labels with the step
        return actions

    def process_env_step(self, dones: torch.Tensor) -> None:
        """Store the step that :meth:`act` prepared, with the env's ``dones[N]``; zero finished hidden states."""
        s_obs, labels, h, h_next = self._rollout.pop("step")  # labels [N, A (+ L)]
        self.dataset.append(s_obs, labels, dones, hidden=h, valid=self._rollout["active"])
        if self.student.obs_normalization:  # the statistics are updated with the rollout's inputs at its end
            self._rollout["obs"].append(s_obs)
        if h_next is not None:
            self.hidden = reset_hidden(h_next, dones)

    def end_rollout(self) -> None:
        """Update the student's input normaliser with the rollout (rsl_rl does the same after collection)."""
        self.student.train()
        if self._rollout["obs"]:
            self.student.update_normalization(torch.stack(self._rollout["obs"]))
        self._rollout["obs"] = []

    # ------------------------------------------------------------------ learning
    def learning_rate(self, epoch: int) -> float:
        """The learning rate of ``epoch``'s update (:func:`.schedule.learning_rate`)."""
        return learning_rate(self.cfg.algorithm, epoch, self.cfg.n_epochs)

    def update(self, epoch: int, check_interrupt: Callable[[], None] | None = None) -> float:
        """One epoch's update (:func:`.schedule.minibatches`); returns the mean minibatch loss (over all ranks).

        Several ranks: each minibatch is one step on the mean loss over the valid steps of ALL ranks' minibatches (each
        rank scales its loss by its share; rsl_rl's bucketed gradient all-reduce divides by the world size). The ranks
        have as many minibatches; the scalar all-reduce per minibatch makes them skip or stop on a bad loss together.
        """
        cfg, world = self.cfg.algorithm, self.ranks.world_size
        self.student.train()
        for group in self.optimizer.param_groups:
            group["lr"] = self.learning_rate(epoch)
        total, count, sums = 0.0, 0, {}
        for batch in minibatches(self.dataset, cfg, self.generators["shuffle"]):
            if check_interrupt is not None:
                check_interrupt()
            segments, steps = segment_losses(self.student, batch, cfg.loss, cfg.latent_loss_coef)  # [B] sums, valid
            loss, parts, valid = self.balance.reduce(batch.env, segments, steps, cfg.latent_loss_coef)  # weighted steps
            # [valid steps, non-finite losses, valid-weighted loss and terms] over the ranks: one sync per minibatch
            terms = [loss.detach() * valid, *(part.detach() * valid for part in parts.values())]
            stats = self.ranks.all_reduce_sum(torch.stack([valid, (~torch.isfinite(loss)).to(loss.dtype), *terms]))
            valid_all, nonfinite, weighted, *weighted_parts = stats.tolist()
            if valid_all == 0:  # only padding / inactive envs
                continue
            if nonfinite > 0:
                raise DistillationError(
                    f"Non-finite training loss ({loss.item()}) in epoch {epoch + 1}; no checkpoint was written"
                    " for this epoch. Lower the learning rate or check the teacher actions/observations."
                )
            self.optimizer.zero_grad(set_to_none=True)
            if self.ranks.enabled:
                (loss * (valid * world / valid_all)).backward()
                reduce_gradients_in_buckets(self.student.parameters(), world, bucket_mb=64.0)
            else:
                loss.backward()
            if cfg.max_grad_norm is not None:
                nn.utils.clip_grad_norm_(self.student.parameters(), cfg.max_grad_norm)
            self.optimizer.step()
            total += weighted / valid_all
            count += 1
            for name, value in zip(parts, weighted_parts):
                sums[name] = sums.get(name, 0.0) + value / valid_all
        self.loss_parts = {name: value / count for name, value in sums.items()} if len(sums) > 1 else {}
        self.average.update(epoch, self.student)
        self.balance.end_epoch()
        return total / count if count else math.nan

    # ------------------------------------------------------------------ state
    def state_dict(self, include_data: bool = False, final: bool = False) -> dict[str, Any]:
        """The learner state; ``include_data``: + dataset, hidden state; ``final``: ``model`` is the final student."""
        state: dict[str, Any] = {
            "model": (self.final_student if final else self.student).state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "student_group_returns": self.student_group_returns.clone(),
            "position_offsets": self.position_offsets.detach().cpu().clone(),
            "env_teacher_ids": self.env_teacher_ids.cpu().clone(),
            "group_balance": self.balance.state_dict(),
        }
        if self.average.active:
            other = ("trained_model", self.student) if final else ("average_model", self.final_student)
            state[other[0]], state["average"] = other[1].state_dict(), self.average.state_dict()
        if include_data:
            state["dataset"], state["hidden"] = self.dataset.state_dict(), self.hidden
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Inverse of :meth:`state_dict` (entries it lacks keep their value).

        Raises:
            RuntimeError, ValueError, KeyError: Weights, optimizer or dataset do not fit this learner.
        """
        final = "trained_model" in state  # a final checkpoint: model holds the average
        self.student.load_state_dict(state["trained_model" if final else "model"])
        average = state["model"] if final else state.get("average_model")
        self.average.load_state_dict(state.get("average", {}), average, self.student)
        if state.get("optimizer") is not None:
            self.optimizer.load_state_dict(state["optimizer"])
        if "dataset" in state:
            self.dataset.load_state_dict(state["dataset"])
        if state.get("hidden") is not None:
            self.hidden = state["hidden"].to(self.device)
        self.student_group_returns = state.get("student_group_returns", self.student_group_returns).cpu()
        self.balance.load_state_dict(state.get("group_balance", {}))
        if "position_offsets" in state:
            self.position_offsets = state["position_offsets"].to(self.device)
