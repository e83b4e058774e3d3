"""A user's own Isaac Lab task package, as the scripts meet it: registered through the ``isaaclab.tasks`` entry point.

Its tasks have only what any Isaac Lab task has: an env config and an rsl_rl PPO config, one of them also Isaac Lab's
``RslRlDistillationRunnerCfg`` (recurrent student). None registers this project's ``distillation_cfg_entry_point``.
:func:`install` writes the package's metadata (a ``*.dist-info`` with the entry point) so that a subprocess with the
returned ``PYTHONPATH`` discovers it exactly as it would discover a ``pip install``-ed extension.
"""

from __future__ import annotations

import os
import pathlib

import gymnasium as gym
from isaaclab.utils import configclass
from isaaclab_rl.rsl_rl import (
    RslRlDistillationAlgorithmCfg,
    RslRlDistillationRunnerCfg,
    RslRlMLPModelCfg,
    RslRlRNNModelCfg,
)

PPO_ONLY_TASK = "User-Quadcopter-PPO-Only-v0"
ISAACLAB_DISTILLATION_TASK = "User-Quadcopter-IsaacLab-Distillation-v0"
_QUAD = "isaaclab_distill.tasks.quadcopter"
_AGENTS = "isaaclab_distill.tasks.quadcopter.config.crazyflie.agents"


@configclass
class UserDistillationRunnerCfg(RslRlDistillationRunnerCfg):
    """Written for rsl_rl's ``DistillationRunner`` as Isaac Lab's own tasks write it: a GRU student on ``policy``."""

    num_steps_per_env = 32
    max_iterations = 50
    save_interval = 25
    experiment_name = "user_quadcopter"
    obs_groups = {"student": ["policy"], "teacher": ["teacher"]}
    student = RslRlRNNModelCfg(
        hidden_dims=[64, 64],
        activation="elu",
        obs_normalization=True,
        distribution_cfg=RslRlMLPModelCfg.GaussianDistributionCfg(init_std=0.1),
        rnn_type="gru",
        rnn_hidden_dim=32,
        rnn_num_layers=1,
    )
    teacher = RslRlMLPModelCfg(hidden_dims=[64, 64], activation="elu", obs_normalization=True)
    algorithm = RslRlDistillationAlgorithmCfg(
        num_learning_epochs=2, learning_rate=5.0e-4, gradient_length=8, max_grad_norm=1.0, loss_type="huber"
    )


def _register(task_id: str, **agents: str) -> None:
    gym.register(
        id=task_id,
        entry_point=f"{_QUAD}.quadcopter_env:QuadcopterEnv",
        disable_env_checker=True,
        kwargs={
            "env_cfg_entry_point": f"{_QUAD}.quadcopter_env_cfg:QuadcopterEnvCfg",
            "rsl_rl_cfg_entry_point": f"{_AGENTS}.rsl_rl_ppo_cfg:QuadcopterPPORunnerCfg",
            **agents,
        },
    )


_register(PPO_ONLY_TASK)
_register(ISAACLAB_DISTILLATION_TASK, rsl_rl_distillation_cfg_entry_point=f"{__name__}:UserDistillationRunnerCfg")


def install(root: pathlib.Path) -> dict[str, str]:
    """Write the ``user_tasks`` distribution metadata under ``root``; returns the env variables that make it found."""
    dist = root / "user_tasks-0.1.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: user-tasks\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[isaaclab.tasks]\nuser_tasks = user_tasks\n")
    path = [str(root), str(pathlib.Path(__file__).parent), os.environ.get("PYTHONPATH", "")]
    return {"PYTHONPATH": os.pathsep.join(p for p in path if p)}
