"""Pure-torch stand-ins for the unit tests: a point-mass vec-env, dead-beat teachers, rsl_rl PPO checkpoints.

They replace nothing of the simulator in the tests that need it (those run the real Isaac Lab envs); they let the
distillation math be checked to the bit on tiny tensors.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
from rsl_rl.algorithms import PPO
from rsl_rl.models import MLPModel, RNNModel
from rsl_rl.storage import RolloutStorage
from tensordict import TensorDict

from isaaclab_distill.distillation.cfg import DistillationAlgorithmCfg, DistillationCfg, DistillationStorageCfg


class PointEnv:
    """Pure-torch VecEnv: x += 0.5 a, reward -|x|, episodes of 8 steps. Obs: policy = x, teacher = [x, 1]."""

    def __init__(self, n=6):
        self.num_envs, self.num_actions, self.device, self.max_episode_length = n, 2, "cpu", 8
        self.x, self.episode_length_buf, self.nan = torch.randn(n, 2), torch.zeros(n, dtype=torch.long), False

    def get_observations(self):
        pol = self.x.clone() if not self.nan else torch.full_like(self.x, math.nan)
        return TensorDict(
            {"policy": pol, "teacher": torch.cat([self.x, torch.ones(self.num_envs, 1)], 1)}, [self.num_envs]
        )

    def step(self, actions):
        self.x = self.x + 0.5 * actions
        self.episode_length_buf += 1
        rew = -self.x.norm(dim=1)
        dones = self.episode_length_buf >= self.max_episode_length
        self.x[dones] = torch.randn(int(dones.sum()), 2)
        self.episode_length_buf[dones] = 0
        return self.get_observations(), rew, dones.long(), {}


class OffsetTeacherModel(nn.Module):
    """Dead-beat controller: x = offset after one step (with x += 0.5 a)."""

    obs_groups = ["teacher"]
    is_recurrent = False

    def __init__(self, offset):
        super().__init__()
        self.register_buffer("offset", torch.tensor(offset))

    def forward(self, obs, stochastic_output=False):
        return -2.0 * (obs["teacher"][:, :2] - self.offset)


class Writer:
    def __init__(self):
        self.scalars = []

    def add_scalar(self, tag, value, step):
        self.scalars.append((tag, value, step))


def small_cfg(**kw):
    """A :class:`DistillationCfg` for the point env; ``kw`` fields go to the runner, algorithm or storage section."""
    cfg = DistillationCfg(n_epochs=3, num_steps_per_env=5, eval_steps=20, save_interval=2, eval_mode="rollout")
    cfg.algorithm = DistillationAlgorithmCfg(batch_size=8, epoch_teacher_forcing=1, beta_start=0.5, learning_rate=1e-2)
    cfg.storage = DistillationStorageCfg(max_dataset_steps=6 * 12)
    for k, v in kw.items():
        section = next((sec for sec in (cfg.algorithm, cfg.storage) if hasattr(sec, k)), cfg)
        setattr(section, k, v)
    return cfg


def agent_cfg(hidden=(16, 16), rnn=False):
    actor = {
        "class_name": "RNNModel" if rnn else "MLPModel",
        "hidden_dims": list(hidden),
        "activation": "elu",
        "obs_normalization": True,
        "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 0.7},
    }
    if rnn:
        actor.update(rnn_type="gru", rnn_hidden_dim=8, rnn_num_layers=1)
    critic = {"class_name": "MLPModel", "hidden_dims": [8], "activation": "elu", "obs_normalization": False}
    return {"actor": actor, "critic": critic, "obs_groups": {"actor": ["teacher"], "critic": ["teacher"]}}


def make_obs(n=4, policy_dim=3, teacher_dim=5):
    return TensorDict({"policy": torch.randn(n, policy_dim), "teacher": torch.randn(n, teacher_dim)}, batch_size=[n])


def write_ppo_checkpoint(path, cfg, obs, num_actions=2):
    """A real rsl_rl PPO save(), as OnPolicyRunner.save writes it."""
    torch.manual_seed(4)
    actor = (RNNModel if cfg["actor"]["class_name"] == "RNNModel" else MLPModel)(
        obs, cfg["obs_groups"], "actor", num_actions, **{k: v for k, v in cfg["actor"].items() if k != "class_name"}
    )
    critic = MLPModel(obs, cfg["obs_groups"], "critic", 1, hidden_dims=[8], activation="elu")
    actor.train()
    actor.update_normalization(TensorDict({"teacher": 3.0 + 2.0 * torch.randn(64, obs["teacher"].shape[1])}, [64]))
    storage = RolloutStorage("rl", obs.batch_size[0], 4, obs, [num_actions])
    alg = PPO(actor, critic, storage)
    saved = alg.save()
    saved["iter"], saved["infos"] = 10, None
    torch.save(saved, path)
    return actor.eval()


def manual_rollout(student, obs, h0, dones):
    """Step-by-step reference: one forward per step, hidden zeroed after a done."""
    h, outs = h0, []
    for t in range(obs.shape[0]):
        a, h = student(obs[t], h)
        outs.append(a)
        h = h * (~dones[t]).view(1, -1, 1).float()
    return torch.stack(outs)
