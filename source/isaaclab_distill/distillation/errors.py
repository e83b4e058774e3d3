"""Exceptions raised by the distillation engine."""

from __future__ import annotations


class DistillationError(Exception):
    """Base class of every error the distillation engine raises on purpose (bad data, bad config, NaN, ...)."""


class TeacherLoadError(DistillationError):
    """A teacher checkpoint cannot be loaded into the configured actor (missing file, bad format, shape mismatch)."""


class CheckpointError(DistillationError):
    """A student checkpoint is unreadable, of the wrong kind, or does not match the student being restored."""
