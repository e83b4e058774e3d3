"""rsl_rl integration: PPO teacher runner with atomic checkpoints."""

from .runner import TeacherRunner

__all__ = ["TeacherRunner"]
