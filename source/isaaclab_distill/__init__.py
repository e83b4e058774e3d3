"""Isaac Lab extension for teacher -> student policy distillation.

Subpackages:

- :mod:`isaaclab_distill.tasks`: gymnasium task registrations (quadcopter point control, depth parkour).
- :mod:`isaaclab_distill.distillation`: the distillation engine (BC, teacher forcing, DAgger, multi-teacher).
- :mod:`isaaclab_distill.utils`: the ``@hydra_task_config`` decorator and shared script plumbing.
- :func:`load_student` (:mod:`isaaclab_distill.deploy`): a distilled student as one module, for your own loop.
"""

import importlib
import importlib.metadata
from typing import Any

__all__ = ["load_student"]

try:
    __version__ = importlib.metadata.version("isaaclab_distill")
except importlib.metadata.PackageNotFoundError:  # running from a source checkout
    __version__ = "0.0.0"


def __getattr__(name: str) -> Any:
    """``load_student`` / ``DeployedStudent`` from :mod:`.deploy` on first use (the import stays cheap)."""
    if name in ("load_student", "DeployedStudent"):
        return getattr(importlib.import_module(".deploy", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
