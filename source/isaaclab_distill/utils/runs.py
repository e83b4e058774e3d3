"""Run directories: ``logs/<library>/<experiment>/<YYYY-MM-DD_HH-MM-SS>[_<run_name>]/`` and checkpoint lookup."""

from __future__ import annotations

import glob
import os
import re
from datetime import datetime
from typing import Any

from isaaclab.utils.io import dump_yaml

from .errors import UserError


def make_run_dir(library: str, experiment: str, run_name: str | None = None, root: str = "logs") -> str:
    """Create and return a fresh timestamped run directory (absolute path)."""
    stamp = datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    name = f"{stamp}_{run_name}" if run_name else stamp
    log_dir = os.path.abspath(os.path.join(root, library, experiment, name))
    os.makedirs(log_dir, exist_ok=True)
    return log_dir


def dump_params(log_dir: str, env_cfg: Any, agent_cfg: Any) -> None:
    """Write ``params/env.yaml`` and ``params/agent.yaml`` (Isaac Lab's safe YAML dump of config classes)."""
    dump_yaml(os.path.join(log_dir, "params", "env.yaml"), env_cfg)
    dump_yaml(os.path.join(log_dir, "params", "agent.yaml"), agent_cfg)


def resolve_checkpoint(path: str, pattern: str = r"model_(\d+)\.pt") -> str:
    """Return ``path`` if it is a readable file, or the newest matching checkpoint below a run directory.

    Raises:
        UserError: Nothing readable there.
    """
    if os.path.isdir(path):
        found = [f for f in glob.glob(os.path.join(path, "**", "*.pt"), recursive=True) if re.search(pattern, f)]
        if not found:
            raise UserError(f"no checkpoint matching '{pattern}' under '{path}': pass a .pt file")
        return max(found, key=lambda f: (os.path.getmtime(f), int(re.search(pattern, f).group(1))))
    if not os.path.isfile(path):
        raise UserError(f"checkpoint '{path}' does not exist: pass a .pt file or a run directory")
    if not os.access(path, os.R_OK):
        raise UserError(f"checkpoint '{path}' is not readable: check its permissions")
    return os.path.abspath(path)
