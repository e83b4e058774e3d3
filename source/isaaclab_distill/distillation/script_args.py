"""The command-line checks of ``scripts/distillation.py``: flags -> config, teacher files, teacher/variant counts.

Kept out of the script so the script reads as parse -> resolve cfg -> make env -> wrap -> trainer -> learn, and so
that every check that can run before the simulator starts does.
"""

from __future__ import annotations

import glob
import math
import os
import typing
from typing import Any

from ..models import student_class
from ..utils.errors import UserError
from .cfg import DistillationAlgorithmCfg, DistillationCfg, DistillationStorageCfg, MultiTeacherCfg
from .checkpoint import checkpoint_kind
from .manifest import apply_variants, load_teacher_manifest


def expand_teacher_paths(patterns: list[str]) -> list[str]:
    """Expand globs, keep the given order, and check every file is an rsl_rl PPO checkpoint."""
    if not patterns:
        raise UserError(
            "--teacher_checkpoint needs at least one PPO model_*.pt file (or a glob), or --teacher_manifest"
        )
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


def resolve_teachers(args: Any, env_cfg: Any, task: str) -> list[str]:
    """The teacher files of ``--teacher_checkpoint`` or ``--teacher_manifest`` (which also sets the env's vehicles).

    Raises:
        UserError: Neither or both flags, a manifest of another task, or a file that is not a PPO checkpoint.
    """
    manifest_path = getattr(args, "teacher_manifest", None)
    if manifest_path and args.teacher_checkpoint:
        raise UserError("pass --teacher_checkpoint or --teacher_manifest, not both")
    if not manifest_path:
        return expand_teacher_paths(args.teacher_checkpoint or [])
    manifest = load_teacher_manifest(manifest_path)
    if manifest.get("task") != task:
        raise UserError(
            f"'{manifest_path}' holds teachers of {manifest.get('task')}: pass --task {manifest.get('task')}"
        )
    apply_variants(env_cfg, [entry["variant"] for entry in manifest["teachers"]])
    return expand_teacher_paths([entry["checkpoint"] for entry in manifest["teachers"]])


def check_teacher_variants(env_cfg: Any, num_teachers: int) -> None:
    """Several teachers are bound to the task's variant blocks in order: their numbers must agree.

    Teacher ``k`` labels the ``k``-th contiguous block of envs (the trainer's default split); a task with vehicle
    variants (``vehicle_variants()``, e.g. ``Isaac-Quadcopter-Point-Ctrl-MultiVehicle-v0``) gives block ``k``
    variant ``k``.
    """
    variants = len(env_cfg.vehicle_variants()) if hasattr(env_cfg, "vehicle_variants") else 0
    if num_teachers > 1 and variants and num_teachers != variants:
        raise UserError(
            f"the task has {variants} vehicle variants but {num_teachers} teacher checkpoints were given:"
            f" pass one --teacher_checkpoint per variant, in variant order"
        )
    if num_teachers > env_cfg.scene.num_envs:
        raise UserError(f"{num_teachers} teachers need at least as many envs, got --num_envs {env_cfg.scene.num_envs}")


FLAGS = {
    "n_epochs": "n_epochs",
    "experiment_name": "experiment_name",
    "run_name": "run_name",
    "seed": "seed",
    "batch_size": "algorithm.batch_size",
    "sequence_length": "algorithm.sequence_length",
    "learning_rate": "algorithm.learning_rate",
    "epoch_teacher_forcing": "algorithm.epoch_teacher_forcing",
    "shuffle": "algorithm.shuffle",
    "teacher_deterministic": "algorithm.teacher_deterministic",
    "on_policy": "storage.on_policy",
    "student": "student.class_name",
    "student_obs_group": "student_obs_groups",
}
"""``scripts/distillation.py`` flag -> :class:`DistillationCfg` field; ``--num_episodes`` sets ``num_steps_per_env``."""


def get_field(cfg: Any, path: str) -> Any:
    """``cfg.<a>.<b>`` for ``path = "a.b"``."""
    for name in path.split("."):
        cfg = getattr(cfg, name)
    return cfg


def apply_distillation_args(args: Any, cfg: DistillationCfg, num_envs: int, max_episode_steps: int) -> None:
    """Write the CLI flags into the config (the :data:`FLAGS` table) and check their values against each other."""
    for flag, path in FLAGS.items():
        value = getattr(args, flag, None)
        if value is not None:
            *parents, leaf = path.split(".")
            setattr(get_field(cfg, ".".join(parents)) if parents else cfg, leaf, value)
    if args.num_episodes is not None:
        if args.num_episodes <= 0:
            raise UserError(f"--num_episodes must be positive, got {args.num_episodes}")
        # an epoch collects the transitions of num_episodes full episodes, spread over all envs
        cfg.num_steps_per_env = max(1, math.ceil(args.num_episodes * max_episode_steps / num_envs))
    for path in ("n_epochs", "algorithm.batch_size", "algorithm.sequence_length", "num_steps_per_env"):
        if get_field(cfg, path) < 1:
            raise UserError(f"{path.rpartition('.')[2]} must be >= 1, got {get_field(cfg, path)}")
    if not cfg.algorithm.learning_rate > 0:
        raise UserError(f"--learning_rate must be positive, got {cfg.algorithm.learning_rate}")
    sections = {  # every Literal field holds one of its choices (the hints of the engine's classes, not of subclasses)
        "": (cfg, DistillationCfg),
        "algorithm.": (cfg.algorithm, DistillationAlgorithmCfg),
        "storage.": (cfg.storage, DistillationStorageCfg),
        "multi_teacher.": (cfg.multi_teacher, MultiTeacherCfg),
    }
    for prefix, (section, cfg_class) in sections.items():
        for name, hint in typing.get_type_hints(cfg_class).items():
            choices, value = typing.get_args(hint), getattr(section, name)
            if typing.get_origin(hint) is typing.Literal and value not in choices:
                raise UserError(f"agent.{prefix}{name} must be one of {', '.join(choices)}, got '{value}'")
    for path in ("algorithm.num_updates_per_epoch", "eval_min_episodes"):
        if get_field(cfg, path) is not None and get_field(cfg, path) < 1:
            raise UserError(f"agent.{path} must be >= 1, got {get_field(cfg, path)}")
    if not 0.0 < cfg.algorithm.teacher_forcing_share <= 1.0:
        raise UserError(
            f"agent.algorithm.teacher_forcing_share must be in (0, 1], got {cfg.algorithm.teacher_forcing_share}"
        )
    cosine = cfg.algorithm.learning_rate_schedule == "cosine"
    if cosine and not 0.0 <= cfg.algorithm.min_learning_rate <= cfg.algorithm.learning_rate:
        raise UserError(
            f"agent.algorithm.min_learning_rate must be in [0, learning_rate={cfg.algorithm.learning_rate}], got"
            f" {cfg.algorithm.min_learning_rate}: lower it with the learning rate (the end of the cosine schedule)"
        )
    if not cfg.algorithm.latent_loss_coef >= 0.0:
        raise UserError(f"agent.algorithm.latent_loss_coef must be >= 0, got {cfg.algorithm.latent_loss_coef}")
    if not cfg.multi_teacher.group_loss_power >= 0.0:
        raise UserError(f"agent.multi_teacher.group_loss_power must be >= 0, got {cfg.multi_teacher.group_loss_power}")
    if cfg.algorithm.average_last_epochs < 0:
        raise UserError(f"agent.algorithm.average_last_epochs must be >= 0, got {cfg.algorithm.average_last_epochs}")
    student_class(cfg.student.class_name)  # a registered student, before the simulator starts
    warn_teacher_rollout(cfg, num_envs, max_episode_steps)
    # segments available after the first epoch: a minibatch larger than that can never be filled
    alg = cfg.algorithm
    segments = num_envs * math.ceil(cfg.num_steps_per_env / alg.sequence_length)
    if alg.batch_size > segments:
        raise UserError(
            f"--batch_size {alg.batch_size} is larger than the dataset of one epoch ({segments} segments of"
            f" {alg.sequence_length} steps from {num_envs} envs x {cfg.num_steps_per_env} steps): lower it, or"
            " raise --num_episodes / --num_envs"
        )
    if cfg.storage.max_dataset_steps < num_envs * cfg.num_steps_per_env:
        cfg.storage.max_dataset_steps = num_envs * cfg.num_steps_per_env


def warn_teacher_rollout(cfg: DistillationCfg, num_envs: int, max_episode_steps: int) -> None:
    """Say so when teacher forcing on ``teacher_forcing_share`` of the envs cannot give the teacher's return for free.

    Each teacher env needs up to two episode lengths for one whole episode (the one running at the start is cut);
    with too few, the runner measures the teacher by a rollout of up to ``eval_steps`` steps when forcing ends.
    """
    alg = cfg.algorithm
    if (
        alg.teacher_forcing_share >= 1.0
        or cfg.eval_mode != "collection"
        or cfg.multi_teacher.position_offset_correction
    ):
        return
    teacher_envs, steps = (
        math.ceil(alg.teacher_forcing_share * num_envs),
        alg.epoch_teacher_forcing * cfg.num_steps_per_env,
    )
    if teacher_envs < cfg.eval_min_episodes or steps < 2 * max_episode_steps:
        print(
            f"[distill] warning: teacher forcing on {teacher_envs} envs for {steps} steps may give fewer than"
            f" eval_min_episodes={cfg.eval_min_episodes} whole teacher episodes (each takes up to"
            f" {2 * max_episode_steps} steps): the teacher's return may then need a rollout; raise"
            " agent.algorithm.teacher_forcing_share or epoch_teacher_forcing (per rank: more ranks give more episodes)",
            flush=True,
        )
