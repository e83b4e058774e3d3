"""Behaviour-cloning losses.

The loss of a minibatch is the mean, over valid steps, of the per-step loss (itself the mean over action
dimensions). Averaging (instead of rsl_rl's sum of per-step means over ``gradient_length`` steps) keeps the gradient
scale independent of the segment length and of how many steps are padding, so learning rates transfer between
``sequence_length`` settings.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

from ..models import MLPStudent
from .storage import SequenceBatch

LossKind = Literal["mse", "huber", "l1"]


def per_step_loss(pred: torch.Tensor, target: torch.Tensor, kind: LossKind = "mse") -> torch.Tensor:
    """Elementwise loss averaged over the action dimension: ``[..., A] -> [...]``."""
    if kind == "mse":
        return F.mse_loss(pred, target, reduction="none").mean(dim=-1)
    if kind == "huber":
        return F.huber_loss(pred, target, reduction="none").mean(dim=-1)
    if kind == "l1":
        return F.l1_loss(pred, target, reduction="none").mean(dim=-1)
    raise ValueError(f"Unknown loss '{kind}', expected 'mse', 'huber' or 'l1'.")


def behaviour_loss(
    pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None, kind: LossKind = "mse"
) -> torch.Tensor:
    """Masked mean of the per-step loss.

    Args:
        pred: ``[..., A]`` student actions.
        target: ``[..., A]`` teacher actions.
        mask: ``[...]`` bool/float weights of the steps; ``None`` = all steps.
        kind: ``"mse"``, ``"huber"`` or ``"l1"``.

    Returns:
        Scalar loss; 0 (with a graph) when no step is valid.
    """
    loss = per_step_loss(pred, target, kind)  # [...]
    if mask is None:
        return loss.mean()
    m = mask.to(loss.dtype)
    return (loss * m).sum() / m.sum().clamp(min=1.0)


def sequence_loss(
    student: MLPStudent, batch: SequenceBatch, kind: LossKind = "mse", latent_coef: float = 0.0
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Truncated-BPTT loss of one minibatch of segments: ``(loss, {"action": ..., "latent": ...})``.

    The student is unrolled from the stored hidden state ``batch.h0`` (detached: no gradient flows into earlier
    segments), with its state zeroed after every ``done`` inside the segment. The loss is the average over valid
    steps, not a sum, so it does not grow with the segment length.

    With ``latent_coef > 0`` the labels are ``[..., A + L]``: the teacher's actions, then its latent of the same step,
    and ``loss = action loss + latent_coef * mse(student feature[..., L], teacher latent)`` (a
    :class:`~isaaclab_distill.models.DepthStudent`'s ``forward_sequence_with_feature``).
    """
    h0 = None if batch.h0 is None else batch.h0.detach()  # [K, B, H]
    if latent_coef > 0.0:  # a flat batch of transitions is a segment of one step: [T = 1, B]
        obs, dones = (batch.obs.unsqueeze(0), None) if batch.flat else (batch.obs, batch.dones)
        pred, feature = student.forward_sequence_with_feature(obs, h0, dones)  # [T, B, A], [T, B, L]
        labels, mask = batch.actions.view(*pred.shape[:-1], -1), batch.mask.view(pred.shape[:-1])  # [T, B, A + L]
        a = student.action_dim
        parts = {"action": behaviour_loss(pred, labels[..., :a], mask, kind)}
        parts["latent"] = behaviour_loss(feature, labels[..., a:], mask, "mse")
        return parts["action"] + latent_coef * parts["latent"], parts
    if batch.flat:
        pred, _ = student(batch.obs, h0)  # [B, A]
    else:
        pred = student.forward_sequence(batch.obs, h0, batch.dones)  # [T, B, A]
    parts = {"action": behaviour_loss(pred, batch.actions, batch.mask, kind)}
    return parts["action"], parts
