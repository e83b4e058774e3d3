"""What a distillation run reports per epoch: TensorBoard scalars and one console line (a bar on a terminal)."""

from __future__ import annotations

import math
from typing import Any

from ..utils.progress import Progress, clock


class EpochLogger:
    """TensorBoard scalars (the documented tags) and the console progress line of the runner."""

    def __init__(self, writer: Any | None, samples_per_epoch: int, n_epochs: int, console: bool = True) -> None:
        """``writer``: a TensorBoard ``SummaryWriter`` (or anything with ``add_scalar``); ``None`` disables it.

        ``console``: print the lines (under ``torchrun`` rank 0 alone prints).
        """
        self.writer, self.samples_per_epoch, self.n_epochs = writer, samples_per_epoch, n_epochs
        self.console = console
        self.progress: Progress | None = None  # the epoch bar of a terminal, from the first printed epoch on

    def info(self, message: str) -> None:
        """One console line (above the progress bar on a terminal)."""
        if self.progress is not None:
            self.progress.write(message)
        elif self.console:
            print(message, flush=True)

    def log_epoch(
        self,
        epoch: int,
        coll: dict[str, float],
        losses: dict[str, float],
        ev: dict[str, float] | None,
        ratio: float,
        extra: dict[str, float] | None = None,
    ) -> None:
        """Write the finite scalars of completed epoch ``epoch``.

        ``losses``: the total under ``""`` (``training/loss``) and its terms (``training/loss_<name>``, e.g. ``action``
        and ``latent``, :attr:`~.algorithm.DistillationAlgorithm.loss_parts`). ``extra``: more scalars by tag (e.g.
        :meth:`.balance.GroupLossBalance.scalars`).
        """
        scalars = {
            **(extra or {}),
            **{f"training/loss_{name}" if name else "training/loss": value for name, value in losses.items()},
            "training/beta": coll["beta"],
            "training/learning_rate": coll["learning_rate"],
        }
        if coll["episodes"] > 0:
            scalars.update({f"data_collection/{k}": coll[k] for k in ("mean_return", "std_return")})
        if ev is not None:
            scalars.update({f"evaluation/{k}": ev[k] for k in ("mean_return", "std_return", "mean_length")})
            scalars["evaluation/student_teacher_return_ratio"] = ratio
        if self.writer is not None:
            for tag, value in scalars.items():
                if math.isfinite(value):
                    self.writer.add_scalar(tag, value, epoch)

    def print_epoch(
        self,
        epoch: int,
        teacher_forcing: bool,
        coll: dict[str, float],
        loss: float,
        ev: dict[str, float] | None,
        ratio: float,
        seconds: float,
        seconds_per_epoch: float,
    ) -> None:
        """One line: epoch, mode, loss, collection and evaluation return, ratio, throughput, ETA.

        ``teacher_forcing``: a teacher-forcing epoch; ``coll["beta"]`` is then the share of the envs the teacher drives.
        """
        if not self.console:
            return
        eta = seconds_per_epoch * (self.n_epochs - epoch)
        mode = f"DAgger b={coll['beta']:.2f}"
        if teacher_forcing:  # on every env (BC), or on beta's share of them
            mode = "BC" if coll["beta"] >= 1 else f"BC {coll['beta']:.0%} + DAgger"
        ev_txt = "eval -"
        if ev is not None:
            free = f" (free, {int(ev['episodes'])} ep)" if ev.get("free") else ""
            ev_txt = f"eval {ev['mean_return']:.3f} +- {ev['std_return']:.3f}{free}"
        coll_txt = f"{coll['mean_return']:.3f} +- {coll['std_return']:.3f}" if coll["episodes"] > 0 else "-"
        if self.progress is None:  # the bar starts at the first epoch this process runs (a resumed run: later)
            self.progress = Progress(self.n_epochs, "[distill]", "epoch", initial=epoch - 1)
        self.progress.write(
            f"[distill] epoch {epoch}/{self.n_epochs} {mode} | loss {loss:.4e}"
            f" | collect {coll_txt} | {ev_txt} | ratio {ratio:.3f} | {self.samples_per_epoch / seconds:,.0f} samples/s"
            f" | ETA {clock(eta)}"
        )
        self.progress.step()

    def flush(self) -> None:
        """Flush the writer's events to disk."""
        if self.writer is not None and hasattr(self.writer, "flush"):
            self.writer.flush()
