"""Per-teacher-group loss weights: more weight on the groups the student imitates worst.

With several teachers (one per vehicle) the plain loss is a mean over all envs, so a teacher whose actions are harder
to imitate is matched less well than the rest. :class:`GroupLossBalance` weights each group's steps by its action loss:

    w_k = K * l_k^p / sum_j l_j^p        (mean 1 over the K groups; p = ``multi_teacher.group_loss_power``)

where ``l_k`` is an exponential moving average (momentum :data:`MOMENTUM`, over epochs) of group k's mean per-step
action loss in the update, unweighted. p = 0 is the plain mean; p = 1 weights each group in proportion to its loss, so
the loss minimised is ``sum_k l_k^2 / sum_k l_k`` (the large ones count quadratically). Unlike ``worst_k`` selection
every group keeps feeding the update, so the student does not forget the vehicles it already flies (worst_k with
k = 2 of 8 collapsed, see ``QuadcopterFoundationDistillationCfg``). The weights change once per epoch, from the loss
sums of all ranks, so every rank of a ``torchrun`` job uses the same weights.

A group's loss is not its return: on the foundation benchmark the vehicle whose return lagged most had the lowest
training loss (its lag was a hover offset), and p = 1 or 0.5 moved the worst vehicle instead of lifting it (measured
in ``QuadcopterFoundationDistillationCfg``), so the foundation config leaves this off.
"""

from __future__ import annotations

from typing import Any

import torch

from ..utils.distributed import Distributed
from .losses import reduce_segments

MOMENTUM = 0.5
"""Share of the previous epochs in the moving average of each group's loss."""


class GroupLossBalance:
    """The weights ``w[K]`` of the teacher groups and the per-segment weights of a minibatch (module docstring)."""

    def __init__(self, env_groups: torch.Tensor, num_groups: int, power: float, ranks: Distributed | None = None):
        """``env_groups[N]``: the group (teacher index) of each env; ``power``: p (0: every weight is 1)."""
        self.env_groups, self.power, self.ranks = env_groups, float(power), ranks or Distributed()
        device = env_groups.device
        self.group_loss = torch.full((num_groups,), float("nan"), dtype=torch.float64, device=device)  # [K] EMA l_k
        self.weights = torch.ones(num_groups, device=device)  # [K] w_k
        self._sums = torch.zeros(2, num_groups, dtype=torch.float64, device=device)  # [loss sum, valid steps] x K

    @property
    def active(self) -> bool:
        """Whether the weights can differ from 1 (p > 0 and more than one group)."""
        return self.power > 0.0 and self.weights.numel() > 1

    def reduce(
        self, env: torch.Tensor | None, terms: dict[str, torch.Tensor], valid: torch.Tensor, latent_coef: float = 0.0
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor], torch.Tensor]:
        """The weighted minibatch loss of :func:`.losses.segment_losses`: ``(loss, terms, weighted valid steps)``.

        ``env[B]``: the env of each segment (may be ``None`` when inactive); ``terms``: per-segment loss sums ``[B]``;
        ``valid[B]``: their valid steps. The action sums are added to the epoch's group losses.
        """
        if not self.active:
            return *reduce_segments(terms, valid, latent_coef), valid.sum()
        groups = self.env_groups[env]  # [B]
        self._sums[0].index_add_(0, groups, terms["action"].detach().double())
        self._sums[1].index_add_(0, groups, valid.detach().double())
        weights = self.weights[groups]  # [B]
        return *reduce_segments(terms, valid, latent_coef, weights), (valid * weights).sum()

    def end_epoch(self) -> None:
        """Fold the epoch's group losses (all ranks) into the average and set the next epoch's weights."""
        if not self.active:
            return
        sums = self.ranks.all_reduce_sum(self._sums.clone())
        seen = sums[1] > 0
        loss = torch.where(seen, sums[0] / sums[1].clamp(min=1.0), self.group_loss)  # [K] this epoch's l_k
        known = ~torch.isnan(self.group_loss)
        self.group_loss = torch.where(known & seen, MOMENTUM * self.group_loss + (1 - MOMENTUM) * loss, loss)
        self._sums.zero_()
        if bool(torch.isnan(self.group_loss).any()):  # a group without data yet: weights stay uniform
            return
        scaled = self.group_loss.clamp(min=1e-12) ** self.power
        self.weights = (scaled * scaled.numel() / scaled.sum()).to(self.weights.dtype)

    def scalars(self) -> dict[str, float]:
        """TensorBoard scalars ``multi_teacher/loss_weight_<k>`` and ``multi_teacher/action_loss_<k>`` (when active)."""
        if not self.active:
            return {}
        weights = {f"multi_teacher/loss_weight_{k}": w for k, w in enumerate(self.weights.tolist())}
        return {**weights, **{f"multi_teacher/action_loss_{k}": x for k, x in enumerate(self.group_loss.tolist())}}

    def state_dict(self) -> dict[str, Any]:
        """The moving average and the weights (a resumed run continues with them)."""
        return {"group_loss": self.group_loss.cpu().clone(), "weights": self.weights.cpu().clone()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Inverse of :meth:`state_dict`; a state of another group count is ignored (the run starts uniform)."""
        if state and state["weights"].numel() == self.weights.numel():
            self.group_loss = state["group_loss"].to(self.group_loss)
            self.weights = state["weights"].to(self.weights)
