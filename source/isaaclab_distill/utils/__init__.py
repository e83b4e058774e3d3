"""Shared script plumbing: config resolution, CLI validation, run directories."""

from .errors import UserError
from .hydra import hydra_task_config, load_task_configs

__all__ = ["UserError", "hydra_task_config", "load_task_configs"]
