"""rsl_rl integration: PPO teacher runner with atomic checkpoints."""

from .runner import TeacherRunner, atomic_torch_save

__all__ = ["TeacherRunner", "atomic_torch_save"]
