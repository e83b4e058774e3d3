"""Run directories: ``logs/<library>/<experiment>/<YYYY-MM-DD_HH-MM-SS>[_<run_name>]/``, checkpoint lookup, params."""

from __future__ import annotations

import glob
import os
import re
from datetime import datetime
from typing import Any

import yaml
from isaaclab.utils import to_dict

from .errors import UserError


def make_run_dir(
    library: str,
    experiment: str,
    run_name: str | None = None,
    root: str = "logs",
    stamp: str | None = None,
    path: str | None = None,
) -> str:
    """Create and return a fresh timestamped run directory (absolute path), never one another run already holds.

    The name has a one-second resolution: a run started in the same second as another (two terminals, a sweep, an
    array job) gets ``_1``, ``_2``, ... appended. ``os.mkdir`` is atomic, so two processes never get the same one.
    ``stamp``: the name's timestamp (``--run_timestamp``) instead of the current time. ``path``: this directory
    instead (``--run_dir``, a sweep job's), created if missing.

    Raises:
        UserError: ``path`` already holds a run (its ``params/``).
    """
    if path is not None:
        path = os.path.abspath(path)
        if os.path.isdir(os.path.join(path, "params")):
            raise UserError(f"--run_dir '{path}' already holds a run: pass a new directory (or --resume a checkpoint)")
        os.makedirs(path, exist_ok=True)
        return path
    stamp = stamp or datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    base = os.path.abspath(os.path.join(root, library, experiment, f"{stamp}_{run_name}" if run_name else stamp))
    os.makedirs(os.path.dirname(base), exist_ok=True)
    for suffix in range(10_000):
        log_dir = f"{base}_{suffix}" if suffix else base
        try:
            os.mkdir(log_dir)
            return log_dir
        except FileExistsError:
            continue
    raise UserError(f"cannot create a run directory next to '{base}': 10000 runs started in the same second")


def dump_params(log_dir: str, env_cfg: Any, agent_cfg: Any) -> None:
    """Write ``params/env.yaml`` and ``params/agent.yaml`` as plain YAML (``yaml.safe_load`` reads them back).

    Isaac Lab's ``dump_yaml`` tags tuples as ``!!python/tuple``, which safe loaders reject; here tuples become
    lists and callables their ``module:name`` strings, so the files are plain data for any tool.
    """
    os.makedirs(os.path.join(log_dir, "params"), exist_ok=True)
    for name, cfg in (("env", env_cfg), ("agent", agent_cfg)):
        data = _plain(to_dict(cfg) if not isinstance(cfg, dict) else cfg)
        with open(os.path.join(log_dir, "params", f"{name}.yaml"), "w") as f:
            yaml.safe_dump(data, f, sort_keys=False)


def _plain(value: Any) -> Any:
    """Recursively convert a config dict into YAML-safe plain data."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if callable(value):
        return f"{getattr(value, '__module__', '?')}:{getattr(value, '__qualname__', repr(value))}"
    return str(value)


def resolve_checkpoint(path: str, pattern: str = r"model_(\d+)\.pt") -> str:
    """Return ``path`` if it is a readable file, or the newest matching checkpoint below a run directory.

    ``pattern`` captures the iteration in its first group that matched (alternatives may each have one).

    Raises:
        UserError: Nothing readable there.
    """
    if os.path.isdir(path):
        found = [f for f in glob.glob(os.path.join(path, "**", "*.pt"), recursive=True) if re.search(pattern, f)]
        if not found:
            raise UserError(f"no checkpoint matching '{pattern}' under '{path}': pass a .pt file")

        # newest run (timestamped folder names sort chronologically), then its highest iteration; file times are
        # not used: copying a run reorders them
        def order(f: str) -> tuple[str, int]:
            return os.path.dirname(f), int(next(g for g in re.search(pattern, f).groups() if g is not None))

        return max(found, key=order)
    if not os.path.isfile(path):
        raise UserError(f"checkpoint '{path}' does not exist: pass a .pt file or a run directory")
    if not os.access(path, os.R_OK):
        raise UserError(f"checkpoint '{path}' is not readable: check its permissions")
    return os.path.abspath(path)


def teacher_agent_cfg(task: str, checkpoint: str) -> dict | Any:
    """The PPO config a teacher was trained with: its run's ``params/agent.yaml``, else the task's registered one."""
    params = os.path.join(os.path.dirname(checkpoint), "params", "agent.yaml")
    if os.path.isfile(params):
        try:
            with open(params) as f:
                return yaml.safe_load(f)
        except yaml.YAMLError as err:  # e.g. !!python/tuple tags of Isaac Lab's own dump_yaml: never unsafe-load
            print(f"[WARN] ignoring {params} ({type(err).__name__}); using the task's registered PPO config")
    from .hydra import load_task_configs  # the task registry, only when the run has no params

    return load_task_configs(task, "rsl_rl_cfg_entry_point")[1]
