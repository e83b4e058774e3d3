"""Teacher -> student policy distillation: behaviour cloning with teacher forcing, DAgger, multiple teachers.

Modelled on rsl_rl's layout: :mod:`.algorithm` (the math), :mod:`.runner` (epoch loop, logging, checkpoint files),
:mod:`.storage` (the DAgger dataset), :mod:`.rollout` (the one rollout loop), :mod:`.checkpoint` (the file format),
:mod:`.teacher` (frozen rsl_rl PPO actors); the students are in :mod:`isaaclab_distill.models`. Pure torch on top of
rsl_rl: no simulator, gymnasium or task registry is needed to import or unit-test it.
"""

from .algorithm import DistillationAlgorithm
from .cfg import DistillationCfg, MultiTeacherCfg, StudentCfg
from .checkpoint import load_checkpoint, load_student_network, save_checkpoint
from .errors import CheckpointError, DistillationError, TeacherLoadError
from .rollout import StudentPolicy, rollout
from .runner import DistillationRunner
from .teacher import Teacher

__all__ = [
    "CheckpointError",
    "DistillationAlgorithm",
    "DistillationCfg",
    "DistillationError",
    "DistillationRunner",
    "MultiTeacherCfg",
    "StudentCfg",
    "StudentPolicy",
    "Teacher",
    "TeacherLoadError",
    "load_checkpoint",
    "load_student_network",
    "rollout",
    "save_checkpoint",
]
