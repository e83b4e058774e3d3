"""Quadcopter env smoke test: the real Newton simulation on CPU, stepped with random actions."""

from __future__ import annotations

import gymnasium as gym
import pytest
import torch

from isaaclab_distill.tasks.quadcopter.quadcopter_env_cfg import POLICY_OBS_DIM, TEACHER_OBS_DIM, VEHICLE_PARAMETERS
from isaaclab_distill.utils.hydra import load_task_configs

pytestmark = pytest.mark.sim
NUM_ENVS = 16


@pytest.fixture(scope="module")
def env():
    env_cfg, _ = load_task_configs("Isaac-Quadcopter-Point-Ctrl-Motor-v0", None, ["env.scene.num_envs=16"])
    env_cfg.seed = 0
    env = gym.make("Isaac-Quadcopter-Point-Ctrl-Motor-v0", cfg=env_cfg)
    yield env.unwrapped
    env.close()


def test_observation_groups_shapes_and_finiteness(env):
    obs, _ = env.reset()
    assert set(obs) == {"policy", "teacher"}
    assert obs["policy"].shape == (NUM_ENVS, POLICY_OBS_DIM)
    assert obs["teacher"].shape == (NUM_ENVS, TEACHER_OBS_DIM)
    # the student's terms are a prefix of the teacher's: the teacher only adds privileged information
    torch.testing.assert_close(obs["teacher"][:, :POLICY_OBS_DIM], obs["policy"])
    # randomised dynamics (normalised to [-1, 1]) differ between envs; the parameters this task keeps fixed read 0
    params = obs["teacher"][:, POLICY_OBS_DIM + 3 :]
    assert params.shape[1] == len(VEHICLE_PARAMETERS) and params.abs().max() <= 1.0 + 1e-5
    assert (params[:, :3].std(dim=0) > 0.1).all() and (params[:, 3:] == 0.0).all()

    resets, logs = 0, {}
    for _ in range(200):
        actions = 2.0 * torch.rand(NUM_ENVS, 4, device=env.device) - 1.0
        obs, reward, terminated, truncated, extras = env.step(actions)
        for group in obs.values():
            assert torch.isfinite(group).all()
        assert reward.shape == (NUM_ENVS,) and torch.isfinite(reward).all()
        resets += int((terminated | truncated).sum())
        logs.update(extras.get("log", {}))
    # random motor commands crash the body: terminations happen and are logged
    assert resets > 0
    logged = {"Episode_Reward/distance_to_goal", "Episode_Reward/spin", "Metrics/final_distance_to_goal"}
    assert logged | {"Metrics/final_body_rate"} <= set(logs)
    assert float(logs["Metrics/final_distance_to_goal"]) > 0.0


def test_hover_thrust_holds_altitude(env):
    """Equal motor thrusts at the hover fraction keep the body level and near its spawn height."""
    obs, _ = env.reset()
    weight_fraction = (env._vehicle["mass_scale"] / env._vehicle["thrust_to_weight"]).unsqueeze(
        -1
    )  # hover = m g / max thrust
    action = (2.0 * weight_fraction - 1.0).expand(NUM_ENVS, 4).contiguous()
    z0 = env.robot.data.root_pos_w.torch[:, 2].clone()
    for _ in range(25):
        obs, *_ = env.step(action)
    dz = env.robot.data.root_pos_w.torch[:, 2] - z0
    tilt = obs["policy"][:, 3:6] - torch.tensor([0.0, 0.0, -1.0])
    # only the motor lag transient moves it (the motors start at half thrust; up to ~5 cm with the slowest motors
    # of the range): an order of magnitude under the 0.5 s free-fall drop of 1.2 m
    assert dz.abs().max() < 0.1, dz
    assert tilt.abs().max() < 1e-3


def test_visual_arms_and_rotors_leave_the_body_a_cube(env):
    """The arms and rotors (videos) have no mass and no collider: the nominal mass and inertia are the cube's."""
    mass, side = 0.03, 0.08
    torch.testing.assert_close(env._default_mass, torch.full_like(env._default_mass, mass))
    inertia = env._default_inertia.reshape(NUM_ENVS, 3, 3)
    expected = torch.eye(3) * mass * side**2 / 6.0  # solid cube about its centre
    torch.testing.assert_close(inertia, expected.expand_as(inertia), rtol=1e-4, atol=1e-9)


def test_vehicle_parameters_reach_the_physics(env):
    """Each env's sampled vehicle is the simulated one: body mass and inertia, and the roll response (twice the arm
    length: twice the roll rate from the same motor commands)."""
    saved = {name: bounds.clone() for name, bounds in env._ranges.items()}
    fixed = {"mass_scale": 1.2, "thrust_to_weight": 2.0, "motor_time_constant": 0.02, "inertia_scale": 0.8}
    half = NUM_ENVS // 2
    try:
        for name in VEHICLE_PARAMETERS:
            env._ranges[name][:] = fixed.get(name, 1.0)
        env._ranges["arm_length_scale"][half:] = 2.0
        env.reset()
        env.episode_length_buf[:] = 0  # no time-out within the few steps below
        mass = env.robot.data.body_mass.torch.reshape(NUM_ENVS)
        torch.testing.assert_close(mass, env._default_mass[:, 0] * 1.2)
        inertia = env.robot.data.body_inertia.torch.reshape(NUM_ENVS, 9)
        torch.testing.assert_close(inertia, env._default_inertia.reshape(NUM_ENVS, 9) * 1.2 * 0.8)
        roll = torch.tensor([[-0.2, 0.2, 0.2, -0.2]]).expand(NUM_ENVS, 4)  # more thrust on the +y motors
        for _ in range(3):
            obs, *_ = env.step(roll)
        roll_rate = obs["policy"][:, 0]
        assert bool((roll_rate > 0).all())
        assert float(roll_rate[half:].mean() / roll_rate[:half].mean()) == pytest.approx(2.0, rel=0.05)
    finally:
        env._ranges.update(saved)
        env.reset()


def test_only_positive_rewards_clips_the_step_reward(env):
    """Random motor commands cost more than the distance shaping pays; with the clip no step reward is negative."""

    def rewards() -> torch.Tensor:
        return torch.stack([env.step(2.0 * torch.rand(NUM_ENVS, 4, device=env.device) - 1.0)[1] for _ in range(50)])

    assert (rewards() < 0.0).any()
    env.cfg.only_positive_rewards = True
    try:
        clipped = rewards()
    finally:
        env.cfg.only_positive_rewards = False
    assert (clipped >= 0.0).all() and (clipped > 0.0).any()
