"""rsl_rl's PPO with a critic warm-up and a scheduled distillation term: fine-tuning a distilled student.

Per iteration ``t`` (CleanRL-style, one minibatch of ``B`` transitions, ``A`` actions):

1. rollout (rsl_rl's runner): the student samples ``a ~ N(mu_s(o), sigma)``; with a teacher, every step's
   observation TensorDict also carries the teacher's deterministic action ``a_T[N, A]`` (group ``teacher_actions``)
   and whether the teacher drove that env (``teacher_driven[N, 1]``: a share ``beta(t)`` of the envs, drawn per env
   at each episode start), so rsl_rl's storage keeps them aligned with everything else, padded trajectories included;
2. update, per minibatch::

       loss = value_coef * L_value                              (always: the critic learns)
            + rl_coef * (L_clip - entropy_coef * H)             (not during the warm-up; student-driven steps only)
            + coef(t) * behaviour_loss(mu_s(o), a_T)            (not during the warm-up)

   During the first ``critic_warmup_iterations`` the actor's parameters (weights, normaliser, std) do not change:
   a fresh critic's advantages are noise, and PPO steps on noise undo the distillation (mjlab #1174's warm-up).

Why not rsl_rl's ``PPO.update`` as is: its loss has no slot for an extra term nor a mask of steps, and it always
updates the actor. rsl_rl's pieces are reused: storage, generators, the model interface, gradient reduction.
"""

from __future__ import annotations

from collections import defaultdict

import torch
import torch.nn as nn
from rsl_rl.algorithms import PPO
from rsl_rl.env import VecEnv
from rsl_rl.storage import RolloutStorage
from rsl_rl.utils import unpad_trajectories
from tensordict import TensorDict

from ..distillation.checkpoint import load_checkpoint
from ..distillation.losses import behaviour_loss
from ..distillation.teacher import Teacher, check_state_dict_shapes
from .finetune_cfg import GuidanceCfg

LABELS, DRIVEN = "teacher_actions", "teacher_driven"
"""Observation groups the algorithm adds when it has a teacher."""


class GuidedPPO(PPO):
    """PPO + critic warm-up + a scheduled behaviour-cloning term (see the module docstring)."""

    def __init__(
        self,
        actor: nn.Module,
        critic: nn.Module,
        storage: RolloutStorage,
        critic_warmup_iterations: int = 0,
        critic_from_teacher: bool = True,
        guidance: dict | None = None,
        teacher: dict | None = None,
        **ppo_kwargs,
    ) -> None:
        """rsl_rl's PPO arguments plus the warm-up length, a :class:`.finetune_cfg.GuidanceCfg` dict and the teacher.

        ``teacher``: ``{"checkpoint", "actor", "obs_groups", "clip_actions"}`` of a PPO teacher; it is loaded by
        :meth:`construct_algorithm`, which has the env's observations: as the labeller when the guidance uses it,
        and, with ``critic_from_teacher``, its critic is the start of this critic.
        """
        super().__init__(actor, critic, storage, **ppo_kwargs)
        if ppo_kwargs.get("rnd_cfg") or ppo_kwargs.get("symmetry_cfg"):
            raise ValueError("fine-tuning supports neither RND nor symmetry augmentation")
        self.critic_warmup_iterations = int(critic_warmup_iterations)
        self.critic_from_teacher = critic_from_teacher
        self.guidance = GuidanceCfg(**(guidance or {}))
        self.teacher_cfg = teacher
        self.teacher: Teacher | None = None
        self.driven: torch.Tensor | None = None  # [N] bool: the teacher drives this env's episode
        self.iteration = 0  # the runner sets it at resume
        self.storage_share = 0.0  # share of the last rollout's steps the teacher drove
        self.trainable = [p for p in self.actor.parameters() if p.requires_grad]

    @staticmethod
    def construct_algorithm(obs: TensorDict, env: VecEnv, cfg: dict, device: str) -> GuidedPPO:
        """rsl_rl's construction, then the teacher's critic, the teacher and a storage that also holds its labels."""
        alg: GuidedPPO = PPO.construct_algorithm(obs, env, cfg, device)  # type: ignore[assignment]
        path = alg.teacher_cfg["checkpoint"] if alg.teacher_cfg else None
        if path and alg.critic_from_teacher:
            alg.load_teacher_critic(path)
        if path and alg.guidance.needs_teacher:
            alg.teacher = Teacher.from_checkpoint(path, alg.teacher_cfg, obs, env.num_actions, device)
            alg.draw_drivers(torch.ones(env.num_envs, dtype=torch.bool, device=device))
            shapes = [env.num_actions]
            alg.storage = RolloutStorage(
                "rl", env.num_envs, cfg["num_steps_per_env"], alg.labelled(obs), shapes, device
            )
            alg.teacher.reset()  # labelling the example stepped a recurrent teacher
        return alg

    def load_teacher_critic(self, path: str) -> None:
        """Start the critic from the PPO teacher's (rl_games #378 warm-starts its central value the same way).

        It values the states of the teacher's behaviour, which the student imitates, so the warm-up only calibrates it.

        Raises:
            TeacherLoadError: The teacher's critic does not have this critic's layout (its obs groups or sizes).
        """
        state = load_checkpoint(path, map_location=self.device, kind="teacher")["critic_state_dict"]
        critic = self._raw_critic  # not a torch.compile wrapper (its keys carry a prefix)
        check_state_dict_shapes(critic, state, path, "critic (agent.finetune.critic_from_teacher=false: a fresh one)")
        critic.load_state_dict(state)

    def labelled(self, obs: TensorDict) -> TensorDict:
        """``obs`` plus the teacher's action ``[N, A]`` and the driven flags ``[N, 1]`` (a new TensorDict)."""
        obs = obs.copy()
        obs[LABELS] = self.teacher.act(obs)
        obs[DRIVEN] = self.driven.unsqueeze(-1).to(obs[LABELS].dtype)
        return obs

    def act(self, obs: TensorDict) -> torch.Tensor:
        """Sample the student's actions ``[N, A]``; the teacher's action where it drives."""
        if self.teacher is None:
            return super().act(obs)
        obs = self.labelled(obs)
        actions = super().act(obs)
        return torch.where(self.driven.unsqueeze(-1), obs[LABELS], actions)

    def process_env_step(self, obs: TensorDict, rewards: torch.Tensor, dones: torch.Tensor, extras: dict) -> None:
        """rsl_rl's bookkeeping; then the teacher's hidden state and, for new episodes, who drives them."""
        super().process_env_step(obs, rewards, dones, extras)
        if self.teacher is not None:
            self.teacher.reset(dones)
            self.draw_drivers(dones.view(-1).bool())

    def draw_drivers(self, envs: torch.Tensor) -> None:
        """Draw who drives the next episode of the envs flagged in ``envs[N]``: the teacher with probability beta."""
        draw = torch.rand(envs.shape[0], device=envs.device) < self.guidance.at(self.iteration)[1]
        self.driven = draw if self.driven is None else torch.where(envs, draw, self.driven)

    def freeze_actor(self, frozen: bool) -> None:
        """Freeze (or release) the actor's trainable parameters and its normaliser."""
        for p in self.trainable:
            p.requires_grad_(not frozen)
        self.actor.frozen = frozen

    def update(self) -> dict[str, float]:
        """One PPO update over the stored rollout (``num_learning_epochs`` x ``num_mini_batches``)."""
        frozen = self.iteration < self.critic_warmup_iterations
        self.freeze_actor(frozen)
        coef = self.guidance.at(self.iteration)[0]
        rl_coef = 0.0 if frozen else self.guidance.rl_coef
        coef = 0.0 if frozen or self.teacher is None else coef
        sums: dict[str, float] = defaultdict(float)
        recurrent = self.actor.is_recurrent or self.critic.is_recurrent
        make = self.storage.recurrent_mini_batch_generator if recurrent else self.storage.mini_batch_generator
        for batch in make(self.num_mini_batches, self.num_learning_epochs):
            advantages = batch.advantages.squeeze(-1)  # [B] or [T, B]
            if self.normalize_advantage_per_mini_batch:
                advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
            # re-evaluate the stored actions under the current student and critic
            self.actor(batch.observations, batch.masks, batch.hidden_states[0], stochastic_output=True)
            log_prob = self.actor.get_output_log_prob(batch.actions)  # [B] or [T, B]
            entropy = self.actor.output_entropy
            values = self.critic(batch.observations, masks=batch.masks, hidden_state=batch.hidden_states[1])
            if not frozen:
                self.adapt_learning_rate(batch.old_distribution_params, self.actor.output_distribution_params)

            # PPO's clipped surrogate and entropy, over the steps the student drove
            student = 1.0 - self.group(batch, DRIVEN).squeeze(-1) if self.teacher is not None else None
            ratio = torch.exp(log_prob - batch.old_actions_log_prob.squeeze(-1))
            clipped = torch.clamp(ratio, 1.0 - self.clip_param, 1.0 + self.clip_param)
            surrogate = torch.max(-advantages * ratio, -advantages * clipped)
            surrogate_loss, entropy_mean = masked_mean(surrogate, student), masked_mean(entropy, student)

            # value loss (clipped as rsl_rl's)
            if self.use_clipped_value_loss:
                value_clipped = batch.values + (values - batch.values).clamp(-self.clip_param, self.clip_param)
                value_loss = torch.max((values - batch.returns).pow(2), (value_clipped - batch.returns).pow(2)).mean()
            else:
                value_loss = (batch.returns - values).pow(2).mean()

            loss = self.value_loss_coef * value_loss
            loss = loss + rl_coef * (surrogate_loss - self.entropy_coef * entropy_mean)
            if self.teacher is not None:
                imitation = behaviour_loss(self.actor.output_mean, self.group(batch, LABELS), kind=self.guidance.loss)
                loss = loss + coef * imitation
                sums["behaviour"] += imitation.item()

            self.optimizer.zero_grad()
            loss.backward()
            if self.is_multi_gpu:
                self.reduce_parameters()
            nn.utils.clip_grad_norm_(self.actor.parameters(), self.max_grad_norm)
            nn.utils.clip_grad_norm_(self.critic.parameters(), self.max_grad_norm)
            self.optimizer.step()
            sums["value"] += value_loss.item()
            sums["surrogate"] += surrogate_loss.item()
            sums["entropy"] += entropy_mean.item()

        # normalisers (the student's is frozen during the warm-up), then the schedule's next iteration
        obs = self.storage.observations.flatten(0, 1)
        self.storage_share = float(obs[DRIVEN].mean()) if self.teacher is not None else 0.0
        self.actor.update_normalization(obs)
        self.critic.update_normalization(obs)
        self.storage.clear()
        self.iteration += 1
        num_updates = self.num_learning_epochs * self.num_mini_batches
        losses = {key: value / num_updates for key, value in sums.items()}
        losses.update(behaviour_coef=coef, teacher_share=self.storage_share)  # the steps the teacher drove
        losses["actor_frozen"] = float(frozen)
        return losses

    def group(self, batch: RolloutStorage.Batch, name: str) -> torch.Tensor:
        """Group ``name`` of a minibatch's observations, unpadded like the actor's output."""
        value = batch.observations[name]
        return value if batch.masks is None else unpad_trajectories(value, batch.masks)

    def adapt_learning_rate(self, old: tuple[torch.Tensor, ...], new: tuple[torch.Tensor, ...]) -> None:
        """rsl_rl's adaptive schedule: shrink / grow the learning rate when the KL leaves ``desired_kl``'s band."""
        if self.desired_kl is None or self.schedule != "adaptive":
            return
        with torch.inference_mode():
            kl = self.actor.get_kl_divergence(old, new).mean()
            if self.is_multi_gpu:
                torch.distributed.all_reduce(kl, op=torch.distributed.ReduceOp.SUM)
                kl /= self.gpu_world_size
            if kl > self.desired_kl * 2.0:
                self.learning_rate = max(1e-5, self.learning_rate / 1.5)
            elif 0.0 < kl < self.desired_kl / 2.0:
                self.learning_rate = min(1e-2, self.learning_rate * 1.5)
        for group in self.optimizer.param_groups:
            group["lr"] = self.learning_rate


def masked_mean(values: torch.Tensor, weights: torch.Tensor | None) -> torch.Tensor:
    """Mean of ``values[...]`` weighted by ``weights[...]`` (``None``: plain mean); 0 when no weight is set."""
    if weights is None:
        return values.mean()
    return (values * weights).sum() / weights.sum().clamp(min=1.0)
