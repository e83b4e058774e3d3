"""A distilled student as rsl_rl's PPO actor: fine-tune it with rsl_rl's own PPO, storage and runner.

rsl_rl 5's ``PPO`` talks to its actor through the model interface of ``MLPModel`` / ``RNNModel``:
``forward(obs, masks, hidden_state, stochastic_output)``, ``reset`` / ``get_hidden_state`` for recurrent models, the
``output_*`` properties of the action distribution, ``update_normalization``. :class:`StudentActor` implements it
around any student of :mod:`..models.students` (MLP, GRU, LSTM), so the student keeps its own weights, normaliser and
hidden-state layout (``[K, B, H]``, which rsl_rl's storage saves and slices like its own GRU state) and stays a
student: :meth:`StudentActor.student` is what is written back as a student checkpoint, which ``play.py`` and the
exporters take unchanged. Its action noise is rsl_rl's ``GaussianDistribution`` with a small ``init_std``: the
distilled mean is good already, so exploration starts narrow.

Built by rsl_rl's ``PPO.construct_algorithm`` from the runner config (``actor.class_name`` =
``isaaclab_distill.rl.student_actor:StudentActor``, ``actor.checkpoint`` = the distilled student). It has no
``as_jit`` / ``as_onnx``: a fine-tuned student is exported from its student checkpoint by ``play.py``, not by the
runner's ``export_policy_to_*``.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from rsl_rl.modules import HiddenState
from rsl_rl.modules.distribution import GaussianDistribution
from rsl_rl.utils import unpad_trajectories
from tensordict import TensorDict

from ..distillation.checkpoint import load_student_network
from ..models.observations import shape_mismatch
from ..models.students import reset_hidden
from ..utils.errors import UserError

FINETUNABLE = ("mlp", "gru", "lstm")
"""Student classes :class:`StudentActor` takes (vector inputs; an image student has no padded-batch path here)."""


class StudentActor(nn.Module):
    """rsl_rl actor model around a distilled student network (see the module docstring)."""

    def __init__(
        self,
        obs: TensorDict,
        obs_groups: dict[str, list[str]],
        obs_set: str,
        output_dim: int,
        checkpoint: str,
        init_std: float = 0.1,
        std_type: str = "scalar",
        learn_std: bool = True,
        train_memory: bool = False,
    ) -> None:
        """Load the student of ``checkpoint`` and check it against the env.

        Args:
            obs: An observation TensorDict of the env (input groups and sizes).
            obs_groups: rsl_rl's resolved observation sets; ``obs_groups[obs_set]`` must be the student's groups.
            obs_set: ``"actor"``.
            output_dim: Action size A.
            checkpoint: Student checkpoint (``final_student.pt`` of a distillation run).
            init_std: Initial action std of the Gaussian exploration noise.
            std_type: ``"scalar"`` or ``"log"`` (rsl_rl's parameterisations).
            learn_std: Learn the std (PPO) or keep it at ``init_std``.
            train_memory: Let PPO change the recurrent layers too (``False``: only the MLP head and the std learn).

        Raises:
            UserError: An image student, or a student whose groups or action size do not fit the env.
        """
        super().__init__()
        student, _ = load_student_network(checkpoint, device=obs.device)
        name = student.config["class_name"]
        if name not in FINETUNABLE:
            raise UserError(f"'{checkpoint}' is a '{name}' student; fine-tuning takes {', '.join(FINETUNABLE)}")
        problem = shape_mismatch(student.obs_shapes, obs)
        if problem is not None:
            raise UserError(f"the student of '{checkpoint}' does not fit this env: {problem}")
        if student.action_dim != output_dim:
            raise UserError(f"the student of '{checkpoint}' acts in {student.action_dim} dims, the env in {output_dim}")
        self.student = student.train()
        self.frozen_memory = not train_memory and student.is_recurrent  # the GRU/LSTM and its input normaliser
        if self.frozen_memory:
            self.student.rnn.requires_grad_(False)
        self.obs_groups = list(obs_groups[obs_set])
        self.obs_dim = student.obs_dim
        self.is_recurrent = bool(student.is_recurrent)
        self.distribution = GaussianDistribution(output_dim, init_std=init_std, std_type=std_type, learn_std=learn_std)
        self.hidden: torch.Tensor | None = None  # [K, N, H] of the env batch (recurrent students)
        self.frozen = False  # set by the algorithm during the critic warm-up: no weight and no normaliser change

    def forward(
        self,
        obs: TensorDict,
        masks: torch.Tensor | None = None,
        hidden_state: HiddenState = None,
        stochastic_output: bool = False,
    ) -> torch.Tensor:
        """Actions ``[N, A]`` (one env step) or ``[T, B, A]`` (a padded batch of trajectories with ``masks``)."""
        if masks is None:  # one step of the env batch: the hidden state carries over
            if self.is_recurrent and self.hidden is None:
                self.hidden = self.student.initial_hidden(obs.batch_size[0])
            mean, hidden = self.student(obs, self.hidden)
            self.hidden = hidden
        elif self.is_recurrent:  # obs[T, B] padded trajectories from their stored first hidden state h0[K, B, H]
            mean = unpad_trajectories(self.student.forward_sequence(obs, hidden_state), masks)
        else:
            mean = self.student(unpad_trajectories(obs, masks))[0]
        if self.distribution is None or not stochastic_output:
            return mean
        self.distribution.update(mean)
        return self.distribution.sample()

    def reset(self, dones: torch.Tensor | None = None, hidden_state: HiddenState = None) -> None:
        """Zero the hidden state of the envs in ``dones`` (all of them for ``None``), or set it to ``hidden_state``."""
        if hidden_state is not None:
            self.hidden = hidden_state
        elif dones is None:
            self.hidden = None
        else:
            self.hidden = reset_hidden(self.hidden, dones)

    def get_hidden_state(self) -> HiddenState:
        """The env batch's hidden state ``[K, N, H]`` (``None`` for an MLP or before the first step)."""
        return self.hidden

    def detach_hidden_state(self, dones: torch.Tensor | None = None) -> None:
        """Cut the graph at the current hidden state (rollouts run in inference mode: nothing to cut)."""
        if self.hidden is not None:
            self.hidden = self.hidden.detach()

    @torch.no_grad()
    def update_normalization(self, obs: TensorDict) -> None:
        """Update the student's input normaliser with ``obs[..]`` (not while :attr:`frozen` or the memory is)."""
        if not self.frozen and not self.frozen_memory:
            self.student.update_normalization(obs)

    @property
    def output_mean(self) -> torch.Tensor:
        """Mean of the current action distribution."""
        return self.distribution.mean

    @property
    def output_std(self) -> torch.Tensor:
        """Std of the current action distribution (``[..., A]``)."""
        return self.distribution.std

    @property
    def output_entropy(self) -> torch.Tensor:
        """Entropy of the current action distribution."""
        return self.distribution.entropy

    @property
    def output_distribution_params(self) -> tuple[torch.Tensor, ...]:
        """Parameters of the current action distribution (what PPO stores for the KL)."""
        return self.distribution.params

    def get_output_log_prob(self, outputs: torch.Tensor) -> torch.Tensor:
        """Log-probability of ``outputs`` under the current distribution."""
        return self.distribution.log_prob(outputs)

    def get_kl_divergence(self, old: tuple[torch.Tensor, ...], new: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """KL divergence between two parameterisations of the distribution."""
        return self.distribution.kl_divergence(old, new)
