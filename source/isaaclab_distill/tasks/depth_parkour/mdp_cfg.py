"""Event, reward, termination and curriculum terms of the depth-parkour task (pure data; functions in ``mdp``)."""

from __future__ import annotations

import math

from isaaclab.managers import CurriculumTermCfg as CurrTerm
from isaaclab.managers import EventTermCfg as EventTerm
from isaaclab.managers import RewardTermCfg as RewTerm
from isaaclab.managers import SceneEntityCfg
from isaaclab.managers import TerminationTermCfg as DoneTerm
from isaaclab.utils import configclass

from . import mdp

FEET = ["FL_foot", "FR_foot", "RL_foot", "RR_foot"]
"""Foot bodies, in the order of the privileged friction columns."""


@configclass
class EventsCfg:
    """Dynamics randomisation (observed by the teacher as privileged terms), resets and pushes."""

    feet_friction = EventTerm(
        func=mdp.randomize_rigid_body_material,
        mode="startup",
        params={
            "asset_cfg": SceneEntityCfg("robot", body_names=".*_foot"),
            "static_friction_range": (0.4, 1.2),
            "dynamic_friction_range": (0.4, 1.2),
            "restitution_range": (0.0, 0.0),
            "num_buckets": 64,
        },
    )
    trunk_mass = EventTerm(
        func=mdp.randomize_rigid_body_mass,
        mode="startup",
        params={
            "asset_cfg": SceneEntityCfg("robot", body_names="trunk"),
            "mass_distribution_params": (-1.0, 2.0),
            "operation": "add",
            "distribution": "uniform",
        },
    )
    reset_base = EventTerm(
        func=mdp.reset_root_state_uniform,
        mode="reset",
        params={
            "pose_range": {"x": (-0.3, 0.3), "y": (-0.3, 0.3), "yaw": (-math.pi, math.pi)},
            "velocity_range": {
                "x": (-0.2, 0.2),
                "y": (-0.2, 0.2),
                "z": (-0.2, 0.2),
                "roll": (-0.2, 0.2),
                "pitch": (-0.2, 0.2),
                "yaw": (-0.2, 0.2),
            },
        },
    )
    reset_robot_joints = EventTerm(
        func=mdp.reset_joints_by_scale,
        mode="reset",
        params={"position_range": (0.8, 1.2), "velocity_range": (0.0, 0.0)},
    )
    push_robot = EventTerm(
        func=mdp.push_by_setting_velocity,
        mode="interval",
        interval_range_s=(8.0, 12.0),
        params={"velocity_range": {"x": (-0.5, 0.5), "y": (-0.5, 0.5)}},
    )


@configclass
class RewardsCfg:
    """Track the command and make forward progress; penalise stumbling, stepping on edges, collisions, effort.

    Weights follow legged_gym's A1 (Isaac Lab multiplies each by the step ``dt``), with the penalties that the
    initial exploration noise drives (joint acceleration, action rate, base roll/pitch rate) reduced, an alive bonus,
    and forward progress (linear in speed, so it pulls a standing robot forward where the exp-kernel tracking term is
    flat). The env also clips
    the summed step reward at zero (``DepthParkourEnvCfg.only_positive_rewards``): a step never pays less than
    nothing, so ending an episode early can never raise the return (the optimum that made the first version of
    this task learn to tip over). The alive bonus keeps the early, noisy steps above zero: clipped to zero, they
    would carry no learning signal at all (measured: mean step reward 0.000-0.001 over the first 15 iterations
    without it).
    """

    # -- task
    alive = RewTerm(func=mdp.is_alive, weight=0.5)
    track_lin_vel_xy_exp = RewTerm(
        func=mdp.track_lin_vel_xy_exp, weight=1.5, params={"command_name": "base_velocity", "std": 0.5}
    )
    track_ang_vel_z_exp = RewTerm(
        func=mdp.track_ang_vel_z_exp, weight=0.75, params={"command_name": "base_velocity", "std": 0.5}
    )
    forward_progress = RewTerm(
        func=mdp.forward_progress,
        weight=1.0,
        params={"command_name": "base_velocity", "asset_cfg": SceneEntityCfg("robot")},
    )
    # -- gait and foot placement
    feet_air_time = RewTerm(
        func=mdp.feet_air_time,
        weight=0.5,
        params={
            "sensor_cfg": SceneEntityCfg("contact_forces", body_names=".*_foot"),
            "command_name": "base_velocity",
            "threshold": 0.25,
        },
    )
    feet_stumble = RewTerm(
        func=mdp.feet_stumble,
        weight=-0.5,
        params={"sensor_cfg": SceneEntityCfg("contact_forces", body_names=".*_foot")},
    )
    feet_edge = RewTerm(
        func=mdp.feet_edge,
        weight=-0.5,
        params={
            "sensor_cfg": SceneEntityCfg("contact_forces", body_names=FEET, preserve_order=True),
            "asset_cfg": SceneEntityCfg("robot", body_names=FEET, preserve_order=True),
            "scanner_cfg": SceneEntityCfg("height_scanner"),
        },
    )
    undesired_contacts = RewTerm(
        func=mdp.undesired_contacts,
        weight=-1.0,
        params={"sensor_cfg": SceneEntityCfg("contact_forces", body_names=".*_(thigh|calf)"), "threshold": 1.0},
    )
    # -- regularisation
    lin_vel_z_l2 = RewTerm(func=mdp.lin_vel_z_l2, weight=-1.0)
    ang_vel_xy_l2 = RewTerm(func=mdp.ang_vel_xy_l2, weight=-0.02)
    flat_orientation_l2 = RewTerm(func=mdp.flat_orientation_l2, weight=-1.0)
    dof_torques_l2 = RewTerm(func=mdp.joint_torques_l2, weight=-2.0e-4)
    dof_acc_l2 = RewTerm(func=mdp.joint_acc_l2, weight=-1.0e-7)
    action_rate_l2 = RewTerm(func=mdp.action_rate_l2, weight=-0.005)
    dof_pos_limits = RewTerm(func=mdp.joint_pos_limits, weight=-5.0)


@configclass
class TerminationsCfg:
    """Failures: trunk contact, tipped over. Successes (``time_out=True``, bootstrapped by PPO): time-out, off the tile.

    Walking off the tile is the curriculum's promotion; leaving the whole terrain also ends the episode as a time-out.
    """

    time_out = DoneTerm(func=mdp.time_out, time_out=True)
    base_contact = DoneTerm(
        func=mdp.illegal_contact,
        params={"sensor_cfg": SceneEntityCfg("contact_forces", body_names="trunk"), "threshold": 1.0},
    )
    bad_orientation = DoneTerm(func=mdp.bad_orientation, params={"limit_angle": 1.0})
    tile_exit = DoneTerm(func=mdp.walked_off_tile, time_out=True)
    out_of_terrain = DoneTerm(func=mdp.terrain_out_of_bounds, params={"distance_buffer": 3.0}, time_out=True)


@configclass
class CurriculumCfg:
    """Terrain levels: up after walking off the tile, down after covering less than half the commanded distance."""

    terrain_levels = CurrTerm(func=mdp.terrain_levels_walked)
