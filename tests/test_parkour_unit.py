"""Depth parkour without the simulator: registration, config invariants, robot asset, reward math."""

from __future__ import annotations

import pathlib

import gymnasium as gym
import pytest
import torch

from isaaclab_distill.assets.unitree_a1 import ASSET_DIR, UNITREE_A1_CFG, UNITREE_A1_USD_PATH
from isaaclab_distill.distillation import DistillationCfg
from isaaclab_distill.models import DepthStudentCfg
from isaaclab_distill.tasks.depth_parkour import depth_parkour_env_cfg as pk
from isaaclab_distill.tasks.depth_parkour import mdp
from isaaclab_distill.utils.hydra import load_task_configs, register_tasks

IDS = ("Isaac-Depth-Parkour-v0", "Isaac-Depth-Parkour-Play-v0", "Isaac-Depth-Parkour-Teacher-v0")
PROPRIO_TERMS = [
    "base_lin_vel",
    "base_ang_vel",
    "projected_gravity",
    "velocity_commands",
    "joint_pos",
    "joint_vel",
    "actions",
    "gait_phase",
]


def _terms(group) -> dict:
    return {name: getattr(group, name) for name in group.__dataclass_fields__ if hasattr(getattr(group, name), "func")}


@pytest.fixture(scope="module")
def cfgs():
    return load_task_configs(IDS[0], "rsl_rl_cfg_entry_point")


# -- registration and config invariants


def test_tasks_register_with_their_entry_points():
    register_tasks()
    for task_id in IDS:
        spec = gym.spec(task_id)
        assert spec.entry_point == "isaaclab_distill.tasks.depth_parkour.depth_parkour_env:DepthParkourEnv"
        assert {"env_cfg_entry_point", "rsl_rl_cfg_entry_point"} <= set(spec.kwargs)
    for task_id in IDS[:2]:
        assert "distillation_cfg_entry_point" in gym.spec(task_id).kwargs
    _, distill_cfg = load_task_configs(IDS[0], "distillation_cfg_entry_point")
    assert isinstance(distill_cfg, DistillationCfg) and isinstance(distill_cfg.student, DepthStudentCfg)
    assert distill_cfg.student_obs_groups == ["policy", "depth"] and distill_cfg.student.depth_group == "depth"
    assert distill_cfg.student.teacher_scandots_dim == pk.SCANDOTS_DIM


def test_teacher_ppo_sees_teacher_group_without_normalisation(cfgs):
    _, agent_cfg = cfgs
    assert agent_cfg.obs_groups == {"actor": ["teacher"], "critic": ["teacher"]}
    assert agent_cfg.actor.obs_normalization is False  # proprio columns reused as-is by the student actor


def test_observation_groups_layout(cfgs):
    env_cfg, _ = cfgs
    teacher, policy = _terms(env_cfg.observations.teacher), _terms(env_cfg.observations.policy)
    depth = _terms(env_cfg.observations.depth)
    assert list(teacher) == PROPRIO_TERMS + ["height_scan", "feet_friction", "mass_offset"]
    assert list(policy) == PROPRIO_TERMS and list(depth) == ["image"]
    # the deployable groups read no scandots and no privileged quantity
    privileged_funcs = {mdp.height_scan, mdp.body_friction, mdp.body_mass_offset}
    deployable = [*policy.values(), *depth.values()]
    assert not privileged_funcs & {term.func for term in deployable}
    assert all(
        term.params.get("sensor_cfg") is None or term.params["sensor_cfg"].name == "depth_camera" for term in deployable
    )
    # the image stays an image group [N, 1, H, W], channel first
    assert depth["image"].func is mdp.depth_image and depth["image"].params["channel_first"]
    assert pk.DEPTH_SHAPE == (depth["image"].params["frame_stack"], pk.DEPTH_HEIGHT, pk.DEPTH_WIDTH)
    assert pk.TEACHER_OBS_DIM == pk.PROPRIO_DIM + pk.SCANDOTS_DIM + pk.PRIVILEGED_DIM == 50 + 187 + 5
    assert pk.POLICY_OBS_DIM == pk.PROPRIO_DIM
    grid = env_cfg.scene.height_scanner.pattern_cfg
    assert pk.HEIGHT_SCAN_SHAPE == tuple(round(s / grid.resolution) + 1 for s in grid.size)


def test_depth_camera_config(cfgs):
    env_cfg, _ = cfgs
    cam = env_cfg.scene.depth_camera
    assert cam.update_period == pytest.approx(0.1) == pk.DEPTH_UPDATE_PERIOD
    assert (cam.pattern_cfg.height, cam.pattern_cfg.width) == (pk.DEPTH_HEIGHT, pk.DEPTH_WIDTH)
    assert cam.data_types == ["distance_to_image_plane"] and cam.depth_clipping_behavior == "max"
    assert cam.max_distance == env_cfg.observations.depth.image.params["max_depth"] == pk.DEPTH_MAX_DISTANCE
    assert cam.mesh_prim_paths == ["/World/ground"]
    # the policy runs faster than the camera: the image is held between camera updates
    assert env_cfg.decimation * env_cfg.sim.dt < cam.update_period


def test_physics_terrain_and_local_assets(cfgs):
    env_cfg, _ = cfgs
    assert type(env_cfg.sim.physics).__name__ == "NewtonCfg"
    assert type(env_cfg.sim.physics.solver_cfg).__name__ == "MJWarpSolverCfg"
    gen = env_cfg.scene.terrain.terrain_generator
    assert env_cfg.scene.terrain.terrain_type == "generator" and gen.curriculum and gen.num_rows >= 5
    assert set(gen.sub_terrains) == {"gaps", "hurdles", "boxes", "stairs", "pits"}
    assert sum(t.proportion for t in gen.sub_terrains.values()) == pytest.approx(1.0)
    assert type(env_cfg.scene.terrain.visual_material).__name__ == "PreviewSurfaceCfg"  # no downloaded MDL
    assert env_cfg.curriculum.terrain_levels.func is mdp.terrain_levels_walked
    assert env_cfg.terminations.out_of_terrain.func is mdp.terrain_out_of_bounds
    assert env_cfg.scene.robot.spawn.usd_path == UNITREE_A1_USD_PATH
    cuda_cfg, _ = load_task_configs(IDS[0], None, ["env.sim.device=cuda:0"])  # config only: same cfg on a GPU
    assert cuda_cfg.sim.device == "cuda:0" and type(cuda_cfg.sim.physics).__name__ == "NewtonCfg"


def test_play_and_teacher_variants():
    play_cfg, _ = load_task_configs(IDS[1], None)
    assert play_cfg.scene.num_envs == 16 and play_cfg.events.push_robot is None
    assert not play_cfg.scene.terrain.terrain_generator.curriculum
    assert not play_cfg.observations.policy.enable_corruption
    teacher_cfg, _ = load_task_configs(IDS[2], None)
    assert teacher_cfg.scene.depth_camera is None and teacher_cfg.observations.depth is None
    assert list(_terms(teacher_cfg.observations.teacher))[-3:] == ["height_scan", "feet_friction", "mass_offset"]


# -- robot asset


def test_a1_asset_is_committed_with_its_licence():
    usd = pathlib.Path(UNITREE_A1_USD_PATH)
    assert usd.is_file() and usd.parent == ASSET_DIR and usd.stat().st_size < 50_000
    licence = (ASSET_DIR / "LICENSE").read_text()
    assert licence.startswith("Mozilla Public License Version 2.0")
    notice = (ASSET_DIR / "NOTICE").read_text()
    assert "example-robot-data" in notice and "6.0.0" in notice and "MPL" in notice
    urdf = (ASSET_DIR / "a1.urdf").read_text()
    assert "Mozilla Public License, v. 2.0" in urdf and "<visual" not in urdf
    assert set(UNITREE_A1_CFG.init_state.joint_pos) >= {".*_calf_joint"}
    assert UNITREE_A1_CFG.actuators["base_legs"].stiffness == 25.0


def test_a1_usd_is_a_floating_base_with_primitive_colliders():
    from pxr import Usd, UsdPhysics

    stage = Usd.Stage.Open(UNITREE_A1_USD_PATH)
    prims = list(stage.Traverse())
    revolute = [p.GetName() for p in prims if p.IsA(UsdPhysics.RevoluteJoint)]
    assert len(revolute) == 12 and all(n.endswith(("_hip_joint", "_thigh_joint", "_calf_joint")) for n in revolute)
    assert not [p for p in prims if p.GetName() == "root_joint"]
    bodies = [p.GetName() for p in prims if p.HasAPI(UsdPhysics.RigidBodyAPI)]
    assert len(bodies) == 17 and "trunk" in bodies and sum(b.endswith("_foot") for b in bodies) == 4
    assert {p.GetTypeName() for p in prims if p.HasAPI(UsdPhysics.CollisionAPI)} == {"Cube", "Cylinder", "Sphere"}


def test_reward_and_termination_design_cannot_pay_for_dying(cfgs):
    """The early-termination optimum of the first version: negative step rewards made falling over pay."""
    env_cfg, _ = cfgs
    assert env_cfg.only_positive_rewards and env_cfg.rewards.alive.weight > 0
    terms = env_cfg.terminations
    assert terms.time_out.time_out and terms.tile_exit.time_out and terms.out_of_terrain.time_out  # successes
    assert not terms.base_contact.time_out and not terms.bad_orientation.time_out  # failures
    # new robots start on the easy rows of the curriculum
    assert env_cfg.scene.terrain.max_init_terrain_level == pk.MAX_INIT_TERRAIN_LEVEL <= 2
    assert env_cfg.scene.terrain.terrain_generator.curriculum


def test_blank_depth_ablation_is_one_override():
    env_cfg, _ = load_task_configs(IDS[0], None, ["env.observations.depth.image.params.blank=true"])
    assert env_cfg.observations.depth.image.params["blank"] is True


def test_off_tile_is_the_curriculum_promotion_distance():
    origin = torch.zeros(3, 2)
    pos = torch.tensor([[3.9, 0.0], [3.0, 3.0], [-4.1, 0.0]])
    assert mdp.off_tile(pos, origin, half_size=4.0).tolist() == [False, True, True]


# -- reward math


def test_progress_is_capped_at_the_commanded_speed():
    cmd = torch.tensor([[1.0, 0.0], [0.5, 0.0], [0.0, 0.0]])
    vel = torch.tensor([[0.4, 3.0], [2.0, 0.0], [1.0, 0.0]])
    torch.testing.assert_close(mdp.progress_from_velocity(vel, cmd), torch.tensor([0.4, 0.5, 0.0]))
    torch.testing.assert_close(mdp.progress_from_velocity(-vel[:1], cmd[:1]), torch.tensor([-0.4]))


def test_stumble_counts_mostly_horizontal_contacts():
    forces = torch.tensor([[[0.0, 0.0, 50.0], [60.0, 0.0, 10.0], [0.0, 0.0, 0.0], [30.0, 40.0, 12.0]]])
    assert mdp.stumble_from_forces(forces, ratio=4.0).item() == 2.0


def test_edge_counts_feet_in_contact_near_a_height_step():
    xs = torch.arange(-1.0, 1.01, 0.1)
    hits = torch.stack(torch.meshgrid(xs, xs, indexing="ij"), dim=-1).reshape(-1, 2)
    z = torch.where(hits[:, 0] > 0.25, 0.2, 0.0)  # a 0.2 m step at x = 0.25
    hits_w = torch.cat((hits, z[:, None]), dim=-1)[None]
    feet = torch.tensor([[[0.27, 0.0, 0.2], [-0.5, 0.0, 0.0], [0.22, 0.3, 0.0], [0.7, 0.0, 0.2]]])
    in_contact = torch.tensor([[True, True, True, True]])
    assert mdp.edge_from_heights(feet, in_contact, hits_w, radius=0.1, edge_height=0.05).item() == 2.0
    assert mdp.edge_from_heights(feet, ~in_contact, hits_w, radius=0.1, edge_height=0.05).item() == 0.0
    hits_w[0, :, 2] = float("inf")  # missed rays are ignored
    assert mdp.edge_from_heights(feet, in_contact, hits_w, radius=0.1, edge_height=0.05).item() == 0.0
