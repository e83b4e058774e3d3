"""rsl_rl's :class:`OnPolicyRunner`, with checkpoints written atomically.

rsl_rl writes ``model_*.pt`` with a plain ``torch.save``: a run killed mid-write leaves a truncated file that
``--resume`` then fails to load. Here every checkpoint goes to a temporary file in the same directory, is
fsynced, then renamed over the target (atomic on POSIX), so the previous checkpoint survives any crash.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import torch
from rsl_rl.runners import OnPolicyRunner


def atomic_torch_save(obj: Any, path: str) -> None:
    """``torch.save`` to ``path`` so that readers see either the old file or the complete new one."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp_", suffix=".pt", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


class TeacherRunner(OnPolicyRunner):
    """PPO runner for teachers; identical training, atomic checkpoint writes."""

    def save(self, path: str, infos: dict | None = None) -> None:
        saved = self.alg.save()
        saved["iter"] = self.current_learning_iteration
        saved["infos"] = infos
        atomic_torch_save(saved, path)
        self.logger.save_model(path, self.current_learning_iteration)
