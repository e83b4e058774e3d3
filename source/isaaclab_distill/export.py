"""Export a student or an rsl_rl PPO actor to ONNX (``policy.onnx``) and TorchScript (``policy.pt``).

Both files compute the deterministic action of one control step, with the observation normaliser baked in:

- feed-forward policies: ``obs[B, D] -> actions[B, A]``;
- recurrent policies: ``obs[B, D], h_in[K, B, H] -> actions[B, A], h_out[K, B, H]``. The hidden state is explicit
  (the caller feeds ``h_out`` back as the next ``h_in`` and zeroes it at an episode start); it is the students' one
  tensor layout, ``K = num_layers`` for a GRU and ``K = 2 * num_layers`` for an LSTM (``h`` stacked on ``c``).
- a student that reads several observation groups takes one input per group, named after it and in its order
  (e.g. the depth student: ``policy[B, 50], depth[B, 1, H, W], h_in``); a one-group policy's input is ``obs``.

The batch axis is dynamic in both files. Output names are ``actions`` (and ``h_out``). A JSON description (inputs
with their per-env shapes, ``obs_shapes``; hidden shape) is stored in the ONNX ``metadata_props`` and as the
TorchScript extra file ``policy.json``.

Teachers reuse rsl_rl's own export modules (``MLPModel.as_onnx()`` / ``as_jit()``, ``RNNModel.as_onnx()``), which copy
the normaliser, the MLP and the distribution's deterministic output. rsl_rl's recurrent TorchScript export keeps a
batch-1 hidden state inside the module; here a recurrent teacher is exported with the explicit hidden-state interface
above instead (its ``as_onnx()`` module, ``h``/``c`` packed into one tensor). isaaclab_rl's ``export_policy_as_onnx``
targets the pre-5 ``ActorCritic`` (``policy.actor``) and does not apply to rsl_rl 5 models.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn as nn

from .utils.errors import first_line
from .utils.io import atomic_write_path

ONNX_FILE = "policy.onnx"
JIT_FILE = "policy.pt"
OPSET = 18
_BATCH = 2  # example batch used for tracing; a batch of 1 invites size specialisation


class _StudentExport(nn.Module):
    """``*obs[, h_in] -> actions[, h_out]`` view of a student: one positional tensor per observation group."""

    def __init__(self, student: nn.Module) -> None:
        super().__init__()
        self.student, self.groups = student, list(student.obs_shapes)

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        obs = dict(zip(self.groups, inputs))
        if not self.student.is_recurrent:
            return self.student(obs, None)[0]
        return self.student(obs, inputs[len(self.groups)])


class _PackedHiddenExport(nn.Module):
    """rsl_rl's recurrent ONNX module with the hidden state packed into one ``[K, B, H]`` tensor (LSTM: ``h | c``)."""

    def __init__(self, inner: nn.Module, lstm: bool, num_layers: int) -> None:
        super().__init__()
        self.inner, self.lstm, self.num_layers = inner, lstm, num_layers

    def forward(self, obs: torch.Tensor, h_in: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.lstm:
            actions, h, c = self.inner(obs, h_in[: self.num_layers], h_in[self.num_layers :])
            return actions, torch.cat((h, c), dim=0)
        actions, h, _ = self.inner(obs, h_in)
        return actions, h


def is_rsl_rl_model(policy: nn.Module) -> bool:
    """True for rsl_rl ``MLPModel``/``RNNModel`` actors (they provide ``as_onnx``)."""
    return hasattr(policy, "as_onnx") and hasattr(policy, "obs_groups")


def export_description(policy: nn.Module) -> dict[str, Any]:
    """Sizes and tensor names of the exported graph of ``policy`` (a student, an rsl_rl actor or a ``Teacher``)."""
    policy = getattr(policy, "model", policy)
    recurrent = bool(getattr(policy, "is_recurrent", False))
    if is_rsl_rl_model(policy):
        obs_dim, kind = int(policy.obs_dim), type(policy).__name__
        action_dim = int(policy.mlp[-1].out_features)
        if policy.distribution is not None:
            action_dim = int(policy.distribution.output_dim)
        hidden = None
        if recurrent:
            rnn = policy.rnn.rnn
            hidden = [rnn.num_layers * (2 if isinstance(rnn, nn.LSTM) else 1), rnn.hidden_size]
        extra, shapes = {"obs_groups": list(policy.obs_groups)}, {"obs": (obs_dim,)}
    else:
        obs_dim, action_dim, kind = int(policy.obs_dim), int(policy.action_dim), str(policy.config["class_name"])
        hidden = list(policy.hidden_shape) if recurrent else None
        extra, shapes = {}, dict(policy.obs_shapes)
    names = ["obs"] if len(shapes) == 1 else list(shapes)
    return {
        "policy": kind,
        "obs_dim": obs_dim,
        "obs_shapes": {name: list(shape) for name, shape in zip(names, shapes.values())},
        "action_dim": action_dim,
        "recurrent": recurrent,
        "hidden_shape": hidden,
        "inputs": names + ["h_in"] if recurrent else names,
        "outputs": ["actions", "h_out"] if recurrent else ["actions"],
        "normalizer": "baked in",
        **extra,
    }


def export_module(policy: nn.Module) -> tuple[nn.Module, nn.Module | None]:
    """CPU, eval-mode export modules ``(for ONNX/tracing, scriptable module or None)`` of ``policy``.

    The second module is rsl_rl's ``as_jit()`` for a feed-forward teacher (scripted as rsl_rl does); None means the
    first module is traced for TorchScript as well.
    """
    policy = getattr(policy, "model", policy)  # a Teacher wrapper
    if is_rsl_rl_model(policy):
        model = copy.deepcopy(policy).cpu().eval()
        onnx_module = model.as_onnx(verbose=False)
        if not model.is_recurrent:
            return onnx_module.eval(), model.as_jit().eval()
        rnn = model.rnn.rnn
        packed = _PackedHiddenExport(onnx_module, isinstance(rnn, nn.LSTM), rnn.num_layers)
        return packed.eval(), None
    return _StudentExport(copy.deepcopy(policy).cpu().eval()).eval(), None


def example_inputs(description: dict[str, Any], batch: int = _BATCH, seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Random inputs of the exported graph (the obs inputs, then ``h_in``) for a batch of ``batch``.

    Observations are uniform in [0, 1), valid for depth images too. A private generator is used, so exporting does
    not advance the global torch RNG.
    """
    gen = torch.Generator().manual_seed(seed)
    obs = tuple(torch.rand(batch, *shape, generator=gen) for shape in description["obs_shapes"].values())
    if not description["recurrent"]:
        return obs
    k, h = description["hidden_shape"]
    return (*obs, 0.5 * torch.randn(k, batch, h, generator=gen))


def export_policy(policy: nn.Module, out_dir: str, verify: bool = True) -> dict[str, Any]:
    """Write ``<out_dir>/policy.onnx`` and ``<out_dir>/policy.pt`` for a student, an rsl_rl actor or a ``Teacher``.

    Args:
        policy: ``MLPStudent``/``RecurrentStudent``/``DepthStudent``, an rsl_rl ``MLPModel``/``RNNModel`` actor, or a
            :class:`~isaaclab_distill.distillation.Teacher`. It is not modified (a CPU copy is exported).
        out_dir: Target directory (created). Each file is written to a temporary name, checked, and only then moved
            into place, so an existing export is never replaced by a broken one.
        verify: Before moving a file into place, run it for 3 steps at a batch size other than the traced one
            (hidden state fed back) and compare it with the torch model.

    Returns:
        :func:`export_description` plus the file paths (``onnx``, ``jit``), the ONNX ``exporter`` used (``legacy``
        or ``dynamo``) and, with ``verify``, the largest absolute deviation of each file (``max_abs_error``).

    Raises:
        RuntimeError: The TorchScript file, or both ONNX exporters' graphs, do not match the torch model.
    """
    description = export_description(policy)
    module, scriptable = export_module(policy)
    os.makedirs(out_dir, exist_ok=True)
    onnx_path, jit_path = os.path.join(out_dir, ONNX_FILE), os.path.join(out_dir, JIT_FILE)
    args = example_inputs(description)
    meta = json.dumps(description)
    errors: dict[str, float] = {}

    def checked(name: str, load: Callable[[str], Callable[..., Any]]) -> Callable[[str], None] | None:
        def check(tmp: str) -> None:
            errors[name] = _max_deviation(module, load(tmp), description)

        return check if verify else None

    with torch.no_grad():
        # TorchScript: rsl_rl's scriptable module where there is one, else a trace (fixed graph, no control flow)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            jit = torch.jit.script(scriptable) if scriptable is not None else torch.jit.trace(module, args)
        atomic_write_path(
            jit_path,
            lambda tmp: torch.jit.save(jit, tmp, _extra_files={"policy.json": meta}),
            checked("jit", lambda tmp: torch.jit.load(tmp, map_location="cpu")),
        )
        # ONNX: the TorchScript-based exporter first (see _onnx_export), the torch.export-based one if that fails
        failures: dict[str, str] = {}
        exporter = None
        for dynamo in (False, True):
            name = "dynamo" if dynamo else "legacy"
            try:
                atomic_write_path(
                    onnx_path,
                    lambda tmp, d=dynamo: _onnx_export(module, args, tmp, description, d, meta),
                    checked("onnx", lambda tmp: functools.partial(run_onnx, tmp)),
                )
                exporter = name
                break
            except Exception as err:  # any failure of one exporter means: try the other
                failures[name] = f"{type(err).__name__}: {first_line(err)}"
        if exporter is None:
            raise RuntimeError(f"ONNX export failed: {failures}")
    info = {**description, "onnx": onnx_path, "jit": jit_path, "exporter": exporter}
    if verify:
        info["max_abs_error"] = {"onnx": errors["onnx"], "jit": errors["jit"]}
    return info


def run_onnx(path: str, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Run an exported ``policy.onnx`` with onnxruntime (CPU) on its inputs in order (obs inputs, then ``h_in``).

    Returns ``(actions[, h_out])`` as tensors.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 4  # fatal only: failures surface as exceptions
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    feeds = {arg.name: x.detach().cpu().numpy().astype(np.float32) for arg, x in zip(session.get_inputs(), inputs)}
    return tuple(torch.from_numpy(out) for out in session.run(None, feeds))


def read_jit_description(path: str) -> dict[str, Any]:
    """The JSON description stored in an exported ``policy.pt``."""
    extra = {"policy.json": ""}
    torch.jit.load(path, map_location="cpu", _extra_files=extra)
    return json.loads(extra["policy.json"])


# -- helpers


def _onnx_export(
    module: nn.Module, args: tuple[torch.Tensor, ...], path: str, desc: dict[str, Any], dynamo: bool, meta: str
) -> None:
    """``torch.onnx.export`` with a dynamic batch axis, then the description added to ``metadata_props``.

    The TorchScript-based exporter (``dynamo=False``) is tried first: it maps GRU/LSTM to the native ONNX ``GRU`` /
    ``LSTM`` operators and declares correct output shapes. The torch.export-based exporter (torch 2.11's default)
    also computes the right values, but declares ``h_out`` of an LSTM as rank 4 (``[K, 1, batch, H]``) and leaves
    inconsistent intermediate shapes that onnxruntime warns about at every session start; it is the fallback.
    """
    names = desc["inputs"] + desc["outputs"]
    batch_axis = {name: 1 if name in ("h_in", "h_out") else 0 for name in names}
    kwargs: dict[str, Any] = {}
    if dynamo:
        batch = torch.export.Dim("batch", min=1)
        kwargs["dynamic_shapes"] = tuple({batch_axis[n]: batch} for n in desc["inputs"])
        kwargs["external_data"] = False
    else:
        kwargs["dynamic_axes"] = {n: {batch_axis[n]: "batch"} for n in names}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            args,
            path,
            input_names=desc["inputs"],
            output_names=desc["outputs"],
            opset_version=OPSET,
            dynamo=dynamo,
            verbose=False,
            **kwargs,
        )
    import onnx

    model = onnx.load(path)
    entry = model.metadata_props.add()
    entry.key, entry.value = "isaaclab_distill", meta
    onnx.save(model, path)


def _max_deviation(module: nn.Module, run: Callable[..., Any], desc: dict[str, Any], tol: float = 1e-4) -> float:
    """Largest deviation of ``run`` from ``module`` over 3 steps at batch 3 (hidden state fed back); raise above tol."""
    inputs = example_inputs(desc, batch=3, seed=1)
    n_obs = len(desc["obs_shapes"])
    obs, h_ref = inputs[:n_obs], inputs[n_obs] if desc["recurrent"] else None
    h_run = h_ref
    gen = torch.Generator().manual_seed(2)
    worst = 0.0
    for step in range(3):
        if step > 0:
            obs = tuple(torch.rand(x.shape, generator=gen) for x in obs)
        ref = _as_tuple(module(*obs) if h_ref is None else module(*obs, h_ref))
        out = _as_tuple(run(*obs) if h_run is None else run(*obs, h_run))
        err = max(float((o - r).abs().max()) for o, r in zip(out, ref, strict=True))
        if not err <= tol:
            raise RuntimeError(f"the exported graph deviates from the torch model by {err:.3g} (step {step})")
        worst = max(worst, err)
        if h_ref is not None:
            h_ref, h_run = ref[1], out[1]
    return worst


def _as_tuple(out: torch.Tensor | tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    return out if isinstance(out, tuple) else (out,)
