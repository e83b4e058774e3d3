"""Configuration of PPO interleaved with distillation (pure data; the loop is :mod:`.interleaved`)."""

from __future__ import annotations

import argparse
from typing import Any

from isaaclab.utils import configclass
from rsl_rl.utils import resolve_callable

from ..distillation.cfg import DistillationCfg
from ..distillation.script_args import apply_distillation_args
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
    groups of the env that PPO trains on, e.g. ``Isaac-Depth-Parkour-v0``, which has the depth camera). Its
    ``n_epochs`` is set by the run (``max_iterations // depth_training_interval * epochs``: its schedules' span)."""


def interleaved_cfg(agent_cfg: Any) -> InterleavedDistillationCfg | None:
    """The agent config's :class:`InterleavedDistillationCfg` when it is switched on, else None."""
    cfg = getattr(agent_cfg, "interleaved", None)
    return cfg if cfg is not None and cfg.depth_training_interval != 0 else None


def check_interleaved(cfg: InterleavedDistillationCfg, env_cfg: Any, agent_cfg: Any, task: str) -> None:
    """Values, observation groups and the student against the PPO actor, before the simulator starts.

    The distillation config gets ``distillation.py``'s checks (``apply_distillation_args`` with no flags), at the env
    count and episode length of this run.

    Raises:
        UserError: A bad value, or a student that cannot work with this env or teacher (one line naming the fix).
    """
    if cfg.depth_training_interval < 0 or cfg.epochs < 1:
        raise UserError(
            "agent.interleaved.depth_training_interval must be >= 0 and agent.interleaved.epochs >= 1, got"
            f" {cfg.depth_training_interval} and {cfg.epochs}"
        )
    if cfg.depth_training_interval > agent_cfg.max_iterations:
        raise UserError(
            f"agent.interleaved.depth_training_interval={cfg.depth_training_interval} is more than the run's"
            f" {agent_cfg.max_iterations} iterations: no distillation phase would run"
        )
    dist = cfg.distillation
    missing = [g for g in dist.student_obs_groups if getattr(env_cfg.observations, g, None) is None]
    if missing:
        raise UserError(
            f"the student reads the observation groups {', '.join(missing)}, which {task} does not have: train on the"
            " task with the student's sensors (e.g. Isaac-Depth-Parkour-v0), or set"
            " agent.interleaved.depth_training_interval=0"
        )
    actor = agent_cfg.actor
    if dist.algorithm.latent_loss_coef > 0 and not hasattr(resolve_callable(actor.class_name), "scan_latent"):
        raise UserError(
            "agent.interleaved.distillation.algorithm.latent_loss_coef > 0 needs the scandots-encoder teacher"
            " (--agent rsl_rl_scandots_encoder_cfg_entry_point); set it to 0 for this actor"
        )
    hidden = list(getattr(dist.student, "hidden_dims", []))
    if dist.algorithm.init_student_from_teacher and hidden != list(actor.hidden_dims):
        raise UserError(
            f"agent.interleaved.distillation.student.hidden_dims={hidden} must equal agent.actor.hidden_dims="
            f"{list(actor.hidden_dims)} to start the student from the teacher (or set"
            " agent.interleaved.distillation.algorithm.init_student_from_teacher=false)"
        )
    episode_steps = int(round(env_cfg.episode_length_s / (env_cfg.sim.dt * env_cfg.decimation)))
    try:
        apply_distillation_args(argparse.Namespace(num_episodes=None), dist, env_cfg.scene.num_envs, episode_steps)
    except UserError as err:
        raise UserError(f"agent.interleaved.distillation: {err}") from None
