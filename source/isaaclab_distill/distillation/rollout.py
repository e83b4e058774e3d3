"""The one rollout loop: a policy on an rsl_rl vec-env, with per-episode returns, lengths and task metrics.

The runner's evaluation, ``scripts/play.py`` and the benchmarks all call :func:`rollout`, so "mean return" means one
thing everywhere: the mean undiscounted return of the COMPLETE episodes of the rollout, i.e. the episodes that start
inside it, plus the ones running at its start when those began with it (``fresh_start``: right after a reset).

A policy is anything with ``policy(obs) -> actions[N, A]`` and ``policy.reset(dones[N] | None)`` (zero the memory of
finished episodes; ``None``: of all): a :class:`StudentPolicy`, a :class:`~.teacher.Teacher`, or
:class:`TeacherGroupsPolicy` for several teachers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
import torch.nn as nn
from tensordict import TensorDict

from ..models import reset_hidden
from ..utils.distributed import Distributed


class Policy(Protocol):
    """What :func:`rollout` drives."""

    def __call__(self, obs: TensorDict) -> torch.Tensor: ...

    def reset(self, dones: torch.Tensor | None = None) -> None: ...


class StudentPolicy:
    """A student acting on its observation groups, its hidden state ``[K, N, H]`` kept per env."""

    def __init__(self, student: nn.Module, hidden: torch.Tensor | None = None) -> None:
        """Wrap ``student`` (eval mode), starting from ``hidden`` (``None``: zero state)."""
        self.student, self.hidden = student.eval(), hidden
        self.group = next(iter(student.obs_shapes))  # any of its groups gives N

    @torch.no_grad()
    def __call__(self, obs: TensorDict) -> torch.Tensor:
        """Actions ``[N, A]`` for the observations of N envs (always the same N envs between resets)."""
        n = obs[self.group].shape[0]
        if self.hidden is None or self.hidden.shape[1] != n:
            self.hidden = self.student.initial_hidden(n)
        actions, self.hidden = self.student(obs, self.hidden)
        return actions

    def reset(self, dones: torch.Tensor | None = None) -> None:
        """Zero the hidden state of the envs flagged in ``dones``, or of all envs when ``None``."""
        self.hidden = None if dones is None else reset_hidden(self.hidden, dones)


class TeacherGroupsPolicy:
    """Several teachers acting together, each on its env group (``act`` labels all envs, e.g. the algorithm's)."""

    def __init__(self, act: Callable[[TensorDict, torch.Tensor | None], torch.Tensor]) -> None:
        """``act(obs, dones_of_the_previous_step) -> actions[N, A]`` (it resets recurrent teachers on ``dones``)."""
        self.act, self.dones = act, None

    def __call__(self, obs: TensorDict) -> torch.Tensor:
        actions, self.dones = self.act(obs, self.dones), None
        return actions

    def reset(self, dones: torch.Tensor | None = None) -> None:
        self.dones = dones


class EpisodeTracker:
    """Running return and length of every env's episode."""

    def __init__(self, num_envs: int, device: str | torch.device) -> None:
        self.returns = torch.zeros(num_envs, device=device)  # [N]
        self.lengths = torch.zeros(num_envs, device=device)  # [N]

    def step(self, rewards: torch.Tensor, dones: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Add one step; returns every env's return and length [N] up to it (an episode's total where ``dones``)."""
        self.returns += rewards
        self.lengths += 1
        returns, lengths = self.returns.clone(), self.lengths.clone()
        self.returns.masked_fill_(dones, 0.0)  # no device sync (boolean indexing would need one)
        self.lengths.masked_fill_(dones, 0.0)
        return returns, lengths

    def summary(self, ranks: Distributed | None = None) -> dict[str, Any]:
        """:func:`episode_stats` of the running (partial) episodes, one per env."""
        return episode_stats(episode_sums(self.returns, self.lengths), ranks)


@dataclass
class RolloutResult:
    """The complete episodes of a rollout (``[E]`` tensors) and what the env logged when they ended."""

    returns: torch.Tensor
    lengths: torch.Tensor
    env_ids: torch.Tensor
    steps: int
    metrics: dict[str, float] = field(default_factory=dict)

    def summary(self, ranks: Distributed | None = None) -> dict[str, Any]:
        """``mean_return``, ``std_return``, ``mean_length`` (NaN without an episode), ``episodes``, ``steps``.

        With ``ranks``: over the episodes of every rank of the ``torchrun`` job (``steps`` stays this rank's).
        """
        return {**episode_stats(episode_sums(self.returns, self.lengths), ranks), "steps": int(self.steps)}


def episode_sums(returns: torch.Tensor, lengths: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """``[4]`` float64 sums of episodes ``[E]``: of returns, squared returns, the count, lengths (no device sync).

    ``weights`` (``[E]``, 0/1) counts only some of them, e.g. the envs whose episode ended at this step.
    """
    w = torch.ones_like(returns, dtype=torch.float64) if weights is None else weights.double()
    r, n = returns.double(), lengths.double()
    return torch.stack([(w * r).sum(), (w * r.square()).sum(), w.sum(), (w * n).sum()])


def episode_stats(sums: torch.Tensor, ranks: Distributed | None = None) -> dict[str, Any]:
    """Mean / std of the return, mean length and episode count (NaN without an episode).

    Args:
        sums: ``[4]`` :func:`episode_sums` of this rank.
        ranks: Sum them over the ranks of the ``torchrun`` job first.
    """
    total, squares, count, length = (sums if ranks is None else ranks.all_reduce_sum(sums.clone())).tolist()
    if count == 0:
        return {"mean_return": math.nan, "std_return": math.nan, "mean_length": math.nan, "episodes": 0}
    mean = total / count
    std = math.sqrt(max(squares / count - mean**2, 0.0))
    return {"mean_return": mean, "std_return": std, "mean_length": length / count, "episodes": int(count)}


@torch.no_grad()
def rollout(
    env: Any,
    policy: Policy,
    max_steps: int,
    *,
    obs: TensorDict | None = None,
    tracker: EpisodeTracker | None = None,
    fresh_start: bool = True,
    first_episode_per_env: bool = False,
    before_step: Callable[[TensorDict, torch.Tensor, torch.Tensor], None] | None = None,
    after_step: Callable[[TensorDict, torch.Tensor], None] | None = None,
) -> tuple[RolloutResult, TensorDict]:
    """Run ``policy`` for up to ``max_steps`` env steps (no reset) and collect its complete episodes.

    Args:
        env: rsl_rl ``VecEnv`` (``num_envs``, ``device``, ``get_observations()``, ``step(actions) -> obs, rewards,
            dones, extras``), e.g. isaaclab_rl's ``RslRlVecEnvWrapper``.
        policy: See the module docstring; reset (all envs) before the first step.
        max_steps: Step budget.
        obs: Current observations (default ``env.get_observations()``).
        tracker: The env stream's running episode statistics (kept up to date); default a fresh one.
        fresh_start: The running episodes began with this rollout (right after a reset): they count.
        first_episode_per_env: Count at most one episode per env and stop once every env has one.
        before_step: ``before_step(obs, counted[N], lengths[N])`` before each step: which envs' current episodes
            count, and their lengths so far.
        after_step: ``after_step(obs, rewards[N])`` after each step (e.g. a NaN check).

    Returns:
        The :class:`RolloutResult` and the observations after the last step.
    """
    obs = env.get_observations() if obs is None else obs
    n, device = int(env.num_envs), torch.device(env.device)
    tracker = EpisodeTracker(n, device) if tracker is None else tracker
    counting = torch.full((n,), fresh_start, dtype=torch.bool, device=device)  # the current episode counts
    recorded = torch.zeros(n, dtype=torch.bool, device=device)  # the env gave its one episode
    returns, lengths, env_ids = [], [], []
    metric_sum: dict[str, float] = {}
    metric_cnt: dict[str, int] = {}
    policy.reset()
    steps = 0
    while steps < max_steps:
        steps += 1
        if before_step is not None:
            before_step(obs, counting & ~recorded, tracker.lengths)
        obs, rewards, dones, extras = env.step(policy(obs).to(env.device))
        obs, rewards, dones = obs.to(device), rewards.to(device).view(-1), dones.to(device).view(-1).bool()
        if after_step is not None:
            after_step(obs, rewards)
        ret, length = tracker.step(rewards, dones)
        policy.reset(dones)
        ended = dones & counting & ~recorded  # [N]
        counting |= dones
        if first_episode_per_env:
            recorded |= ended
        if bool(ended.any()):
            ids = torch.nonzero(ended).flatten()
            returns.append(ret[ids])
            lengths.append(length[ids])
            env_ids.append(ids)
            for key, value in (extras.get("log") or {}).items():
                value = float(value.float().mean()) if torch.is_tensor(value) else value
                if isinstance(value, (int, float)) and math.isfinite(value):
                    metric_sum[key] = metric_sum.get(key, 0.0) + value * ids.numel()
                    metric_cnt[key] = metric_cnt.get(key, 0) + ids.numel()
        if first_episode_per_env and bool(recorded.all()):
            break
    result = RolloutResult(
        returns=_cat(returns, torch.float, device),
        lengths=_cat(lengths, torch.float, device),
        env_ids=_cat(env_ids, torch.long, device),
        steps=steps,
        metrics={k: metric_sum[k] / metric_cnt[k] for k in sorted(metric_sum)},
    )
    return result, obs


def synchronous_reset(env: Any) -> TensorDict:
    """Reset every env and start all episodes at step 0; returns the observations.

    Some envs spread the episode timers of a full reset (Isaac Lab's quadcopter does), so a reset alone does not give
    every env a whole episode. ``env``: an rsl_rl ``VecEnv`` with ``reset()`` and a settable ``episode_length_buf``.
    """
    obs = env.reset()[0]
    env.episode_length_buf = torch.zeros_like(env.episode_length_buf)
    return obs


def _cat(parts: list[torch.Tensor], dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """``torch.cat(parts)``, or an empty ``[0]`` tensor without parts."""
    return torch.cat(parts) if parts else torch.zeros(0, device=device, dtype=dtype)
