"""Reward terms of the depth-parkour task: forward progress and clean foot placement.

Each manager term is a thin wrapper around a pure-tensor function (``*_from_*``) that the unit tests check without the
simulator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from isaaclab.managers import SceneEntityCfg
from isaaclab.utils.math import quat_apply_inverse, yaw_quat

if TYPE_CHECKING:
    from isaaclab.assets import Articulation
    from isaaclab.envs import ManagerBasedRLEnv
    from isaaclab.sensors import ContactSensor, RayCaster


def progress_from_velocity(vel_xy: torch.Tensor, cmd_xy: torch.Tensor) -> torch.Tensor:
    """Speed along the commanded direction, clipped to ``[-|cmd|, |cmd|]``, shape (N,); 0 for a zero command."""
    speed = torch.linalg.norm(cmd_xy, dim=-1)
    direction = cmd_xy / speed.clamp_min(1e-6).unsqueeze(-1)
    along = torch.sum(vel_xy * direction, dim=-1)
    return torch.minimum(torch.maximum(along, -speed), speed)


def stumble_from_forces(forces_w: torch.Tensor, ratio: float) -> torch.Tensor:
    """Number of bodies whose contact force is mostly horizontal (``|F_xy| > ratio |F_z|``), shape (N,).

    A foot hitting the vertical face of a step or hurdle is pushed sideways, not up.

    Args:
        forces_w: Contact forces in the world frame, shape ``(N, B, 3)``.
        ratio: Horizontal-to-vertical ratio above which a contact is a stumble.
    """
    horizontal = torch.linalg.norm(forces_w[..., :2], dim=-1)
    return torch.sum(horizontal > ratio * forces_w[..., 2].abs(), dim=-1).float()


def edge_from_heights(
    feet_pos_w: torch.Tensor, in_contact: torch.Tensor, hits_w: torch.Tensor, radius: float, edge_height: float
) -> torch.Tensor:
    """Number of feet in contact near a terrain edge, shape (N,).

    A foot is near an edge when the terrain heights sampled within ``radius`` of it (horizontal distance) span more
    than ``edge_height``: it stands on the lip of a step, box, hurdle or gap instead of a flat part.

    Args:
        feet_pos_w: Foot positions, shape ``(N, F, 3)``.
        in_contact: Foot contact flags, shape ``(N, F)``.
        hits_w: Terrain points (e.g. height-scanner ray hits), shape ``(N, R, 3)``; non-finite points are ignored.
        radius: Horizontal neighbourhood radius [m].
        edge_height: Height span [m] above which the neighbourhood holds an edge.
    """
    valid = torch.isfinite(hits_w).all(dim=-1)  # [N, R]
    hits = torch.nan_to_num(hits_w, nan=0.0, posinf=0.0, neginf=0.0)
    d2 = torch.sum(torch.square(feet_pos_w[:, :, None, :2] - hits[:, None, :, :2]), dim=-1)  # [N, F, R]
    near = (d2 < radius**2) & valid[:, None, :]
    z = hits[:, None, :, 2].expand_as(d2)
    z_max = torch.where(near, z, torch.full_like(z, -torch.inf)).amax(dim=-1)
    z_min = torch.where(near, z, torch.full_like(z, torch.inf)).amin(dim=-1)
    at_edge = near.any(dim=-1) & (z_max - z_min > edge_height)
    return torch.sum(at_edge & in_contact, dim=-1).float()


def forward_progress(env: ManagerBasedRLEnv, command_name: str, asset_cfg: SceneEntityCfg) -> torch.Tensor:
    """Base speed [m/s] along the commanded direction (yaw frame), capped at the commanded speed."""
    asset: Articulation = env.scene[asset_cfg.name]
    vel_yaw = quat_apply_inverse(yaw_quat(asset.data.root_quat_w.torch), asset.data.root_lin_vel_w.torch)
    return progress_from_velocity(vel_yaw[:, :2], env.command_manager.get_command(command_name)[:, :2])


def feet_stumble(env: ManagerBasedRLEnv, sensor_cfg: SceneEntityCfg, ratio: float = 4.0) -> torch.Tensor:
    """Penalty count of feet hitting a vertical surface (see :func:`stumble_from_forces`)."""
    sensor: ContactSensor = env.scene.sensors[sensor_cfg.name]
    return stumble_from_forces(sensor.data.net_normal_forces_w.torch[:, sensor_cfg.body_ids], ratio)


def feet_edge(
    env: ManagerBasedRLEnv,
    sensor_cfg: SceneEntityCfg,
    asset_cfg: SceneEntityCfg,
    scanner_cfg: SceneEntityCfg,
    radius: float = 0.1,
    edge_height: float = 0.05,
    contact_threshold: float = 1.0,
) -> torch.Tensor:
    """Penalty count of feet in contact on a terrain edge, using the height scanner's ray hits as the terrain sample.

    ``sensor_cfg`` (contact sensor) and ``asset_cfg`` (articulation) must select the same feet in the same order.
    """
    sensor: ContactSensor = env.scene.sensors[sensor_cfg.name]
    asset: Articulation = env.scene[asset_cfg.name]
    scanner: RayCaster = env.scene.sensors[scanner_cfg.name]
    forces = sensor.data.net_normal_forces_w.torch[:, sensor_cfg.body_ids]
    in_contact = torch.linalg.norm(forces, dim=-1) > contact_threshold
    feet_pos = asset.data.body_pos_w.torch[:, asset_cfg.body_ids]
    return edge_from_heights(feet_pos, in_contact, scanner.data.ray_hits_w.torch, radius, edge_height)
