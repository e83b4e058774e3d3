"""Termination terms of the depth-parkour task: walking off the tile, the curriculum's success."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from isaaclab.managers import SceneEntityCfg

if TYPE_CHECKING:
    from isaaclab.assets import Articulation
    from isaaclab.envs import ManagerBasedRLEnv


ROBOT = SceneEntityCfg("robot")


def off_tile(pos_xy: torch.Tensor, origin_xy: torch.Tensor, half_size: float) -> torch.Tensor:
    """Whether each robot is farther than ``half_size`` (horizontal distance) from its tile centre, shape (N,)."""
    return torch.linalg.norm(pos_xy - origin_xy, dim=-1) > half_size


def walked_off_tile(env: ManagerBasedRLEnv, asset_cfg: SceneEntityCfg = ROBOT) -> torch.Tensor:
    """The robot left its tile (crossed the obstacle ring): the distance at which ``terrain_levels_vel`` promotes.

    Use it as a time-out (``time_out=True``): the episode is a success and PPO bootstraps its value, as
    extreme-parkour ends an episode when the last goal of the course is reached.
    """
    asset: Articulation = env.scene[asset_cfg.name]
    half_size = env.scene.terrain.cfg.terrain_generator.size[0] / 2
    return off_tile(asset.data.root_pos_w.torch[:, :2], env.scene.env_origins[:, :2], half_size)
