"""rsl_rl integration: PPO teacher runner with atomic checkpoints, learning curves measured on every env step."""

from .curves import CURVE_FILE, LearningCurveEnv
from .runner import TeacherRunner

__all__ = ["CURVE_FILE", "LearningCurveEnv", "TeacherRunner"]
