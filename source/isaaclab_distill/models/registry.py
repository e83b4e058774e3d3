"""The one registry of student networks: ``class_name`` -> class, used by configs, the CLI and checkpoints.

A user's own student registers itself with :func:`register_student` and is then buildable from a config, selectable
with ``scripts/distillation.py --student <name>`` and loadable from its checkpoints, like the built-in ones.
"""

from __future__ import annotations

from typing import Any

import torch.nn as nn

from ..utils.errors import UserError
from .cfg import StudentCfg
from .depth_student import DepthStudent
from .students import MLPStudent, ObsSpec, RecurrentStudent

STUDENTS: dict[str, type[MLPStudent]] = {
    "mlp": MLPStudent,
    "gru": RecurrentStudent,
    "lstm": RecurrentStudent,
    "depth_cnn_gru": DepthStudent,
}
"""``class_name`` -> student class (each has ``from_cfg(cfg, obs_shapes, action_dim)``)."""


def register_student(class_name: str, student_class: type[MLPStudent]) -> None:
    """Make ``class_name`` buildable by :func:`build_student` (it must follow the :mod:`.students` interface)."""
    if not hasattr(student_class, "from_cfg"):
        raise TypeError(f"{student_class.__name__} has no from_cfg(cfg, obs_shapes, action_dim) classmethod")
    STUDENTS[class_name] = student_class


def student_class_names() -> tuple[str, ...]:
    """Every registered ``class_name``."""
    return tuple(STUDENTS)


def student_class(class_name: str) -> type[MLPStudent]:
    """The registered class of ``class_name``.

    Raises:
        UserError: Unknown ``class_name`` (the message names every registered one).
    """
    if class_name not in STUDENTS:
        raise UserError(f"student class_name must be one of {', '.join(STUDENTS)}, got '{class_name}'")
    return STUDENTS[class_name]


def build_student(cfg: StudentCfg | dict[str, Any], obs_shapes: ObsSpec, action_dim: int) -> nn.Module:
    """Create the student described by ``cfg`` (a :class:`StudentCfg`, a subclass, or its dict) for these inputs.

    Args:
        cfg: The student config.
        obs_shapes: ``group -> per-env shape`` of the groups it reads (:mod:`.observations`), or one vector width.
        action_dim: Action size A.

    Raises:
        UserError: Unknown ``class_name``, or a config that does not fit the inputs (named in the message).
    """
    class_name = cfg["class_name"] if isinstance(cfg, dict) else cfg.class_name
    cls = student_class(class_name)
    try:
        return cls.from_cfg(cfg, obs_shapes, int(action_dim))
    except ValueError as err:
        raise UserError(f"cannot build the '{class_name}' student: {err}") from None
