"""Start a student from a PPO teacher's weights (rsl_rl ``MLPModel`` / ``RNNModel`` actors).

- :func:`init_from_teacher`: match parameters by name, slice the input layer to the columns the student sees, fold a
  teacher normaliser into the input layer (MLP / GRU / LSTM students).
- :func:`create_depth_actor_from_teacher`: the depth student's actor MLP, whose depth feature takes the place of the
  teacher's scandots.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
import torch.nn as nn
from rsl_rl.modules import EmpiricalNormalization

_INPUT_WEIGHT = {False: "mlp.0.weight", True: "rnn.rnn.weight_ih_l0"}
_INPUT_BIAS = {False: "mlp.0.bias", True: "rnn.rnn.bias_ih_l0"}
_NORM_KEYS = ("obs_normalizer._mean", "obs_normalizer._var", "obs_normalizer._std")


@torch.no_grad()
def init_from_teacher(
    student: nn.Module, teacher_actor: nn.Module, input_indices: Sequence[int] | torch.Tensor | None = None
) -> dict[str, list[str]]:
    """Copy teacher weights into the student wherever the shapes allow.

    Works with rsl_rl ``MLPModel``/``RNNModel`` actors (or a :class:`Teacher`, whose ``model`` is used). Parameters are
    matched by name. The input layer (``mlp.0`` / ``rnn.rnn.weight_ih_l0``) and the normaliser statistics are sliced
    to the teacher input columns the student sees. If the teacher normalises its input and the student does not, the
    teacher's normaliser is folded into the student's input layer (``W' = W / (std + eps)``, ``b' = b - W' mean``).
    Nothing but the normaliser is copied between a feed-forward and a recurrent network (the MLP inputs differ).

    Args:
        student: Student to initialise in place (an MLP / GRU / LSTM student of :mod:`.students`).
        teacher_actor: Teacher actor model.
        input_indices: For each student input column, the teacher input column it equals (``len == obs_dim``).
            ``None``: the student input is the prefix ``teacher_input[:, :obs_dim]``.

    Returns:
        ``{"copied": [...], "sliced": [...], "skipped": ["name: reason", ...]}`` over the student's state-dict keys.
    """
    teacher_actor = getattr(teacher_actor, "model", teacher_actor)
    t_sd, s_sd = teacher_actor.state_dict(), student.state_dict()
    t_rec = bool(getattr(teacher_actor, "is_recurrent", False))
    if input_indices is None:
        idx = torch.arange(student.obs_dim)
    else:
        idx = torch.as_tensor(list(input_indices) if not torch.is_tensor(input_indices) else input_indices).long()
    if idx.numel() != student.obs_dim:
        raise ValueError(f"input_indices has {idx.numel()} entries but the student observation has {student.obs_dim}.")
    scan_start = getattr(teacher_actor, "scan_start", None)  # a scandots-encoder teacher: its MLP reads the latent
    if scan_start is not None and idx.numel() and int(idx.max()) >= scan_start:
        raise ValueError(
            f"the teacher encodes its input columns from {scan_start} on (scandots encoder): a student can share only"
            " the columns before them; use the depth student, or init_student_from_teacher=false"
        )
    report: dict[str, list[str]] = {"copied": [], "sliced": [], "skipped": []}
    in_w, in_b = _INPUT_WEIGHT[student.is_recurrent], _INPUT_BIAS[student.is_recurrent]
    # Teacher normaliser folded into the input layer when only the teacher normalises
    fold = "obs_normalizer._mean" in t_sd and not student.obs_normalization and t_rec == student.is_recurrent
    for name, s_val in s_sd.items():
        if name not in t_sd:
            report["skipped"].append(f"{name}: not in teacher")
            continue
        t_val = t_sd[name]
        if name.startswith("mlp.") and t_rec != student.is_recurrent:
            report["skipped"].append(f"{name}: teacher is {'recurrent' if t_rec else 'feed-forward'}, student is not")
            continue
        if name == in_w or name in _NORM_KEYS:
            # [out, D_teacher] or [1, D_teacher] -> columns the student sees
            if t_val.shape[-1] <= int(idx.max()) or t_val.shape[:-1] != s_val.shape[:-1]:
                report["skipped"].append(f"{name}: teacher {tuple(t_val.shape)} vs student {tuple(s_val.shape)}")
                continue
            s_val.copy_(t_val[..., idx.to(t_val.device)])
            report["sliced"].append(name)
        elif t_val.shape == s_val.shape:
            s_val.copy_(t_val)
            report["copied"].append(name)
        else:
            report["skipped"].append(f"{name}: teacher {tuple(t_val.shape)} vs student {tuple(s_val.shape)}")
    if fold and in_w in report["sliced"] and in_b in report["copied"]:
        norm = teacher_actor.obs_normalizer
        mean = norm._mean.squeeze(0)[idx.to(norm._mean.device)]
        scale = 1.0 / (norm._std.squeeze(0)[idx.to(norm._std.device)] + norm.eps)
        w = s_sd[in_w] * scale.to(s_sd[in_w])  # W' = W / (std + eps)
        s_sd[in_w].copy_(w)
        s_sd[in_b].sub_(w @ mean.to(w))  # b' = b - W' mean
        report["copied"].append("obs_normalizer (folded into the input layer)")
    student.load_state_dict(s_sd)
    return report


def _as_column(value: float | torch.Tensor | Sequence[float], size: int, like: torch.Tensor) -> torch.Tensor:
    column = torch.as_tensor(value, dtype=like.dtype, device=like.device).reshape(-1)
    return column.expand(size) if column.numel() == 1 else column


@torch.no_grad()
def create_depth_actor_from_teacher(
    teacher_actor: nn.Module,
    proprio_dim: int,
    scandots_dim: int,
    feature_dim: int = 32,
    scandots_fill: float | torch.Tensor | Sequence[float] = 0.0,
    privileged_fill: float | torch.Tensor | Sequence[float] | None = None,
    keep_feature_columns: bool = False,
) -> nn.Sequential:
    """Build the student actor MLP by slicing the first Linear layer of the teacher actor.

    The teacher actor reads ``[proprio | scandots | privileged]``, the student actor ``[proprio | depth feature]``.

    With ``W = [W_p | W_s | W_q]`` and bias ``b`` of the teacher's first layer, the student's first layer is
    ``W' = [W_p | 0]`` (``feature_dim`` zero columns for the depth feature) and ``b' = b + W_s s0 + W_q q0``, where
    ``s0`` / ``q0`` are the fill values of the scandots / privileged inputs that the student does not see. All other
    layers are copied. Hence ``student([p, 0]) == teacher([p, s0, q0])`` exactly: at the start of distillation the
    student acts like the teacher on the terrain described by ``s0`` (e.g. the flat-ground scan) and only has to learn
    the feature columns. If the teacher normalises its input (rsl_rl ``MLPModel`` with ``obs_normalization``), the
    normaliser is folded into ``W'``/``b'`` and the fill values are raw (unnormalised) inputs; ``None`` fills the
    privileged inputs with the normaliser mean (0 without a normaliser).

    ``keep_feature_columns`` (a :class:`~.scandots_teacher.ScandotsEncoderModel` teacher, whose MLP reads
    ``[proprio | scandots latent | privileged]``): the latent columns are kept, ``W' = [W_p | W_s]``, so the depth
    feature takes the latent's place and ``student([p, z]) == teacher_mlp([p, z, q0])`` for every latent ``z``.

    Args:
        teacher_actor: rsl_rl ``MLPModel`` (its ``mlp`` and ``obs_normalizer`` are used), or an ``nn.Sequential`` MLP.
        proprio_dim: P, number of leading proprioceptive columns shared by teacher and student.
        scandots_dim: S, number of scandots columns that follow the proprioception in the teacher input.
        feature_dim: Size of the depth feature that replaces the scandots (their latent with ``keep_feature_columns``).
        scandots_fill: Scalar or ``[S]`` value assumed for the scandots.
        privileged_fill: Scalar or ``[Q]`` value assumed for the remaining (privileged) teacher inputs.
        keep_feature_columns: Copy the ``scandots_dim == feature_dim`` columns instead of zeroing them.

    Returns:
        A new ``nn.Sequential`` with the same layers as the teacher MLP and input size ``P + feature_dim``.
    """
    mlp = getattr(teacher_actor, "mlp", teacher_actor)
    stats = _mlp_input_stats(teacher_actor)  # (mean, std, eps) of the MLP input columns, or None
    if keep_feature_columns and scandots_dim != feature_dim:
        raise ValueError(
            f"the feature ({feature_dim}) replaces the teacher's latent, which has {scandots_dim} columns."
        )
    if not isinstance(mlp, nn.Sequential) or not isinstance(mlp[0], nn.Linear):
        raise TypeError("teacher_actor must be an rsl_rl MLPModel or an nn.Sequential starting with nn.Linear.")
    first: nn.Linear = mlp[0]
    weight, bias = first.weight.clone(), first.bias.clone()  # [O, D_teacher], [O]
    d_teacher = weight.shape[1]
    n_priv = d_teacher - proprio_dim - scandots_dim
    if n_priv < 0:
        raise ValueError(f"teacher input {d_teacher} < proprio_dim {proprio_dim} + scandots_dim {scandots_dim}.")
    fill = torch.cat(
        (
            torch.zeros(proprio_dim, dtype=weight.dtype, device=weight.device),
            _as_column(scandots_fill, scandots_dim, weight),
            torch.zeros(n_priv, dtype=weight.dtype, device=weight.device),
        )
    )
    priv = slice(proprio_dim + scandots_dim, d_teacher)
    if stats is not None:
        mean, std, eps = (value.to(weight) for value in stats)
        fill[priv] = mean[priv] if privileged_fill is None else _as_column(privileged_fill, n_priv, weight)
        weight = weight / (std + eps)  # W (x - m) / s = (W / s) x - (W / s) m
        bias = bias - weight @ mean
    elif privileged_fill is not None:
        fill[priv] = _as_column(privileged_fill, n_priv, weight)
    if fill.numel() != d_teacher:
        raise ValueError(f"fill values have {fill.numel()} entries, the teacher input has {d_teacher}.")
    student = copy.deepcopy(mlp).to(weight.device)
    new_first = nn.Linear(proprio_dim + feature_dim, weight.shape[0]).to(weight)
    new_first.weight.zero_()
    kept = proprio_dim + (feature_dim if keep_feature_columns else 0)  # the columns copied as they are
    new_first.weight[:, :kept] = weight[:, :kept]
    new_first.bias.copy_(bias + weight[:, kept:] @ fill[kept:])
    student[0] = new_first
    return student


def _mlp_input_stats(teacher_actor: nn.Module) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
    """``(mean, std, eps)`` that the teacher's normaliser applies to each MLP input column; None without one.

    A scandots-encoder teacher normalises its raw input ``[P | S | Q]`` before the encoder: its MLP's latent columns
    are not normalised (mean 0, ``std + eps = 1``).
    """
    normalizer = getattr(teacher_actor, "obs_normalizer", None)
    if not isinstance(normalizer, EmpiricalNormalization):
        return None
    mean, std = normalizer._mean.reshape(-1), normalizer._std.reshape(-1)
    eps = torch.as_tensor(normalizer.eps, dtype=mean.dtype, device=mean.device)
    if hasattr(teacher_actor, "scan_encoder"):
        a, b, n = (
            teacher_actor.scan_start,
            teacher_actor.scan_start + teacher_actor.scan_dim,
            teacher_actor.scan_latent_dim,
        )
        mean = torch.cat((mean[:a], mean.new_zeros(n), mean[b:]))
        std = torch.cat((std[:a], (1.0 - eps).expand(n), std[b:]))
    return mean, std, eps
