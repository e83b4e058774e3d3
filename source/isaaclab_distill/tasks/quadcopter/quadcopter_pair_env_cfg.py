"""Configuration of the two-quadcopter multi-agent task (pure data; the logic is in ``quadcopter_pair_env.py``)."""

from __future__ import annotations

from isaaclab.envs import DirectMARLEnvCfg
from isaaclab.scene import InteractiveSceneCfg
from isaaclab.sim import SimulationCfg
from isaaclab.utils import configclass

from .quadcopter_env_cfg import POLICY_OBS_DIM, QuadcopterEnvCfg, QuadcopterPhysicsCfg, QuadcopterSceneCfg

AGENTS = ["quad_0", "quad_1"]
"""One agent per quadcopter; agent ``k`` flies ``robot_k``."""

_ROBOT = QuadcopterSceneCfg().robot
_SINGLE = QuadcopterEnvCfg()


@configclass
class QuadcopterPairSceneCfg(InteractiveSceneCfg):
    """Two of the single task's bodies per env, 1 m apart."""

    robot_0 = _ROBOT.replace(
        prim_path="{ENV_REGEX_NS}/Robot0", init_state=_ROBOT.init_state.replace(pos=(0.0, -0.5, 1.0))
    )
    robot_1 = _ROBOT.replace(
        prim_path="{ENV_REGEX_NS}/Robot1", init_state=_ROBOT.init_state.replace(pos=(0.0, 0.5, 1.0))
    )
    light = QuadcopterSceneCfg().light


@configclass
class QuadcopterPairEnvCfg(DirectMARLEnvCfg):
    """Each agent flies its own quadcopter to its own goal (a ``DirectMARLEnv``); a crash ends the episode for both.

    Per agent: the single task's ``policy`` observation of its own body (:data:`POLICY_OBS_DIM` = 13) and its
    4 wrench actions; nominal dynamics (no randomisation). The state is both agents' observations.
    """

    episode_length_s = _SINGLE.episode_length_s
    decimation = _SINGLE.decimation
    possible_agents = AGENTS
    action_spaces = {agent: 4 for agent in AGENTS}
    observation_spaces = {agent: POLICY_OBS_DIM for agent in AGENTS}
    state_space = -1  # the concatenation of the observations

    sim: SimulationCfg = SimulationCfg(
        device="cpu", dt=_SINGLE.sim.dt, render_interval=_SINGLE.decimation, physics=QuadcopterPhysicsCfg()
    )
    scene: QuadcopterPairSceneCfg = QuadcopterPairSceneCfg(num_envs=256, env_spacing=3.0, replicate_physics=True)

    # actuation, goals, rewards and terminations: the single task's values
    moment_scale = _SINGLE.moment_scale
    thrust_to_weight = sum(_SINGLE.dynamics.thrust_to_weight_range) / 2
    motor_time_constant = sum(_SINGLE.dynamics.motor_time_constant_range) / 2
    goal_xy_range = _SINGLE.goal_xy_range
    goal_z_range = _SINGLE.goal_z_range
    lin_vel_reward_scale = _SINGLE.lin_vel_reward_scale
    ang_vel_reward_scale = _SINGLE.ang_vel_reward_scale
    distance_to_goal_reward_scale = _SINGLE.distance_to_goal_reward_scale
    distance_to_goal_std = _SINGLE.distance_to_goal_std
    min_height = _SINGLE.min_height
    max_height = _SINGLE.max_height
    max_ang_vel = _SINGLE.max_ang_vel

    def play_mode(self):
        """Settings for watching a policy: few envs."""
        self.scene.num_envs = 16
