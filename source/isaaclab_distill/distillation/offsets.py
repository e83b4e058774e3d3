"""RAPTOR-style position offset correction: each teacher's steady-state position error, measured in evaluation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from tensordict import TensorDict

if TYPE_CHECKING:
    from .algorithm import DistillationAlgorithm


class PositionOffsetMeter:
    """Each teacher's steady-state position error, measured as a :func:`.rollout.rollout` ``before_step`` hook.

    The mean of the position slice over the steps of counted episodes after ``offset_settle_steps``.
    """

    def __init__(self, alg: DistillationAlgorithm) -> None:
        self.alg, self.cfg = alg, alg.cfg.multi_teacher
        a, b = self.cfg.position_obs_slice
        self.sum = torch.zeros(len(alg.teachers), b - a, device=alg.device)  # [n_teachers, P]
        self.count = torch.zeros(len(alg.teachers), device=alg.device)

    def __call__(self, obs: TensorDict, counted: torch.Tensor, lengths: torch.Tensor) -> None:
        a, b = self.cfg.position_obs_slice
        settled = (counted & (lengths >= self.cfg.offset_settle_steps)).float()  # [N]
        pos = obs[self.alg.cfg.student_obs_groups[0]][:, a:b]  # [N, P]
        self.sum.index_add_(0, self.alg.env_teacher_ids, pos * settled.unsqueeze(-1))
        self.count.index_add_(0, self.alg.env_teacher_ids, settled)

    def offsets(self) -> torch.Tensor:
        """``[n_teachers, P]`` offsets over the envs of all ranks (0 for a teacher without a settled step)."""
        total, count = (
            self.alg.ranks.all_reduce_sum(self.sum.clone()),
            self.alg.ranks.all_reduce_sum(self.count.clone()),
        )
        return total / count.clamp(min=1).unsqueeze(-1)
