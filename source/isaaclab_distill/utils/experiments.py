"""``+experiment=NAME``: Hydra experiment files (``config/experiment/NAME.yaml``) composed onto a task's configs.

An experiment file is a Hydra config of the ``experiment`` group in the global package, as Hydra's "configuring
experiments" pattern writes it::

    # @package _global_
    task: Isaac-Quadcopter-Point-Ctrl-v0          # the task it is for (checked against --task)
    agent_cfg_entry_point: distillation_cfg_entry_point   # the script's agent config it addresses (checked)
    agent:
      student: {class_name: lstm}
    env:
      scene: {num_envs: 256}

Hydra composes the file (``hydra.compose``: its own ``defaults`` list, other experiments, packages); every leaf of the
result is then applied to the task's configs as a checked ``++key=value`` override (:mod:`.overrides`: a config
class field must exist and keep its type, a dict node may gain keys), before the command line's own overrides, which
therefore win (as in Hydra). The files are looked up in
``$ISAACLAB_DISTILL_CONFIG``, then ``./config``, then this repository's ``config/``.
"""

from __future__ import annotations

import os
import pathlib
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.errors import HydraException
from omegaconf import OmegaConf

from .errors import UserError
from .overrides import Override

GROUP = "experiment"
_REPO_CONFIG = pathlib.Path(__file__).resolve().parents[3] / "config"
_META = ("task", "agent_cfg_entry_point")  # what an experiment declares about itself, not config values


def config_dirs() -> list[pathlib.Path]:
    """The config directories searched for ``experiment/NAME.yaml``, in order."""
    dirs = [os.environ.get("ISAACLAB_DISTILL_CONFIG"), pathlib.Path.cwd() / "config", _REPO_CONFIG]
    return [pathlib.Path(d).resolve() for d in dict.fromkeys(str(d) for d in dirs if d)]


def available() -> list[str]:
    """The experiment names of every searched directory."""
    names = {p.stem for d in config_dirs() for p in (d / GROUP).glob("*.yaml")}
    return sorted(names)


def compose_experiment(name: str) -> dict[str, Any]:
    """The composed experiment ``name`` as a plain dict (interpolations kept for :func:`.overrides.resolve`).

    Raises:
        UserError: No such experiment (the available ones named), or Hydra cannot compose it.
    """
    folder = next((d for d in config_dirs() if (d / GROUP / f"{name}.yaml").is_file()), None)
    if folder is None:
        names = ", ".join(available()) or "none"
        raise UserError(f"unknown experiment '{name}': config/{GROUP}/{name}.yaml not found (available: {names})")
    try:
        with initialize_config_dir(version_base=None, config_dir=str(folder)):
            cfg = compose(overrides=[f"+{GROUP}={name}"])
    except HydraException as err:
        raise UserError(f"experiment '{name}' ({folder / GROUP}): {str(err).strip().splitlines()[0]}") from None
    return OmegaConf.to_container(cfg, resolve=False)


def experiment_overrides(name: str, task_name: str, agent_cfg_entry_point: str | None) -> list[Override]:
    """The leaves of experiment ``name`` as ``key=value`` overrides, after checking its task and agent config.

    Raises:
        UserError: An experiment for another task or another script's agent config, or one without config values.
    """
    data = compose_experiment(name)
    task, entry = data.get("task"), data.get("agent_cfg_entry_point")
    if task is not None and task != task_name:
        raise UserError(f"experiment '{name}' is for task '{task}', not '{task_name}': pass --task {task}")
    if entry is not None and entry != agent_cfg_entry_point:
        script = "distillation.py" if entry == "distillation_cfg_entry_point" else "train.py"
        raise UserError(f"experiment '{name}' sets the agent config '{entry}': run it with scripts/{script}")
    values_set = list(leaves({k: v for k, v in data.items() if k not in _META}))
    if not values_set:
        raise UserError(f"experiment '{name}' sets nothing (expected env: / agent: sections)")
    return [Override("++", key, value, f"{key}={value!r} (experiment '{name}')") for key, value in values_set]


def leaves(node: dict[str, Any], prefix: str = ""):
    """``(dotted key, value)`` of every non-dict value below ``node`` (a list is one value)."""
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            yield from leaves(value, f"{path}.")
        else:
            yield path, value
