"""Teacher -> student policy distillation: behaviour cloning with teacher forcing, DAgger, multiple teachers.

Pure torch on top of rsl_rl's building blocks; no simulator is needed to import or unit-test it.
"""

from .cfg import DistillationCfg, MultiTeacherCfg, StudentCfg
from .checkpoint import (
    CHECKPOINT_KIND,
    capture_rng_state,
    load_checkpoint,
    load_student,
    make_checkpoint,
    restore_rng_state,
    save_checkpoint,
)
from .dataset import EpisodeDataset, SequenceBatch
from .errors import CheckpointError, DistillationError, TeacherLoadError
from .losses import behaviour_loss, per_step_loss, sequence_loss
from .students import MLPStudent, RecurrentStudent, Student, build_student, init_from_teacher
from .teacher import Teacher, actor_cfg_from_agent_cfg
from .trainer import DistillationTrainer

__all__ = [
    "CHECKPOINT_KIND",
    "CheckpointError",
    "DistillationCfg",
    "DistillationError",
    "DistillationTrainer",
    "EpisodeDataset",
    "MLPStudent",
    "MultiTeacherCfg",
    "RecurrentStudent",
    "SequenceBatch",
    "Student",
    "StudentCfg",
    "Teacher",
    "TeacherLoadError",
    "actor_cfg_from_agent_cfg",
    "behaviour_loss",
    "build_student",
    "capture_rng_state",
    "init_from_teacher",
    "load_checkpoint",
    "load_student",
    "make_checkpoint",
    "per_step_loss",
    "restore_rng_state",
    "save_checkpoint",
    "sequence_loss",
]
