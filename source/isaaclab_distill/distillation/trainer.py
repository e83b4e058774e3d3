"""Teacher -> student distillation engine: behaviour cloning with teacher forcing, then DAgger.

Per epoch: (1) collect ``num_steps_per_env`` steps in every env and append (student obs, teacher action, done,
student hidden state) to a bounded dataset; (2) train on the whole dataset in minibatches of segments; (3) evaluate
the student deterministically; (4) log, print one line, save checkpoints.

Where and why this differs from rsl_rl's ``Distillation`` (``rsl_rl/algorithms/distillation.py``, 5.5.1):

- Loss scale. rsl_rl adds the per-step losses of ``gradient_length`` consecutive steps and backpropagates the SUM, so
  the gradient grows with ``gradient_length``; when the step count is not divisible by it, the accumulated tail is
  never backpropagated (it only warns). Here each segment of ``sequence_length`` steps is unrolled from its stored
  hidden state and the loss is the AVERAGE over valid steps; the shorter tail segment is kept and masked.
- Data. rsl_rl trains online on the last rollout only (storage cleared after every update). Here the transitions are
  aggregated in a bounded DAgger dataset (oldest dropped); ``on_policy=True`` gives the rsl_rl behaviour.
- Who acts. rsl_rl always lets the student act (sampled) while the teacher labels. Here the teacher drives for the
  first ``epoch_teacher_forcing`` epochs (BC, stable early data), then the student drives (DAgger) with the teacher
  taking over per env and per step with probability beta (decaying schedule).
- Hidden states. rsl_rl replays its rollout in order with a live hidden state, so batches cannot be shuffled. Here
  every step stores the student's hidden state of collection time, so segments are independent and shuffled.
- Teachers. rsl_rl has one teacher. Here a list of teachers, each labelling its env group (``env_teacher_ids``), with
  ``worst_k`` selection and RAPTOR-style steady-state position offset correction.
- Plus: deterministic evaluation every ``eval_interval`` epochs, best/final/periodic atomic checkpoints, exact resume
  of the learner, NaN/inf checks on observations, teacher actions and loss.

Resume restores the student, optimizer, epoch, best return, RNG states and the teacher evaluation results (teacher
return, position offsets, per-teacher student returns). The dataset (it can be GBs) is saved only with
``checkpoint_dataset``; then, given the same env state, a resumed run is bit-for-bit the uninterrupted one. Without
it a resumed run refills the dataset from new rollouts. A simulator always restarts from a reset (Isaac Lab cannot
save its state), so a resumed script run collects different episodes than the uninterrupted run would have.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn as nn
from tensordict import TensorDict

from .cfg import DistillationCfg
from .checkpoint import resume_trainer, save_trainer_checkpoint
from .dataset import EpisodeDataset
from .errors import DistillationError
from .losses import sequence_loss
from .students import MLPStudent, init_from_teacher
from .teacher import Teacher


class DistillationTrainer:
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
    ) -> None:
        """Set up dataset, optimizer and bookkeeping.

        Args:
            env: rsl_rl ``VecEnv`` (``num_envs``, ``num_actions``, ``device``, ``get_observations()``, ``step()``;
                optionally ``episode_length_buf``/``max_episode_length``), e.g. isaaclab_rl's ``RslRlVecEnvWrapper``.
            teachers: One teacher or a list; teacher ``k`` labels the envs with ``env_teacher_ids == k``.
            student: Student network (see :mod:`.students`); moved to the env device.
            cfg: Distillation config.
            log_dir: Directory of the checkpoints.
            writer: TensorBoard ``SummaryWriter`` (or anything with ``add_scalar``); ``None`` disables logging.
            env_teacher_ids: ``[num_envs]`` teacher index per env; default: equal contiguous blocks.
        """
        self.env, self.cfg, self.log_dir, self.writer = env, cfg, log_dir, writer
        self.teachers = [teachers] if isinstance(teachers, Teacher) else list(teachers)
        self.device = torch.device(env.device)
        self.num_envs, self.num_actions = int(env.num_envs), int(env.num_actions)
        self.student = student.to(self.device)
        n, n_t = self.num_envs, len(self.teachers)
        if n_t == 0:
            raise DistillationError("At least one teacher is required.")

        # Env -> teacher map and the env ids of each teacher group
        if env_teacher_ids is None:
            env_teacher_ids = torch.arange(n) * n_t // n
        ids = env_teacher_ids.to(self.device).long().view(-1)  # [N]
        if ids.numel() != n or int(ids.min()) < 0 or int(ids.max()) >= n_t:
            raise DistillationError(f"env_teacher_ids must hold {n} indices in [0, {n_t}).")
        self.env_teacher_ids = ids
        self.teacher_env_ids = [torch.nonzero(ids == k).flatten() for k in range(n_t)]
        if any(ids.numel() == 0 for ids in self.teacher_env_ids):
            raise DistillationError("Every teacher needs at least one env (check env_teacher_ids).")

        # Sizes: student observation group vs student network
        obs = env.get_observations()
        if cfg.student_obs_group not in obs.keys():
            raise DistillationError(f"Observation group '{cfg.student_obs_group}' not in env obs {list(obs.keys())}.")
        obs_dim = obs[cfg.student_obs_group].shape[-1]
        if obs_dim != student.obs_dim or self.num_actions != student.action_dim:
            raise DistillationError(
                f"Student expects obs {student.obs_dim} / actions {student.action_dim}, env gives obs {obs_dim}"
                f" ('{cfg.student_obs_group}') / actions {self.num_actions}."
            )

        # Dataset bounded to max_dataset_steps transitions
        capacity = cfg.max_dataset_steps // n
        if capacity < cfg.num_steps_per_env:
            raise DistillationError(
                f"max_dataset_steps={cfg.max_dataset_steps} cannot hold one rollout of {n} envs x"
                f" {cfg.num_steps_per_env} steps = {n * cfg.num_steps_per_env} transitions."
            )
        hidden_shape = student.hidden_shape if student.is_recurrent else None
        self.dataset = EpisodeDataset(n, obs_dim, self.num_actions, capacity, self.device, hidden_shape)
        self.optimizer = torch.optim.Adam(self.student.parameters(), lr=cfg.learning_rate)
        self.generators = {
            "shuffle": torch.Generator().manual_seed(cfg.seed),  # CPU: dataset permutation
            "beta": torch.Generator(device=self.device).manual_seed(cfg.seed + 1),  # env device: teacher/student mix
        }

        # Learner state (saved in checkpoints)
        self.epoch = 0  # completed epochs
        self.best_return = -math.inf
        self.teacher_return = math.nan
        self.student_group_returns = torch.full((n_t,), math.nan)
        a, b = cfg.multi_teacher.position_obs_slice
        if cfg.multi_teacher.position_offset_correction and not 0 <= a < b <= obs_dim:
            raise DistillationError(f"position_obs_slice {(a, b)} is not a valid column range of the {obs_dim} obs.")
        self.position_offsets = torch.zeros(n_t, max(b - a, 0), device=self.device)  # [n_teachers, P]

        # Env stream state: current obs, last dones, student hidden [K, N, H], running episode return/length [N]
        self._obs: TensorDict = obs
        self._h = student.initial_hidden(n)
        self._ep_return = torch.zeros(n, device=self.device)
        self._ep_len = torch.zeros(n, device=self.device)
        self._phases_randomized = False
        self.check_interrupt: Callable[[], None] = lambda: None
        """Called at every env step and minibatch; a script sets it to raise ``KeyboardInterrupt`` on Ctrl-C."""
        self._check_obs(obs, "env.get_observations")

        if cfg.init_student_from_teacher:
            # a student with its own column layout (e.g. the depth student) knows how to take the teacher's weights
            init = getattr(self.student, "init_from_teacher", None)
            teacher_actor = self.teachers[0].model
            if init is not None:
                report = init(teacher_actor, cfg.teacher_input_indices)
            else:
                report = init_from_teacher(self.student, teacher_actor, cfg.teacher_input_indices)
            print(
                f"[distill] init from teacher: copied {report['copied']}, sliced {report['sliced']},"
                f" skipped {report['skipped']}"
            )

    # ------------------------------------------------------------------ acting
    def beta(self, epoch: int) -> float:
        """Probability that the teacher acts at ``epoch`` (1 during teacher forcing)."""
        if epoch < self.cfg.epoch_teacher_forcing:
            return 1.0
        decayed = self.cfg.beta_start * self.cfg.beta_decay ** (epoch - self.cfg.epoch_teacher_forcing)
        return max(self.cfg.beta_min, min(1.0, decayed))

    def _check_obs(self, obs: TensorDict, where: str, rewards: torch.Tensor | None = None) -> None:
        """Raise on NaN/inf in any observation group or in the rewards (one device sync)."""
        values = dict(obs.items()) | ({} if rewards is None else {"rewards": rewards})
        if not bool(torch.stack([torch.isfinite(v).all() for v in values.values()]).all()):
            bad = [k for k, v in values.items() if not bool(torch.isfinite(v).all())]
            raise DistillationError(f"Non-finite values in {bad} returned by {where} (epoch {self.epoch + 1}).")

    def _student_obs(self, obs: TensorDict, correct: bool) -> torch.Tensor:
        """Student observation ``[N, D]``, position-offset corrected when enabled (collection only)."""
        x = obs[self.cfg.student_obs_group]
        if correct and self.cfg.multi_teacher.position_offset_correction:
            a, b = self.cfg.multi_teacher.position_obs_slice
            x = x.clone()
            x[:, a:b] -= self.position_offsets[self.env_teacher_ids]  # remove each teacher's steady-state error
        return x

    def _teacher_actions(self, obs: TensorDict, dones: torch.Tensor | None, deterministic: bool) -> torch.Tensor:
        """Each teacher labels its own env group: ``[N, A]``."""
        if len(self.teachers) == 1:
            actions = self.teachers[0].act(obs, dones, deterministic)
        else:
            actions = torch.empty(self.num_envs, self.num_actions, device=self.device)
            for teacher, ids in zip(self.teachers, self.teacher_env_ids):
                actions[ids] = teacher.act(obs[ids], None if dones is None else dones[ids], deterministic)
        if not bool(torch.isfinite(actions).all()):
            raise DistillationError("The teacher produced non-finite actions (check the teacher checkpoint/obs).")
        return actions

    def _step_env(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Step the env; returns ``obs, dones[N] bool, episode return[N], episode length[N]`` (valid where done)."""
        obs, rewards, dones, _ = self.env.step(actions.to(self.env.device))
        obs, rewards, dones = obs.to(self.device), rewards.to(self.device).view(-1), dones.to(self.device).view(-1)
        self._check_obs(obs, "env.step", rewards)
        dones = dones.bool()
        self._ep_return += rewards
        self._ep_len += 1
        ep_ret, ep_len = self._ep_return.clone(), self._ep_len.clone()
        self._ep_return[dones] = 0.0
        self._ep_len[dones] = 0.0
        return obs, dones, ep_ret, ep_len

    def _active_envs(self) -> torch.Tensor:
        """``[N]`` bool: envs whose teacher is selected this epoch ('all' or the k worst student groups)."""
        mt = self.cfg.multi_teacher
        if len(self.teachers) == 1 or mt.selection == "all" or bool(self.student_group_returns.isnan().all()):
            return torch.ones(self.num_envs, dtype=torch.bool, device=self.device)
        returns = torch.nan_to_num(self.student_group_returns, nan=-math.inf)  # no finished episode counts as worst
        worst = torch.argsort(returns)[: max(1, min(mt.k, len(self.teachers)))]
        active = torch.zeros(len(self.teachers), dtype=torch.bool)
        active[worst] = True
        return active.to(self.device)[self.env_teacher_ids]

    # ------------------------------------------------------------------ the three phases
    @torch.no_grad()
    def collect(self, epoch: int) -> dict[str, float]:
        """Roll out ``num_steps_per_env`` steps and append them to the dataset."""
        cfg, n = self.cfg, self.num_envs
        beta = self.beta(epoch)
        if cfg.on_policy:
            self.dataset.clear()
        self.dataset.start_rollout()
        active = self._active_envs()  # [N]
        self.student.eval()
        for teacher in self.teachers:  # the teacher did not follow the env during evaluation
            teacher.reset()
        obs, dones = self._obs, None
        ret_sum = torch.zeros((), device=self.device)
        ret_sq, ret_cnt = ret_sum.clone(), ret_sum.clone()
        new_obs = []
        for _ in range(cfg.num_steps_per_env):
            self.check_interrupt()
            s_obs = self._student_obs(obs, correct=True)  # [N, D]
            t_act = self._teacher_actions(obs, dones, cfg.teacher_deterministic)  # [N, A] labels
            h = self._h  # [K, N, H] hidden state before this step (None for MLP)
            # Act: teacher (BC), student (DAgger), or a per-env Bernoulli(beta) mix
            if beta >= 1.0 and not self.student.is_recurrent:
                actions, h_next = t_act, None
            else:
                s_act, h_next = self.student(s_obs, h)  # [N, A]
                if beta >= 1.0:
                    actions = t_act
                elif beta <= 0.0:
                    actions = s_act
                else:
                    use_teacher = torch.rand(n, device=self.device, generator=self.generators["beta"]) < beta
                    actions = torch.where(use_teacher.unsqueeze(-1), t_act, s_act)
            obs, dones, ep_ret, _ = self._step_env(actions)
            self.dataset.append(s_obs, t_act, dones, hidden=h, valid=active)
            new_obs.append(s_obs)
            if h_next is not None:
                self._h = h_next * (~dones).view(1, -1, 1).to(h_next.dtype)  # zero the state of finished episodes
            # Completed-episode statistics (no sync)
            done_ret = ep_ret * dones
            ret_sum += done_ret.sum()
            ret_sq += (done_ret * ep_ret).sum()
            ret_cnt += dones.sum()
        self._obs = obs
        # Update the student's input normaliser with this rollout (rsl_rl does the same after collection)
        self.student.train()
        self.student.update_normalization(torch.stack(new_obs))
        cnt = float(ret_cnt)
        mean = float(ret_sum) / cnt if cnt > 0 else math.nan
        std = math.sqrt(max(float(ret_sq) / cnt - mean**2, 0.0)) if cnt > 0 else math.nan
        return {"mean_return": mean, "std_return": std, "episodes": cnt, "beta": beta}

    def update(self) -> float:
        """``num_learning_passes`` passes over the dataset; returns the mean minibatch loss."""
        cfg = self.cfg
        self.student.train()
        total, count = 0.0, 0
        for _ in range(cfg.num_learning_passes):
            gen = self.generators["shuffle"]
            for batch in self.dataset.sequences(cfg.sequence_length, cfg.batch_size, cfg.shuffle, gen):
                self.check_interrupt()
                if not bool(batch.mask.any()):  # only padding / inactive envs
                    continue
                loss = sequence_loss(self.student, batch, cfg.loss)
                if not bool(torch.isfinite(loss)):
                    raise DistillationError(
                        f"Non-finite training loss ({loss.item()}) in epoch {self.epoch + 1}; no checkpoint was written"
                        " for this epoch. Lower the learning rate or check the teacher actions/observations."
                    )
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if cfg.max_grad_norm is not None:
                    nn.utils.clip_grad_norm_(self.student.parameters(), cfg.max_grad_norm)
                self.optimizer.step()
                total += loss.item()
                count += 1
        return total / count if count else math.nan

    @torch.no_grad()
    def evaluate(self, policy: str = "student") -> dict[str, float]:
        """Deterministic rollout of the student (or the teachers); each env contributes one full episode.

        The env is NOT reset: resetting all envs would synchronise their episodes, and the following short collection
        rollouts would then only ever see the first steps of an episode. Instead evaluation runs on the continuing
        env stream and counts, per env, the first episode that starts inside it (after its first ``done``); it stops
        when every env has one or after ``eval_steps`` (so ``eval_steps`` should be ~2x the episode length).
        A teacher evaluation also measures each teacher's steady-state position error (the offsets).
        """
        cfg, n, n_t = self.cfg, self.num_envs, len(self.teachers)
        obs = self._obs
        counting = torch.zeros(n, dtype=torch.bool, device=self.device)  # current episode began inside evaluation
        recorded = torch.zeros(n, dtype=torch.bool, device=self.device)
        returns, lengths = torch.zeros(n, device=self.device), torch.zeros(n, device=self.device)
        mt = cfg.multi_teacher
        a, b = mt.position_obs_slice
        pos_sum, pos_cnt = torch.zeros(n_t, b - a, device=self.device), torch.zeros(n_t, device=self.device)
        h, dones = self.student.initial_hidden(n), None
        self.student.eval()
        for teacher in self.teachers:
            teacher.reset()
        for _ in range(cfg.eval_steps):
            self.check_interrupt()
            if policy == "teacher":
                actions = self._teacher_actions(obs, dones, deterministic=True)
            else:
                actions, h = self.student(self._student_obs(obs, correct=False), h)
            if policy == "teacher" and mt.position_offset_correction:
                # Steady state: inside the first counted episode, after the settle time
                settled = (counting & ~recorded & (self._ep_len >= mt.offset_settle_steps)).float()  # [N]
                pos = obs[cfg.student_obs_group][:, a:b]  # [N, P]
                pos_sum.index_add_(0, self.env_teacher_ids, pos * settled.unsqueeze(-1))
                pos_cnt.index_add_(0, self.env_teacher_ids, settled)
            obs, dones, ep_ret, ep_len = self._step_env(actions)
            if h is not None:
                h = h * (~dones).view(1, -1, 1).to(h.dtype)
            first = dones & counting & ~recorded  # [N]
            returns = torch.where(first, ep_ret, returns)
            lengths = torch.where(first, ep_len, lengths)
            recorded |= first
            counting |= dones
            if bool(recorded.all()):
                break
        self._obs = obs
        if h is not None:  # after a student evaluation its state matches the running episodes
            self._h = h if policy == "student" else self.student.initial_hidden(n)
        if policy == "teacher" and mt.position_offset_correction:
            if bool((pos_cnt == 0).any()):
                print("[distill] warning: no settled steps for some teacher; its position offset stays 0")
            self.position_offsets = pos_sum / pos_cnt.clamp(min=1).unsqueeze(-1)  # [n_teachers, P]
        # Statistics over recorded episodes; fallback to the running (partial) returns if none finished
        sel = recorded
        if not bool(recorded.any()):
            print(f"[distill] warning: no episode finished within eval_steps={cfg.eval_steps}; using partial returns")
            sel, returns, lengths = torch.ones_like(recorded), self._ep_return.clone(), self._ep_len.clone()
        r = returns[sel]
        if policy == "student":  # per-teacher-group mean return (NaN where a group has no episode) for worst_k
            group_sum = torch.zeros(n_t, device=self.device).index_add_(0, self.env_teacher_ids, returns * sel)
            group_cnt = torch.zeros(n_t, device=self.device).index_add_(0, self.env_teacher_ids, sel.float())
            self.student_group_returns = (group_sum / group_cnt).cpu()
        return {
            "mean_return": r.mean().item(),
            "std_return": r.std(unbiased=False).item(),
            "mean_length": lengths[sel].mean().item(),
            "episodes": float(recorded.sum()),
        }

    # ------------------------------------------------------------------ main loop
    def learn(self) -> dict[str, float]:
        """Run epochs ``[self.epoch, cfg.n_epochs)``; returns the last evaluation and the best return."""
        cfg = self.cfg
        if math.isnan(self.teacher_return):
            t_eval = self.evaluate("teacher")
            self.teacher_return = t_eval["mean_return"]
            print(
                f"[distill] teacher: return {t_eval['mean_return']:.3f} +- {t_eval['std_return']:.3f},"
                f" length {t_eval['mean_length']:.1f} ({int(t_eval['episodes'])} episodes)"
            )
            if cfg.multi_teacher.position_offset_correction:
                print(f"[distill] teacher position offsets: {self.position_offsets.cpu().tolist()}")
        last_eval: dict[str, float] = {}
        start_epoch, t_start = self.epoch, time.time()
        if not self._phases_randomized and cfg.init_at_random_ep_len and hasattr(self.env, "episode_length_buf"):
            # Desynchronise episode phases (as rsl_rl's runners do) so rollouts cover all phases of an episode
            self._phases_randomized = True
            buf = self.env.episode_length_buf
            self.env.episode_length_buf = torch.randint_like(buf, high=int(self.env.max_episode_length))
        for epoch in range(start_epoch, cfg.n_epochs):
            t0 = time.time()
            coll = self.collect(epoch)  # 1. data collection
            loss = self.update()  # 2. training
            evaluate = (epoch + 1) % cfg.eval_interval == 0 or epoch + 1 == cfg.n_epochs
            ev = self.evaluate("student") if evaluate else None  # 3. evaluation
            self.epoch = epoch + 1
            # 4. logging
            ratio = math.nan
            if ev is not None and self.teacher_return != 0.0:
                ratio = ev["mean_return"] / self.teacher_return
            scalars = {"training/loss": loss}
            if coll["episodes"] > 0:
                scalars.update({f"data_collection/{k}": coll[k] for k in ("mean_return", "std_return")})
            if ev is not None:
                scalars.update({f"evaluation/{k}": ev[k] for k in ("mean_return", "std_return", "mean_length")})
                scalars["evaluation/student_teacher_return_ratio"] = ratio
                last_eval = ev
            if self.writer is not None:
                for tag, value in scalars.items():
                    if math.isfinite(value):
                        self.writer.add_scalar(tag, value, self.epoch)
            # 5. checkpoints (only after a fully successful epoch)
            if ev is not None and ev["mean_return"] > self.best_return:
                self.best_return = ev["mean_return"]
                self.save_checkpoint("best_student.pt")
            if cfg.save_interval > 0 and self.epoch % cfg.save_interval == 0:
                self.save_checkpoint(f"checkpoint_epoch_{self.epoch}.pt")
            # 6. progress line
            dt = time.time() - t0
            eta = (time.time() - t_start) / (self.epoch - start_epoch) * (cfg.n_epochs - self.epoch)
            mode = "BC" if epoch < cfg.epoch_teacher_forcing else f"DAgger b={coll['beta']:.2f}"
            ev_txt = f"eval {ev['mean_return']:.3f} +- {ev['std_return']:.3f}" if ev is not None else "eval -"
            coll_txt = f"{coll['mean_return']:.3f}" if coll["episodes"] > 0 else "-"
            rate = self.num_envs * cfg.num_steps_per_env / dt
            print(
                f"[distill] epoch {self.epoch}/{cfg.n_epochs} {mode} | loss {loss:.4e}"
                f" | collect {coll_txt} | {ev_txt} | ratio {ratio:.3f} | {rate:,.0f} samples/s"
                f" | ETA {int(eta // 3600)}:{int(eta % 3600 // 60):02d}:{int(eta % 60):02d}",
                flush=True,
            )
        self.save_checkpoint("final_student.pt")
        if self.writer is not None and hasattr(self.writer, "flush"):
            self.writer.flush()
        return {**last_eval, "best_return": self.best_return, "teacher_return": self.teacher_return}

    # ------------------------------------------------------------------ checkpoints
    def save_checkpoint(self, name: str) -> str:
        """Atomically write ``log_dir/name`` with the full learner state; returns the path."""
        return save_trainer_checkpoint(self, os.path.join(self.log_dir, name))

    def resume(self, path: str, restore_env_stream: bool = False) -> None:
        """Restore the learner state of a checkpoint (see :func:`.checkpoint.resume_trainer`)."""
        resume_trainer(self, path, restore_env_stream)
        print(f"[distill] resumed '{path}' at epoch {self.epoch} (best return {self.best_return:.3f})")
