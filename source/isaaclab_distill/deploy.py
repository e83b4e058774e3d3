"""A distilled student outside the scripts: ``from isaaclab_distill import load_student``.

Example (the README's snippet, run by the tests)::

    from isaaclab_distill import load_student

    student = load_student("logs/distillation/quadcopter_point_ctrl/<run>/final_student.pt")
    actions = student(obs)  # obs [N, 13] -> actions [N, 4]; recurrent: the hidden state is kept per env
    student.reset(dones)  # after env.step: zero the hidden state of the envs whose episode ended
    actions, hidden = student.network(obs, hidden)  # or carry the state yourself (hidden=None: zeros)

No simulator is needed: only torch, the checkpoint and this package.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn as nn

from .distillation.checkpoint import load_student_network
from .distillation.rollout import StudentPolicy
from .evaluation import resolve_policy_checkpoint


class DeployedStudent(nn.Module):
    """A student checkpoint as one module in eval mode: ``actions = student(obs)``, ``student.reset(dones)``.

    Attributes:
        network: The student network (:mod:`isaaclab_distill.models`): ``network(obs, hidden) -> (actions,
            hidden)`` with an explicit hidden state ``[K, N, H]`` (``None`` for an MLP, zeros when ``None`` for a
            recurrent student); what ``scripts/play.py`` exports to ONNX / TorchScript.
        obs_shapes: ``group -> per-env shape`` of the observation groups it reads, in input order.
        action_dim: Action size A.
        is_recurrent: Whether it keeps a hidden state.
        path: The checkpoint file.
    """

    def __init__(self, network: nn.Module, path: str) -> None:
        """Wrap a loaded student ``network`` (from ``path``)."""
        super().__init__()
        self.network = network.eval()
        self.obs_shapes = dict(network.obs_shapes)
        self.action_dim, self.is_recurrent, self.path = network.action_dim, network.is_recurrent, path
        self._policy = StudentPolicy(self.network)
        self.eval()

    def _apply(self, fn, recurse: bool = True):  # noqa: ANN001, ANN202 (nn.Module's signature)
        """``.to(device)``, ``.double()``, ...: also drop the hidden state, which would stay on the old device."""
        module = super()._apply(fn, recurse)
        self._policy.reset()
        return module

    def forward(self, obs: torch.Tensor | Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Actions ``[N, A]`` of N envs (always the same N envs until :meth:`reset`).

        Args:
            obs: ``[N, D]`` for a student that reads one vector group, else ``{group: [N, ...]}`` for every group of
                :attr:`obs_shapes` (an image group ``[N, C, H, W]``).
        """
        if isinstance(obs, torch.Tensor):
            if len(self.obs_shapes) != 1:
                raise ValueError(f"this student reads {list(self.obs_shapes)}: pass a dict of those groups")
            obs = {next(iter(self.obs_shapes)): obs}
        return self._policy(obs)

    def reset(self, dones: torch.Tensor | None = None) -> None:
        """Zero the hidden state of the envs flagged in ``dones`` (``[N]``), of all envs when ``None``."""
        self._policy.reset(dones)


def load_student(path: str, device: str | torch.device = "cpu") -> DeployedStudent:
    """Load a distilled student from a checkpoint file or a distillation run directory (its final student).

    Raises:
        UserError: No checkpoint there.
        CheckpointError: Not a student checkpoint (e.g. a PPO ``model_*.pt``), or an unreadable file.
    """
    path = resolve_policy_checkpoint(path)
    network, _ = load_student_network(path, device)
    return DeployedStudent(network, path)
