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


def test_penalty_ramp_waits_for_flight_then_rises_to_the_full_penalty():
    from isaaclab_distill.tasks.quadcopter.quadcopter_env_cfg import PenaltyCurriculumCfg

    cfg = PenaltyCurriculumCfg(start_fraction=0.2, ramp_steps=10, flying_fraction=0.8)
    ramp = mdp.PenaltyRamp(cfg, "cpu")
    crash, fly = torch.tensor([True, False, False]), torch.tensor([False, True, False])
    none = torch.zeros(3, dtype=torch.bool)
    assert float(ramp.multiplier()) == pytest.approx(0.2)
    for _ in range(50):  # every ended episode crashes: the vehicle does not fly, the penalty stays small
        ramp.step(died=crash, time_out=none)
    assert float(ramp.progress) == 0.0
    step = 0
    while float(ramp.progress) == 0.0 and step < 200:  # then one time-out per step
        ramp.step(died=none, time_out=fly)
        step += 1
    # the crashes decay by 1 % per step: time-outs 100 (1 - 0.99^s) >= 0.8 (39.5 0.99^s + 100 (1 - 0.99^s)) at s = 95
    assert step == 95
    for _ in range(9):
        ramp.step(died=none, time_out=fly)
    assert float(ramp.multiplier()) == pytest.approx(1.0)
    for _ in range(500):  # it never falls back
        ramp.step(died=crash, time_out=none)
    assert float(ramp.multiplier()) == pytest.approx(1.0)
    # a crash on the last step of an episode is a crash; no curriculum: the full penalty throughout
    crashing = mdp.PenaltyRamp(cfg, "cpu")
    for _ in range(100):
        crashing.step(died=crash, time_out=crash)
    assert float(crashing.progress) == 0.0
    assert float(mdp.PenaltyRamp(None, "cpu").multiplier()) == 1.0


def test_foundation_teachers_ramp_the_spin_penalty_and_evaluations_score_the_full_one():
    from isaaclab_distill.foundation import EVAL_OVERRIDES

    register_tasks()
    train, _ = load_task_configs("Isaac-Quadcopter-Point-Ctrl-Foundation-v0", None, [])
    play, _ = load_task_configs("Isaac-Quadcopter-Point-Ctrl-Foundation-Play-v0", None, [])
    single, _ = load_task_configs("Isaac-Quadcopter-Point-Ctrl-v0", None, [])
    assert train.ang_vel_penalty_curriculum is not None and train.ang_vel_reward_scale < single.ang_vel_reward_scale
    assert single.ang_vel_penalty_curriculum is None and play.ang_vel_penalty_curriculum is None
    # the distillation experiment (checked in test_experiments.py) and the foundation evaluation turn it off
    evaluated, _ = load_task_configs("Isaac-Quadcopter-Point-Ctrl-Foundation-v0", None, EVAL_OVERRIDES)
    assert evaluated.ang_vel_penalty_curriculum is None
