"""Quadcopter point-control environment (direct workflow)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from isaaclab.assets import RigidObject
from isaaclab.envs import DirectRLEnv
from isaaclab.utils.math import subtract_frame_transforms

from . import mdp
from .quadcopter_env_cfg import VEHICLE_PARAMETERS, QuadcopterEnvCfg


class QuadcopterEnv(DirectRLEnv):
    """A rigid body driven by an external body-frame wrench, rewarded for reaching a goal position.

    Each episode samples mass, thrust-to-weight and motor time constant. Commands pass through a first-order
    motor lag every physics step. See :mod:`.quadcopter_env_cfg` for the observation layout.
    """

    cfg: QuadcopterEnvCfg

    def __init__(self, cfg: QuadcopterEnvCfg, render_mode: str | None = None, **kwargs):
        if cfg.action_mode not in ("wrench", "motor"):
            raise ValueError(f"action_mode must be 'wrench' or 'motor', got {cfg.action_mode!r}")
        super().__init__(cfg, render_mode, **kwargs)
        self.robot: RigidObject = self.scene["robot"]
        self._goal_marker: RigidObject | None = self.scene["goal_marker"] if cfg.scene.goal_marker else None
        n, dev = self.num_envs, self.device
        self._actions = torch.zeros(n, 4, device=dev)
        self._motor_state = torch.zeros(n, 4, device=dev)  # lagged command, same units as the actions
        self._forces = torch.zeros(n, 1, 3, device=dev)
        self._torques = torch.zeros(n, 1, 3, device=dev)
        self._goal_w = torch.zeros(n, 3, device=dev)
        # nominal physical properties, and the per-env randomised dynamics
        self._default_mass = self.robot.data.body_mass.torch.clone().reshape(n, 1)  # (N, 1) [kg]
        self._default_inertia = self.robot.data.body_inertia.torch.clone().reshape(n, 1, 9)
        self._gravity = float(torch.tensor(self.sim.cfg.gravity).norm())
        # per-env sampling ranges [N, 2] of every vehicle parameter (contiguous variant blocks), and the values
        variants = cfg.vehicle_variants() or [cfg.dynamics]
        block = torch.arange(n, device=dev) * len(variants) // n
        self._ranges = {
            name: torch.tensor([getattr(v, f"{name}_range") for v in variants], device=dev)[block]
            for name in VEHICLE_PARAMETERS
        }
        self._vehicle = {name: bounds.mean(dim=-1) for name, bounds in self._ranges.items()}  # [N] each
        self._authority = torch.ones(n, 3, device=dev)  # roll, pitch, yaw moment multipliers, set per episode
        self._episode_sums = {k: torch.zeros(n, device=dev) for k in ("lin_vel", "ang_vel", "distance_to_goal", "spin")}

    # -- actions

    def _pre_physics_step(self, actions: torch.Tensor):
        self._actions = actions.clamp(-1.0, 1.0)

    def _apply_action(self):
        # first-order motor lag, integrated at the physics rate
        v = self._vehicle
        self._motor_state = mdp.first_order_lag(
            self._motor_state, self._actions, self.physics_dt, v["motor_time_constant"]
        )
        max_thrust = v["thrust_to_weight"] * self._default_mass[:, 0] * self._gravity  # nominal mass: the heavier
        if self.cfg.action_mode == "wrench":  # bodies get the same rotors, so less margin
            thrust = max_thrust * (self._motor_state[:, 0] + 1.0) / 2.0
            moments = self.cfg.moment_scale * self._authority * self._motor_state[:, 1:]
        else:
            motor_thrusts = (max_thrust / 4.0).unsqueeze(-1) * (self._motor_state + 1.0) / 2.0
            arm, yaw = self.cfg.arm_length * self._authority[:, 0], self.cfg.yaw_torque_coef * self._authority[:, 2]
            wrench = mdp.motor_mixer(motor_thrusts, arm, yaw)
            thrust, moments = wrench[:, 0], wrench[:, 1:]
        self._forces[:, 0, 2] = thrust
        self._torques[:, 0, :] = moments
        self.robot.permanent_wrench_composer.set_forces_and_torques_index(
            forces=self._forces, torques=self._torques, body_ids=[0]
        )

    # -- MDP

    def _get_observations(self) -> dict:
        d = self.robot.data
        goal_b, _ = subtract_frame_transforms(d.root_pos_w.torch, d.root_quat_w.torch, self._goal_w)
        policy = torch.cat([d.root_ang_vel_b.torch, d.projected_gravity_b.torch, goal_b, self._actions], dim=-1)
        rng = self.cfg.dynamics  # the ranges that normalise the privileged parameters
        params = torch.stack(
            [_normalize(self._vehicle[name], getattr(rng, f"{name}_range")) for name in VEHICLE_PARAMETERS], dim=-1
        )
        teacher = torch.cat([policy, d.root_lin_vel_b.torch, params], dim=-1)
        return {"policy": policy, "teacher": teacher}

    def _get_rewards(self) -> torch.Tensor:
        d, cfg = self.robot.data, self.cfg
        distance = mdp.distance_to_goal_tanh(d.root_pos_w.torch, self._goal_w, cfg.distance_to_goal_std)
        spin = mdp.heading_rate_squared(d.root_ang_vel_b.torch, d.projected_gravity_b.torch)
        terms = {
            "lin_vel": mdp.squared_norm(d.root_lin_vel_b.torch) * cfg.lin_vel_reward_scale,
            "ang_vel": mdp.squared_norm(d.root_ang_vel_b.torch) * cfg.ang_vel_reward_scale,
            "distance_to_goal": distance * cfg.distance_to_goal_reward_scale,
            "spin": spin * cfg.spin_reward_scale,
        }
        reward = torch.zeros(self.num_envs, device=self.device)
        for name, value in terms.items():
            value = value * self.step_dt
            self._episode_sums[name] += value
            reward += value
        if cfg.only_positive_rewards:
            reward = reward.clamp(min=0.0)
        return reward

    def _get_dones(self) -> tuple[torch.Tensor, torch.Tensor]:
        d = self.robot.data
        time_out = self.episode_length_buf >= self.max_episode_length - 1
        height = d.root_pos_w.torch[:, 2] - self.scene.env_origins[:, 2]
        out_of_bounds = (height < self.cfg.min_height) | (height > self.cfg.max_height)
        spin = torch.linalg.norm(d.root_ang_vel_b.torch, dim=-1) > self.cfg.max_ang_vel
        return out_of_bounds | spin, time_out

    def _reset_idx(self, env_ids: Sequence[int] | torch.Tensor | None):
        if env_ids is None:
            env_ids = torch.arange(self.num_envs, device=self.device)
        env_ids = torch.as_tensor(env_ids, device=self.device, dtype=torch.long)

        # episode statistics of the envs that end here
        d = self.robot.data
        final_distance = torch.linalg.norm(self._goal_w[env_ids] - d.root_pos_w.torch[env_ids], dim=-1)
        sums = self._episode_sums
        log = {f"Episode_Reward/{k}": v[env_ids].mean() / self.max_episode_length_s for k, v in sums.items()}
        log["Metrics/final_distance_to_goal"] = final_distance.mean()
        log["Metrics/final_body_rate"] = torch.linalg.norm(d.root_ang_vel_b.torch[env_ids], dim=-1).mean()  # [rad/s]
        self.extras["log"] = log
        for v in self._episode_sums.values():
            v[env_ids] = 0.0

        self.robot.reset(env_ids)
        super()._reset_idx(env_ids)
        if self.cfg.spread_initial_episodes and len(env_ids) == self.num_envs:
            self.episode_length_buf[:] = torch.randint_like(self.episode_length_buf, high=int(self.max_episode_length))

        # new dynamics
        n = len(env_ids)
        for name, bounds in self._ranges.items():
            self._vehicle[name][env_ids] = mdp.sample_uniform_per_env(bounds[env_ids])
        v = {name: values[env_ids] for name, values in self._vehicle.items()}
        self._authority[env_ids] = torch.stack(
            [v["arm_length_scale"], v["arm_length_scale"], v["yaw_torque_scale"]], -1
        )
        scale = v["mass_scale"].unsqueeze(-1)
        inertia = self._default_inertia[env_ids] * (scale * v["inertia_scale"].unsqueeze(-1)).unsqueeze(-1)
        self.robot.set_masses_index(masses=self._default_mass[env_ids] * scale, env_ids=env_ids)
        self.robot.set_inertias_index(inertias=inertia, env_ids=env_ids)
        self._actions[env_ids] = 0.0
        self._motor_state[env_ids] = 0.0

        # new goal, and the body back at its spawn pose
        origins = self.scene.env_origins[env_ids]
        self._goal_w[env_ids, :2] = origins[:, :2] + torch.empty(n, 2, device=self.device).uniform_(
            *self.cfg.goal_xy_range
        )
        self._goal_w[env_ids, 2] = origins[:, 2] + mdp.sample_uniform(self.cfg.goal_z_range, n, self.device)
        if self._goal_marker is not None:  # videos: the marker sits on the goal for the whole episode
            marker_pose = self._goal_marker.data.default_root_pose.torch[env_ids].clone()
            marker_pose[:, :3] = self._goal_w[env_ids]
            self._goal_marker.write_root_pose_to_sim_index(root_pose=marker_pose, env_ids=env_ids)
        root_pose = self.robot.data.default_root_pose.torch[env_ids].clone()
        root_pose[:, :3] += origins
        self.robot.write_root_pose_to_sim_index(root_pose=root_pose, env_ids=env_ids)
        self.robot.write_root_velocity_to_sim_index(
            root_velocity=self.robot.data.default_root_vel.torch[env_ids].clone(), env_ids=env_ids
        )


def _normalize(x: torch.Tensor, bounds: tuple[float, float]) -> torch.Tensor:
    """Affine map of ``bounds`` onto [-1, 1] (0 when the range is degenerate)."""
    low, high = bounds
    return (2.0 * (x - low) / (high - low) - 1.0) if high > low else torch.zeros_like(x)
