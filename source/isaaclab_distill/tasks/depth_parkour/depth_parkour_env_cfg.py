"""Configuration of the depth-parkour task (pure data; the terms are in ``mdp``, the terrain in ``terrain_cfg``).

Observation layout (``teacher`` and ``policy`` are ``(num_envs, D)`` vectors, terms concatenated in this order;
``depth`` is an image group):

- proprioception, ``PROPRIO_DIM = 50``, identical first columns of both groups: base linear velocity (3), base
  angular velocity (3), projected gravity (3), velocity command (3), joint positions relative to default (12), joint
  velocities (12), last actions (12), gait clock ``(sin, cos)`` of the trotting prior's phase (2);
- ``teacher`` = ``[proprio | scandots (SCANDOTS_DIM = 187) | privileged (PRIVILEGED_DIM = 5)]``, ``TEACHER_OBS_DIM =
  242``: the height scan is a 17 x 11 yaw-aligned grid (1.6 m x 1.0 m, 0.1 m) of ``base height - terrain height - 0.5``
  clipped to [-1, 1]; the privileged terms are the friction coefficients of the four feet (``FEET`` order: FL, FR, RL,
  RR) and the trunk mass offset [kg];
- ``policy`` = proprio (``POLICY_OBS_DIM = PROPRIO_DIM``) and ``depth`` = ``(num_envs, 1, DEPTH_HEIGHT,
  DEPTH_WIDTH)``, the deployable student's two groups: the depth image of the front camera,
  ``distance_to_image_plane / DEPTH_MAX_DISTANCE`` in [0, 1] (1 = at or beyond 2 m), refreshed every
  ``DEPTH_UPDATE_PERIOD = 0.1`` s (10 Hz; held between updates, the policy runs at 50 Hz). No scandots and no
  privileged terms. The teacher variant has no camera and no ``depth`` group.
"""

from __future__ import annotations

import math

import isaaclab.sim as sim_utils
from isaaclab.assets import ArticulationCfg, AssetBaseCfg
from isaaclab.envs import ManagerBasedRLEnvCfg
from isaaclab.managers import ObservationGroupCfg as ObsGroup
from isaaclab.managers import ObservationTermCfg as ObsTerm
from isaaclab.managers import SceneEntityCfg
from isaaclab.scene import InteractiveSceneCfg
from isaaclab.sensors import ContactSensorCfg, RayCasterCameraCfg, RayCasterCfg, patterns
from isaaclab.sim import SimulationCfg
from isaaclab.terrains import TerrainImporterCfg
from isaaclab.utils import configclass
from isaaclab.utils.noise import UniformNoiseCfg as Unoise

from isaaclab_distill.assets.unitree_a1 import TRUNK_PRIM, UNITREE_A1_CFG

from . import mdp
from .mdp_cfg import FEET, CurriculumCfg, EventsCfg, RewardsCfg, TerminationsCfg
from .physics_cfg import CONTROL_DECIMATION, PHYSICS_DT, DepthParkourPhysicsCfg
from .terrain_cfg import PARKOUR_TERRAINS_CFG

PROPRIO_DIM = 50
"""Proprioceptive prefix shared by the ``teacher`` and ``policy`` groups."""
HEIGHT_SCAN_SHAPE = (17, 11)
"""Height-scan grid (x: forward, y: left) of 0.1 m over 1.6 m x 1.0 m."""
SCANDOTS_DIM = HEIGHT_SCAN_SHAPE[0] * HEIGHT_SCAN_SHAPE[1]
PRIVILEGED_DIM = 4 + 1
"""Feet friction coefficients (4) and trunk mass offset (1)."""
TEACHER_OBS_DIM = PROPRIO_DIM + SCANDOTS_DIM + PRIVILEGED_DIM
DEPTH_HEIGHT, DEPTH_WIDTH = 58, 87
"""Depth image size [px] (the extreme-parkour size). Smaller images need a matching change of these constants."""
DEPTH_SHAPE = (1, DEPTH_HEIGHT, DEPTH_WIDTH)
"""Per-env shape of the ``depth`` image group (channel first, one frame)."""
POLICY_OBS_DIM = PROPRIO_DIM
DEPTH_MAX_DISTANCE = 2.0
"""Far clip of the depth camera [m]; farther surfaces and misses read 1.0."""
DEPTH_UPDATE_PERIOD = 0.1
"""Depth camera period [s] (10 Hz)."""
DEPTH_HFOV_DEG = 87.0
"""Horizontal field of view of the depth camera [deg] (RealSense D435)."""
MAX_INIT_TERRAIN_LEVEL = 2
"""New robots start on levels 0-2 of 10 (the easy rows); the curriculum moves them from there."""
ANG_VEL_SCALE = 0.25
"""Scale of the base angular velocity observation (legged_gym's): inputs of order 1 for the unnormalised actor."""
JOINT_VEL_SCALE = 0.05
"""Scale of the joint velocity observation (legged_gym's), applied after the noise."""


@configclass
class DepthParkourSceneCfg(InteractiveSceneCfg):
    """Parkour terrain, the A1 and its sensors; every asset is generated or read from the package."""

    terrain = TerrainImporterCfg(
        prim_path="/World/ground",
        terrain_type="generator",
        terrain_generator=PARKOUR_TERRAINS_CFG,
        max_init_terrain_level=MAX_INIT_TERRAIN_LEVEL,
        collision_group=-1,
        physics_material=sim_utils.RigidBodyMaterialCfg(
            friction_combine_mode="multiply",
            restitution_combine_mode="multiply",
            static_friction=1.0,
            dynamic_friction=1.0,
        ),
        visual_material=sim_utils.PreviewSurfaceCfg(diffuse_color=(0.45, 0.45, 0.5)),
        debug_vis=False,
    )
    robot: ArticulationCfg = UNITREE_A1_CFG.replace(prim_path="{ENV_REGEX_NS}/Robot")
    # the Warp-mesh ray caster on the static terrain: Newton's default RayCaster casts against a scene BVH of every
    # collision shape, refitted each step (45 ms of a 289 ms env step at 128 envs on CPU; with this one: 235 ms)
    height_scanner = RayCasterCfg(
        class_type="isaaclab_newton.sensors.ray_caster:LegacyRayCaster",
        prim_path=f"{{ENV_REGEX_NS}}/Robot/{TRUNK_PRIM}",
        offset=RayCasterCfg.OffsetCfg(pos=(0.0, 0.0, 20.0)),
        ray_alignment="yaw",
        pattern_cfg=patterns.GridPatternCfg(resolution=0.1, size=[1.6, 1.0]),
        mesh_prim_paths=["/World/ground"],
        global_world_only=True,
    )
    depth_camera = RayCasterCameraCfg(
        prim_path=f"{{ENV_REGEX_NS}}/Robot/{TRUNK_PRIM}",
        update_period=DEPTH_UPDATE_PERIOD,
        # front of the trunk, pitched 30 deg down (x, y, z, w), forward +x
        offset=RayCasterCameraCfg.OffsetCfg(
            pos=(0.27, 0.0, 0.03), rot=(0.0, 0.258819, 0.0, 0.965926), convention="world"
        ),
        pattern_cfg=patterns.PinholeCameraPatternCfg(
            focal_length=1.0,
            horizontal_aperture=2.0 * math.tan(math.radians(DEPTH_HFOV_DEG) / 2.0),
            height=DEPTH_HEIGHT,
            width=DEPTH_WIDTH,
        ),
        data_types=["distance_to_image_plane"],
        depth_clipping_behavior="max",
        max_distance=DEPTH_MAX_DISTANCE,
        mesh_prim_paths=["/World/ground"],
    )
    # the bodies nest below Robot/Geometry/trunk, so the pattern matches at any depth
    contact_forces = ContactSensorCfg(prim_path="{ENV_REGEX_NS}/Robot/.*", history_length=3, track_air_time=True)
    light = AssetBaseCfg(prim_path="/World/light", spawn=sim_utils.DistantLightCfg(intensity=2500.0))


@configclass
class CommandsCfg:
    """Walk forward at 0.4-1.0 m/s with a small yaw rate (no heading target).

    The obstacle ring around the start platform lies ahead in every direction, so walking straight crosses it.
    """

    base_velocity = mdp.UniformVelocityCommandCfg(
        asset_name="robot",
        resampling_time_range=(10.0, 10.0),
        rel_standing_envs=0.0,
        rel_heading_envs=0.0,
        heading_command=False,
        debug_vis=False,
        ranges=mdp.UniformVelocityCommandCfg.Ranges(lin_vel_x=(0.4, 1.0), lin_vel_y=(0.0, 0.0), ang_vel_z=(-0.3, 0.3)),
    )


@configclass
class ActionsCfg:
    """Joint position targets around the default pose plus a 2 Hz trotting prior (:class:`mdp.TrotJointPositionAction`).

    A deployed policy needs the same prior: targets are ``default + 0.25 * action + prior(phase)``.
    """

    joint_pos = mdp.TrotJointPositionActionCfg(
        asset_name="robot", joint_names=[".*"], scale=0.25, use_default_offset=True
    )


@configclass
class ProprioCfg(ObsGroup):
    """Proprioception (``PROPRIO_DIM``): the common prefix of both groups."""

    base_lin_vel = ObsTerm(func=mdp.base_lin_vel, noise=Unoise(n_min=-0.1, n_max=0.1))
    base_ang_vel = ObsTerm(func=mdp.base_ang_vel, noise=Unoise(n_min=-0.2, n_max=0.2), scale=ANG_VEL_SCALE)
    projected_gravity = ObsTerm(func=mdp.projected_gravity, noise=Unoise(n_min=-0.05, n_max=0.05))
    velocity_commands = ObsTerm(func=mdp.generated_commands, params={"command_name": "base_velocity"})
    joint_pos = ObsTerm(func=mdp.joint_pos_rel, noise=Unoise(n_min=-0.01, n_max=0.01))
    joint_vel = ObsTerm(func=mdp.joint_vel_rel, noise=Unoise(n_min=-1.5, n_max=1.5), scale=JOINT_VEL_SCALE)
    actions = ObsTerm(func=mdp.last_action)
    gait_phase = ObsTerm(func=mdp.gait_phase, params={"action_name": "joint_pos"})

    def __post_init__(self):
        self.enable_corruption = True
        self.concatenate_terms = True


@configclass
class ObservationsCfg:
    """``teacher``: proprio + scandots + privileged. ``policy`` + ``depth`` (deployable student): proprio, image."""

    @configclass
    class TeacherCfg(ProprioCfg):
        """Proprioception, scandots, privileged friction and mass (PPO teacher)."""

        height_scan = ObsTerm(
            func=mdp.height_scan,
            params={"sensor_cfg": SceneEntityCfg("height_scanner")},
            noise=Unoise(n_min=-0.1, n_max=0.1),
            clip=(-1.0, 1.0),
        )
        feet_friction = ObsTerm(
            func=mdp.body_friction, params={"asset_cfg": SceneEntityCfg("robot", body_names=FEET, preserve_order=True)}
        )
        mass_offset = ObsTerm(
            func=mdp.body_mass_offset, params={"asset_cfg": SceneEntityCfg("robot", body_names="trunk")}
        )

    @configclass
    class DepthCfg(ObsGroup):
        """The depth image ``(N, 1, H, W)`` (deployable student, with ``policy``); no noise."""

        image = ObsTerm(
            func=mdp.depth_image,
            params={
                "sensor_cfg": SceneEntityCfg("depth_camera"),
                "max_depth": DEPTH_MAX_DISTANCE,
                "offset": 0.0,
                "channel_first": True,
                "frame_stack": 1,
                "blank": False,
            },
        )

        def __post_init__(self):
            self.enable_corruption = False
            self.concatenate_terms = True

    teacher: TeacherCfg = TeacherCfg()
    policy: ProprioCfg = ProprioCfg()
    depth: DepthCfg = DepthCfg()


@configclass
class DepthParkourEnvCfg(ManagerBasedRLEnvCfg):
    """Unitree A1 depth parkour on the procedural curriculum (teacher and depth-student observation groups)."""

    sim: SimulationCfg = SimulationCfg(
        device="cpu", dt=PHYSICS_DT, render_interval=CONTROL_DECIMATION, physics=DepthParkourPhysicsCfg()
    )
    scene: DepthParkourSceneCfg = DepthParkourSceneCfg(num_envs=1024, env_spacing=2.5)
    observations: ObservationsCfg = ObservationsCfg()
    actions: ActionsCfg = ActionsCfg()
    commands: CommandsCfg = CommandsCfg()
    rewards: RewardsCfg = RewardsCfg()
    terminations: TerminationsCfg = TerminationsCfg()
    events: EventsCfg = EventsCfg()
    curriculum: CurriculumCfg = CurriculumCfg()
    only_positive_rewards: bool = True
    """Clip the summed step reward at zero (legged_gym's ``only_positive_rewards``), see :class:`RewardsCfg`."""
    decimation: int = CONTROL_DECIMATION
    episode_length_s: float = 20.0

    def __post_init__(self):
        self.sim.render_interval = self.decimation
        self.sim.physics_material = self.scene.terrain.physics_material
        # the contact sensor ticks with physics, the height scan with the policy, the camera at DEPTH_UPDATE_PERIOD
        self.scene.contact_forces.update_period = self.sim.dt
        self.scene.height_scanner.update_period = self.decimation * self.sim.dt

    def video_mode(self):
        """Recording (``--video``): from behind and above the robot, ahead at its tile's obstacles; checkered ground.

        The A1 has colliders only, so the camera draws them.
        """
        from ...utils.video import video_camera_cfg

        self.scene.video_camera = video_camera_cfg(
            "robot", self.scene.terrain.prim_path, eye_offset=(-2.2, -1.6, 1.6), lookat_offset=(1.0, 0.0, -0.2)
        )
        self.scene.video_camera.draw_colliders = True

    def play_mode(self):
        """Watching a policy: 16 envs on random levels of a smaller, fixed grid, no pushes, no observation noise."""
        super().play_mode()
        self.scene.num_envs = 16
        self.scene.terrain.max_init_terrain_level = None
        self.scene.terrain.terrain_generator.num_rows = 5
        self.scene.terrain.terrain_generator.num_cols = 5
        self.scene.terrain.terrain_generator.curriculum = False
        self.events.push_robot = None


@configclass
class DepthParkourEnvCfg_PLAY(DepthParkourEnvCfg):
    """Play variant (see :meth:`DepthParkourEnvCfg.play_mode`)."""

    def __post_init__(self):
        super().__post_init__()
        self.play_mode()


@configclass
class DepthParkourTeacherEnvCfg(DepthParkourEnvCfg):
    """Teacher-training variant: no depth camera and no ``depth`` group, ~2x faster on CPU."""

    def __post_init__(self):
        super().__post_init__()
        self.scene.depth_camera = None
        self.observations.depth = None
