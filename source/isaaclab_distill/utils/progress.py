"""Progress of a long loop: a tqdm bar with its ETA on a terminal, plain lines elsewhere (CI logs, files, pipes).

On a terminal the bar stays at the bottom and every report line is written above it (``tqdm.write``), so nothing is
lost. When stdout is not a terminal no bar is drawn (a bar's carriage returns make a log unreadable): the caller's
own line per epoch is the progress, and :meth:`Progress.step` prints one line per ``every`` units with the rate and
the ETA, so a log of a rollout shows a handful of lines instead of one per step.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from tqdm import tqdm


def clock(seconds: float) -> str:
    """``h:mm:ss`` of a duration."""
    return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"


class Progress:
    """Count ``total`` units of a loop (epochs, env steps) with a bar on a terminal and lines elsewhere."""

    def __init__(
        self,
        total: int,
        desc: str,
        unit: str,
        initial: int = 0,
        every: int | None = None,
        enabled: bool = True,
        stream: TextIO | None = None,
    ) -> None:
        """Start counting at ``initial`` of ``total``.

        Args:
            total: Units of the whole loop.
            desc: Name shown by the bar and the lines, e.g. ``"[distill]"``.
            unit: What a unit is, e.g. ``"epoch"``.
            initial: Units done before this process (a resumed run).
            every: Without a terminal, print a line every ``every`` units (``None``: never; the caller prints).
            enabled: ``False``: silent (e.g. every rank but 0 of a ``torchrun`` job).
            stream: Where to write (default ``sys.stdout``, looked up now so that a redirection is honoured).
        """
        self.stream = sys.stdout if stream is None else stream
        self.total, self.desc, self.unit, self.done, self.every = total, desc, unit, initial, every
        self.enabled, self.start, self.initial = enabled, time.perf_counter(), initial
        isatty = getattr(self.stream, "isatty", None)
        self.bar = None
        if enabled and isatty is not None and isatty():
            self.bar = tqdm(total=total, initial=initial, desc=desc, unit=unit, file=self.stream, dynamic_ncols=True)

    def write(self, line: str) -> None:
        """Print one report line (above the bar on a terminal)."""
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def step(self, n: int = 1) -> None:
        """Count ``n`` more units: the bar moves, or a line every ``every`` units (and at the end)."""
        before, self.done = self.done, self.done + n
        crossed = self.every and (self.done // self.every > before // self.every or self.done >= self.total)
        if self.bar is not None:
            self.bar.update(n)
            if self.done >= self.total:
                self.close()
        elif self.enabled and crossed:
            self.write(f"{self.desc} {self.done}/{self.total} {self.unit}s | {self.rate_and_eta()}")

    def rate_and_eta(self) -> str:
        """``<rate> <unit>s/s | ETA h:mm:ss`` of this process's units so far."""
        seconds = time.perf_counter() - self.start
        rate = (self.done - self.initial) / seconds if seconds > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        return f"{rate:,.1f} {self.unit}s/s | ETA {clock(eta)}"

    def close(self) -> None:
        """Finish the bar (idempotent)."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
