"""Teacher manifests: which PPO checkpoint was trained on which vehicle variant of a task.

``scripts/train_teachers.py`` writes one (``teachers.json``) after training one teacher per vehicle;
``scripts/distillation.py --teacher_manifest FILE`` reads it: teacher ``k`` labels env block ``k``, and the env's
vehicle variants are set from the manifest (so the student flies exactly the vehicles the teachers flew, whatever
the sampler does later); the foundation evaluation reads the training and held-out manifests. Format (JSON)::

    {"version": 1, "task": "Isaac-Quadcopter-Point-Ctrl-Foundation-v0", "overrides": [...],
     "teachers": [{"checkpoint": ".../vehicle_0/model_149.pt", "variant": {"mass_scale_range": [1.37, 1.37], ...}},
                  ...]}

Checkpoint paths are stored relative to the manifest's directory when they lie below it (a moved folder stays valid).
"""

from __future__ import annotations

import json
import os
from typing import Any

from ..utils.errors import UserError
from ..utils.io import atomic_write_text

MANIFEST_VERSION = 1


def write_teacher_manifest(path: str, task: str, overrides: list[str], teachers: list[dict[str, Any]]) -> str:
    """Write the manifest atomically; ``teachers``: ``{"checkpoint": abs path, "variant": {field: value}}`` each."""
    root = os.path.dirname(os.path.abspath(path))
    entries = []
    for entry in teachers:
        checkpoint = os.path.abspath(entry["checkpoint"])
        relative = os.path.relpath(checkpoint, root)
        entries.append({**entry, "checkpoint": checkpoint if relative.startswith("..") else relative})
    text = {"version": MANIFEST_VERSION, "task": task, "overrides": list(overrides), "teachers": entries}
    return atomic_write_text(path, json.dumps(text, indent=2) + "\n")


def load_teacher_manifest(path: str) -> dict[str, Any]:
    """Read and check a manifest; checkpoint paths come back absolute.

    Raises:
        UserError: Missing or unreadable file, wrong format, or a checkpoint that does not exist.
    """
    if not os.path.isfile(path):
        raise UserError(
            f"--teacher_manifest '{path}' does not exist: pass the teachers.json of scripts/train_teachers.py"
        )
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as err:
        raise UserError(f"--teacher_manifest '{path}' is not readable JSON ({err}): rerun scripts/train_teachers.py")  # noqa: B904
    teachers = manifest.get("teachers") if isinstance(manifest, dict) else None
    if not isinstance(teachers, list) or not teachers or manifest.get("version") != MANIFEST_VERSION:
        raise UserError(f"'{path}' is not a version-{MANIFEST_VERSION} teacher manifest with at least one teacher")
    root = os.path.dirname(os.path.abspath(path))
    for k, entry in enumerate(teachers):
        if not isinstance(entry, dict) or "checkpoint" not in entry or not isinstance(entry.get("variant"), dict):
            raise UserError(f"'{path}': teacher {k} needs a 'checkpoint' and a 'variant' object")
        entry["checkpoint"] = os.path.normpath(os.path.join(root, entry["checkpoint"]))
        if not os.path.isfile(entry["checkpoint"]):
            raise UserError(f"'{path}': teacher {k}'s checkpoint '{entry['checkpoint']}' does not exist")
    return manifest


def apply_variants(env_cfg: Any, variants: list[dict[str, Any]]) -> None:
    """Make the env fly these vehicle variants, block ``k`` of its envs variant ``k`` (``dynamics_variants``).

    Raises:
        UserError: The task has no vehicle variants, or a variant names a field its config lacks.
    """
    if not hasattr(env_cfg, "dynamics_variants") or not hasattr(env_cfg, "dynamics"):
        raise UserError(f"{type(env_cfg).__name__} has no vehicle variants: a teacher manifest needs a task that has")
    variant_cls = type(env_cfg.dynamics)
    built = []
    for variant in variants:
        unknown = sorted(set(variant) - set(variant_cls().to_dict()))
        if unknown:
            raise UserError(f"vehicle variant fields {unknown} are not fields of {variant_cls.__name__}")
        built.append(variant_cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in variant.items()}))
    env_cfg.dynamics_variants = built
    if hasattr(env_cfg, "vehicle_id"):
        env_cfg.vehicle_id = -1  # every listed vehicle, one env block each


__all__ = ["MANIFEST_VERSION", "apply_variants", "load_teacher_manifest", "write_teacher_manifest"]
