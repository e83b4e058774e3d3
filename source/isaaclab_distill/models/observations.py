"""What a student reads: observation groups by name, each a tensor with its own per-env shape.

A student's input is a mapping ``group -> tensor`` (the env's TensorDict, or a plain dict when exported), so that a
depth image stays an image ``[N, C, H, W]`` from the env through the storage to the CNN, as in rsl_rl's
``CNNModel``: vector groups are ``[..., D_g]`` and concatenated in the student's group order, image groups are
``[..., C, H, W]``. The student's ``obs_shapes`` (``group -> per-env shape``, in input order) is the contract; it is
stored in checkpoints and checked against the env before anything runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from tensordict import TensorDict

from ..utils.errors import UserError

ObsShapes = dict[str, tuple[int, ...]]
"""``group -> per-env shape``: ``(D,)`` for a vector group, ``(C, H, W)`` for an image group."""

DEFAULT_GROUP = "policy"
"""The group of a student given only a vector width (Isaac Lab's default policy group)."""


def as_obs_shapes(spec: int | Mapping[str, Sequence[int]]) -> ObsShapes:
    """``obs_shapes`` from a width (one vector group, :data:`DEFAULT_GROUP`) or a ``group -> shape`` mapping."""
    if isinstance(spec, int):
        return {DEFAULT_GROUP: (int(spec),)}
    shapes = {str(group): tuple(int(d) for d in shape) for group, shape in spec.items()}
    if not shapes:
        raise ValueError("a student needs at least one observation group")
    return shapes


def obs_shapes_of(obs: Mapping[str, torch.Tensor], groups: Sequence[str]) -> ObsShapes:
    """The per-env shapes of ``groups`` in ``obs`` (``[N, ...]`` tensors; the env axis dropped).

    Raises:
        UserError: A group is not in ``obs`` (the message lists the groups it has).
    """
    missing = [group for group in groups if group not in obs.keys()]
    if missing:
        raise UserError(
            f"observation group(s) {missing} are not in the env's groups {sorted(obs.keys())}:"
            " set agent.student_obs_groups to groups of the task"
        )
    return {group: tuple(obs[group].shape[1:]) for group in groups}


def shape_mismatch(expected: ObsShapes, obs: Mapping[str, torch.Tensor]) -> str | None:
    """None when ``obs`` (``[N, ...]`` tensors) has every expected group with its per-env shape.

    Otherwise a one-line description of the first difference, e.g. ``"'policy' is (13,), the student reads (12,)"``.
    """
    for group, shape in expected.items():
        if group not in obs.keys():
            return f"group '{group}' is missing (there are {sorted(obs.keys())})"
        actual = tuple(obs[group].shape[1:])
        if actual != tuple(shape):
            return f"'{group}' is {actual}, the student reads {tuple(shape)}"
    return None


def vector_groups(shapes: ObsShapes) -> list[str]:
    """The 1-D groups, in order."""
    return [group for group, shape in shapes.items() if len(shape) == 1]


def image_groups(shapes: ObsShapes) -> list[str]:
    """The ``(C, H, W)`` groups, in order."""
    return [group for group, shape in shapes.items() if len(shape) == 3]


def group_view(obs: Mapping[str, torch.Tensor] | torch.Tensor, shapes: ObsShapes) -> Mapping[str, torch.Tensor]:
    """``obs`` as a group mapping; a bare tensor is accepted for a student that reads exactly one group."""
    if torch.is_tensor(obs):
        if len(shapes) != 1:
            raise ValueError(f"this student reads the groups {list(shapes)}: pass a mapping, not one tensor")
        return {next(iter(shapes)): obs}
    return obs


def concat_vectors(obs: Mapping[str, torch.Tensor], groups: Sequence[str]) -> torch.Tensor:
    """The vector groups concatenated along the last axis: ``[..., sum D_g]``."""
    if len(groups) == 1:
        return obs[groups[0]]
    return torch.cat([obs[group] for group in groups], dim=-1)


def select_groups(obs: Mapping[str, torch.Tensor], groups: Sequence[str]) -> TensorDict:
    """A TensorDict ``[N]`` of ``groups`` of ``obs`` (new container, the same tensors)."""
    first = obs[groups[0]]
    return TensorDict({group: obs[group] for group in groups}, batch_size=first.shape[:1], device=first.device)
