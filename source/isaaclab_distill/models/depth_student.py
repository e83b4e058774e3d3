"""Depth student for the parkour task: depth CNN -> fuse with proprioception -> GRU -> 32-d feature -> actor MLP.

Input: observation groups (:mod:`.observations`): the image group ``depth_group`` ``[B, C, H, W]`` (``C`` stacked
frames) and the vector groups, concatenated as proprioception ``[B, P]``; in ``Isaac-Depth-Parkour-v0`` these are
``depth`` ``[N, 1, 58, 87]`` and ``policy`` ``[N, 50]`` (see ``depth_parkour_env_cfg``). Structure (extreme-parkour's
recurrent depth backbone):

1. ``cnn``: convolutions over the ``C x H x W`` depth image -> flatten -> ``Linear -> act -> Linear -> act`` to a
   ``depth_latent_dim`` latent;
2. ``fuse``: ``[depth latent | proprio] -> Linear -> act -> Linear`` to ``fuse_dim``;
3. ``rnn``: one GRU layer (``rnn_hidden_dim``); its output -> ``Linear -> tanh`` = the depth feature (32);
4. ``mlp``: the actor MLP over ``[proprio | depth feature]``, shaped like the teacher's actor so that
   :func:`create_depth_actor_from_teacher` can start it from the teacher's weights (the depth feature takes the place
   of the teacher's scandots).

The interface is that of :mod:`.students` (this is a :class:`~.students.MLPStudent` subclass):
``forward(obs[B], hidden) -> (actions[B, A], hidden)``, ``forward_sequence(obs[T, B], h0, dones[T, B]) ->
actions[T, B, A]`` (hidden state zeroed after ``dones[t]``), ``initial_hidden(B) -> [1, B, H]``, ``config``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn as nn
from isaaclab.utils import configclass
from rsl_rl.utils import resolve_nn_activation

from .cfg import StudentCfg
from .observations import group_view, image_groups
from .students import MLPStudent, ObsSpec, unroll
from .teacher_init import create_depth_actor_from_teacher


@configclass
class DepthStudentCfg(StudentCfg):
    """Sizes of :class:`DepthStudent`. The default is a small strided CNN (~0.5 M parameters) that runs on CPU."""

    class_name: str = "depth_cnn_gru"
    depth_group: str = "depth"
    """The image group ``[N, C, H, W]`` the CNN reads; every other group read is proprioception (a vector)."""
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


def build_depth_cnn(cfg: DepthStudentCfg, image_shape: tuple[int, int, int]) -> nn.Sequential:
    """Convolutions -> flatten -> ``Linear -> act -> Linear -> act``: ``[B, C, H, W] -> [B, depth_latent_dim]``."""
    lengths = {len(cfg.conv_channels), len(cfg.conv_kernels), len(cfg.conv_strides), len(cfg.conv_maxpool)}
    if len(lengths) != 1:
        raise ValueError("conv_channels, conv_kernels, conv_strides and conv_maxpool must have the same length.")
    layers: list[nn.Module] = []
    in_ch = image_shape[0]
    for out_ch, kernel, stride, pool in zip(cfg.conv_channels, cfg.conv_kernels, cfg.conv_strides, cfg.conv_maxpool):
        layers.append(nn.Conv2d(in_ch, out_ch, kernel_size=kernel, stride=stride))
        if pool:
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        layers.append(resolve_nn_activation(cfg.activation))
        in_ch = out_ch
    layers.append(nn.Flatten())
    convs = nn.Sequential(*layers)
    with torch.no_grad():
        flat_dim = convs(torch.zeros(1, *image_shape)).shape[1]
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

    def __init__(self, obs_shapes: ObsSpec, action_dim: int, cfg: DepthStudentCfg | None = None) -> None:
        """Build the network.

        Args:
            obs_shapes: The groups it reads: ``cfg.depth_group`` ``(C, H, W)`` and one or more vector groups
                (together the proprioception, P columns).
            action_dim: Action size A.
            cfg: Sizes; the default :class:`DepthStudentCfg` when None.

        Raises:
            ValueError: The groups are not one image ``cfg.depth_group`` plus vectors.
        """
        cfg = DepthStudentCfg() if cfg is None else cfg
        self.student_cfg = cfg
        self.rnn_hidden_dim, self.feature_dim = cfg.rnn_hidden_dim, cfg.feature_dim
        # only the proprioception (the vector groups) is normalised; the image is already in [0, 1]
        super().__init__(obs_shapes, action_dim, cfg.hidden_dims, cfg.activation, cfg.obs_normalization)
        self.proprio_dim, self.depth_group = self.obs_dim, cfg.depth_group
        self.image_shape: tuple[int, int, int] = self.obs_shapes[cfg.depth_group]  # type: ignore[assignment]
        self.cnn = build_depth_cnn(cfg, self.image_shape)
        self.fuse = nn.Sequential(
            nn.Linear(cfg.depth_latent_dim + self.proprio_dim, cfg.fuse_hidden_dim),
            resolve_nn_activation(cfg.activation),
            nn.Linear(cfg.fuse_hidden_dim, cfg.fuse_dim),
        )
        self.rnn = nn.GRU(cfg.fuse_dim, cfg.rnn_hidden_dim, num_layers=1)
        self.feature_head = nn.Sequential(nn.Linear(cfg.rnn_hidden_dim, cfg.feature_dim), nn.Tanh())
        sizes = {k: self.config[k] for k in ("obs_shapes", "obs_dim", "action_dim")}
        self.config = {**cfg.to_dict(), **sizes}

    cfg_class = DepthStudentCfg

    @classmethod
    def from_cfg(cls, cfg: StudentCfg | dict[str, Any], obs_shapes: ObsSpec, action_dim: int) -> DepthStudent:
        """Build from a :class:`DepthStudentCfg` (or its dict, as stored in checkpoints)."""
        return cls(obs_shapes, action_dim, cls.parse_cfg(cfg))

    def _check_groups(self) -> None:
        group = self.student_cfg.depth_group
        shape = self.obs_shapes.get(group)
        if shape is None or len(shape) != 3:
            raise ValueError(f"needs the image group '{group}' [N, C, H, W], got the groups {dict(self.obs_shapes)}")
        if image_groups(self.obs_shapes) != [group] or not self.vector_groups:
            raise ValueError(f"reads one image group '{group}' and at least one vector group, got {self.obs_shapes}")

    def _head_input_dim(self) -> int:
        return self.obs_dim + self.feature_dim

    @property
    def hidden_shape(self) -> tuple[int, int]:
        """``(K, H)`` of the hidden state ``[K, B, H]``."""
        return 1, self.rnn_hidden_dim

    def initial_hidden(self, batch_size: int) -> torch.Tensor:
        """Zero hidden state ``[1, B, H]``."""
        return torch.zeros(1, batch_size, self.rnn_hidden_dim, device=self.mlp[0].weight.device)

    def split(self, obs: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """``obs[...] -> (normalised proprio[..., P], depth[..., C, H, W])``."""
        return self.obs_normalizer(self.vector_input(obs)), group_view(obs, self.obs_shapes)[self.depth_group]

    def _encode(self, proprio: torch.Tensor, depth: torch.Tensor) -> torch.Tensor:
        """GRU input ``[..., fuse_dim]`` from ``proprio[..., P]`` and ``depth[..., C, H, W]`` (any leading dims)."""
        lead = depth.shape[:-3]
        latent = self.cnn(depth.reshape(-1, *self.image_shape)).reshape(*lead, -1)
        return self.fuse(torch.cat((latent, proprio), dim=-1))

    def _act(self, proprio: torch.Tensor, rnn_out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(actions[..., A], depth feature[..., feature_dim])``."""
        feature = self.feature_head(rnn_out)
        return self.mlp(torch.cat((proprio, feature), dim=-1)), feature

    def forward(
        self, obs: Mapping[str, torch.Tensor], hidden: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: ``obs[B], hidden[1, B, H] -> (actions[B, A], hidden[1, B, H])``."""
        proprio, depth = self.split(obs)
        if hidden is None:
            hidden = self.initial_hidden(proprio.shape[0])
        out, hidden = self.rnn(self._encode(proprio, depth).unsqueeze(0), hidden.contiguous())
        return self._act(proprio, out.squeeze(0))[0], hidden

    def forward_sequence(
        self, obs: Mapping[str, torch.Tensor], h0: torch.Tensor | None = None, dones: torch.Tensor | None = None
    ) -> torch.Tensor:
        """A segment ``obs[T, B]`` from ``h0[1, B, H]`` -> ``actions[T, B, A]``.

        ``dones[T, B]``: the episode of env b ended after step t, so its hidden state is zeroed before step t + 1.
        The CNN, the fusion and the actor run once over all ``T * B`` steps; only the GRU steps through time.
        """
        return self.forward_sequence_with_feature(obs, h0, dones)[0]

    def forward_sequence_with_feature(
        self, obs: Mapping[str, torch.Tensor], h0: torch.Tensor | None = None, dones: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`forward_sequence` -> ``(actions[T, B, A], depth feature[T, B, feature_dim])`` (the latent loss)."""
        proprio, depth = self.split(obs)
        hidden = self.initial_hidden(proprio.shape[1]) if h0 is None else h0
        out = unroll(self.rnn, self._encode(proprio, depth), hidden, dones)  # [T, B, H]
        return self._act(proprio, out)

    def depth_feature(self, obs: Mapping[str, torch.Tensor], hidden: torch.Tensor | None = None) -> torch.Tensor:
        """The depth feature of one step, ``obs[B] -> [B, feature_dim]`` (for inspection)."""
        proprio, depth = self.split(obs)
        hidden = self.initial_hidden(proprio.shape[0]) if hidden is None else hidden
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
        cfg, teacher = self.student_cfg, getattr(teacher_actor, "model", teacher_actor)
        encoder = hasattr(teacher, "scan_encoder")  # a ScandotsEncoderModel: the feature replaces its latent
        if encoder and teacher.scan_start != self.proprio_dim:
            raise ValueError(f"the teacher's scandots start at column {teacher.scan_start}, not {self.proprio_dim}.")
        actor = create_depth_actor_from_teacher(
            teacher,
            self.proprio_dim,
            teacher.scan_latent_dim if encoder else cfg.teacher_scandots_dim,
            self.feature_dim,
            cfg.teacher_scandots_fill,
            cfg.teacher_privileged_fill,
            keep_feature_columns=encoder,
        )
        self.mlp.load_state_dict(actor.state_dict())
        names = [f"mlp.{k}" for k in actor.state_dict()]
        skipped = [f"{k}: not in the teacher" for k in self.state_dict() if not k.startswith("mlp.")]
        if encoder:  # the feature starts as the latent of the fill scandots (flat ground), as in the MLP case
            self.feature_head[0].weight.zero_()  # tanh(0 h + b) = latent: the student acts as the teacher on it
            self.feature_head[0].bias.copy_(
                torch.atanh(flat_latent(teacher, cfg.teacher_scandots_fill).clamp(-0.99, 0.99))
            )
            skipped.remove("feature_head.0.bias: not in the teacher")
            names.append("feature_head.0 (weight 0, bias atanh of the teacher's latent of the fill scandots)")
        return {"copied": names[2:], "sliced": names[:2], "skipped": skipped}


@torch.no_grad()
def flat_latent(teacher: nn.Module, scandots_fill: float) -> torch.Tensor:
    """The scandots latent ``[L]`` of a scandots-encoder teacher when every scandot reads ``scandots_fill``."""
    x = teacher.obs_normalizer._mean.new_zeros(teacher.obs_dim) if teacher.obs_normalization else None
    a, b = teacher.scan_start, teacher.scan_start + teacher.scan_dim
    weight = teacher.scan_encoder[0].weight  # [*, S]
    scan = torch.full((teacher.scan_dim,), float(scandots_fill), dtype=weight.dtype, device=weight.device)
    if x is not None:  # the encoder reads normalised scandots
        x[a:b] = scan
        scan = teacher.obs_normalizer(x.unsqueeze(0)).squeeze(0)[a:b]
    return teacher.scan_encoder(scan)
