"""The fine-tuning runner: rsl_rl's loop whose every checkpoint also writes the student as a student checkpoint.

:class:`.runner.TeacherRunner` gives the loop, the atomic checkpoints and the Ctrl-C save.

Next to each ``model_<it>.pt`` (PPO state: student actor, critic, optimizer; what ``--resume`` reads) it writes
``student_<it>.pt`` and, at the end, ``final_student.pt``: the format of :mod:`..distillation.checkpoint`, so
``play.py``, the exporters and ``foundation_eval.py`` take a fine-tuned student exactly as a distilled one.
"""

from __future__ import annotations

import math
import os

from ..distillation.checkpoint import read_checkpoint, save_checkpoint
from .runner import TeacherRunner

FINAL_STUDENT = "final_student.pt"


class FinetuneRunner(TeacherRunner):
    """PPO on a distilled student (:class:`.student_actor.StudentActor`) with :class:`.guided_ppo.GuidedPPO`."""

    def learn(self, num_learning_iterations: int, init_at_random_ep_len: bool = False) -> None:
        """rsl_rl's loop from the current iteration (the warm-up and the schedule count from the run's start)."""
        self.alg.iteration = self.current_learning_iteration
        if self.alg.teacher is not None:  # who drives: beta of the (resumed) iteration
            self.alg.draw_drivers(self.alg.driven.new_ones(self.alg.driven.shape))
        super().learn(num_learning_iterations, init_at_random_ep_len)
        if self.logger.log_dir is not None and not self.logger.disable_logs:
            self.save_student(os.path.join(self.logger.log_dir, FINAL_STUDENT))

    def save(self, path: str, infos: dict | None = None) -> None:
        """rsl_rl's checkpoint, then ``student_<it>.pt`` beside it."""
        super().save(path, infos)
        self.save_student(os.path.join(os.path.dirname(path), f"student_{self.current_learning_iteration}.pt"))

    def save_student(self, path: str) -> str:
        """The actor's student as a student checkpoint (atomic); its source's distillation config is kept."""
        source = self.cfg["actor"]["checkpoint"]
        distilled = read_checkpoint(source).get("distillation_cfg") or {}
        finetune = {"source": os.path.abspath(source), "iteration": self.current_learning_iteration}
        return save_checkpoint(
            path,
            student=self.alg.get_policy().student,
            optimizer=None,
            epoch=self.current_learning_iteration,
            best_return=-math.inf,
            distillation_cfg=dict(distilled, finetune=finetune),
        )
