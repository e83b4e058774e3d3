"""The depth-parkour env: Isaac Lab's manager-based RL env with legged_gym's positive-only step reward."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from isaaclab.envs import ManagerBasedRLEnv

if TYPE_CHECKING:
    from .depth_parkour_env_cfg import DepthParkourEnvCfg


class DepthParkourEnv(ManagerBasedRLEnv):
    """:class:`ManagerBasedRLEnv` that clips the summed step reward at zero when ``cfg.only_positive_rewards``.

    Isaac Lab's reward manager has no such option; legged_gym and extreme-parkour clip by default ("avoids early
    termination problems"): with penalties that can outweigh the task terms, a negative step reward makes dying
    early the optimum. The per-term ``Episode_Reward/*`` logs stay unclipped.
    """

    cfg: DepthParkourEnvCfg

    def step(self, action: torch.Tensor):
        obs, reward, terminated, truncated, extras = super().step(action)
        if self.cfg.only_positive_rewards:
            reward.clamp_(min=0.0)  # in place: ``reward`` is ``self.reward_buf``
        return obs, reward, terminated, truncated, extras
