"""The run flags of Isaac Lab's rsl_rl entry points, with their meaning: logger, project, run timestamp, manifest.

``isaaclab train --rl_library rsl_rl`` (``isaaclab_rl.entrypoints``) takes ``--logger {tensorboard,wandb,neptune}``,
``--log_project_name``, ``--run_timestamp`` and ``--checkpoint latest|best|<path>``, and writes a ``run.json``
manifest into every run folder, which its ``latest`` / ``best`` selectors read. ``train.py`` and ``distillation.py``
take the same flags and write the same manifest (through Isaac Lab's own functions), so a command line moves between
the two unchanged; the differences are this package's additions (one-line errors before the simulator, atomic
checkpoints, a run folder never shared with another run: a ``--run_timestamp`` already taken gets ``_1``, ...).
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import os
from datetime import datetime
from typing import Any

from .cli import apply_env_args
from .errors import UserError

LOGGERS = {"tensorboard": "tensorboard", "wandb": "wandb", "neptune": "neptune"}
"""``--logger`` choice -> the Python package it needs."""
SELECTORS = ("latest", "best")
"""``--checkpoint`` selectors: the newest compatible run's last checkpoint (``best``: its canonical one)."""


def add_run_args(parser: argparse.ArgumentParser) -> None:
    """Isaac Lab's rsl_rl run flags: ``--logger``, ``--log_project_name``, ``--run_timestamp``.

    Also ``--run_dir`` and ``-m`` / ``--multirun`` (:mod:`.sweep`).
    """
    parser.add_argument(
        "--logger", choices=sorted(LOGGERS), default=None, help="tensorboard (default), wandb, neptune."
    )
    parser.add_argument("--log_project_name", default=None, help="Project of the wandb / neptune logger.")
    parser.add_argument("--run_timestamp", default=None, help="Name of the run folder instead of the current time.")
    parser.add_argument("--run_dir", default=None, help="Write the run into this directory (a sweep job's).")
    parser.add_argument(
        "-m", "--multirun", action="store_true", help="Hydra sweep: one run per job of key=a,b overrides, a table."
    )


def check_run_args(args: argparse.Namespace) -> None:
    """Before the simulator: the logger's package is installed and the timestamp is a folder name.

    Raises:
        UserError: ``--logger wandb`` / ``neptune`` without the package, or a timestamp with a path separator.
    """
    package = LOGGERS.get(args.logger or "tensorboard")
    if importlib.util.find_spec(package) is None:
        raise UserError(
            f"--logger {args.logger} needs the '{package}' package: pip install {package} (or --logger tensorboard)"
        )
    if args.run_dir is not None:
        check_run_dir(args)
    stamp = args.run_timestamp
    if stamp is not None and (not stamp or "/" in stamp or "\\" in stamp or stamp in (".", "..")):
        raise UserError(f"--run_timestamp '{stamp}' is not a folder name: use e.g. 2026-12-03_10-00-00")


def check_run_dir(args: argparse.Namespace) -> None:
    """``--run_dir``: a folder that this run may create or fill, given alone.

    Raises:
        UserError: Given with ``--run_timestamp`` or ``-m``, empty, a file, or in a folder this user cannot write.
    """
    path = args.run_dir
    if args.run_timestamp is not None or args.multirun:
        raise UserError("--run_dir names the whole run folder: drop --run_timestamp / -m")
    if not path or os.path.isfile(path):
        raise UserError(f"--run_dir '{path}' is not a folder: name a new or empty directory")
    parent = os.path.abspath(path)
    while not os.path.exists(parent):  # the nearest folder that exists (the root always does)
        parent = os.path.dirname(parent)
    if not os.access(parent, os.W_OK):
        raise UserError(f"--run_dir '{path}': '{parent}' is not writable")


def apply_logger(args: argparse.Namespace, agent_cfg: Any) -> None:
    """The logger flags into an rsl_rl runner config (as ``isaaclab_rl``'s ``update_rsl_rl_cfg`` does)."""
    if args.logger is not None:
        agent_cfg.logger = args.logger
    if agent_cfg.logger in ("wandb", "neptune") and args.log_project_name:
        agent_cfg.wandb_project = agent_cfg.neptune_project = args.log_project_name


def make_writer(args: argparse.Namespace, log_dir: str, experiment: str) -> Any:
    """The scalar writer of a distillation run: TensorBoard, or rsl_rl's W&B / Neptune writers.

    The W&B / Neptune writers also write the TensorBoard events; the project defaults to the experiment name.
    """
    logger, project = args.logger or "tensorboard", args.log_project_name or experiment
    if logger == "wandb":
        from rsl_rl.utils.wandb_log_writer import WandbLogWriter

        return WandbLogWriter(log_dir, project)
    if logger == "neptune":
        from rsl_rl.utils.neptune_log_writer import NeptuneLogWriter

        return NeptuneLogWriter(log_dir, project)
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(log_dir)


def write_manifest(log_dir: str, library: str, task: str, agent: str) -> None:
    """Isaac Lab's ``run.json`` (version, library, task, creation time, ``{"agent": ...}``), written atomically."""
    from isaaclab_rl.entrypoints.common import write_run_manifest

    write_run_manifest(log_dir, library=library, task=task, metadata={"agent": agent})


def select_checkpoint(
    selector: str,
    log_root: str,
    library: str,
    task: str,
    agent: str | None,
    pattern: str,
    preferred: str | None = None,
) -> str:
    """``latest`` / ``best``: the checkpoint Isaac Lab's selector picks among the manifested runs under ``log_root``.

    ``agent``: the agent config the runs were trained with (None: any); ``preferred``: the pattern of the canonical
    checkpoint that ``best`` picks (else ``best`` is ``latest``: the naturally last file of the newest run).

    Raises:
        UserError: No run with a manifest and a checkpoint for this task and agent config.
    """
    from isaaclab_rl.entrypoints.common import resolve_checkpoint_selector

    found = []
    for root in [log_root, *sorted(glob.glob(os.path.join(log_root, "sweep_*")))]:  # a sweep's jobs are runs too
        try:
            found.append(
                resolve_checkpoint_selector(
                    root,
                    selector,
                    library=library,
                    task=task,
                    checkpoint_pattern=pattern,
                    preferred_checkpoint_pattern=preferred,
                    metadata={"agent": agent} if agent else None,
                )
            )
        except ValueError:
            continue
    if found:  # the newest run by its manifest's creation time, as Isaac Lab's selector orders runs
        return max(found, key=lambda path: _created_at(os.path.dirname(path)))
    of = f"{task} ({agent})" if agent else task
    raise UserError(
        f"--checkpoint {selector}: no run of {of} with a run.json and a checkpoint under '{log_root}':"
        " pass a checkpoint file or a run directory"
    )


def _created_at(run_dir: str) -> datetime:
    """The creation time in a run folder's ``run.json``."""
    with open(os.path.join(run_dir, "run.json")) as f:
        return datetime.fromisoformat(json.load(f)["created_at"])


PLAY_SOURCES = (
    ("distillation", r"(final|best|interrupted)_student\.pt|checkpoint_epoch_\d+\.pt", r"best_student\.pt"),
    ("rsl_rl", r"model_.*\.pt", None),
)
"""What ``play.py --checkpoint latest|best`` looks for, in order: library, checkpoint pattern, ``best``'s pattern."""


def select_play_checkpoint(selector: str, task: str, experiment: str, root: str = "logs") -> str:
    """``play.py --checkpoint latest|best``: from the newest distillation run of ``task``, else the newest PPO run.

    In a distillation run ``latest`` is the final student (the weight average; in an unfinished run its interrupted
    or last periodic checkpoint) and ``best`` the best-evaluated one; in a PPO run both are its last ``model_<it>.pt``
    (as Isaac Lab's rsl_rl play picks it).

    Raises:
        UserError: No manifested run of the task with a checkpoint under either library.
    """
    for library, pattern, preferred in PLAY_SOURCES:
        log_root = os.path.abspath(os.path.join(root, library, experiment))
        try:
            return select_checkpoint(selector, log_root, library, task, None, pattern, preferred)
        except UserError:
            continue
    raise UserError(
        f"--checkpoint {selector}: no distillation or PPO run of {task} with a run.json and a checkpoint under"
        f" {root}/{{distillation,rsl_rl}}/{experiment}: pass a checkpoint file or a run directory"
    )


def apply_ppo_args(args: argparse.Namespace, env_cfg: Any, agent_cfg: Any) -> None:
    """The flags of the PPO scripts (``train.py``, ``finetune.py``) into the resolved configs, before the simulator.

    The env flags, ``--max_iterations``, ``--experiment_name``, the run flags and ``--logger``.

    Raises:
        UserError: A bad value, named with its fix.
    """
    apply_env_args(args, env_cfg, agent_cfg)
    if args.max_iterations is not None:
        if args.max_iterations <= 0:
            raise UserError(f"--max_iterations must be positive, got {args.max_iterations}")
        agent_cfg.max_iterations = args.max_iterations
    if args.experiment_name:
        agent_cfg.experiment_name = args.experiment_name
    check_run_args(args)
    apply_logger(args, agent_cfg)
