"""Student networks with an explicit hidden state, built from rsl_rl modules.

Every student shares one interface, so that the algorithm, the losses and the rollouts never branch on the
architecture:

- ``obs`` is a mapping ``group -> tensor`` (the env's TensorDict; see :mod:`.observations`) holding the groups of
  ``obs_shapes``; a student that reads one group also takes that tensor alone. Below, ``obs[B, D]`` is the
  concatenation of its vector groups (``obs_dim`` = D).
- ``forward(obs[B], hidden=None) -> (actions[B, A], hidden)``: one step.
- ``forward_sequence(obs[T, B], h0, dones[T, B]) -> actions[T, B, A]``: a segment; ``dones[t]`` means the episode
  ended after step ``t``, so the hidden state is zeroed before step ``t + 1``.
- ``initial_hidden(B)``: the state at an episode start (``None`` for the MLP); :func:`reset_hidden` zeroes it where
  episodes ended.
- ``from_cfg(cfg, obs_shapes, action_dim)``: build from a config dict (what the registry and checkpoints use);
  ``config``: that dict plus ``obs_shapes`` / ``action_dim``, stored in checkpoints.
- ``init_from_teacher(teacher_actor, input_indices)``: start from a PPO teacher's weights.

The hidden state of a recurrent student is ONE tensor ``[K, B, H]`` with ``K = num_layers`` for a GRU and
``K = 2 * num_layers`` for an LSTM (``h`` stacked on ``c``), so it can be stored and indexed like any other tensor.

Parameter names mirror rsl_rl's ``MLPModel`` / ``RNNModel`` (``obs_normalizer.*``, ``rnn.rnn.*``, ``mlp.*``), which is
what lets :func:`.teacher_init.init_from_teacher` match teacher and student weights by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
import torch.nn as nn
from rsl_rl.modules import MLP, RNN, EmpiricalNormalization

from .cfg import StudentCfg
from .observations import ObsShapes, as_obs_shapes, concat_vectors, group_view, image_groups, vector_groups
from .teacher_init import init_from_teacher as copy_teacher_weights

Obs = Mapping[str, torch.Tensor] | torch.Tensor
"""A student's input: its groups (a TensorDict or dict), or the one tensor of a single-group student."""
ObsSpec = int | Mapping[str, Sequence[int]]
"""``obs_shapes`` as given to a constructor (see :func:`.observations.as_obs_shapes`)."""


def reset_hidden(hidden: torch.Tensor | None, dones: torch.Tensor) -> torch.Tensor | None:
    """Zero the hidden state ``[K, N, H]`` of the envs whose episode ended (``dones[N]``); ``None`` stays ``None``."""
    if hidden is None:
        return None
    keep = (~dones.view(-1).bool()).to(device=hidden.device, dtype=hidden.dtype)
    return hidden * keep.view(1, -1, 1)


class MLPStudent(nn.Module):
    """Feed-forward student: (normaliser) -> MLP."""

    is_recurrent: bool = False

    def __init__(
        self,
        obs_shapes: int | Mapping[str, Sequence[int]],
        action_dim: int,
        hidden_dims: Sequence[int] = (256, 256, 128),
        activation: str = "elu",
        obs_normalization: bool = False,
    ) -> None:
        """Build the network.

        Args:
            obs_shapes: ``group -> per-env shape`` of the groups it reads, in order (:mod:`.observations`); an int D
                is one vector group ``"policy"`` of width D.
            action_dim: Action size A.
            hidden_dims: Hidden layer sizes of the MLP.
            activation: Activation name (rsl_rl naming).
            obs_normalization: Normalise inputs with running mean/std.

        Raises:
            ValueError: An image group for a student that reads vectors only.
        """
        super().__init__()
        self.obs_shapes: ObsShapes = as_obs_shapes(obs_shapes)
        self.vector_groups = vector_groups(self.obs_shapes)
        self._check_groups()
        self.obs_dim = sum(self.obs_shapes[group][0] for group in self.vector_groups)
        self.action_dim = action_dim
        self.obs_normalization = obs_normalization
        self.obs_normalizer = EmpiricalNormalization(self.obs_dim) if obs_normalization else nn.Identity()
        self.mlp = MLP(self._head_input_dim(), action_dim, list(hidden_dims), activation)
        # Plain-data description, stored in checkpoints to rebuild the network (see build_student)
        self.config: dict = {
            "class_name": "mlp",
            "hidden_dims": [int(d) for d in hidden_dims],
            "activation": activation,
            "obs_normalization": bool(obs_normalization),
            "obs_shapes": {group: list(shape) for group, shape in self.obs_shapes.items()},
            "obs_dim": int(self.obs_dim),
            "action_dim": int(action_dim),
        }

    def _check_groups(self) -> None:
        """Every group must be a vector (a subclass that encodes images overrides this)."""
        if len(self.vector_groups) != len(self.obs_shapes):
            raise ValueError(
                f"groups {image_groups(self.obs_shapes)} are images; this student reads vectors only"
                " (use 'depth_cnn_gru', or a registered image student)"
            )

    def vector_input(self, obs: Mapping[str, torch.Tensor] | torch.Tensor) -> torch.Tensor:
        """``obs[..., D]``: the vector groups of ``obs`` concatenated, not normalised."""
        return concat_vectors(group_view(obs, self.obs_shapes), self.vector_groups)

    def _head_input_dim(self) -> int:
        return self.obs_dim

    def initial_hidden(self, batch_size: int) -> torch.Tensor | None:
        """Hidden state at an episode start (none for a feed-forward student)."""
        return None

    def forward(self, obs: Obs, hidden: torch.Tensor | None = None) -> tuple[torch.Tensor, None]:
        """One step: ``obs[B] -> (actions[B, A], None)``."""
        return self.mlp(self.obs_normalizer(self.vector_input(obs))), None

    def forward_sequence(
        self, obs: Obs, h0: torch.Tensor | None = None, dones: torch.Tensor | None = None
    ) -> torch.Tensor:
        """A segment ``obs[T, B] -> actions[T, B, A]`` (steps are independent)."""
        return self.mlp(self.obs_normalizer(self.vector_input(obs)))

    @torch.no_grad()
    def update_normalization(self, obs: Obs) -> None:
        """Update the running statistics with ``obs[...]`` (its vector groups; in train mode, as in rsl_rl)."""
        if self.obs_normalization:
            self.obs_normalizer.update(self.vector_input(obs).reshape(-1, self.obs_dim))

    cfg_class: type[StudentCfg] = StudentCfg
    """The config class whose fields :meth:`from_cfg` reads."""

    @classmethod
    def parse_cfg(cls, cfg: StudentCfg | dict[str, Any]) -> Any:
        """A :attr:`cfg_class` from a config or its dict (keys it does not know, e.g. ``obs_dim``, are dropped)."""
        data = cfg if isinstance(cfg, dict) else cfg.to_dict()
        fields = set(cls.cfg_class().to_dict())
        return cls.cfg_class(**{k: v for k, v in data.items() if k in fields})

    @classmethod
    def from_cfg(cls, cfg: StudentCfg | dict[str, Any], obs_shapes: ObsSpec, action_dim: int) -> MLPStudent:
        """Build from a :class:`StudentCfg` (or its dict, as stored in checkpoints)."""
        c = cls.parse_cfg(cfg)
        return cls(obs_shapes, action_dim, c.hidden_dims, c.activation, c.obs_normalization)

    def init_from_teacher(
        self, teacher_actor: nn.Module, input_indices: Sequence[int] | None = None
    ) -> dict[str, list[str]]:
        """Copy the teacher's weights where the shapes allow (:func:`.teacher_init.init_from_teacher`)."""
        return copy_teacher_weights(self, teacher_actor, input_indices)


class RecurrentStudent(MLPStudent):
    """Recurrent student: (normaliser) -> GRU/LSTM -> MLP head."""

    is_recurrent: bool = True

    def __init__(
        self,
        obs_shapes: ObsSpec,
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
            obs_shapes: Groups it reads (vectors; see :class:`MLPStudent`).
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
        super().__init__(obs_shapes, action_dim, hidden_dims, activation, obs_normalization)
        # rsl_rl's RNN wrapper is used for its parameters only (``rnn.rnn.*`` names match RNNModel); its internal
        # hidden-state bookkeeping is bypassed because the hidden state is explicit here.
        self.rnn = RNN(self.obs_dim, rnn_hidden_dim, rnn_num_layers, rnn_type)
        self.config.update(class_name=rnn_type, rnn_hidden_dim=int(rnn_hidden_dim), rnn_num_layers=int(rnn_num_layers))

    @classmethod
    def from_cfg(cls, cfg: StudentCfg | dict[str, Any], obs_shapes: ObsSpec, action_dim: int) -> RecurrentStudent:
        """Build from a :class:`StudentCfg` whose ``class_name`` is ``"gru"`` or ``"lstm"``."""
        c = cls.parse_cfg(cfg)
        args = (c.hidden_dims, c.activation, c.obs_normalization, c.class_name, c.rnn_hidden_dim, c.rnn_num_layers)
        return cls(obs_shapes, action_dim, *args)

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

    def forward(self, obs: Obs, hidden: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: ``obs[B], hidden[K, B, H] -> (actions[B, A], hidden[K, B, H])``."""
        x = self.obs_normalizer(self.vector_input(obs))  # [B, D]
        if hidden is None:
            hidden = self.initial_hidden(x.shape[0])
        out, hidden = self._step(x.unsqueeze(0), hidden)
        return self.mlp(out.squeeze(0)), hidden

    def forward_sequence(
        self, obs: Obs, h0: torch.Tensor | None = None, dones: torch.Tensor | None = None
    ) -> torch.Tensor:
        """A segment ``obs[T, B]`` from ``h0[K, B, H]`` -> ``actions[T, B, A]``.

        ``dones[T, B]``: the episode of env b ended after step t, so its hidden state is zeroed before step t + 1.
        """
        x = self.obs_normalizer(self.vector_input(obs))  # [T, B, D]
        hidden = self.initial_hidden(x.shape[1]) if h0 is None else h0
        return self.mlp(unroll(self._step, x, hidden, dones))


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
