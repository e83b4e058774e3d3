"""Student networks (MLP, GRU, LSTM, depth CNN+GRU), their configs, the registry and the teacher initialisation.

Pure torch on top of rsl_rl's modules; :mod:`isaaclab_distill.distillation` builds on this package, never the reverse.
"""

from .cfg import StudentCfg
from .depth_student import DepthStudent, DepthStudentCfg, PaperDepthStudentCfg
from .registry import STUDENTS, build_student, register_student, student_class, student_class_names
from .students import MLPStudent, RecurrentStudent, reset_hidden
from .teacher_init import create_depth_actor_from_teacher, init_from_teacher

__all__ = [
    "STUDENTS",
    "DepthStudent",
    "DepthStudentCfg",
    "MLPStudent",
    "PaperDepthStudentCfg",
    "RecurrentStudent",
    "StudentCfg",
    "build_student",
    "create_depth_actor_from_teacher",
    "init_from_teacher",
    "register_student",
    "reset_hidden",
    "student_class",
    "student_class_names",
]
