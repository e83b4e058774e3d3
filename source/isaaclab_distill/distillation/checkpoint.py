"""Student checkpoints: atomic writes, ``weights_only`` reads, plain-data contents.

A checkpoint is a dict of tensors and plain Python values only, so ``torch.load(weights_only=True)`` reads it:

============================  ==========================================================================
``kind``                      ``"student"`` (a PPO/teacher checkpoint has no such key: mix-ups are caught)
``format_version``            :data:`FORMAT_VERSION`
``epoch``                     completed epochs (training resumes at this epoch index)
``model_state_dict``          student ``state_dict()``
``optimizer_state_dict``      optimizer ``state_dict()`` (``None`` in export-only files)
``best_return``               best student evaluation mean return so far (``-inf`` before the first)
``student_cfg``               ``student.config``: StudentCfg fields + ``obs_dim`` + ``action_dim`` (rebuilds it)
``distillation_cfg``          ``DistillationCfg.to_dict()`` (informational)
``rng_state``                 dict of tensors: torch CPU, CUDA (per device), numpy, python ``random``, trainer
``trainer_state``             dict of tensors/numbers (teacher return, offsets, per-teacher returns, ...)
============================  ==========================================================================

Writes go to a temporary file in the target directory, are fsynced, and replace the target with ``os.replace``
(atomic on POSIX): a crash mid-write leaves the previous file intact.
"""

from __future__ import annotations

import math
import os
import pickle
import random
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ..utils.errors import first_line
from ..utils.io import atomic_torch_save
from .errors import CheckpointError
from .students import MLPStudent, build_student

if TYPE_CHECKING:
    from .trainer import DistillationTrainer

CHECKPOINT_KIND = "student"
FORMAT_VERSION = 1


def capture_rng_state(generators: dict[str, torch.Generator] | None = None) -> dict[str, Any]:
    """RNG states as tensors/plain values (torch, CUDA, numpy, python ``random`` and named generators)."""
    np_state = np.random.get_state()
    py_state = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "keys": torch.from_numpy(np.asarray(np_state[1], dtype=np.int64)),
            "pos": int(np_state[2]),
            "has_gauss": int(np_state[3]),
            "cached_gaussian": float(np_state[4]),
        },
        "python": {
            "version": py_state[0],
            "state": torch.tensor(py_state[1], dtype=torch.int64),
            "gauss": py_state[2],
        },
        "generators": {name: g.get_state() for name, g in (generators or {}).items()},
    }
    if torch.cuda.is_available():
        state["cuda"] = [s for s in torch.cuda.get_rng_state_all()]
    return state


def restore_rng_state(state: dict[str, Any], generators: dict[str, torch.Generator] | None = None) -> None:
    """Inverse of :func:`capture_rng_state`."""
    torch.set_rng_state(state["torch"].cpu())
    np_s = state["numpy"]
    keys = np_s["keys"].cpu().numpy().astype(np.uint32)
    np.random.set_state(("MT19937", keys, np_s["pos"], np_s["has_gauss"], np_s["cached_gaussian"]))
    py = state["python"]
    random.setstate((py["version"], tuple(int(x) for x in py["state"].tolist()), py["gauss"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]][: torch.cuda.device_count()])
    for name, g in (generators or {}).items():
        if name in state.get("generators", {}):
            g.set_state(state["generators"][name].cpu())


def make_checkpoint(
    student: MLPStudent,
    optimizer: torch.optim.Optimizer | None,
    epoch: int,
    best_return: float,
    distillation_cfg: dict[str, Any] | None = None,
    rng_state: dict[str, Any] | None = None,
    trainer_state: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble the checkpoint dict (see module docstring)."""
    return {
        "kind": CHECKPOINT_KIND,
        "format_version": FORMAT_VERSION,
        "epoch": int(epoch),
        "model_state_dict": student.state_dict(),
        "optimizer_state_dict": None if optimizer is None else optimizer.state_dict(),
        "best_return": float(best_return),
        "student_cfg": dict(student.config),
        "distillation_cfg": distillation_cfg or {},
        "rng_state": rng_state or {},
        "trainer_state": trainer_state or {},
    }


def save_checkpoint(path: str, **kwargs: Any) -> str:
    """:func:`make_checkpoint` (same keyword arguments) + an atomic write; returns ``path``."""
    return atomic_torch_save(make_checkpoint(**kwargs), path)


def read_checkpoint(path: str, map_location: str | torch.device = "cpu") -> Any:
    """``torch.load(path, weights_only=True)`` with one-line errors that tell the failure cases apart.

    Raises:
        CheckpointError: Missing file, not a torch file, or pickled objects that the safe loader refuses.
    """
    if not os.path.isfile(path):
        raise CheckpointError(f"checkpoint '{path}' does not exist: pass a .pt file")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        if "Unsupported global" in str(err):
            raise CheckpointError(
                f"checkpoint '{path}' holds pickled objects that a safe load refuses: pass a student or rsl_rl PPO .pt"
            ) from None
        raise CheckpointError(f"checkpoint '{path}' cannot be read (not a torch file): pass a .pt checkpoint") from None
    except Exception as err:  # truncated zip, wrong format, ...
        reason = first_line(err).split(". ")[0]
        raise CheckpointError(f"checkpoint '{path}' cannot be read ({reason}): pass a .pt checkpoint") from None


def checkpoint_kind(path: str) -> str:
    """``"student"`` (a distillation checkpoint) or ``"teacher"`` (an rsl_rl PPO ``model_*.pt``); no simulator needed.

    Raises:
        CheckpointError: Unreadable, or neither kind.
    """
    data = read_checkpoint(path)
    if isinstance(data, dict) and data.get("kind") == CHECKPOINT_KIND:
        return "student"
    if isinstance(data, dict) and "actor_state_dict" in data:
        return "teacher"
    keys = sorted(map(str, data))[:6] if isinstance(data, dict) else type(data).__name__
    raise CheckpointError(f"'{path}' is neither a student nor an rsl_rl PPO checkpoint (found {keys})")


def load_checkpoint(path: str, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a student checkpoint with ``weights_only=True`` and check its ``kind``.

    Raises:
        CheckpointError: Missing/unreadable file, non-plain pickled content, or not a student checkpoint (e.g. an
            rsl_rl PPO ``model_*.pt``).
    """
    data = read_checkpoint(path, map_location)
    if not isinstance(data, dict) or data.get("kind") != CHECKPOINT_KIND:
        hint = (
            " It looks like an rsl_rl PPO (teacher) checkpoint."
            if isinstance(data, dict) and ("actor_state_dict" in data)
            else ""
        )
        found = data.get("kind") if isinstance(data, dict) else type(data).__name__
        raise CheckpointError(f"'{path}' is not a student checkpoint (kind={found!r}).{hint}")
    return data


def load_student(path: str, device: str | torch.device = "cpu") -> tuple[MLPStudent, dict[str, Any]]:
    """Rebuild the student network of a checkpoint and load its weights (for play/export scripts)."""
    data = load_checkpoint(path, map_location=device)
    cfg = data["student_cfg"]
    student = build_student(cfg, cfg["obs_dim"], cfg["action_dim"]).to(device)
    student.load_state_dict(data["model_state_dict"])
    return student, data


def save_trainer_checkpoint(trainer: DistillationTrainer, path: str) -> str:
    """Atomically write the learner state of a :class:`~.trainer.DistillationTrainer` to ``path``.

    Always: student, optimizer, epoch, best return, RNG states, teacher evaluation results. With
    ``cfg.checkpoint_dataset`` also the dataset and the env-stream state (student hidden state of the running
    episodes, their running return/length), i.e. everything the trainer holds: given the same env state, a resumed
    run then continues bit for bit like an uninterrupted one.
    """
    state: dict[str, Any] = {
        "teacher_return": float(trainer.teacher_return),
        "student_group_returns": trainer.student_group_returns.clone(),
        "position_offsets": trainer.position_offsets.detach().cpu().clone(),
        "env_teacher_ids": trainer.env_teacher_ids.cpu().clone(),
    }
    if trainer.cfg.checkpoint_dataset:
        state["dataset"] = trainer.dataset.state_dict()
        state["stream"] = {
            "hidden": trainer._h,
            "episode_return": trainer._ep_return,
            "episode_length": trainer._ep_len,
            "phases_randomized": trainer._phases_randomized,
        }
    return save_checkpoint(
        path,
        student=trainer.student,
        optimizer=trainer.optimizer,
        epoch=trainer.epoch,
        best_return=trainer.best_return,
        distillation_cfg=trainer.cfg.to_dict(),
        rng_state=capture_rng_state(trainer.generators),
        trainer_state=state,
    )


def resume_trainer(trainer: DistillationTrainer, path: str, restore_env_stream: bool = False) -> None:
    """Restore what :func:`save_trainer_checkpoint` wrote into ``trainer`` (built with the same student config).

    Args:
        trainer: The trainer to restore into.
        path: Student checkpoint.
        restore_env_stream: Also restore the hidden state and running statistics of the episodes that were running
            when the checkpoint was written. Only right when the env continues from that very state; a restarted
            simulator begins new episodes, so the scripts leave this off.

    Raises:
        CheckpointError: Unreadable file, wrong kind, or a student/dataset that does not match the trainer's.
    """
    data = load_checkpoint(path, map_location=trainer.device)
    if dict(data["student_cfg"]) != trainer.student.config:
        raise CheckpointError(
            f"Checkpoint '{path}' student {data['student_cfg']} does not match the current student"
            f" {trainer.student.config}."
        )
    state = data["trainer_state"]
    try:
        trainer.student.load_state_dict(data["model_state_dict"])
        if data["optimizer_state_dict"] is not None:
            trainer.optimizer.load_state_dict(data["optimizer_state_dict"])
        if "dataset" in state:
            trainer.dataset.load_state_dict(state["dataset"])
    except (RuntimeError, ValueError, KeyError) as err:
        raise CheckpointError(f"Cannot restore '{path}': {err}") from err
    trainer.epoch, trainer.best_return = int(data["epoch"]), float(data["best_return"])
    restore_rng_state(data["rng_state"], trainer.generators)
    trainer.teacher_return = float(state.get("teacher_return", math.nan))
    trainer.student_group_returns = state.get("student_group_returns", trainer.student_group_returns).cpu()
    if "position_offsets" in state:
        trainer.position_offsets = state["position_offsets"].to(trainer.device)
    if restore_env_stream and "stream" in state:
        stream = state["stream"]
        trainer._h, trainer._phases_randomized = stream["hidden"], bool(stream["phases_randomized"])
        trainer._ep_return, trainer._ep_len = stream["episode_return"], stream["episode_length"]
