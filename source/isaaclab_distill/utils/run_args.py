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
import importlib.util
from typing import Any

from .errors import UserError

LOGGERS = {"tensorboard": "tensorboard", "wandb": "wandb", "neptune": "neptune"}
"""``--logger`` choice -> the Python package it needs."""
SELECTORS = ("latest", "best")
"""``--checkpoint`` selectors: the newest compatible run's last checkpoint (``best``: its canonical one)."""


def add_run_args(parser: argparse.ArgumentParser) -> None:
    """``--logger``, ``--log_project_name``, ``--run_timestamp`` as Isaac Lab's rsl_rl train entry point has them."""
    parser.add_argument(
        "--logger", choices=sorted(LOGGERS), default=None, help="tensorboard (default), wandb, neptune."
    )
    parser.add_argument("--log_project_name", default=None, help="Project of the wandb / neptune logger.")
    parser.add_argument("--run_timestamp", default=None, help="Name of the run folder instead of the current time.")


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
    stamp = args.run_timestamp
    if stamp is not None and (not stamp or "/" in stamp or "\\" in stamp or stamp in (".", "..")):
        raise UserError(f"--run_timestamp '{stamp}' is not a folder name: use e.g. 2026-12-03_10-00-00")


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


def select_checkpoint(selector: str, log_root: str, library: str, task: str, agent: str, pattern: str) -> str:
    """``latest`` / ``best``: the checkpoint Isaac Lab's selector picks among the manifested runs under ``log_root``.

    Raises:
        UserError: No run with a manifest and a checkpoint for this task and agent config.
    """
    from isaaclab_rl.entrypoints.common import resolve_checkpoint_selector

    try:
        return resolve_checkpoint_selector(
            log_root, selector, library=library, task=task, checkpoint_pattern=pattern, metadata={"agent": agent}
        )
    except ValueError:
        raise UserError(
            f"--checkpoint {selector}: no run of {task} ({agent}) with a run.json and a checkpoint under '{log_root}':"
            " pass a checkpoint file or a run directory"
        ) from None
