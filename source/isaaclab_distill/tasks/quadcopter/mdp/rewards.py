"""Reward terms (before scaling by their weight and the env step dt)."""

from __future__ import annotations

import torch


def distance_to_goal_tanh(pos_w: torch.Tensor, goal_w: torch.Tensor, std: float) -> torch.Tensor:
    """Bounded distance shaping ``1 - tanh(|goal - pos| / std)`` in [0, 1], shape (N,)."""
    return 1.0 - torch.tanh(torch.linalg.norm(goal_w - pos_w, dim=-1) / std)


def squared_norm(x: torch.Tensor) -> torch.Tensor:
    """Squared L2 norm over the last dimension, shape (N,)."""
    return torch.sum(torch.square(x), dim=-1)
