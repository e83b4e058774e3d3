"""Reward curricula (pure tensors, on the env's device: no host sync per step)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from ..quadcopter_env_cfg import PenaltyCurriculumCfg


class PenaltyRamp:
    """The multiplier of a penalty under a :class:`PenaltyCurriculumCfg` (1 without one).

    It starts at ``start_fraction`` and rises by ``(1 - start_fraction) / ramp_steps`` on every env step in which the
    vehicle flies: the time-outs among the recently ended episodes (counts decaying by 1 % per step) are at least
    ``flying_fraction`` of them. It never falls back.
    """

    DECAY = 0.99
    """Per-step decay of the ended / timed-out episode counts (a window of about 100 steps)."""

    def __init__(self, cfg: PenaltyCurriculumCfg | None, device: str | torch.device):
        self.cfg = cfg
        self.progress = torch.tensor(0.0 if cfg else 1.0, device=device)  # in [0, 1]
        self._ended = torch.tensor(0.0, device=device)
        self._timed_out = torch.tensor(0.0, device=device)

    def multiplier(self) -> torch.Tensor:
        """The fraction of the full penalty that applies now (a 0-dim tensor)."""
        start = self.cfg.start_fraction if self.cfg else 1.0
        return start + (1.0 - start) * self.progress

    def step(self, died: torch.Tensor, time_out: torch.Tensor) -> None:
        """Count this step's ended episodes (bool, shape (N,) each) and advance while the vehicle flies."""
        if self.cfg is None:
            return
        time_out = time_out & ~died
        self._ended = self.DECAY * self._ended + (died | time_out).sum()
        self._timed_out = self.DECAY * self._timed_out + time_out.sum()
        flying = self._timed_out >= self.cfg.flying_fraction * self._ended.clamp(min=1e-6)
        self.progress = (self.progress + flying / self.cfg.ramp_steps).clamp(max=1.0)
