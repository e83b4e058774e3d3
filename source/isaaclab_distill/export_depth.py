"""Split export of a depth student, as robots run it: ``depth_encoder.pt`` + ``student_actor.pt`` (TorchScript).

The depth camera (10 Hz) and the control loop (50 Hz) run at different rates on a robot, so extreme-parkour ships the
depth encoder and the actor as two networks. With P proprioception columns (the student's vector groups, concatenated
in its order), an image ``[C, H, W]`` and a GRU of H units:

- ``depth_encoder.pt``: ``(depth[B, C, H, W], proprio[B, P], h_in[1, B, H]) -> (feature[B, F], h_out[1, B, H])``:
  CNN, fusion with proprioception, GRU, tanh feature head;
- ``student_actor.pt``: ``(proprio[B, P], feature[B, F]) -> actions[B, A]``: the actor MLP.

The deployment loop (the README's, checked by the tests on recorded simulator inputs)::

    encoder, actor = torch.jit.load("depth_encoder.pt"), torch.jit.load("student_actor.pt")
    hidden = torch.zeros(1, 1, H)  # at every episode start
    for each control step:
        feature, hidden = encoder(depth, proprio, hidden)
        actions = actor(proprio, feature)

The input normaliser, when the student has one, is baked into both files (they take raw proprioception). Each file
carries ``export.json`` (sizes, names) as a TorchScript extra file. ``depth_student_reference.pt`` holds recorded
inputs and the torch student's actions on them: a deployment can replay it to check its own loop.
"""

from __future__ import annotations

import copy
import json
import os
import warnings
from typing import Any

import torch
import torch.nn as nn

from .models import DepthStudent
from .utils.io import atomic_write_path

ENCODER_FILE, ACTOR_FILE, REFERENCE_FILE = "depth_encoder.pt", "student_actor.pt", "depth_student_reference.pt"


class DepthEncoderExport(nn.Module):
    """``(depth, proprio, h_in) -> (feature, h_out)`` of a :class:`DepthStudent` (raw proprioception)."""

    def __init__(self, student: DepthStudent) -> None:
        super().__init__()
        self.normalizer, self.cnn, self.fuse = student.obs_normalizer, student.cnn, student.fuse
        self.rnn, self.feature_head = student.rnn, student.feature_head

    def forward(
        self, depth: torch.Tensor, proprio: torch.Tensor, h_in: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        latent = self.cnn(depth)  # [B, depth_latent]
        fused = self.fuse(torch.cat((latent, self.normalizer(proprio)), dim=-1))  # [B, fuse_dim]
        out, h_out = self.rnn(fused.unsqueeze(0), h_in)  # [1, B, H]
        return self.feature_head(out.squeeze(0)), h_out


class StudentActorExport(nn.Module):
    """``(proprio, feature) -> actions`` of a :class:`DepthStudent` (raw proprioception)."""

    def __init__(self, student: DepthStudent) -> None:
        super().__init__()
        self.normalizer, self.mlp = student.obs_normalizer, student.mlp

    def forward(self, proprio: torch.Tensor, feature: torch.Tensor) -> torch.Tensor:
        return self.mlp(torch.cat((self.normalizer(proprio), feature), dim=-1))


class InputRecorder:
    """Records a student's inputs during a rollout (``before_step`` of :func:`~.distillation.rollout.rollout`).

    Keeps the first ``steps`` steps of the first ``envs`` envs: every observation group the student reads, and
    ``starts`` (the episode starts at this step: its length so far is 0). :meth:`tensors` gives them ``[T, B, ...]``.
    """

    def __init__(self, student: DepthStudent, steps: int = 50, envs: int = 4) -> None:
        self.groups, self.steps, self.envs = list(student.obs_shapes), steps, envs
        self.data: dict[str, list[torch.Tensor]] = {name: [] for name in [*self.groups, "starts"]}

    def __call__(self, obs: Any, counted: torch.Tensor, lengths: torch.Tensor) -> None:
        if len(self.data["starts"]) < self.steps:
            for group in self.groups:
                self.data[group].append(obs[group][: self.envs].detach().cpu().clone())
            self.data["starts"].append((lengths[: self.envs] == 0).cpu())

    def tensors(self) -> dict[str, torch.Tensor] | None:
        """``{group: [T, B, ...], "starts": [T, B]}``; None before the first step."""
        return {k: torch.stack(v) for k, v in self.data.items()} if self.data["starts"] else None


def deploy_loop(
    encoder: Any, actor: Any, depth: torch.Tensor, proprio: torch.Tensor, starts: torch.Tensor, hidden_dim: int
) -> torch.Tensor:
    """The deployment loop over recorded steps: ``depth[T, B, C, H, W], proprio[T, B, P]`` -> ``actions[T, B, A]``.

    ``starts[T, B]``: an episode starts at this step (its hidden state is zeroed first).
    """
    hidden = torch.zeros(1, depth.shape[1], hidden_dim)
    actions = []
    for t in range(depth.shape[0]):
        hidden = hidden * (~starts[t]).view(1, -1, 1).to(hidden)
        feature, hidden = encoder(depth[t], proprio[t], hidden)
        actions.append(actor(proprio[t], feature))
    return torch.stack(actions)


def export_depth_student(
    student: DepthStudent, out_dir: str, recorded: dict[str, torch.Tensor] | None = None
) -> dict[str, Any]:
    """Write ``depth_encoder.pt``, ``student_actor.pt`` and ``depth_student_reference.pt`` (the checked inputs).

    Args:
        student: The student (not modified: a CPU copy in eval mode is exported).
        out_dir: Target directory (created); each file is written under a temporary name and moved into place.
        recorded: ``{group: [T, B, ...]}`` of the student's groups and ``"starts"`` ``[T, B]`` (episode starts), e.g.
            an :class:`InputRecorder`'s :meth:`~InputRecorder.tensors`; default: random inputs.

    Returns:
        The file paths, the sizes (``proprio_dim``, ``feature_dim``, ``hidden_dim``, ``image_shape``) and
        ``max_abs_error``: the largest deviation of the exported loop from the torch student on the inputs.

    Raises:
        RuntimeError: The exported loop does not reproduce the student within 1e-5.
    """
    student = copy.deepcopy(student).cpu().eval()
    recorded = recorded or _random_inputs(student)
    depth = recorded[student.depth_group].float()  # [T, B, C, H, W]
    proprio = student.vector_input({g: recorded[g].float() for g in student.vector_groups})  # [T, B, P]
    starts = recorded["starts"].bool()  # [T, B]
    with torch.no_grad():
        obs = {g: recorded[g].float() for g in student.obs_shapes}
        dones = torch.zeros_like(starts)
        dones[:-1] = starts[1:]  # the episode ended after step t when the next one starts at t + 1
        expected = student.forward_sequence(obs, None, dones)  # [T, B, A]
        # traced at a batch of 3 (the recorded batch differs: a batch-size specialisation would show in the check)
        p, f, b = proprio.shape[-1], student.feature_dim, 3
        example = (torch.rand(b, *student.image_shape), torch.randn(b, p), student.initial_hidden(b))
        with warnings.catch_warnings():  # the GRU's shape checks become constants: the check below covers them
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            encoder = torch.jit.trace(DepthEncoderExport(student), example)
            actor = torch.jit.trace(StudentActorExport(student), (torch.randn(b, p), torch.rand(b, f)))
        got = deploy_loop(encoder, actor, depth, proprio, starts, student.rnn_hidden_dim)
        error = float((got - expected).abs().max())
    if not error <= 1e-5:
        raise RuntimeError(f"the exported depth encoder + actor deviate from the student by {error:.2e} (> 1e-5)")
    info = {
        "proprio_dim": int(proprio.shape[-1]),
        "proprio_groups": list(student.vector_groups),
        "feature_dim": int(student.feature_dim),
        "hidden_dim": int(student.rnn_hidden_dim),
        "image_shape": list(student.image_shape),
        "action_dim": int(student.action_dim),
    }
    os.makedirs(out_dir, exist_ok=True)
    paths = {name: os.path.join(out_dir, f) for name, f in (("encoder", ENCODER_FILE), ("actor", ACTOR_FILE))}
    extra = {"export.json": json.dumps(info)}
    for name, module in (("encoder", encoder), ("actor", actor)):
        atomic_write_path(paths[name], lambda tmp, m=module: torch.jit.save(m, tmp, _extra_files=extra))
    reference = {"depth": depth, "proprio": proprio, "starts": starts, "actions": expected}
    paths["reference"] = os.path.join(out_dir, REFERENCE_FILE)
    atomic_write_path(paths["reference"], lambda tmp: torch.save(reference, tmp))
    return {**paths, **info, "max_abs_error": error}


def _random_inputs(student: DepthStudent, steps: int = 8, batch: int = 2) -> dict[str, torch.Tensor]:
    """Inputs of ``steps`` steps of ``batch`` envs, an episode start at step 0 and midway in env 0."""
    gen = torch.Generator().manual_seed(0)
    inputs = {g: torch.randn(steps, batch, *shape, generator=gen) for g, shape in student.obs_shapes.items()}
    inputs[student.depth_group] = torch.rand(steps, batch, *student.image_shape, generator=gen)
    starts = torch.zeros(steps, batch, dtype=torch.bool)
    starts[0], starts[steps // 2, 0] = True, True
    return {**inputs, "starts": starts}
