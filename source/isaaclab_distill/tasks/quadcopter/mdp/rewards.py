"""Reward terms (before scaling by their weight and the env step dt)."""

from __future__ import annotations

import torch


def distance_to_goal_tanh(pos_w: torch.Tensor, goal_w: torch.Tensor, std: float) -> torch.Tensor:
    """Bounded distance shaping ``1 - tanh(|goal - pos| / std)`` in [0, 1], shape (N,)."""
    return 1.0 - torch.tanh(torch.linalg.norm(goal_w - pos_w, dim=-1) / std)


def squared_norm(x: torch.Tensor) -> torch.Tensor:
    """Squared L2 norm over the last dimension, shape (N,)."""
    return torch.sum(torch.square(x), dim=-1)


def heading_rate_squared(ang_vel_b: torch.Tensor, projected_gravity_b: torch.Tensor) -> torch.Tensor:
    """Squared body rate about the gravity axis (turning in place), shape (N,); zero for pure roll/pitch rates.

    Args:
        ang_vel_b: Body angular velocity [rad/s], shape (N, 3).
        projected_gravity_b: Unit gravity direction in the body frame, shape (N, 3).
    """
    return torch.sum(ang_vel_b * projected_gravity_b, dim=-1).square()
