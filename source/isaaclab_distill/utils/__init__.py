"""Shared script plumbing: config resolution, CLI validation, run directories.

``hydra_task_config`` and ``load_task_configs`` load gymnasium and Isaac Lab's task registry, so they are imported on
first use: the pure-torch engine (:mod:`isaaclab_distill.distillation`, :mod:`isaaclab_distill.models`) imports
:mod:`.errors` and :mod:`.io` from here without them.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import UserError

__all__ = ["UserError", "hydra_task_config", "load_task_configs"]


def __getattr__(name: str) -> Any:
    """Import ``hydra_task_config`` / ``load_task_configs`` from :mod:`.hydra` when first asked for."""
    if name in ("hydra_task_config", "load_task_configs"):
        return getattr(importlib.import_module(".hydra", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
