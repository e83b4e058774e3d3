"""The final student as the weight average of the last epochs' students (stochastic weight averaging).

The students of successive epochs differ by the noise of their last minibatches even at a small learning rate: on
the quadcopter the exact returns of the last five epochs' GRU students spread over up to 5 % of the teacher's return
in one run (125.9 -> 119.5), and the last student of four runs of the README command landed at 0.948-0.982 of the
teacher. The uniform average of the students after each of the last ``average_last_epochs`` updates (Izmailov et al.
2018, "Averaging Weights Leads to Wider Optima and Better Generalization") removes most of that noise: averaging
the students of epochs 26-34 of the same four runs gave 0.981-1.002 (mean 0.991 against 0.969; measured 2026-12-03,
2-core CPU, every env's first episode from a seeded synchronous reset).

As in SWA, the trained student keeps driving the collection (DAgger corrects ITS mistakes) and the average is only
the run's result: ``final_student.pt`` and the final evaluation. Letting the average drive instead (measured too: 4
runs, 0.919-0.996, mean 0.970) was no better than the last student. The free evaluation of the last epochs counts
the episodes of the very students that are averaged, so it estimates the average's return better than the last
student's (4 runs: -2.9 to +1.2 off the average's exact return, against -0.5 to +7.0 off the last student's).

The average is torch's :class:`torch.optim.swa_utils.AveragedModel` over the parameters. The buffers (the input
normaliser's statistics, an integer count among them) are not averaged: they are copied from the trained student
after every update, the statistics the newest weights were trained with.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn
from torch.optim.swa_utils import AveragedModel


class WeightAverage:
    """The uniform average of the students after the updates of the last ``last_epochs`` epochs.

    Only epochs after teacher forcing are averaged (the window is cut there in a short run: with
    ``--n_epochs 10`` on the quadcopter nothing is averaged, instead of students at a few % of the teacher).
    """

    def __init__(self, last_epochs: int, n_epochs: int, first_allowed: int = 0) -> None:
        """Average the updates of epochs ``[max(n_epochs - last_epochs, first_allowed), n_epochs)`` (0: none)."""
        first = max(n_epochs - last_epochs, first_allowed, 0)
        self.first_epoch = first if last_epochs > 0 and first < n_epochs else None
        self.last_epoch = -1  # the last epoch added (a repeated epoch, e.g. after a resume, is not added twice)
        self.model: AveragedModel | None = None

    @property
    def active(self) -> bool:
        """Averaging has begun."""
        return self.model is not None

    def final(self, student: nn.Module) -> nn.Module:
        """The run's final student: the average once averaging has begun, else ``student`` itself."""
        return student if self.model is None else self.model.module

    @torch.no_grad()
    def update(self, epoch: int, student: nn.Module) -> None:
        """Add the ``student`` after ``epoch``'s update, when that epoch is one of the averaged ones."""
        if (
            self.first_epoch is None
            or epoch < self.first_epoch
            or (self.model is not None and epoch <= self.last_epoch)
        ):
            return
        if self.model is None or epoch == self.first_epoch:  # (re)start at the window's first epoch
            self.model = AveragedModel(student, use_buffers=False)
        self.model.update_parameters(student)
        self.last_epoch = epoch
        for averaged, trained in zip(self.model.module.buffers(), student.buffers()):
            averaged.copy_(trained)

    def state_dict(self) -> dict[str, int]:
        """The window and the count of averaged students (none yet: ``{}``); the weights are :meth:`final`'s."""
        if self.model is None:
            return {}
        return {
            "first_epoch": self.first_epoch,
            "last_epoch": self.last_epoch,
            "n_averaged": int(self.model.n_averaged),
        }

    def load_state_dict(self, state: dict[str, int], weights: dict[str, Any] | None, student: nn.Module) -> None:
        """Restore :meth:`state_dict` with the average's ``weights``; ``student``: its network.

        An average over another window (the run was resumed with other ``n_epochs`` / ``average_last_epochs``) is
        dropped: the window's epochs are averaged again from its first one.
        """
        self.model, self.last_epoch = None, -1
        if state and weights is not None and state.get("first_epoch") == self.first_epoch:
            self.model = AveragedModel(student, use_buffers=False)
            self.model.module.load_state_dict(weights)
            self.model.n_averaged.fill_(int(state["n_averaged"]))
            self.last_epoch = int(state["last_epoch"])
