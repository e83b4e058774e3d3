"""Evaluation of a distillation run: free, from the collection rollouts, or by an explicit rollout.

An explicit evaluation (:meth:`Evaluator.rollout`) drives the env with the deterministic student (or teachers) for up
to ``eval_steps`` steps, one complete episode per env. On the quadcopter defaults that is ~1000 steps per evaluation
against 64 per collection rollout: two thirds of all env steps of a run went to evaluation.

Free evaluation (``eval_mode="collection"``, :class:`FreeEvaluation`). Once beta is 0 the deterministic student
drives every collection step, on the very env stream an explicit evaluation would step, so the episodes that finish
during collection ARE student evaluation episodes, at no extra env step; the teacher-forcing rollouts of a
deterministic teacher likewise evaluate the teacher. An episode counts for the policy that drove it when that policy
drove each of the last ``max_episode_length`` steps of its env: a streak that covers the episode whatever its length.
Conditioning on the streak and not on the episode's own steps keeps short and long episodes in their true
proportion (counting every episode the student drove alone would favour short ones right after the hand-over, and
under beta mixing always). Every counted episode is complete: it started inside the streak, after the run began.

What differs from an explicit evaluation: the episodes of one window (the epochs since the last evaluation) were
driven by the successive students of those epochs, before the window's last update, so the mean lags the newest
student by about half a window; and position-offset-corrected steps (multi-teacher) do not count, as the student saw
corrected inputs. ``eval_mode="rollout"`` keeps the explicit evaluation everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from tensordict import TensorDict

from ..utils.distributed import Distributed
from .offsets import PositionOffsetMeter
from .rollout import (
    EpisodeTracker,
    StudentPolicy,
    TeacherGroupsPolicy,
    episode_stats,
    episode_sums,
    rollout,
    synchronous_reset,
)
from .schedule import MIXED, STUDENT, TEACHER

if TYPE_CHECKING:
    from .algorithm import DistillationAlgorithm

_KEYS = ("mean_return", "std_return", "mean_length", "episodes")  # of an evaluation summary


class EpisodeWindow:
    """Complete episodes of one policy since the last :meth:`clear`: sums over episodes and per-env (no device sync)."""

    def __init__(self, num_envs: int, device: torch.device) -> None:
        self.sums = torch.zeros(4, dtype=torch.float64, device=device)  # episode_sums: returns, squares, count, lengths
        self.env_returns = torch.zeros(num_envs, device=device)  # [N] sum of the counted episodes' returns per env
        self.env_counts = torch.zeros(num_envs, device=device)  # [N] counted episodes per env

    def add(self, returns: torch.Tensor, lengths: torch.Tensor, counted: torch.Tensor) -> None:
        """Add the episodes ``returns[N]`` / ``lengths[N]`` of the envs flagged in ``counted[N]``."""
        weights = counted.to(returns.dtype)
        self.sums += episode_sums(returns, lengths, weights=counted)
        self.env_returns += returns * weights
        self.env_counts += weights

    def summary(self, ranks: Distributed | None = None) -> dict[str, Any]:
        """:func:`.rollout.episode_stats` of the window (over all ranks)."""
        return episode_stats(self.sums, ranks)

    def per_env(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``[N]`` summed returns and episode counts of every env."""
        return self.env_returns, self.env_counts

    def clear(self) -> None:
        """Start a new window."""
        self.sums.zero_(), self.env_returns.zero_(), self.env_counts.zero_()


class FreeEvaluation:
    """Student and teacher episodes of the collection rollouts that count as evaluation episodes (module docstring)."""

    def __init__(self, num_envs: int, device: torch.device, max_episode_length: int) -> None:
        """``max_episode_length``: the env's episode limit in steps, the streak an episode needs to count."""
        self.horizon = int(max_episode_length)
        self.driver = torch.full((num_envs,), MIXED, dtype=torch.int8, device=device)  # [N] driver of the streak
        self.streak = torch.zeros(num_envs, dtype=torch.long, device=device)  # [N] its length in steps
        self.windows = {STUDENT: EpisodeWindow(num_envs, device), TEACHER: EpisodeWindow(num_envs, device)}

    def step(self, driver: torch.Tensor, dones: torch.Tensor, returns: torch.Tensor, lengths: torch.Tensor) -> None:
        """Account one collection step.

        ``driver[N]``: who drove each env; ``dones[N]``: the env's; ``returns[N]`` / ``lengths[N]``: the
        :class:`.rollout.EpisodeTracker`'s, up to this step.
        """
        driven = driver != MIXED
        self.streak = torch.where(driven & (driver == self.driver), self.streak + 1, driven.long())
        self.driver = driver
        ended = dones & (self.streak >= self.horizon)  # [N] a complete episode, one policy throughout
        for kind, window in self.windows.items():
            window.add(returns, lengths, ended & (driver == kind))

    def break_streaks(self) -> None:
        """Another policy stepped the env (an explicit rollout): no running episode counts any more."""
        self.streak.zero_()
        self.driver.fill_(MIXED)


class Evaluator:
    """The explicit evaluation rollout, the free evaluation and the env-step accounting of one runner."""

    def __init__(
        self, env: Any, alg: DistillationAlgorithm, tracker: EpisodeTracker, ranks: Distributed, log: Callable
    ) -> None:
        """``tracker``: the runner's running episode statistics; ``log``: prints one console line."""
        self.env, self.alg, self.cfg, self.tracker, self.ranks, self.log = env, alg, alg.cfg, tracker, ranks, log
        horizon = getattr(env, "max_episode_length", None)
        free = self.cfg.eval_mode == "collection" and horizon is not None and int(horizon) > 0
        self.free = FreeEvaluation(int(env.num_envs), alg.device, int(horizon)) if free else None
        self.env_steps = {"collection": 0, "evaluation": 0}  # this rank's env steps by purpose

    def window(self, kind: int) -> EpisodeWindow | None:
        """The free window of ``STUDENT`` or ``TEACHER`` episodes (``None`` in ``rollout`` mode)."""
        return None if self.free is None else self.free.windows[kind]

    def free_teacher(self, epoch: int) -> bool:
        """The teacher-forcing rollouts from ``epoch`` on can evaluate a deterministic, uncorrected teacher."""
        algo = self.cfg.algorithm
        correct = self.cfg.multi_teacher.position_offset_correction  # needs the offsets of a teacher rollout
        return (
            self.free is not None and epoch < algo.epoch_teacher_forcing and algo.teacher_deterministic and not correct
        )

    def free_summary(self, kind: int) -> dict[str, Any] | None:
        """The window's statistics when it holds ``eval_min_episodes`` episodes (all ranks), else ``None``."""
        window = self.window(kind)
        if window is None:
            return None
        summary = window.summary(self.ranks)
        return summary if summary["episodes"] >= self.cfg.eval_min_episodes else None

    def free_student(self) -> dict[str, float] | None:
        """The free student evaluation of the window since the last one (then cleared), or ``None``: too few."""
        summary = self.free_summary(STUDENT)
        if summary is None:
            return None
        window = self.window(STUDENT)
        self.alg.record_student_returns(torch.arange(len(window.env_counts), device=self.alg.device), *window.per_env())
        window.clear()
        return {k: float(summary[k]) for k in _KEYS} | {"free": 1.0}

    def collection_step(self, driver: torch.Tensor, dones: torch.Tensor, returns: torch.Tensor, lengths: torch.Tensor):
        """Account one collection step (see :meth:`FreeEvaluation.step`)."""
        self.env_steps["collection"] += 1
        if self.free is not None:
            self.free.step(driver, dones, returns, lengths)

    @torch.no_grad()
    def explicit(
        self, policy: str, obs: TensorDict, after_step: Callable | None = None, fresh: bool = False
    ) -> tuple[dict, TensorDict]:
        """Roll out the deterministic ``"student"`` or ``"teacher"`` policy; returns the summary and the last obs.

        The env is NOT reset (that would synchronise the episodes, and the next short collection rollouts would only
        see their first steps): it counts, per env, the first episode that starts on the continuing env stream, and
        stops when every env has one or after ``eval_steps`` (~2x the episode length). A teacher evaluation also
        measures each teacher's steady-state position error (the offsets). ``fresh`` (the run's final
        evaluation, on an env with ``reset()`` and ``episode_length_buf``): every env restarts together and gives
        its first episode, within ``max_episode_length`` steps instead of up to twice that.
        """
        alg, network = self.alg, self.alg.final_student if fresh else self.alg.student  # fresh: the run's end
        fresh = fresh and hasattr(self.env, "reset") and hasattr(self.env, "episode_length_buf")
        if fresh:  # nothing trains after this rollout, so the episodes' phases need not be kept
            obs = synchronous_reset(self.env).to(alg.device)
            self.tracker.returns.zero_(), self.tracker.lengths.zero_()
        for teacher in alg.teachers:
            teacher.reset()
        if policy == "teacher":
            actor = TeacherGroupsPolicy(lambda obs, dones: alg.teacher_actions(obs, dones, deterministic=True))
        else:
            actor = StudentPolicy(network)
        correct = policy == "teacher" and self.cfg.multi_teacher.position_offset_correction
        meter = PositionOffsetMeter(alg) if correct else None
        result, obs = rollout(
            self.env,
            actor,
            self.cfg.eval_steps,
            obs=obs,
            tracker=self.tracker,
            fresh_start=fresh,
            first_episode_per_env=True,
            before_step=meter,
            after_step=after_step,
        )
        self.env_steps["evaluation"] += result.steps
        if self.free is not None:
            self.free.break_streaks()
        if alg.student.is_recurrent:  # after a student evaluation its state matches the running episodes
            alg.hidden = actor.hidden if policy == "student" else alg.student.initial_hidden(alg.num_envs)
        if meter is not None:
            alg.position_offsets = meter.offsets()  # over all ranks' envs
            if bool((meter.count == 0).any()):
                self.log("[distill] warning: no settled steps for some teacher; its position offset stays 0")
        if policy == "student":
            alg.record_student_returns(result.env_ids, result.returns)
        summary = result.summary(self.ranks)
        if summary["episodes"] == 0:  # fall back to the running (partial) returns
            self.log(f"[distill] warning: no episode ended in eval_steps={self.cfg.eval_steps}; partial returns")
            partial = self.tracker.summary(self.ranks)
            summary.update({k: partial[k] for k in _KEYS[:3]})
        return {k: float(summary[k]) for k in _KEYS}, obs

    def step_share(self) -> dict[str, float]:
        """Env steps of collection and of explicit evaluation (all ranks) and the evaluation's share of all."""
        counts = [self.env_steps["collection"], self.env_steps["evaluation"]]
        steps = torch.tensor(counts, dtype=torch.float64, device=self.alg.device)
        collection, evaluation = (self.ranks.all_reduce_sum(steps) * int(self.env.num_envs)).tolist()
        total = collection + evaluation
        return {
            "collection_env_steps": collection,
            "evaluation_env_steps": evaluation,
            "evaluation_share": evaluation / total if total else 0.0,
        }
