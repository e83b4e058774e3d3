"""Depth student for the parkour task: depth CNN -> fuse with proprioception -> GRU -> 32-d feature -> actor MLP.

Input: one flat observation ``[proprio (P) | depth (H * W, row-major)]`` per env, the layout of the ``policy`` group
of ``Isaac-Depth-Parkour-v0`` (see ``depth_parkour_env_cfg``). Structure (extreme-parkour's recurrent depth backbone):

1. ``cnn``: convolutions over the ``1 x H x W`` depth image -> flatten -> ``Linear -> act -> Linear -> act`` to a
   ``depth_latent_dim`` latent;
2. ``fuse``: ``[depth latent | proprio] -> Linear -> act -> Linear`` to ``fuse_dim``;
3. ``rnn``: one GRU layer (``rnn_hidden_dim``); its output -> ``Linear -> tanh`` = the depth feature (32);
4. ``mlp``: the actor MLP over ``[proprio | depth feature]``, shaped like the teacher's actor so that
   :func:`create_depth_actor_from_teacher` can start it from the teacher's weights (the depth feature takes the place
   of the teacher's scandots).

The interface is that of :mod:`.students` (this is a :class:`~.students.MLPStudent` subclass):
``forward(obs[B, D], hidden) -> (actions[B, A], hidden)``, ``forward_sequence(obs[T, B, D], h0, dones[T, B]) ->
actions[T, B, A]`` (hidden state zeroed after ``dones[t]``), ``initial_hidden(B) -> [1, B, H]``, ``config``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn as nn
from isaaclab.utils import configclass
from rsl_rl.utils import resolve_nn_activation

from .cfg import StudentCfg
from .students import MLPStudent, unroll
from .teacher_init import create_depth_actor_from_teacher


@configclass
class DepthStudentCfg(StudentCfg):
    """Sizes of :class:`DepthStudent`. The default is a small strided CNN (~0.5 M parameters) that runs on CPU."""

    class_name: str = "depth_cnn_gru"
    proprio_dim: int = 50
    """P: proprioceptive prefix of the observation (the depth-parkour layout's)."""
    depth_shape: tuple[int, int] = (58, 87)
    """(H, W) of the depth image that follows the proprioception."""
    conv_channels: list[int] = [16, 32, 32]
    conv_kernels: list[int] = [5, 3, 3]
    conv_strides: list[int] = [2, 2, 2]
    conv_maxpool: list[bool] = [False, False, False]
    """2x2 max-pooling after convolution i."""
    cnn_hidden_dim: int = 128
    depth_latent_dim: int = 32
    fuse_hidden_dim: int = 128
    fuse_dim: int = 32
    rnn_hidden_dim: int = 128
    feature_dim: int = 32
    """Size of the tanh depth feature that replaces the teacher's scandots at the actor input."""
    hidden_dims: list[int] = [512, 256, 128]
    """Actor MLP hidden sizes; must equal the teacher actor's to start from its weights."""
    obs_normalization: bool = False
    """Normalise the proprioception (not the image) with running mean/std."""
    teacher_scandots_dim: int = 0
    """S, scandots columns after the proprioception in the teacher input (for :meth:`DepthStudent.init_from_teacher`).
    The remaining teacher columns are privileged."""
    teacher_scandots_fill: float = 0.0
    """Scandots value assumed by the teacher-initialised actor while the depth feature is 0 (see
    :func:`create_depth_actor_from_teacher`)."""
    teacher_privileged_fill: list[float] | None = None
    """Privileged values assumed by the teacher-initialised actor; None: the teacher normaliser mean, or 0."""


@configclass
class PaperDepthStudentCfg(DepthStudentCfg):
    """Extreme-parkour size (conv 32@5x5, max-pool, conv 64@3x3, GRU 512; ~9 M parameters): for a GPU."""

    conv_channels: list[int] = [32, 64]
    conv_kernels: list[int] = [5, 3]
    conv_strides: list[int] = [1, 1]
    conv_maxpool: list[bool] = [True, False]
    rnn_hidden_dim: int = 512


def build_depth_cnn(cfg: DepthStudentCfg) -> nn.Sequential:
    """Convolutions -> flatten -> ``Linear -> act -> Linear -> act``: ``[B, 1, H, W] -> [B, depth_latent_dim]``."""
    lengths = {len(cfg.conv_channels), len(cfg.conv_kernels), len(cfg.conv_strides), len(cfg.conv_maxpool)}
    if len(lengths) != 1:
        raise ValueError("conv_channels, conv_kernels, conv_strides and conv_maxpool must have the same length.")
    layers: list[nn.Module] = []
    in_ch = 1
    for out_ch, kernel, stride, pool in zip(cfg.conv_channels, cfg.conv_kernels, cfg.conv_strides, cfg.conv_maxpool):
        layers.append(nn.Conv2d(in_ch, out_ch, kernel_size=kernel, stride=stride))
        if pool:
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        layers.append(resolve_nn_activation(cfg.activation))
        in_ch = out_ch
    layers.append(nn.Flatten())
    convs = nn.Sequential(*layers)
    with torch.no_grad():
        flat_dim = convs(torch.zeros(1, 1, *cfg.depth_shape)).shape[1]
    return nn.Sequential(
        *layers,
        nn.Linear(flat_dim, cfg.cnn_hidden_dim),
        resolve_nn_activation(cfg.activation),
        nn.Linear(cfg.cnn_hidden_dim, cfg.depth_latent_dim),
        resolve_nn_activation(cfg.activation),
    )


class DepthStudent(MLPStudent):
    """Recurrent depth student (see the module docstring). Hidden state ``[1, B, rnn_hidden_dim]``."""

    is_recurrent: bool = True

    def __init__(self, obs_dim: int, action_dim: int, cfg: DepthStudentCfg | None = None) -> None:
        """Build the network.

        Args:
            obs_dim: D = ``proprio_dim + H * W``.
            action_dim: Action size A.
            cfg: Sizes; the default :class:`DepthStudentCfg` when None.

        Raises:
            ValueError: ``obs_dim`` does not match the configured proprioception and image sizes.
        """
        cfg = DepthStudentCfg() if cfg is None else cfg
        height, width = cfg.depth_shape
        if obs_dim != cfg.proprio_dim + height * width:
            raise ValueError(
                f"obs_dim {obs_dim} != proprio_dim {cfg.proprio_dim} + depth {height}x{width}; check the depth shape."
            )
        self.student_cfg = cfg
        self.proprio_dim, self.depth_shape = cfg.proprio_dim, (height, width)
        self.rnn_hidden_dim, self.feature_dim = cfg.rnn_hidden_dim, cfg.feature_dim
        # only the proprioception is normalised (the image is already in [0, 1]): see _normalized_dim
        super().__init__(obs_dim, action_dim, cfg.hidden_dims, cfg.activation, cfg.obs_normalization)
        self.cnn = build_depth_cnn(cfg)
        self.fuse = nn.Sequential(
            nn.Linear(cfg.depth_latent_dim + cfg.proprio_dim, cfg.fuse_hidden_dim),
            resolve_nn_activation(cfg.activation),
            nn.Linear(cfg.fuse_hidden_dim, cfg.fuse_dim),
        )
        self.rnn = nn.GRU(cfg.fuse_dim, cfg.rnn_hidden_dim, num_layers=1)
        self.feature_head = nn.Sequential(nn.Linear(cfg.rnn_hidden_dim, cfg.feature_dim), nn.Tanh())
        self.config = {**cfg.to_dict(), "obs_dim": int(obs_dim), "action_dim": int(action_dim)}

    cfg_class = DepthStudentCfg

    @classmethod
    def from_cfg(cls, cfg: StudentCfg | dict[str, Any], obs_dim: int, action_dim: int) -> DepthStudent:
        """Build from a :class:`DepthStudentCfg` (or its dict, as stored in checkpoints)."""
        return cls(obs_dim, action_dim, cls.parse_cfg(cfg))

    def _head_input_dim(self) -> int:
        return self.proprio_dim + self.feature_dim

    def _normalized_dim(self) -> int:
        return self.proprio_dim

    @property
    def hidden_shape(self) -> tuple[int, int]:
        """``(K, H)`` of the hidden state ``[K, B, H]``."""
        return 1, self.rnn_hidden_dim

    def initial_hidden(self, batch_size: int) -> torch.Tensor:
        """Zero hidden state ``[1, B, H]``."""
        return torch.zeros(1, batch_size, self.rnn_hidden_dim, device=self.mlp[0].weight.device)

    def split(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``obs[..., D] -> (normalised proprio[..., P], depth[..., H, W])``."""
        proprio = self.obs_normalizer(obs[..., : self.proprio_dim])
        return proprio, obs[..., self.proprio_dim :].unflatten(-1, self.depth_shape)

    def _encode(self, proprio: torch.Tensor, depth: torch.Tensor) -> torch.Tensor:
        """GRU input ``[..., fuse_dim]`` from ``proprio[..., P]`` and ``depth[..., H, W]`` (any leading dims)."""
        lead = depth.shape[:-2]
        latent = self.cnn(depth.reshape(-1, 1, *self.depth_shape)).reshape(*lead, -1)
        return self.fuse(torch.cat((latent, proprio), dim=-1))

    def _act(self, proprio: torch.Tensor, rnn_out: torch.Tensor) -> torch.Tensor:
        return self.mlp(torch.cat((proprio, self.feature_head(rnn_out)), dim=-1))

    def forward(self, obs: torch.Tensor, hidden: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: ``obs[B, D], hidden[1, B, H] -> (actions[B, A], hidden[1, B, H])``."""
        if hidden is None:
            hidden = self.initial_hidden(obs.shape[0])
        proprio, depth = self.split(obs)
        out, hidden = self.rnn(self._encode(proprio, depth).unsqueeze(0), hidden.contiguous())
        return self._act(proprio, out.squeeze(0)), hidden

    def forward_sequence(
        self, obs: torch.Tensor, h0: torch.Tensor | None = None, dones: torch.Tensor | None = None
    ) -> torch.Tensor:
        """A segment ``obs[T, B, D]`` from ``h0[1, B, H]`` -> ``actions[T, B, A]``.

        ``dones[T, B]``: the episode of env b ended after step t, so its hidden state is zeroed before step t + 1.
        The CNN, the fusion and the actor run once over all ``T * B`` steps; only the GRU steps through time.
        """
        hidden = self.initial_hidden(obs.shape[1]) if h0 is None else h0
        proprio, depth = self.split(obs)
        out = unroll(self.rnn, self._encode(proprio, depth), hidden, dones)  # [T, B, H]
        return self._act(proprio, out)

    def depth_feature(self, obs: torch.Tensor, hidden: torch.Tensor | None = None) -> torch.Tensor:
        """The 32-d depth feature of one step, ``obs[B, D] -> [B, feature_dim]`` (for inspection)."""
        hidden = self.initial_hidden(obs.shape[0]) if hidden is None else hidden
        proprio, depth = self.split(obs)
        out, _ = self.rnn(self._encode(proprio, depth).unsqueeze(0), hidden.contiguous())
        return self.feature_head(out.squeeze(0))

    @torch.no_grad()
    def init_from_teacher(
        self, teacher_actor: nn.Module, input_indices: Sequence[int] | None = None
    ) -> dict[str, list[str]]:
        """Start the actor MLP from the teacher actor; the depth encoder keeps its random initialisation.

        Calls :func:`create_depth_actor_from_teacher` with the ``teacher_*`` fields of the config.

        Args:
            teacher_actor: rsl_rl ``MLPModel`` actor of the teacher (or a ``Teacher`` wrapper with ``.model``).
            input_indices: Unused (the column layout comes from the config); must be None.

        Returns:
            A report in the format of :func:`.teacher_init.init_from_teacher`.
        """
        if input_indices is not None:
            raise ValueError("DepthStudent takes its teacher column layout from its config, not from input_indices.")
        if self.obs_normalization:
            raise ValueError("init_from_teacher needs obs_normalization=False (the teacher normaliser is folded in).")
        cfg = self.student_cfg
        actor = create_depth_actor_from_teacher(
            getattr(teacher_actor, "model", teacher_actor),
            self.proprio_dim,
            cfg.teacher_scandots_dim,
            self.feature_dim,
            cfg.teacher_scandots_fill,
            cfg.teacher_privileged_fill,
        )
        self.mlp.load_state_dict(actor.state_dict())
        names = [f"mlp.{k}" for k in actor.state_dict()]
        skipped = [f"{k}: not in the teacher" for k in self.state_dict() if not k.startswith("mlp.")]
        return {"copied": names[2:], "sliced": names[:2], "skipped": skipped}
