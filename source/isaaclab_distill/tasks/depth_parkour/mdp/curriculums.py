"""Curriculum terms of the depth-parkour task."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
from isaaclab.managers import SceneEntityCfg
from isaaclab_tasks.core.velocity.mdp import terrain_levels_vel

if TYPE_CHECKING:
    from isaaclab.envs import ManagerBasedRLEnv

ROBOT = SceneEntityCfg("robot")


def terrain_levels_walked(
    env: ManagerBasedRLEnv, env_ids: Sequence[int], asset_cfg: SceneEntityCfg = ROBOT
) -> torch.Tensor:
    """Isaac Lab's :func:`terrain_levels_vel`, except at the env's first reset: the initial levels stay.

    ``terrain_levels_vel`` moves a robot up after it walked off its tile and down after it covered less than half
    the commanded distance. At the first reset (before any step) the robots have not been placed on the tile
    centres the terrain assigned yet, so it promoted every robot by one level before it had taken a step (measured:
    mean level 2.0 instead of 1.0 with ``max_init_terrain_level=2``).
    """
    if env.common_step_counter == 0:
        return torch.mean(env.scene.terrain.terrain_levels.float())
    return terrain_levels_vel(env, env_ids, asset_cfg)
