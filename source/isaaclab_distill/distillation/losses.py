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


def segment_losses(
    student: MLPStudent, batch: SequenceBatch, kind: LossKind = "mse", latent_coef: float = 0.0
) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Truncated-BPTT losses of one minibatch, per segment: ``({"action": [B], ("latent": [B])}, valid[B])``.

    Each term is the SUM of its per-step loss over the valid steps of a segment, ``valid`` their count, so any
    weighting of the segments reduces exactly (:func:`reduce_segments`). The student is unrolled from the stored
    hidden state ``batch.h0`` (detached: no gradient flows into earlier segments), with its state zeroed after every
    ``done`` inside the segment.

    With ``latent_coef > 0`` the labels are ``[..., A + L]``: the teacher's actions, then its latent of the same step,
    and the ``latent`` term is ``mse(student feature[..., L], teacher latent)`` (a
    :class:`~isaaclab_distill.models.DepthStudent`'s ``forward_sequence_with_feature``).
    """
    h0 = None if batch.h0 is None else batch.h0.detach()  # [K, B, H]
    obs, dones = (batch.obs.unsqueeze(0), None) if batch.flat else (batch.obs, batch.dones)  # flat: [T = 1, B]
    mask = batch.mask.view(1, -1) if batch.flat else batch.mask  # [T, B]
    if latent_coef > 0.0:
        pred, feature = student.forward_sequence_with_feature(obs, h0, dones)  # [T, B, A], [T, B, L]
    elif batch.flat:
        pred, feature = student(batch.obs, h0)[0].unsqueeze(0), None  # [1, B, A]
    else:
        pred, feature = student.forward_sequence(obs, h0, dones), None  # [T, B, A]
    labels, m = batch.actions.view(*pred.shape[:-1], -1), mask.to(pred.dtype)  # [T, B, A (+ L)], [T, B]
    a = student.action_dim
    terms = {"action": (per_step_loss(pred, labels[..., :a], kind) * m).sum(0)}
    if feature is not None:
        terms["latent"] = (per_step_loss(feature, labels[..., a:], "mse") * m).sum(0)
    return terms, m.sum(0)


def reduce_segments(
    terms: dict[str, torch.Tensor], valid: torch.Tensor, latent_coef: float = 0.0, weights: torch.Tensor | None = None
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The minibatch loss of :func:`segment_losses`: ``(loss, terms)``, each term a mean over the valid steps.

    ``weights[B]``: each segment's steps count ``weights`` times (default 1: the plain mean over valid steps).
    ``loss = action + latent_coef * latent``; 0 (with a graph) when no step is valid.
    """
    w = torch.ones_like(valid) if weights is None else weights  # [B]
    steps = (w * valid).sum().clamp(min=1e-12)  # weighted valid steps (no step: every term is 0)
    parts = {name: (w * term).sum() / steps for name, term in terms.items()}
    loss = parts["action"] + latent_coef * parts["latent"] if "latent" in parts else parts["action"]
    return loss, parts


def sequence_loss(
    student: MLPStudent, batch: SequenceBatch, kind: LossKind = "mse", latent_coef: float = 0.0
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Truncated-BPTT loss of one minibatch of segments: ``(loss, {"action": ..., "latent": ...})``.

    The average over valid steps, not a sum, so it does not grow with the segment length (:func:`segment_losses`).
    """
    return reduce_segments(*segment_losses(student, batch, kind, latent_coef), latent_coef)
