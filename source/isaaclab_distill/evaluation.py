"""Load a student or a PPO teacher checkpoint as one step-callable policy, roll it out, and summarise the rollout.

Used by ``scripts/play.py``. Everything but :func:`evaluate_policy` runs without the simulator, so the checkpoint is
checked (kind, readability) before the simulator starts: :func:`checkpoint_kind`.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from typing import Any

import torch
import torch.nn as nn
from tensordict import TensorDict

from .distillation.checkpoint import checkpoint_kind, load_student_network
from .distillation.rollout import StudentPolicy, rollout
from .distillation.runner import BEST_FILE, FINAL_FILE, PERIODIC_PATTERN
from .distillation.teacher import Teacher
from .models.observations import shape_mismatch
from .utils.errors import UserError
from .utils.io import atomic_write_text
from .utils.progress import Progress
from .utils.runs import resolve_checkpoint, teacher_agent_cfg

CHECKPOINT_PATTERN = rf"(?:model_(\d+)\.pt|{PERIODIC_PATTERN})"
"""Checkpoints looked for below a run directory: PPO ``model_<it>.pt`` and student ``checkpoint_epoch_<n>.pt``."""


class Policy:
    """A student or a PPO teacher checkpoint as one deterministic policy for :func:`~.distillation.rollout.rollout`.

    Call it once per env step, ``actions = policy(obs)``; after ``env.step`` call ``policy.reset(dones)`` so that the
    hidden state of finished episodes starts from zero (a no-op for feed-forward policies).

    Attributes:
        kind: ``"student"`` or ``"teacher"``.
        network: The torch module (a student, or the teacher's rsl_rl actor) - what :mod:`isaaclab_distill.export`
            exports.
        obs_groups: Observation groups the policy reads.
        is_recurrent: Whether it keeps a hidden state.
        path: The checkpoint it was loaded from.
    """

    def __init__(
        self, kind: str, network: nn.Module, obs_groups: list[str], path: str, teacher: Teacher | None = None
    ) -> None:
        """Wrap a student (``teacher=None``) or a :class:`Teacher` (``network`` is its actor)."""
        self.kind, self.network, self.obs_groups, self.path = kind, network.eval(), obs_groups, path
        self.is_recurrent = bool(getattr(network, "is_recurrent", False))
        self.actor = teacher if teacher is not None else StudentPolicy(network)

    def __call__(self, obs: TensorDict) -> torch.Tensor:
        """Actions ``[N, A]`` for the observations of N envs (always the same N envs between resets)."""
        return self.actor(obs)

    def reset(self, dones: torch.Tensor | None = None) -> None:
        """Zero the hidden state of the envs flagged in ``dones`` (``[N]``), or of all envs when ``None``."""
        self.actor.reset(dones)

    def describe(self) -> str:
        """One line: kind, architecture, observation groups."""
        name = type(self.network).__name__
        cfg = getattr(self.network, "config", None)
        arch = f"{name} ({cfg.get('class_name')})" if isinstance(cfg, dict) else name
        memory = "recurrent" if self.is_recurrent else "feed-forward"
        return f"{self.kind} {arch}, obs {'+'.join(self.obs_groups)}, {memory}"


def resolve_policy_checkpoint(path: str) -> str:
    """A readable checkpoint file: ``path`` itself, or the final/best/last checkpoint of a run directory.

    In a run directory: the final student (a distillation run's result, the weight average of its last epochs), else
    its best student, else the highest ``model_<it>.pt`` / ``checkpoint_epoch_<n>.pt`` of the newest run below it
    (see :func:`isaaclab_distill.utils.runs.resolve_checkpoint`).

    Raises:
        UserError: Nothing readable there.
    """
    for name in (FINAL_FILE, BEST_FILE):
        if os.path.isdir(path) and os.path.isfile(os.path.join(path, name)):
            return os.path.abspath(os.path.join(path, name))
    return os.path.abspath(resolve_checkpoint(path, CHECKPOINT_PATTERN))


def action_clip(path: str, kind: str, task: str) -> float | None:
    """Action clipping for the rsl_rl wrapper: a teacher's training ``clip_actions``; None for a student.

    Students are distilled on an env wrapped without clipping (``scripts/distillation.py``), so they play without it.
    """
    if kind != "teacher":
        return None
    cfg = teacher_agent_cfg(task, path)
    return cfg.get("clip_actions") if isinstance(cfg, dict) else getattr(cfg, "clip_actions", None)


def load_policy(
    path: str, env_obs: TensorDict, num_actions: int, task: str, device: str | torch.device = "cpu"
) -> Policy:
    """Load a student or a PPO teacher checkpoint as a :class:`Policy` for the env that produced ``env_obs``.

    Args:
        path: Student checkpoint (``kind == "student"``) or rsl_rl ``model_<it>.pt``.
        env_obs: ``env.get_observations()`` of the rsl_rl-wrapped env (group names and sizes).
        num_actions: Action size of the env.
        task: Task id; a teacher whose run has no ``params/agent.yaml`` is built from the task's PPO config.
        device: Device of the network.

    Raises:
        UserError: Wrong kind of file, or observation/action sizes that do not match the env.
    """
    if checkpoint_kind(path) == "teacher":
        teacher = Teacher.from_checkpoint(
            path, teacher_agent_cfg(task, path), env_obs, num_actions, device=device, deterministic=True
        )
        return Policy("teacher", teacher.model, teacher.obs_groups, path, teacher=teacher)
    student, _ = load_student_network(path, device)
    mismatch = shape_mismatch(student.obs_shapes, env_obs)
    if mismatch is not None or student.action_dim != num_actions:
        found = mismatch or f"the student has {student.action_dim} actions, the task {num_actions}"
        raise UserError(f"student '{path}' does not fit the task: {found}; pass a checkpoint distilled on this task")
    return Policy("student", student, list(student.obs_shapes), path)


@torch.no_grad()
def evaluate_policy(
    env: Any,
    policy: Policy,
    steps: int,
    progress: bool = False,
    before_step: Callable[[TensorDict, torch.Tensor, torch.Tensor], None] | None = None,
) -> dict[str, Any]:
    """Deterministic rollout of ``policy`` for ``steps`` env steps on an rsl_rl-wrapped env (no reset at start).

    The env was just reset, so every episode that ends inside the rollout is complete and counts (the meaning of
    "mean return" everywhere, see :mod:`~.distillation.rollout`). The env's ``extras["log"]`` entries (e.g.
    ``Metrics/final_distance_to_goal``) are recorded on steps where episodes end (that is when the env writes them)
    and averaged over the ended episodes.

    Args:
        env: ``isaaclab_rl`` ``RslRlVecEnvWrapper``: ``get_observations()`` and ``step(actions) -> obs, rew, dones,
            extras``.
        policy: From :func:`load_policy`.
        steps: Number of env steps.
        progress: Show the steps (:class:`~.utils.progress.Progress`: a bar on a terminal, else a line per 10 %).
        before_step: :func:`~.distillation.rollout.rollout`'s hook, e.g. an :class:`~.export_depth.InputRecorder`.

    Returns:
        ``mean_return``, ``std_return``, ``mean_length`` (NaN without a finished episode), ``episodes``, ``steps``,
        ``num_envs``, ``policy`` (a description) and ``metrics`` (averaged log entries).
    """
    if steps <= 0:
        raise UserError(f"--steps must be positive, got {steps}")
    counter = Progress(steps, "[play]", "step", every=max(1, steps // 10), enabled=progress)
    result, _ = rollout(
        env, policy, steps, fresh_start=True, before_step=before_step, after_step=lambda obs, rewards: counter.step()
    )
    counter.close()
    return {**result.summary(), "num_envs": int(env.num_envs), "policy": policy.describe(), "metrics": result.metrics}


def format_summary(summary: dict[str, Any]) -> str:
    """A small two-column table of the scalar summary entries and the metrics."""
    rows = [(k, v) for k, v in summary.items() if not isinstance(v, dict)]
    rows += [(k, v) for k, v in summary.get("metrics", {}).items()]
    width = max(len(k) for k, _ in rows)
    lines = []
    for key, value in rows:
        text = f"{value:.4f}" if isinstance(value, float) else str(value)
        lines.append(f"  {key:<{width}}  {text}")
    return "\n".join(lines)


def save_summary(summary: dict[str, Any], path: str) -> str:
    """Write ``summary`` as JSON to ``path`` atomically (NaN/inf become ``null``); returns ``path``."""
    return atomic_write_text(path, json.dumps(_finite(summary), indent=2, allow_nan=False) + "\n")


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


__all__ = [
    "Policy",
    "action_clip",
    "checkpoint_kind",
    "evaluate_policy",
    "format_summary",
    "load_policy",
    "resolve_policy_checkpoint",
    "save_summary",
]
