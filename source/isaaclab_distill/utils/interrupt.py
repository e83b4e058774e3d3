"""Ctrl-C that stops a training run at a safe point instead of wherever the interpreter happens to be.

Python raises ``KeyboardInterrupt`` at the bytecode running when SIGINT arrives. Inside an object finalizer (e.g. a
warp array's ``__del__``) it is printed as "Exception ignored" and lost, and training goes on: measured in 1 of 3 CI
runs of the Ctrl-C test. Here the first Ctrl-C only sets a flag; the training loops call :meth:`check` at each step
and raise ``KeyboardInterrupt`` there, so the scripts save a checkpoint and exit. A second Ctrl-C raises at once.
"""

from __future__ import annotations

import signal
import sys
import threading


class GracefulInterrupt:
    """Context manager owning SIGINT while it is active (main thread only; elsewhere it does nothing)."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = None

    def __enter__(self) -> GracefulInterrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _handle(self, signum, frame) -> None:
        if self.requested:  # the second Ctrl-C: stop now
            raise KeyboardInterrupt
        self.requested = True
        print("[INFO] Ctrl-C: stopping at the next step and saving (Ctrl-C again to stop at once)", file=sys.stderr)

    def check(self) -> None:
        """Raise ``KeyboardInterrupt`` if Ctrl-C was pressed (call at safe points of a loop)."""
        if self.requested:
            raise KeyboardInterrupt
