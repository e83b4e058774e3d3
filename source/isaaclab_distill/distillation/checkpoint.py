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

import os
import pickle
import random
from typing import Any

import numpy as np
import torch

from ..utils.io import atomic_torch_save
from .errors import CheckpointError
from .students import MLPStudent, build_student

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


def load_checkpoint(path: str, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a student checkpoint with ``weights_only=True`` and check its ``kind``.

    Raises:
        CheckpointError: Missing/unreadable file, non-plain pickled content, or not a student checkpoint (e.g. an
            rsl_rl PPO ``model_*.pt``).
    """
    if not os.path.isfile(path):
        raise CheckpointError(f"Student checkpoint not found: '{path}'.")
    try:
        data = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointError(f"'{path}' holds non-tensor pickled objects; refusing to load it unsafely.") from err
    except Exception as err:
        raise CheckpointError(f"Student checkpoint '{path}' cannot be read: {err}") from err
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
