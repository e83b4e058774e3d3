"""The checkpoint file format: atomic writes, ONE safe reader (``weights_only``), ONE kind check.

Two kinds of file pass through this project: student checkpoints (written here) and rsl_rl PPO teacher checkpoints
(``OnPolicyRunner.save``: ``actor_state_dict``, ``critic_state_dict``, ...). Both are read by :func:`read_checkpoint`
and told apart by :func:`checkpoint_kind`. What goes into ``trainer_state`` is the runner's business
(:meth:`.runner.DistillationRunner.save_checkpoint`); this module knows no trainer.

A checkpoint is a dict of tensors and plain Python values only, so ``torch.load(weights_only=True)`` reads it:

============================  ==========================================================================
``kind``                      ``"student"`` (a PPO/teacher checkpoint has no such key: mix-ups are caught)
``format_version``            :data:`FORMAT_VERSION`
``epoch``                     completed epochs (training resumes at this epoch index)
``model_state_dict``          student ``state_dict()``
``optimizer_state_dict``      optimizer ``state_dict()`` (``None`` in export-only files)
``best_return``               best student evaluation mean return so far (``-inf`` before the first)
``student_cfg``               ``student.config``: StudentCfg fields + ``obs_shapes`` + ``action_dim`` (rebuilds it)
``distillation_cfg``          ``DistillationCfg.to_dict()`` (informational)
``rng_state``                 dict of tensors: torch CPU, CUDA (per device), numpy, python ``random``, trainer
``trainer_state``             dict of tensors/numbers (teacher return, offsets, per-teacher returns, ...)
``trainer_state.dataset``     with ``checkpoint_dataset``: the storage and ``trainer_state.stream`` (running episodes)
============================  ==========================================================================

Writes go to a temporary file in the target directory, are fsynced, and replace the target with ``os.replace``
(atomic on POSIX): a crash mid-write leaves the previous file intact.
"""

from __future__ import annotations

import os
import pickle
import random
from typing import Any

import numpy as np
import torch

from ..models import MLPStudent, build_student
from ..models.observations import DEFAULT_GROUP
from ..utils.errors import first_line
from ..utils.io import atomic_torch_save
from .errors import CheckpointError

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


def read_checkpoint(path: str, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """``torch.load(path, weights_only=True)`` with one-line errors that tell the failure cases apart.

    Nothing pickled is ever loaded: a file with objects other than tensors and plain types is refused, not retried.

    Raises:
        CheckpointError: Missing file, not a torch file, pickled objects that the safe loader refuses, not a dict.
    """
    if not os.path.isfile(path):
        raise CheckpointError(f"checkpoint '{path}' does not exist: pass a .pt file")
    try:
        data = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        if "Unsupported global" in str(err):
            raise CheckpointError(
                f"checkpoint '{path}' holds pickled objects that a safe load (torch.load weights_only=True) refuses"
                f" ({first_line(err).split('. ')[0]}): re-save it with tensors and plain types only"
            ) from None
        raise CheckpointError(f"checkpoint '{path}' cannot be read (not a torch file): pass a .pt checkpoint") from None
    except Exception as err:  # truncated zip, wrong format, ...
        reason = first_line(err).split(". ")[0]
        raise CheckpointError(f"checkpoint '{path}' cannot be read ({reason}): pass a .pt checkpoint") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"checkpoint '{path}' holds a {type(data).__name__}, expected a dict")
    return data


def kind_of(data: dict[str, Any], path: str) -> str:
    """``"student"`` (a distillation checkpoint) or ``"teacher"`` (an rsl_rl PPO ``model_*.pt``) of a read file.

    Raises:
        CheckpointError: Neither kind.
    """
    if data.get("kind") == CHECKPOINT_KIND:
        return "student"
    if "actor_state_dict" in data:
        return "teacher"
    raise CheckpointError(
        f"'{path}' is neither a student nor an rsl_rl PPO checkpoint (found {sorted(map(str, data))[:6]})"
    )


def checkpoint_kind(path: str) -> str:
    """:func:`kind_of` the file at ``path``; no simulator needed, so scripts check their inputs before it starts."""
    return kind_of(read_checkpoint(path), path)


_WRONG_KIND = {
    "student": "is not a student checkpoint: it looks like an rsl_rl PPO (teacher) checkpoint",
    "teacher": "is not an rsl_rl PPO checkpoint: it is a distilled student; pass a model_*.pt",
}


def load_checkpoint(path: str, map_location: str | torch.device = "cpu", kind: str = "student") -> dict[str, Any]:
    """Read a checkpoint safely and check that it is of ``kind`` (``"student"`` or ``"teacher"``).

    Raises:
        CheckpointError: Missing/unreadable file, non-plain pickled content, or another kind of checkpoint.
    """
    data = read_checkpoint(path, map_location)
    found = kind_of(data, path)
    if found != kind:
        raise CheckpointError(f"'{path}' {_WRONG_KIND[kind]}")
    return data


def load_student_network(path: str, device: str | torch.device = "cpu") -> tuple[MLPStudent, dict[str, Any]]:
    """Rebuild the student network of a checkpoint, load its weights, eval mode; returns ``(student, data)``."""
    data = load_checkpoint(path, map_location=device)
    cfg = data["student_cfg"]
    # a checkpoint from before observation groups (one flat vector): the group its run read
    old_group = (data.get("distillation_cfg") or {}).get("student_obs_group", DEFAULT_GROUP)
    shapes = cfg.get("obs_shapes") or {old_group: [cfg["obs_dim"]]}
    student = build_student(cfg, shapes, cfg["action_dim"]).to(device)
    student.load_state_dict(data["model_state_dict"])
    return student.eval(), data
