"""A PPO teacher actor whose scandots pass through an encoder first (extreme-parkour's ``scan_encoder``).

The actor reads ``[proprio (P) | scandots (S) | privileged (Q)]`` like rsl_rl's ``MLPModel``, but its MLP sees
``[proprio | tanh latent (L) | privileged]``: ``scan_encoder`` maps the S scandots to an L-dimensional latent (``Linear
-> act -> ... -> Linear -> tanh``, ``scan_encoder_dims``, default 128 -> 64 -> 32). The depth student's 32-d depth
feature then takes the latent's place: its actor is a plain copy of the teacher's MLP (the privileged columns folded
into the bias, :func:`~.teacher_init.create_depth_actor_from_teacher` with ``keep_feature_columns``), and the latent of
the same step is a regression target for the depth feature (``latent_loss_coef`` of the distillation).

This is an rsl_rl ``MLPModel`` subclass (its ``get_latent`` / ``_get_latent_dim`` hooks, as rsl_rl's ``CNNModel``),
so rsl_rl's PPO, storage, runner, checkpoints and export use it unchanged; a runner config selects it with
``actor.class_name = "isaaclab_distill.models.scandots_teacher:ScandotsEncoderModel"``.
"""

from __future__ import annotations

import copy

import torch
import torch.nn as nn
from rsl_rl.models import MLPModel
from rsl_rl.utils import resolve_nn_activation
from tensordict import TensorDict

CLASS_NAME = f"{__name__}:ScandotsEncoderModel"
"""The ``class_name`` of the actor config that builds :class:`ScandotsEncoderModel`."""


class ScandotsEncoderModel(MLPModel):
    """rsl_rl ``MLPModel`` with a scandots encoder in front of its MLP (see the module docstring)."""

    def __init__(
        self,
        obs: TensorDict,
        obs_groups: dict[str, list[str]],
        obs_set: str,
        output_dim: int,
        hidden_dims: tuple[int, ...] | list[int] = (512, 256, 128),
        activation: str = "elu",
        obs_normalization: bool = False,
        distribution_cfg: dict | None = None,
        scan_start: int = 0,
        scan_dim: int = 0,
        scan_encoder_dims: tuple[int, ...] | list[int] = (128, 64, 32),
    ) -> None:
        """Build the model.

        Args:
            obs: Observation TensorDict (``MLPModel``'s arguments up to ``distribution_cfg``).
            obs_groups: Observation sets -> groups.
            obs_set: The set this model reads (``"actor"``).
            output_dim: Action size A.
            hidden_dims: MLP hidden sizes.
            activation: Activation of the MLP and the encoder.
            obs_normalization: Normalise the raw input (before the encoder).
            distribution_cfg: rsl_rl's output distribution.
            scan_start: First scandots column of the concatenated input (P).
            scan_dim: Number of scandots columns (S).
            scan_encoder_dims: Layer sizes of the encoder; the last is the latent size L.

        Raises:
            ValueError: The scandots columns are not inside the input, or no encoder layer is given.
        """
        if scan_dim <= 0 or not scan_encoder_dims:
            raise ValueError(f"needs scan_dim > 0 and scan_encoder_dims, got {scan_dim} and {scan_encoder_dims}")
        # read by _get_latent_dim() inside MLPModel.__init__
        self.scan_start, self.scan_dim, self.scan_latent_dim = (
            int(scan_start),
            int(scan_dim),
            int(scan_encoder_dims[-1]),
        )
        super().__init__(
            obs, obs_groups, obs_set, output_dim, hidden_dims, activation, obs_normalization, distribution_cfg
        )
        if scan_start < 0 or scan_start + scan_dim > self.obs_dim:
            raise ValueError(
                f"scandots columns [{scan_start}, {scan_start + scan_dim}) outside the input {self.obs_dim}"
            )
        layers: list[nn.Module] = []
        sizes = [scan_dim, *scan_encoder_dims]
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            last = i == len(sizes) - 2
            layers += [nn.Linear(n_in, n_out), nn.Tanh() if last else resolve_nn_activation(activation)]
        self.scan_encoder = nn.Sequential(*layers)

    def _get_latent_dim(self) -> int:
        return self.obs_dim - self.scan_dim + self.scan_latent_dim

    def get_latent(self, obs: TensorDict, masks: torch.Tensor | None = None, hidden_state: None = None) -> torch.Tensor:
        """The MLP input ``[B, P + L + Q]``: the normalised input with its scandots replaced by their latent."""
        return encode_scandots(self, super().get_latent(obs, masks, hidden_state))

    @torch.no_grad()
    def scan_latent(self, obs: TensorDict) -> torch.Tensor:
        """The scandots latent ``[B, L]`` of observations ``obs`` (the depth feature's regression target)."""
        x = super().get_latent(obs)
        return self.scan_encoder(x[..., self.scan_start : self.scan_start + self.scan_dim])

    def as_jit(self) -> nn.Module:
        """TorchScript-friendly copy: ``obs[B, D] -> actions[B, A]``."""
        return _JitModel(self)

    def as_onnx(self, verbose: bool) -> nn.Module:
        """ONNX-export copy: ``obs[B, D] -> actions[B, A]``."""
        return _OnnxModel(self)


def encode_scandots(model: ScandotsEncoderModel, x: torch.Tensor) -> torch.Tensor:
    """``x[..., P + S + Q] -> [..., P + L + Q]``: the scandots columns replaced by ``model.scan_encoder``'s latent."""
    a, b = model.scan_start, model.scan_start + model.scan_dim
    return torch.cat((x[..., :a], model.scan_encoder(x[..., a:b]), x[..., b:]), dim=-1)


class _JitModel(nn.Module):
    """Deterministic ``obs -> actions`` copy for TorchScript (rsl_rl's export interface)."""

    is_recurrent: bool = False

    def __init__(self, model: ScandotsEncoderModel) -> None:
        super().__init__()
        self.scan_start, self.scan_dim, self.input_size = model.scan_start, model.scan_dim, model.obs_dim
        self.obs_normalizer = copy.deepcopy(model.obs_normalizer)
        self.scan_encoder, self.mlp = copy.deepcopy(model.scan_encoder), copy.deepcopy(model.mlp)
        dist = model.distribution
        self.deterministic_output = nn.Identity() if dist is None else dist.as_deterministic_output_module()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.obs_normalizer(x)
        a, b = self.scan_start, self.scan_start + self.scan_dim
        x = torch.cat((x[:, :a], self.scan_encoder(x[:, a:b]), x[:, b:]), dim=-1)
        return self.deterministic_output(self.mlp(x))

    @torch.jit.export
    def reset(self) -> None:
        """No recurrent state."""


class _OnnxModel(_JitModel):
    """:class:`_JitModel` with rsl_rl's ONNX-export helpers."""

    def get_dummy_inputs(self) -> tuple[torch.Tensor]:
        return (torch.zeros(1, self.input_size),)

    @property
    def input_names(self) -> list[str]:
        return ["obs"]

    @property
    def output_names(self) -> list[str]:
        return ["actions"]
