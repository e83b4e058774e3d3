"""The command-line checks of ``scripts/distillation.py``: flags -> config, teacher files, teacher/variant counts.

Kept out of the script so the script reads as parse -> resolve cfg -> make env -> wrap -> trainer -> learn, and so
that every check that can run before the simulator starts does.
"""

from __future__ import annotations

import glob
import math
import os
from typing import Any

from ..models import build_student, student_class_names
from ..utils.errors import UserError
from .cfg import DistillationCfg
from .checkpoint import checkpoint_kind


def expand_teacher_paths(patterns: list[str]) -> list[str]:
    """Expand globs, keep the given order, and check every file is an rsl_rl PPO checkpoint."""
    if not patterns:
        raise UserError("--teacher_checkpoint needs at least one PPO model_*.pt file (or a glob)")
    paths: list[str] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matches:
            raise UserError(f"--teacher_checkpoint '{pattern}' matches no file")
        paths.extend(matches)
    for path in paths:
        if checkpoint_kind(path) == "student":
            raise UserError(f"'{path}' is a distilled student checkpoint, not a PPO teacher: pass a model_*.pt")
    return [os.path.abspath(p) for p in paths]


def check_teacher_variants(env_cfg: Any, num_teachers: int) -> None:
    """Several teachers are bound to the task's variant blocks in order: their numbers must agree.

    Teacher ``k`` labels the ``k``-th contiguous block of envs (the trainer's default split); a task with
    ``dynamics_variants`` gives block ``k`` variant ``k`` (e.g. ``Isaac-Quadcopter-Point-Ctrl-MultiVehicle-v0``).
    """
    variants = len(getattr(env_cfg, "dynamics_variants", None) or [])
    if num_teachers > 1 and variants and num_teachers != variants:
        raise UserError(
            f"the task has {variants} vehicle variants but {num_teachers} teacher checkpoints were given:"
            f" pass one --teacher_checkpoint per variant, in variant order"
        )
    if num_teachers > env_cfg.scene.num_envs:
        raise UserError(f"{num_teachers} teachers need at least as many envs, got --num_envs {env_cfg.scene.num_envs}")


def apply_distillation_args(args: Any, cfg: DistillationCfg, num_envs: int, max_episode_steps: int) -> None:
    """Write the CLI flags into the config and check their values against each other."""
    for name in (
        "n_epochs",
        "batch_size",
        "sequence_length",
        "learning_rate",
        "epoch_teacher_forcing",
        "shuffle",
        "on_policy",
        "teacher_deterministic",
        "experiment_name",
        "run_name",
        "seed",
    ):
        value = getattr(args, name, None)
        if value is not None:
            setattr(cfg, name, value)
    if args.student is not None:
        cfg.student.class_name = args.student
    if args.num_episodes is not None:
        if args.num_episodes <= 0:
            raise UserError(f"--num_episodes must be positive, got {args.num_episodes}")
        # an epoch collects the transitions of num_episodes full episodes, spread over all envs
        cfg.num_steps_per_env = max(1, math.ceil(args.num_episodes * max_episode_steps / num_envs))
    for name in ("n_epochs", "batch_size", "sequence_length", "num_steps_per_env"):
        if getattr(cfg, name) < 1:
            raise UserError(f"{name} must be >= 1, got {getattr(cfg, name)}")
    if not cfg.learning_rate > 0:
        raise UserError(f"--learning_rate must be positive, got {cfg.learning_rate}")
    if cfg.student.class_name not in student_class_names():
        build_student(cfg.student, 0, 0)  # raises the registry's error naming every registered student
    # segments available after the first epoch: a minibatch larger than that can never be filled
    segments = num_envs * math.ceil(cfg.num_steps_per_env / cfg.sequence_length)
    if cfg.batch_size > segments:
        raise UserError(
            f"--batch_size {cfg.batch_size} is larger than the dataset of one epoch ({segments} segments of"
            f" {cfg.sequence_length} steps from {num_envs} envs x {cfg.num_steps_per_env} steps): lower it, or"
            " raise --num_episodes / --num_envs"
        )
    if cfg.max_dataset_steps < num_envs * cfg.num_steps_per_env:
        cfg.max_dataset_steps = num_envs * cfg.num_steps_per_env
