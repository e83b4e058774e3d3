"""Configuration of the quadcopter point-control task (pure data; the logic is in ``quadcopter_env.py``)."""

from __future__ import annotations

import isaaclab.sim as sim_utils
from isaaclab.assets import AssetBaseCfg, RigidObjectCfg
from isaaclab.envs import DirectRLEnvCfg
from isaaclab.scene import InteractiveSceneCfg
from isaaclab.sim import SimulationCfg
from isaaclab.utils import configclass
from isaaclab_newton.physics import FeatherstoneSolverCfg, MJWarpSolverCfg, NewtonCfg
from isaaclab_tasks.utils import PresetCfg

from ...assets.quadcopter import QuadcopterBodyCfg

POLICY_OBS_DIM = 13
"""Student observation: body angular velocity (3), projected gravity (3), goal position in body frame (3),
last actions (4). Indices 6:9 hold the goal position (used by position-offset correction)."""

TEACHER_OBS_DIM = POLICY_OBS_DIM + 3 + 6
"""Teacher observation: the student's terms, then body linear velocity (3) and the six normalised vehicle parameters
in :data:`VEHICLE_PARAMETERS` order (0 where a range is a single value)."""

VEHICLE_PARAMETERS = (
    "mass_scale",
    "thrust_to_weight",
    "motor_time_constant",
    "inertia_scale",
    "arm_length_scale",
    "yaw_torque_scale",
)
"""The vehicle's dynamics parameters; each has a ``<name>_range`` in :class:`DynamicsRandomizationCfg`."""


@configclass
class QuadcopterPhysicsCfg(PresetCfg):
    """Physics backends, selectable with ``physics=<name>``. All run kit-less on ``cpu`` and ``cuda:0``."""

    newton_mjwarp: NewtonCfg = NewtonCfg(
        solver_cfg=MJWarpSolverCfg(njmax=8, nconmax=8, integrator="implicitfast", cone="pyramidal"),
        num_substeps=1,
        use_cuda_graph=True,  # ignored on CPU, where Newton always steps eagerly
    )
    # ~3x faster on CPU for this contact-free task; NaNs were measured at >= 2048 envs on CPU.
    newton_featherstone: NewtonCfg = NewtonCfg(solver_cfg=FeatherstoneSolverCfg(), num_substeps=1, use_cuda_graph=True)
    default: NewtonCfg = newton_mjwarp


@configclass
class DynamicsRandomizationCfg:
    """Per-episode dynamics randomisation; the sampled values are privileged teacher observations."""

    mass_scale_range: tuple[float, float] = (0.8, 1.25)
    """Body mass (and inertia) multiplier."""
    thrust_to_weight_range: tuple[float, float] = (1.7, 2.2)
    """Maximum collective thrust over nominal weight."""
    motor_time_constant_range: tuple[float, float] = (0.02, 0.06)
    """First-order motor lag time constant [s]."""
    inertia_scale_range: tuple[float, float] = (1.0, 1.0)
    """Inertia multiplier on top of the mass scale (a mass spread further from, or closer to, the centre)."""
    arm_length_scale_range: tuple[float, float] = (1.0, 1.0)
    """Roll and pitch moment authority multiplier: the arm length in ``"motor"`` mode, ``moment_scale`` of Mx, My in
    ``"wrench"`` mode."""
    yaw_torque_scale_range: tuple[float, float] = (1.0, 1.0)
    """Yaw moment authority multiplier: ``yaw_torque_coef`` in ``"motor"`` mode, ``moment_scale`` of Mz in
    ``"wrench"`` mode."""


@configclass
class QuadcopterSceneCfg(InteractiveSceneCfg):
    """A single rigid body per env, spawned from a primitive (no asset downloads)."""

    robot: RigidObjectCfg = RigidObjectCfg(
        prim_path="{ENV_REGEX_NS}/Robot",
        spawn=QuadcopterBodyCfg(  # the cube, plus visual-only arms and rotors (no mass, no collider)
            # a cube keeps the inertia isotropic: a flat box diverges under MJWarp with sustained 3-axis torque
            size=(0.08, 0.08, 0.08),
            rigid_props=sim_utils.UsdPhysicsRigidBodyCfg(),
            mass_props=sim_utils.MassCfg(mass=0.03),
            collision_props=sim_utils.UsdPhysicsCollisionCfg(),  # needed for the inertia computation
            visual_material=sim_utils.PreviewSurfaceCfg(diffuse_color=(0.2, 0.4, 0.9)),
        ),
        init_state=RigidObjectCfg.InitialStateCfg(pos=(0.0, 0.0, 1.0)),
    )
    light = AssetBaseCfg(prim_path="/World/light", spawn=sim_utils.DistantLightCfg(intensity=2500.0))
    goal_marker: RigidObjectCfg | None = None
    """A visual-only sphere that the env moves to each episode's goal; set by ``video_mode()`` (videos only)."""


GOAL_MARKER_CFG = RigidObjectCfg(
    prim_path="{ENV_REGEX_NS}/GoalMarker",
    spawn=sim_utils.SphereCfg(
        radius=0.06,  # kinematic, collision disabled: the vehicle flies through it
        rigid_props=sim_utils.UsdPhysicsRigidBodyCfg(kinematic_enabled=True),
        mass_props=sim_utils.MassCfg(mass=0.01),
        collision_props=sim_utils.UsdPhysicsCollisionCfg(collision_enabled=False),  # a shape for the body's import
        visual_material=sim_utils.PreviewSurfaceCfg(diffuse_color=(0.1, 0.85, 0.25)),
    ),
    init_state=RigidObjectCfg.InitialStateCfg(pos=(0.0, 0.0, 1.0)),
)
"""The goal as a green sphere (``scene.goal_marker``)."""


@configclass
class QuadcopterEnvCfg(DirectRLEnvCfg):
    """Fly to a goal sampled around the env origin; collective thrust + body moments (``action_mode="wrench"``)."""

    # env
    episode_length_s = 10.0
    decimation = 2
    action_space = 4
    observation_space = POLICY_OBS_DIM
    state_space = 0

    # simulation: Newton physics is selected explicitly (physics=None would fall back to PhysX and need Kit)
    sim: SimulationCfg = SimulationCfg(
        device="cpu", dt=1 / 100, render_interval=decimation, physics=QuadcopterPhysicsCfg()
    )
    scene: QuadcopterSceneCfg = QuadcopterSceneCfg(num_envs=256, env_spacing=2.5, replicate_physics=True)

    # actuation
    action_mode: str = "wrench"
    """``"wrench"``: [collective thrust, Mx, My, Mz] in [-1, 1]; ``"motor"``: 4 motor thrusts in [-1, 1]."""
    moment_scale = 0.01
    """Body moment at action 1 [N m] (wrench mode)."""
    arm_length = 0.046
    """Motor distance from the centre [m] (motor mode, X configuration)."""
    yaw_torque_coef = 0.006
    """Yaw drag torque per unit motor thrust [m] (motor mode)."""
    dynamics: DynamicsRandomizationCfg = DynamicsRandomizationCfg()
    """Randomisation ranges; also the ranges that normalise the privileged teacher observation."""
    dynamics_variants: list[DynamicsRandomizationCfg] = []
    """Optional vehicle variants, one contiguous block of envs each: env ``i`` samples from variant
    ``i * V // num_envs``, the same split with which the distillation trainer binds teacher ``k`` to its envs.
    Empty: every env samples from :attr:`dynamics`. Variant ranges must lie inside :attr:`dynamics`."""

    # goal sampling, relative to the env origin [m]
    goal_xy_range: tuple[float, float] = (-2.0, 2.0)
    goal_z_range: tuple[float, float] = (0.5, 1.5)

    # reward scales (multiplied by the env step dt)
    lin_vel_reward_scale = -0.05
    ang_vel_reward_scale = -0.01
    distance_to_goal_reward_scale = 15.0
    distance_to_goal_std = 0.8
    """Length scale of the ``1 - tanh(d / std)`` shaping [m]."""
    spin_reward_scale = 0.0
    """Scale of the squared heading rate, the body rate about the gravity axis ``(w_b . g_b)^2`` (0: off)."""
    only_positive_rewards: bool = False
    """Clip the step reward at 0 (legged_gym's option): dying early never pays, whatever the penalties cost. The
    ``Episode_Reward/<term>`` logs stay the unclipped terms."""

    # terminations
    min_height = 0.1
    max_height = 2.0
    max_ang_vel = 50.0
    """Body rate [rad/s] above which the episode ends (a spin-out)."""

    spread_initial_episodes: bool = True
    """Randomise episode progress on the first reset so that resets do not all happen on the same step."""

    def vehicle_variants(self) -> list[DynamicsRandomizationCfg]:
        """The vehicle variants: env block ``k`` of ``len(...)`` samples from entry ``k`` (empty: ``dynamics``)."""
        return list(self.dynamics_variants)

    def video_mode(self):
        """Settings for recording (``--video``): the goal drawn as a marker."""
        self.scene.goal_marker = GOAL_MARKER_CFG

    def play_mode(self):
        """Settings for watching a policy: few envs, no staggered episode starts."""
        self.scene.num_envs = 16
        self.spread_initial_episodes = False


@configclass
class QuadcopterMotorEnvCfg(QuadcopterEnvCfg):
    """Motor-level variant: the actions are the four motor thrust commands."""

    action_mode = "motor"


@configclass
class QuadcopterEnvCfg_PLAY(QuadcopterEnvCfg):
    """Play variant: 16 envs, episodes start together."""

    def __post_init__(self):
        super().__post_init__()
        self.play_mode()


LIGHT_DYNAMICS = DynamicsRandomizationCfg(
    mass_scale_range=(0.8, 1.0), thrust_to_weight_range=(1.95, 2.2), motor_time_constant_range=(0.02, 0.04)
)
"""An agile vehicle: light, high thrust margin, fast motors."""

HEAVY_DYNAMICS = DynamicsRandomizationCfg(
    mass_scale_range=(1.05, 1.25), thrust_to_weight_range=(1.7, 1.95), motor_time_constant_range=(0.04, 0.06)
)
"""A sluggish vehicle: heavy, low thrust margin, slow motors."""


@configclass
class QuadcopterLightEnvCfg(QuadcopterEnvCfg):
    """Only the light vehicle (train its teacher here)."""

    def __post_init__(self):
        super().__post_init__()
        self.dynamics_variants = [LIGHT_DYNAMICS]


@configclass
class QuadcopterHeavyEnvCfg(QuadcopterEnvCfg):
    """Only the heavy vehicle (train its teacher here)."""

    def __post_init__(self):
        super().__post_init__()
        self.dynamics_variants = [HEAVY_DYNAMICS]


@configclass
class QuadcopterMultiVehicleEnvCfg(QuadcopterEnvCfg):
    """Both vehicles, half of the envs each: distil the light and the heavy teacher into one student."""

    def __post_init__(self):
        super().__post_init__()
        self.dynamics_variants = [LIGHT_DYNAMICS, HEAVY_DYNAMICS]
