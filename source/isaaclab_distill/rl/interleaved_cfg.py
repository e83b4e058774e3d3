"""Configuration of PPO interleaved with distillation (pure data; the loop is :mod:`.interleaved`)."""

from __future__ import annotations

from typing import Any

from isaaclab.utils import configclass

from ..distillation.cfg import DistillationCfg
from ..utils.errors import UserError


@configclass
class InterleavedDistillationCfg:
    """``train.py`` distils the PPO teacher into a student while it trains (the design document's training loop).

    Off by default. ``agent.interleaved.depth_training_interval=N`` switches it on: after every N PPO iterations the
    student drives the env for ``epochs`` distillation epochs (``distillation.num_steps_per_env`` steps each),
    labelled by the teacher as it is at that moment, and is updated (the DAgger schedule, dataset and losses of
    ``distillation``, counted over the run's distillation epochs).
    """

    depth_training_interval: int = 0
    """PPO iterations between two distillation phases; 0: PPO only."""

    epochs: int = 1
    """Distillation epochs (collection + update) per phase."""

    distillation: DistillationCfg = DistillationCfg()
    """The student, its algorithm and storage: the task's distillation config (``student_obs_groups`` must be
    groups of the env that PPO trains on, e.g. ``Isaac-Depth-Parkour-v0``, which has the depth camera)."""


def interleaved_cfg(agent_cfg: Any) -> InterleavedDistillationCfg | None:
    """The agent config's :class:`InterleavedDistillationCfg` when it is switched on, else None."""
    cfg = getattr(agent_cfg, "interleaved", None)
    return cfg if cfg is not None and cfg.depth_training_interval != 0 else None


def check_interleaved(cfg: InterleavedDistillationCfg, env_cfg: Any, task: str, max_iterations: int) -> None:
    """Values and observation groups, before the simulator starts.

    Raises:
        UserError: A bad value, or a student group the env does not have (one line naming the fix).
    """
    if cfg.depth_training_interval < 0 or cfg.epochs < 1:
        raise UserError(
            "agent.interleaved.depth_training_interval must be >= 0 and agent.interleaved.epochs >= 1, got"
            f" {cfg.depth_training_interval} and {cfg.epochs}"
        )
    if cfg.depth_training_interval > max_iterations:
        raise UserError(
            f"agent.interleaved.depth_training_interval={cfg.depth_training_interval} is more than the run's"
            f" {max_iterations} iterations: no distillation phase would run"
        )
    missing = [g for g in cfg.distillation.student_obs_groups if getattr(env_cfg.observations, g, None) is None]
    if missing:
        raise UserError(
            f"the student reads the observation groups {', '.join(missing)}, which {task} does not have: train on the"
            " task with the student's sensors (e.g. Isaac-Depth-Parkour-v0), or set"
            " agent.interleaved.depth_training_interval=0"
        )
