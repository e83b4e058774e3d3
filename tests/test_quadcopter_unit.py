"""Quadcopter task without the simulator: registration, config invariants, MDP term math."""

from __future__ import annotations

import math

import gymnasium as gym
import pytest
import torch

from isaaclab_distill.tasks.quadcopter import mdp
from isaaclab_distill.tasks.quadcopter.quadcopter_env_cfg import POLICY_OBS_DIM, TEACHER_OBS_DIM, VEHICLE_PARAMETERS
from isaaclab_distill.utils.hydra import load_task_configs, register_tasks

QUAD_IDS = (
    "Isaac-Quadcopter-Point-Ctrl-v0",
    "Isaac-Quadcopter-Point-Ctrl-Play-v0",
    "Isaac-Quadcopter-Point-Ctrl-Motor-v0",
    "Isaac-Quadcopter-Point-Ctrl-Light-v0",
    "Isaac-Quadcopter-Point-Ctrl-Heavy-v0",
    "Isaac-Quadcopter-Point-Ctrl-MultiVehicle-v0",
)


def test_tasks_register_through_entry_point():
    register_tasks()
    for task_id in QUAD_IDS:
        spec = gym.spec(task_id)
        assert spec.entry_point == "isaaclab_distill.tasks.quadcopter.quadcopter_env:QuadcopterEnv"
        assert {"env_cfg_entry_point", "rsl_rl_cfg_entry_point"} <= set(spec.kwargs)


def test_teacher_sees_privileged_group_and_physics_is_newton():
    env_cfg, agent_cfg = load_task_configs(QUAD_IDS[0], "rsl_rl_cfg_entry_point")
    assert agent_cfg.obs_groups == {"actor": ["teacher"], "critic": ["teacher"]}
    assert (
        env_cfg.observation_space == POLICY_OBS_DIM
        and TEACHER_OBS_DIM == POLICY_OBS_DIM + 3 + len(VEHICLE_PARAMETERS) == 22
    )
    assert type(env_cfg.sim.physics).__name__ == "NewtonCfg"
    assert env_cfg.sim.physics.solver_cfg.__class__.__name__ == "MJWarpSolverCfg"
    low, high = env_cfg.dynamics.mass_scale_range
    assert low < 1.0 < high


def test_play_and_motor_variants():
    play_cfg, _ = load_task_configs(QUAD_IDS[1], None)
    assert play_cfg.scene.num_envs == 16 and not play_cfg.spread_initial_episodes
    play_mode_cfg, _ = load_task_configs(QUAD_IDS[0], None, play_mode=True)
    assert play_mode_cfg.scene.num_envs == 16
    motor_cfg, _ = load_task_configs(QUAD_IDS[2], None)
    assert motor_cfg.action_mode == "motor"


def test_motor_mixer_hover_and_roll():
    thrusts = torch.full((1, 4), 0.1)
    wrench = mdp.motor_mixer(thrusts, arm_length=0.046, yaw_torque_coef=0.006)
    torch.testing.assert_close(wrench, torch.tensor([[0.4, 0.0, 0.0, 0.0]]))
    # more thrust on the +y motors (rear-left, front-left) rolls about +x by r * delta per motor
    roll = mdp.motor_mixer(torch.tensor([[0.1, 0.2, 0.2, 0.1]]), arm_length=0.046, yaw_torque_coef=0.006)
    r = 0.046 / math.sqrt(2.0)
    torch.testing.assert_close(roll[0, 1], torch.tensor(2 * 0.1 * r))
    assert roll[0, 2].abs() < 1e-7


def test_first_order_lag_is_exact_exponential():
    x = torch.zeros(2, 4)
    target = torch.ones(2, 4)
    tau = torch.tensor([0.05, 0.02])
    for _ in range(10):
        x = mdp.first_order_lag(x, target, 0.01, tau)
    expected = 1.0 - torch.exp(-0.1 / tau)
    torch.testing.assert_close(x[:, 0], expected)


@pytest.mark.parametrize("dist,expected", [(0.0, 1.0), (0.8, 1.0 - math.tanh(1.0))])
def test_distance_shaping(dist, expected):
    value = mdp.distance_to_goal_tanh(torch.zeros(1, 3), torch.tensor([[dist, 0.0, 0.0]]), std=0.8)
    assert value.item() == pytest.approx(expected, abs=1e-6)


def test_heading_rate_penalises_turning_about_gravity_only():
    """Level: the yaw rate squared; tilted 90 deg (gravity along body x): the roll rate; roll/pitch alone cost 0."""
    level = torch.tensor([[0.0, 0.0, -1.0]])
    rates = torch.tensor([[0.0, 0.0, 3.0], [2.0, -1.0, 0.0]])
    assert mdp.heading_rate_squared(rates, level.expand(2, 3)).tolist() == pytest.approx([9.0, 0.0])
    side = torch.tensor([[1.0, 0.0, 0.0]])
    assert mdp.heading_rate_squared(torch.tensor([[2.0, 0.0, 3.0]]), side).item() == pytest.approx(4.0)


def test_only_the_foundation_task_penalises_the_heading_rate():
    """The foundation's sampled vehicles need both against spinning teachers; the other tasks keep their reward."""
    foundation, _ = load_task_configs("Isaac-Quadcopter-Point-Ctrl-Foundation-v0", None)
    assert foundation.spin_reward_scale < 0.0 and foundation.only_positive_rewards
    for task_id in QUAD_IDS:
        cfg = load_task_configs(task_id, None)[0]
        assert cfg.spin_reward_scale == 0.0 and not cfg.only_positive_rewards


def test_vehicle_variants_lie_inside_the_normalisation_ranges():
    """Teacher k of a multi-vehicle distillation is bound to variant k: the variants must be distinct and in range."""
    multi, _ = load_task_configs("Isaac-Quadcopter-Point-Ctrl-MultiVehicle-v0", None)
    light, _ = load_task_configs("Isaac-Quadcopter-Point-Ctrl-Light-v0", None)
    heavy, _ = load_task_configs("Isaac-Quadcopter-Point-Ctrl-Heavy-v0", None)
    assert multi.dynamics_variants == light.dynamics_variants + heavy.dynamics_variants
    for variant in multi.dynamics_variants:
        for name in (f"{p}_range" for p in VEHICLE_PARAMETERS):
            (low, high), (vmin, vmax) = getattr(multi.dynamics, name), getattr(variant, name)
            assert low <= vmin <= vmax <= high, name
    assert light.dynamics_variants[0].mass_scale_range[1] <= heavy.dynamics_variants[0].mass_scale_range[0]


def test_sample_uniform_per_env_respects_each_row():
    bounds = torch.tensor([[0.0, 1.0], [5.0, 5.5], [-2.0, -1.0]]).repeat(1000, 1)
    x = mdp.sample_uniform_per_env(bounds)
    assert x.shape == (3000,) and bool(((x >= bounds[:, 0]) & (x <= bounds[:, 1])).all())


def test_teacher_count_must_match_the_vehicle_variants():
    from isaaclab_distill.distillation.script_args import check_teacher_variants
    from isaaclab_distill.utils import UserError

    multi, _ = load_task_configs("Isaac-Quadcopter-Point-Ctrl-MultiVehicle-v0", None)
    check_teacher_variants(multi, 1)  # one teacher may label every vehicle
    check_teacher_variants(multi, 2)
    with pytest.raises(UserError, match="2 vehicle variants but 3 teacher checkpoints"):
        check_teacher_variants(multi, 3)
