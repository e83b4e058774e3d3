"""Two quadcopters in one env, one agent each: the multi-agent (``DirectMARLEnv``) variant of the point-control task.

The scripts convert it to a single-agent env with Isaac Lab's ``multi_agent_to_single_agent``
(:func:`isaaclab_distill.utils.envs.make_env`): ``policy`` = both agents' observations ``[N, 26]``, 8 actions.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from isaaclab.assets import RigidObject
from isaaclab.envs import DirectMARLEnv
from isaaclab.utils.math import subtract_frame_transforms

from . import mdp
from .quadcopter_pair_env_cfg import QuadcopterPairEnvCfg


class QuadcopterPairEnv(DirectMARLEnv):
    """Agent ``quad_k`` drives ``robot_k`` (collective thrust + body moments through a motor lag) to its own goal."""

    cfg: QuadcopterPairEnvCfg

    def __init__(self, cfg: QuadcopterPairEnvCfg, render_mode: str | None = None, **kwargs):
        super().__init__(cfg, render_mode, **kwargs)
        self.robots: dict[str, RigidObject] = {a: self.scene[f"robot_{k}"] for k, a in enumerate(cfg.possible_agents)}
        n, dev = self.num_envs, self.device
        self._actions = {a: torch.zeros(n, 4, device=dev) for a in self.robots}
        self._motor_state = {a: torch.zeros(n, 4, device=dev) for a in self.robots}  # lagged commands
        self._goal_w = {a: torch.zeros(n, 3, device=dev) for a in self.robots}
        self._tau = torch.full((n,), cfg.motor_time_constant, device=dev)
        robot = next(iter(self.robots.values()))
        gravity = float(torch.tensor(self.sim.cfg.gravity).norm())
        self._max_thrust = cfg.thrust_to_weight * float(robot.data.body_mass.torch[0].sum()) * gravity  # [N]

    # -- actions

    def _pre_physics_step(self, actions: dict[str, torch.Tensor]):
        self._actions = {a: actions[a].clamp(-1.0, 1.0) for a in self.robots}

    def _apply_action(self):
        for agent, robot in self.robots.items():
            state = mdp.first_order_lag(self._motor_state[agent], self._actions[agent], self.physics_dt, self._tau)
            self._motor_state[agent] = state
            forces = torch.zeros(self.num_envs, 1, 3, device=self.device)
            forces[:, 0, 2] = self._max_thrust * (state[:, 0] + 1.0) / 2.0
            torques = (self.cfg.moment_scale * state[:, 1:]).unsqueeze(1)
            robot.permanent_wrench_composer.set_forces_and_torques_index(forces=forces, torques=torques, body_ids=[0])

    # -- MDP

    def _get_observations(self) -> dict[str, torch.Tensor]:
        obs = {}
        for agent, robot in self.robots.items():
            d = robot.data
            goal_b, _ = subtract_frame_transforms(d.root_pos_w.torch, d.root_quat_w.torch, self._goal_w[agent])
            obs[agent] = torch.cat(
                [d.root_ang_vel_b.torch, d.projected_gravity_b.torch, goal_b, self._actions[agent]], dim=-1
            )  # [N, 13]
        return obs

    def _get_states(self) -> torch.Tensor:
        return torch.cat(list(self._get_observations().values()), dim=-1)  # [N, 26]

    def _get_rewards(self) -> dict[str, torch.Tensor]:
        cfg, rewards = self.cfg, {}
        for agent, robot in self.robots.items():
            d = robot.data
            distance = mdp.distance_to_goal_tanh(d.root_pos_w.torch, self._goal_w[agent], cfg.distance_to_goal_std)
            reward = (
                mdp.squared_norm(d.root_lin_vel_b.torch) * cfg.lin_vel_reward_scale
                + mdp.squared_norm(d.root_ang_vel_b.torch) * cfg.ang_vel_reward_scale
                + distance * cfg.distance_to_goal_reward_scale
            )
            rewards[agent] = reward * self.step_dt
        return rewards

    def _get_dones(self) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        crash = torch.zeros(self.num_envs, dtype=torch.bool, device=self.device)
        for robot in self.robots.values():
            d = robot.data
            height = d.root_pos_w.torch[:, 2] - self.scene.env_origins[:, 2]
            spin = torch.linalg.norm(d.root_ang_vel_b.torch, dim=-1) > self.cfg.max_ang_vel
            crash |= (height < self.cfg.min_height) | (height > self.cfg.max_height) | spin
        time_out = self.episode_length_buf >= self.max_episode_length - 1
        # a team task: one crash ends the episode of both agents
        return {a: crash for a in self.robots}, {a: time_out for a in self.robots}

    def _reset_idx(self, env_ids: Sequence[int] | torch.Tensor | None):
        if env_ids is None:
            env_ids = torch.arange(self.num_envs, device=self.device)
        env_ids = torch.as_tensor(env_ids, device=self.device, dtype=torch.long)
        for robot in self.robots.values():
            robot.reset(env_ids)
        super()._reset_idx(env_ids)
        origins, n = self.scene.env_origins[env_ids], len(env_ids)
        for agent, robot in self.robots.items():
            self._actions[agent][env_ids] = 0.0
            self._motor_state[agent][env_ids] = 0.0
            # a new goal around the body's spawn point, and the body back at it
            root_pose = robot.data.default_root_pose.torch[env_ids].clone()
            root_pose[:, :3] += origins
            goal = root_pose[:, :3].clone()
            goal[:, :2] += torch.empty(n, 2, device=self.device).uniform_(*self.cfg.goal_xy_range)
            goal[:, 2] = origins[:, 2] + mdp.sample_uniform(self.cfg.goal_z_range, n, self.device)
            self._goal_w[agent][env_ids] = goal
            robot.write_root_pose_to_sim_index(root_pose=root_pose, env_ids=env_ids)
            robot.write_root_velocity_to_sim_index(
                root_velocity=robot.data.default_root_vel.torch[env_ids].clone(), env_ids=env_ids
            )
