"""Student networks with an explicit hidden state, built from rsl_rl modules.

Both students share one interface so that the trainer and the losses never branch on the architecture:

- ``forward(obs[B, D], hidden=None) -> (actions[B, A], hidden)``: one step.
- ``forward_sequence(obs[T, B, D], h0, dones[T, B]) -> actions[T, B, A]``: a segment; ``dones[t]`` means the episode
  ended after step ``t``, so the hidden state is zeroed before step ``t + 1``.
- ``initial_hidden(B)``: the state at an episode start (``None`` for the MLP).

The hidden state of a recurrent student is ONE tensor ``[K, B, H]`` with ``K = num_layers`` for a GRU and
``K = 2 * num_layers`` for an LSTM (``h`` stacked on ``c``), so it can be stored and indexed like any other tensor.

Parameter names mirror rsl_rl's ``MLPModel`` / ``RNNModel`` (``obs_normalizer.*``, ``rnn.rnn.*``, ``mlp.*``), which is
what lets :func:`init_from_teacher` match teacher and student weights by name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn as nn
from rsl_rl.modules import MLP, RNN, EmpiricalNormalization

from .cfg import StudentCfg


class MLPStudent(nn.Module):
    """Feed-forward student: (normaliser) -> MLP."""

    is_recurrent: bool = False

    def __init__(
        self,
        obs_dim: int,
        action_dim: int,
        hidden_dims: Sequence[int] = (256, 256, 128),
        activation: str = "elu",
        obs_normalization: bool = False,
    ) -> None:
        """Build the network.

        Args:
            obs_dim: Student observation size D.
            action_dim: Action size A.
            hidden_dims: Hidden layer sizes of the MLP.
            activation: Activation name (rsl_rl naming).
            obs_normalization: Normalise inputs with running mean/std.
        """
        super().__init__()
        self.obs_dim, self.action_dim = obs_dim, action_dim
        self.obs_normalization = obs_normalization
        self.obs_normalizer = EmpiricalNormalization(obs_dim) if obs_normalization else nn.Identity()
        self.mlp = MLP(self._head_input_dim(), action_dim, list(hidden_dims), activation)
        # Plain-data description, stored in checkpoints to rebuild the network (see build_student)
        self.config: dict = {
            "class_name": "mlp",
            "hidden_dims": [int(d) for d in hidden_dims],
            "activation": activation,
            "obs_normalization": bool(obs_normalization),
            "obs_dim": int(obs_dim),
            "action_dim": int(action_dim),
        }

    def _head_input_dim(self) -> int:
        return self.obs_dim

    def initial_hidden(self, batch_size: int) -> torch.Tensor | None:
        """Hidden state at an episode start (none for a feed-forward student)."""
        return None

    def forward(self, obs: torch.Tensor, hidden: torch.Tensor | None = None) -> tuple[torch.Tensor, None]:
        """One step: ``obs[B, D] -> (actions[B, A], None)``."""
        return self.mlp(self.obs_normalizer(obs)), None

    def forward_sequence(
        self, obs: torch.Tensor, h0: torch.Tensor | None = None, dones: torch.Tensor | None = None
    ) -> torch.Tensor:
        """A segment ``obs[T, B, D] -> actions[T, B, A]`` (steps are independent)."""
        return self.mlp(self.obs_normalizer(obs))

    @torch.no_grad()
    def update_normalization(self, obs: torch.Tensor) -> None:
        """Update the running statistics with ``obs[..., D]`` (only in train mode, as in rsl_rl)."""
        if self.obs_normalization:
            self.obs_normalizer.update(obs.reshape(-1, self.obs_dim))


class RecurrentStudent(MLPStudent):
    """Recurrent student: (normaliser) -> GRU/LSTM -> MLP head."""

    is_recurrent: bool = True

    def __init__(
        self,
        obs_dim: int,
        action_dim: int,
        hidden_dims: Sequence[int] = (256, 256, 128),
        activation: str = "elu",
        obs_normalization: bool = False,
        rnn_type: str = "gru",
        rnn_hidden_dim: int = 256,
        rnn_num_layers: int = 1,
    ) -> None:
        """Build the network.

        Args:
            obs_dim: Student observation size D.
            action_dim: Action size A.
            hidden_dims: Hidden layer sizes of the MLP head.
            activation: Activation name (rsl_rl naming).
            obs_normalization: Normalise inputs with running mean/std.
            rnn_type: ``"gru"`` or ``"lstm"``.
            rnn_hidden_dim: Hidden size H of the recurrent layers.
            rnn_num_layers: Number of stacked recurrent layers L.
        """
        if rnn_type not in ("gru", "lstm"):
            raise ValueError(f"Unknown rnn_type '{rnn_type}', expected 'gru' or 'lstm'.")
        self.rnn_type, self.rnn_hidden_dim, self.rnn_num_layers = rnn_type, rnn_hidden_dim, rnn_num_layers
        super().__init__(obs_dim, action_dim, hidden_dims, activation, obs_normalization)
        # rsl_rl's RNN wrapper is used for its parameters only (``rnn.rnn.*`` names match RNNModel); its internal
        # hidden-state bookkeeping is bypassed because the hidden state is explicit here.
        self.rnn = RNN(obs_dim, rnn_hidden_dim, rnn_num_layers, rnn_type)
        self.config.update(class_name=rnn_type, rnn_hidden_dim=int(rnn_hidden_dim), rnn_num_layers=int(rnn_num_layers))

    def _head_input_dim(self) -> int:
        return self.rnn_hidden_dim

    @property
    def hidden_shape(self) -> tuple[int, int]:
        """``(K, H)`` of the hidden state ``[K, B, H]``."""
        k = self.rnn_num_layers * (2 if self.rnn_type == "lstm" else 1)
        return k, self.rnn_hidden_dim

    def initial_hidden(self, batch_size: int) -> torch.Tensor:
        """Zero hidden state ``[K, B, H]``."""
        k, h = self.hidden_shape
        return torch.zeros(k, batch_size, h, device=self.mlp[0].weight.device)

    def _step(self, x: torch.Tensor, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the RNN on ``x[T, B, D]`` from ``hidden[K, B, H]``; returns ``(out[T, B, H], hidden[K, B, H])``."""
        if self.rnn_type == "lstm":
            h, c = hidden.chunk(2, dim=0)
            out, (h, c) = self.rnn.rnn(x, (h.contiguous(), c.contiguous()))
            return out, torch.cat((h, c), dim=0)
        out, h = self.rnn.rnn(x, hidden.contiguous())
        return out, h

    def forward(self, obs: torch.Tensor, hidden: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: ``obs[B, D], hidden[K, B, H] -> (actions[B, A], hidden[K, B, H])``."""
        if hidden is None:
            hidden = self.initial_hidden(obs.shape[0])
        out, hidden = self._step(self.obs_normalizer(obs).unsqueeze(0), hidden)
        return self.mlp(out.squeeze(0)), hidden

    def forward_sequence(
        self, obs: torch.Tensor, h0: torch.Tensor | None = None, dones: torch.Tensor | None = None
    ) -> torch.Tensor:
        """A segment ``obs[T, B, D]`` from ``h0[K, B, H]`` -> ``actions[T, B, A]``.

        ``dones[T, B]``: the episode of env b ended after step t, so its hidden state is zeroed before step t + 1.
        """
        hidden = self.initial_hidden(obs.shape[1]) if h0 is None else h0
        return self.mlp(unroll(self._step, self.obs_normalizer(obs), hidden, dones))


Student = MLPStudent  # RecurrentStudent is a subclass; use this name in type hints


def unroll(
    step: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
    x: torch.Tensor,
    hidden: torch.Tensor,
    dones: torch.Tensor | None,
) -> torch.Tensor:
    """Run a recurrent ``step(x[T', B, F], hidden[K, B, H]) -> (out[T', B, H], hidden)`` over ``x[T, B, F]``.

    ``dones[T, B]``: the episode of env b ended after step t, so its hidden state is zeroed before step t + 1.
    Without a boundary inside the segment the whole segment is one fused call; otherwise it steps through time.
    Returns ``out[T, B, H]``.
    """
    if dones is None or not bool(dones[:-1].any()):
        return step(x, hidden.contiguous())[0]
    keep = 1.0 - dones.to(x.dtype)  # [T, B]
    outs = []
    for t in range(x.shape[0]):
        if t > 0:
            hidden = hidden * keep[t - 1].view(1, -1, 1)
        out, hidden = step(x[t : t + 1], hidden.contiguous())
        outs.append(out)
    return torch.cat(outs, dim=0)


STUDENT_CLASS_NAMES = ("mlp", "gru", "lstm", "depth_cnn_gru")
"""Every ``class_name`` :func:`build_student` knows (``depth_cnn_gru`` is the parkour ``DepthStudent``)."""


def build_student(cfg: StudentCfg | dict, obs_dim: int, action_dim: int) -> MLPStudent:
    """Create the student described by ``cfg`` (a :class:`StudentCfg` or its dict) for the given sizes."""
    class_name = cfg["class_name"] if isinstance(cfg, dict) else cfg.class_name
    if class_name == "depth_cnn_gru":
        # task-specific model, imported here because it builds on this module
        from isaaclab_distill.models.depth_student import DepthStudent

        if isinstance(cfg, dict):
            return DepthStudent.from_config({**cfg, "obs_dim": obs_dim, "action_dim": action_dim})
        return DepthStudent(obs_dim, action_dim, cfg)
    if isinstance(cfg, dict):
        known = set(StudentCfg().to_dict())
        cfg = StudentCfg(**{k: v for k, v in cfg.items() if k in known})
    if cfg.class_name == "mlp":
        return MLPStudent(obs_dim, action_dim, cfg.hidden_dims, cfg.activation, cfg.obs_normalization)
    if cfg.class_name in ("gru", "lstm"):
        return RecurrentStudent(
            obs_dim,
            action_dim,
            cfg.hidden_dims,
            cfg.activation,
            cfg.obs_normalization,
            cfg.class_name,
            cfg.rnn_hidden_dim,
            cfg.rnn_num_layers,
        )
    raise ValueError(f"Unknown student class_name '{cfg.class_name}', expected one of {STUDENT_CLASS_NAMES}.")


_INPUT_WEIGHT = {False: "mlp.0.weight", True: "rnn.rnn.weight_ih_l0"}
_INPUT_BIAS = {False: "mlp.0.bias", True: "rnn.rnn.bias_ih_l0"}
_NORM_KEYS = ("obs_normalizer._mean", "obs_normalizer._var", "obs_normalizer._std")


@torch.no_grad()
def init_from_teacher(
    student: MLPStudent, teacher_actor: nn.Module, input_indices: Sequence[int] | torch.Tensor | None = None
) -> dict[str, list[str]]:
    """Copy teacher weights into the student wherever the shapes allow.

    Works with rsl_rl ``MLPModel``/``RNNModel`` actors (or a :class:`Teacher`, whose ``model`` is used). Parameters are
    matched by name. The input layer (``mlp.0`` / ``rnn.rnn.weight_ih_l0``) and the normaliser statistics are sliced
    to the teacher input columns the student sees. If the teacher normalises its input and the student does not, the
    teacher's normaliser is folded into the student's input layer (``W' = W / (std + eps)``, ``b' = b - W' mean``).
    Nothing but the normaliser is copied between a feed-forward and a recurrent network (the MLP inputs differ).

    Args:
        student: Student to initialise in place.
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
