"""Exceptions raised by the distillation engine."""

from __future__ import annotations

from ..utils.errors import UserError


class DistillationError(UserError):
    """Base class of every error the distillation engine raises on purpose (bad data, bad config, NaN, ...).

    A :class:`UserError`, so the scripts report it as one ``error:`` line.
    """


class TeacherLoadError(DistillationError):
    """A teacher checkpoint cannot be loaded into the configured actor (missing file, bad format, shape mismatch)."""


class CheckpointError(DistillationError):
    """A student checkpoint is unreadable, of the wrong kind, or does not match the student being restored."""
