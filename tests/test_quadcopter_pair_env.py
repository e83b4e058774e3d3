"""The two-quadcopter multi-agent task: its config and registration, and the converted env on the real simulation."""

from __future__ import annotations

import gymnasium as gym
import pytest
import torch

from isaaclab_distill.tasks.quadcopter.quadcopter_env_cfg import POLICY_OBS_DIM
from isaaclab_distill.utils.hydra import load_task_configs

PAIR_TASK = "Isaac-Quadcopter-Pair-Point-Ctrl-v0"
NUM_ENVS = 4


def test_pair_cfg_spaces_and_registration():
    """Two agents with 4 actions and the single task's ``policy`` observation each; three entry points registered."""
    from isaaclab.envs import DirectMARLEnvCfg

    env_cfg, _ = load_task_configs(PAIR_TASK, None)
    assert isinstance(env_cfg, DirectMARLEnvCfg)
    agents = env_cfg.possible_agents
    assert agents == ["quad_0", "quad_1"]
    assert set(env_cfg.action_spaces) == set(env_cfg.observation_spaces) == set(agents)
    assert all(env_cfg.action_spaces[a] == 4 and env_cfg.observation_spaces[a] == POLICY_OBS_DIM for a in agents)
    assert env_cfg.state_space == -1  # the concatenation of the agents' observations
    # one body per agent, built like the single task's robot but at its own prim path and spawn point
    robots = [getattr(env_cfg.scene, f"robot_{k}") for k in range(len(agents))]
    assert len({r.prim_path for r in robots}) == len({r.init_state.pos for r in robots}) == len(agents)

    spec = gym.spec(PAIR_TASK)
    assert spec.entry_point == "isaaclab_distill.tasks.quadcopter.quadcopter_pair_env:QuadcopterPairEnv"
    for key, name in (
        ("env_cfg_entry_point", "QuadcopterPairEnvCfg"),
        ("rsl_rl_cfg_entry_point", "QuadcopterPairPPORunnerCfg"),
        ("distillation_cfg_entry_point", "QuadcopterPairDistillationCfg"),
    ):
        assert spec.kwargs[key].endswith(f":{name}"), (key, spec.kwargs[key])
    _, ppo_cfg = load_task_configs(PAIR_TASK, "rsl_rl_cfg_entry_point")
    assert ppo_cfg.obs_groups == {"actor": ["policy"], "critic": ["policy"]}


@pytest.mark.sim
def test_converted_pair_env_steps_and_actions_reach_their_own_quadcopter():
    """Converted to one agent: 8 actions, ``policy`` = both observations; full thrust lifts only quad_0."""
    from isaaclab.envs import multi_agent_to_single_agent
    from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper

    env_cfg, _ = load_task_configs(PAIR_TASK, None, [f"env.scene.num_envs={NUM_ENVS}"])
    env_cfg.seed = 0
    env_cfg.sim.device = "cpu"
    marl_env = gym.make(PAIR_TASK, cfg=env_cfg)
    env = RslRlVecEnvWrapper(multi_agent_to_single_agent(marl_env), clip_actions=1.0)
    try:
        assert env.num_actions == 8
        obs = env.get_observations()
        assert set(obs.keys()) == {"policy"} and obs["policy"].shape == (NUM_ENVS, 2 * POLICY_OBS_DIM)

        for _ in range(20):
            actions = 2.0 * torch.rand(NUM_ENVS, env.num_actions) - 1.0
            obs, rewards, dones, _ = env.step(actions)
            assert obs["policy"].shape == (NUM_ENVS, 2 * POLICY_OBS_DIM) and torch.isfinite(obs["policy"]).all()
            assert rewards.shape == (NUM_ENVS,) and torch.isfinite(rewards).all()

        # fresh episodes; then quad_0 at full thrust, quad_1 at zero thrust (the action slices [0:4] and [4:8])
        env.reset()
        robots = [marl_env.unwrapped.scene[f"robot_{k}"] for k in range(2)]
        z0 = [r.data.root_pos_w.torch[:, 2].clone() for r in robots]
        actions = torch.zeros(NUM_ENVS, 8)
        actions[:, 0], actions[:, 4] = 1.0, -1.0
        for _ in range(15):  # 0.3 s: neither body reaches the height limits
            obs, _, dones, _ = env.step(actions)
            assert not dones.any()
        dz = [r.data.root_pos_w.torch[:, 2] - z for r, z in zip(robots, z0)]
        # thrust-to-weight 1.95, 40 ms motor lag from half thrust: measured +0.34 m; zero thrust: -0.37 m (free fall
        # would be -0.44 m); a body at hover thrust would stay within 0.05 m
        assert (dz[0] > 0.15).all(), dz[0]
        assert (dz[1] < -0.25).all(), dz[1]
        # each agent's observation is its own body's: level flight, gravity along -z of both bodies
        gravity = obs["policy"].reshape(NUM_ENVS, 2, POLICY_OBS_DIM)[:, :, 3:6]
        torch.testing.assert_close(gravity, torch.tensor([0.0, 0.0, -1.0]).expand_as(gravity), atol=1e-3, rtol=0)
    finally:
        env.close()
