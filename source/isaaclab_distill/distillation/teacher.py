"""Frozen PPO teacher loaded from an rsl_rl 5.5.1 ``OnPolicyRunner`` checkpoint.

The checkpoint is the dict written by ``OnPolicyRunner.save``: ``PPO.save()`` (``actor_state_dict``,
``critic_state_dict``, ``optimizer_state_dict`` and, with RND, ``rnd_*``) plus ``iter`` and ``infos``. The actor is
rebuilt exactly as ``PPO.construct_algorithm`` does it: ``resolve_class(cfg["actor"])`` (``MLPModel`` or
``RNNModel``), observation sets from ``resolve_obs_groups(obs, cfg["obs_groups"], ["actor", "critic"])``, then
``actor_class(obs, obs_groups, "actor", num_actions, **actor_cfg)``. Its observation normaliser lives inside the model
(``obs_normalizer.*`` buffers of ``actor_state_dict``), so it is restored with the weights.

The file is read by :func:`.checkpoint.load_checkpoint` (``torch.load(weights_only=True)``, kind ``"teacher"``). The
dicts rsl_rl writes hold only tensors, numbers, strings, lists and ``None`` (``infos`` is ``None`` unless a caller
passes its own objects), which the safe unpickler accepts; a checkpoint with other pickled objects is refused.
"""

from __future__ import annotations

import copy
import math
import os
from typing import Any

import torch
import torch.nn as nn
from rsl_rl.utils import resolve_class, resolve_obs_groups
from tensordict import TensorDict

from ..utils.distributed import Distributed
from .cfg import MultiTeacherCfg
from .checkpoint import load_checkpoint
from .errors import DistillationError, TeacherLoadError

_LEGACY_MODEL_KEYS = ("stochastic", "init_noise_std", "noise_std_type", "state_dependent_std")


def agent_cfg_to_dict(agent_cfg: Any) -> dict:
    """Plain-dict copy of an rsl_rl runner config (an isaaclab_rl ``RslRl*RunnerCfg`` or its ``to_dict()``)."""
    if isinstance(agent_cfg, dict):
        return copy.deepcopy(agent_cfg)
    from isaaclab.utils import to_dict

    return to_dict(agent_cfg)


def actor_cfg_from_agent_cfg(agent_cfg: Any) -> dict:
    """The ``actor`` model config as rsl_rl 5 expects it (legacy ``stochastic`` fields migrated/removed).

    Mirrors ``isaaclab_rl.rsl_rl.utils._update_distribution_cfg`` so that a config that was not passed through
    ``handle_deprecated_rsl_rl_cfg`` still builds the same actor.
    """
    cfg = agent_cfg_to_dict(agent_cfg)
    if not isinstance(cfg.get("actor"), dict):
        raise TeacherLoadError("The agent config has no 'actor' model config; expected an rsl_rl >= 4 runner config.")
    actor = cfg["actor"]
    if actor.get("distribution_cfg") is None and actor.get("stochastic") is True:
        name = "HeteroscedasticGaussianDistribution" if actor.get("state_dependent_std") else "GaussianDistribution"
        actor["distribution_cfg"] = {
            "class_name": name,
            "init_std": actor.get("init_noise_std", 1.0),
            "std_type": actor.get("noise_std_type", "scalar"),
        }
    for key in _LEGACY_MODEL_KEYS:
        actor.pop(key, None)
    return actor


def check_state_dict_shapes(model: nn.Module, state: dict[str, torch.Tensor], path: str, what: str) -> None:
    """Raise :class:`TeacherLoadError` naming checkpoint vs config shapes for every mismatching entry."""
    expected = model.state_dict()
    problems = []
    for key, value in expected.items():
        if key not in state:
            problems.append(f"'{key}' missing in checkpoint (config expects {tuple(value.shape)})")
        elif tuple(state[key].shape) != tuple(value.shape):
            problems.append(f"'{key}': checkpoint {tuple(state[key].shape)} vs config {tuple(value.shape)}")
    for key in state:
        if key not in expected:
            problems.append(f"'{key}' {tuple(state[key].shape)} in checkpoint but not in config")
    if problems:
        raise TeacherLoadError(
            f"Teacher checkpoint '{path}' does not match the configured {what}: "
            + "; ".join(problems[:6])
            + (f"; ... ({len(problems) - 6} more)" if len(problems) > 6 else "")
        )


class Teacher:
    """A frozen rsl_rl actor that labels (and optionally drives) a fixed batch of envs.

    A recurrent teacher keeps its hidden state per env inside the rsl_rl model (``RNNModel`` stores it); it is zeroed
    for the envs flagged in ``dones``. Call :meth:`act` with the same batch of envs every step.
    """

    def __init__(
        self,
        model: nn.Module,
        deterministic: bool = True,
        name: str = "teacher",
        clip_actions: float | None = None,
        frozen: bool = True,
    ) -> None:
        """Wrap an rsl_rl ``MLPModel``/``RNNModel``.

        Args:
            model: The actor; it is put in eval mode and its parameters frozen.
            deterministic: Act with the distribution mean (``True``) or sample from it.
            name: Label used in logs.
            clip_actions: Clamp actions to ``[-clip, clip]``, the range the env applied during PPO training (the
                runner config's ``clip_actions``), so that students learn the actions that had an effect rather than
                raw outputs the env discarded. ``None``: no clamp.
            frozen: Put the model in eval mode and freeze its parameters; ``False`` labels with a model that another
                algorithm trains (PPO interleaved with distillation: the teacher as it is now).
        """
        self.clip_actions = clip_actions
        self.model = model.eval() if frozen else model
        for p in self.model.parameters() if frozen else ():
            p.requires_grad_(False)
        self.deterministic = deterministic
        self.name = name
        self.is_recurrent = bool(getattr(model, "is_recurrent", False))

    @torch.no_grad()
    def act(
        self, obs: TensorDict, dones: torch.Tensor | None = None, deterministic: bool | None = None
    ) -> torch.Tensor:
        """Actions ``[B, A]`` for observations ``obs`` (batch B).

        Args:
            obs: Observation TensorDict holding at least the teacher's observation groups.
            dones: ``[B]`` flags of the previous env step; their hidden state is zeroed before acting.
            deterministic: Override :attr:`deterministic` for this call.
        """
        if dones is not None:
            self.reset(dones)
        deterministic = self.deterministic if deterministic is None else deterministic
        stochastic = not deterministic and getattr(self.model, "distribution", None) is not None
        actions = self.model(obs, stochastic_output=stochastic)
        if self.clip_actions is not None:
            actions = actions.clamp(-self.clip_actions, self.clip_actions)
        return actions

    @torch.no_grad()
    def latent(self, obs: TensorDict) -> torch.Tensor:
        """The teacher's scandots latent ``[B, L]`` (a :class:`~isaaclab_distill.models.ScandotsEncoderModel`)."""
        return self.model.scan_latent(obs)

    def __call__(self, obs: TensorDict) -> torch.Tensor:
        """``act(obs)`` with the configured determinism: a :class:`~.rollout.Policy` (reset it with :meth:`reset`)."""
        return self.act(obs)

    def reset(self, dones: torch.Tensor | None = None) -> None:
        """Zero the hidden state of the envs where ``dones`` is set (all envs when ``None``)."""
        if not self.is_recurrent:
            return
        if dones is None:
            self.model.reset()
        else:
            self.model.reset(dones.view(-1).long())

    def architecture(self, num_actions: int) -> str:
        """``Teacher architecture: obs=<D>, actions=<A>, hidden=[...]`` (+ the RNN of a recurrent teacher)."""
        hidden = [m.out_features for m in self.model.mlp.modules() if isinstance(m, nn.Linear)][:-1]
        rnn = getattr(getattr(self.model, "rnn", None), "rnn", None)  # rsl_rl's RNN wraps the torch GRU/LSTM
        memory = f", rnn={type(rnn).__name__}({rnn.hidden_size} x {rnn.num_layers})" if rnn is not None else ""
        return f"Teacher architecture: obs={self.model.obs_dim}, actions={num_actions}, hidden={hidden}{memory}"

    @property
    def obs_groups(self) -> list[str]:
        """Observation groups the teacher reads."""
        return list(self.model.obs_groups)

    @classmethod
    def from_checkpoint(
        cls,
        path: str,
        agent_cfg: Any,
        obs: TensorDict,
        num_actions: int,
        device: str | torch.device = "cpu",
        deterministic: bool = True,
    ) -> Teacher:
        """Load a PPO actor from an ``OnPolicyRunner`` checkpoint.

        Args:
            path: ``model_*.pt`` written by rsl_rl's ``OnPolicyRunner.save``.
            agent_cfg: The runner config the teacher was trained with (``RslRlOnPolicyRunnerCfg`` or a dict with
                ``actor`` and ``obs_groups``).
            obs: An observation TensorDict of the env (``env.get_observations()``), used for the input sizes.
            num_actions: Action size.
            device: Device of the model.
            deterministic: Act with the distribution mean.

        Raises:
            CheckpointError: Missing/unreadable file or not a PPO checkpoint.
            TeacherLoadError: The agent config does not build an actor that fits the checkpoint and the env.
        """
        data = load_checkpoint(path, map_location=device, kind="teacher")
        cfg = agent_cfg_to_dict(agent_cfg)
        actor_cfg = actor_cfg_from_agent_cfg(cfg)
        obs_groups = resolve_obs_groups(obs, copy.deepcopy(cfg.get("obs_groups") or {}), ["actor", "critic"])
        actor_class, actor_kwargs = resolve_class(actor_cfg)
        try:
            model = actor_class(obs, obs_groups, "actor", num_actions, **actor_kwargs).to(device)
        except (TypeError, ValueError, KeyError) as err:
            raise TeacherLoadError(f"Cannot build the teacher actor from the agent config: {err}") from err
        state = data["actor_state_dict"]
        check_state_dict_shapes(model, state, path, f"actor ({actor_class.__name__}, obs groups {obs_groups['actor']})")
        model.load_state_dict(state, strict=True)
        clip = cfg.get("clip_actions")
        return cls(model, deterministic, os.path.basename(path), None if clip is None else float(clip))


def latent_label_dim(teachers: list[Teacher], student: nn.Module, coef: float) -> int:
    """L, the teacher-latent columns stored after the actions in every label (0 when ``coef`` is 0).

    Raises:
        DistillationError: ``coef > 0`` without one teacher with a scandots latent and a student whose feature has
            the latent's size.
    """
    if coef <= 0.0:
        return 0
    model = teachers[0].model
    if len(teachers) != 1 or not hasattr(model, "scan_latent"):
        raise DistillationError(
            "agent.algorithm.latent_loss_coef > 0 needs one teacher with a scandots encoder (ScandotsEncoderModel,"
            " e.g. train.py --agent rsl_rl_scandots_encoder_cfg_entry_point); set it to 0 for this teacher"
        )
    feature = getattr(student, "feature_dim", None)
    if not hasattr(student, "forward_sequence_with_feature") or feature != model.scan_latent_dim:
        raise DistillationError(
            f"agent.algorithm.latent_loss_coef > 0 needs a student with a {model.scan_latent_dim}-d feature (the"
            f" teacher's latent), e.g. depth_cnn_gru with feature_dim={model.scan_latent_dim}; got {feature}"
        )
    return int(model.scan_latent_dim)


def teacher_groups(
    env_teacher_ids: torch.Tensor | None, num_envs: int, num_teachers: int, device: torch.device
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The teacher index of every env ``[N]`` (default: equal contiguous blocks) and the env ids of each teacher.

    Raises:
        DistillationError: An index outside ``[0, num_teachers)``, the wrong count, or a teacher without an env.
    """
    n, n_t = num_envs, num_teachers
    ids = torch.arange(n) * n_t // n if env_teacher_ids is None else env_teacher_ids
    ids = ids.to(device).long().view(-1)  # [N]
    if ids.numel() != n or int(ids.min()) < 0 or int(ids.max()) >= n_t:
        raise DistillationError(f"env_teacher_ids must hold {n} indices in [0, {n_t}).")
    groups = [torch.nonzero(ids == k).flatten() for k in range(n_t)]
    if any(group.numel() == 0 for group in groups):
        raise DistillationError("Every teacher needs at least one env (check env_teacher_ids).")
    return ids, groups


def group_means(
    groups: torch.Tensor, returns: torch.Tensor, counts: torch.Tensor | None, num_teachers: int, ranks: Distributed
) -> torch.Tensor:
    """``[num_teachers]`` mean return per teacher group over all ranks (NaN where a group has no episode).

    ``returns[E]`` of envs in teacher groups ``groups[E]``, each the sum of ``counts[E]`` episodes (default one);
    ``ranks``: the ``torchrun`` job; the sums are over all ranks, so that every rank picks the same worst groups.
    """
    counts = torch.ones_like(returns) if counts is None else counts
    group_sum = torch.zeros(num_teachers, device=returns.device).index_add_(0, groups, returns)
    group_cnt = torch.zeros(num_teachers, device=returns.device).index_add_(0, groups, counts)
    ranks.all_reduce_sum(group_sum), ranks.all_reduce_sum(group_cnt)
    return group_sum / group_cnt


def worst_groups(group_returns: torch.Tensor, k: int, env_teacher_ids: torch.Tensor) -> torch.Tensor:
    """``[N]`` flags of the envs of the ``k`` teacher groups with the lowest student return (worst_k selection).

    Every env is flagged when ``k`` covers all groups or no group has a return yet; a group without a return
    (NaN: no finished episode) counts as the worst.
    """
    n_t = len(group_returns)
    if k >= n_t or bool(group_returns.isnan().all()):
        return torch.ones_like(env_teacher_ids, dtype=torch.bool)
    worst = torch.argsort(torch.nan_to_num(group_returns, nan=-math.inf))[: max(1, k)]
    active = torch.zeros(n_t, dtype=torch.bool).index_fill_(0, worst, True)
    return active.to(env_teacher_ids.device)[env_teacher_ids]


def offset_columns(
    cfg: MultiTeacherCfg, group: str, obs_shapes: dict[str, tuple], num_teachers: int, device: torch.device
) -> torch.Tensor:
    """``[num_teachers, P]`` zero position offsets of the ``position_obs_slice`` columns of the student's ``group``.

    Raises:
        DistillationError: With ``position_offset_correction``, a slice that is not a column range of ``group``.
    """
    a, b = cfg.position_obs_slice
    shape = tuple(obs_shapes.get(group, ()))
    if cfg.position_offset_correction and not (len(shape) == 1 and 0 <= a < b <= shape[0]):
        raise DistillationError(f"position_obs_slice {(a, b)} is not a column range of group '{group}' {shape}.")
    return torch.zeros(num_teachers, max(b - a, 0), device=device)
