"""Task-specific student networks (they follow the interface of :mod:`isaaclab_distill.distillation.students`)."""

from .depth_student import (
    DepthStudent,
    DepthStudentCfg,
    PaperDepthStudentCfg,
    build_depth_cnn,
    create_depth_actor_from_teacher,
)

__all__ = [
    "DepthStudent",
    "DepthStudentCfg",
    "PaperDepthStudentCfg",
    "build_depth_cnn",
    "create_depth_actor_from_teacher",
]
