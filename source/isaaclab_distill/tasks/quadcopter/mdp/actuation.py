"""Actuation models: motor mixing and first-order motor lag."""

from __future__ import annotations

import math

import torch

# X configuration, motor order: front-right, rear-left, front-left, rear-right.
# Columns: x sign, y sign, spin direction (+1 = counter-clockwise, reacts with a clockwise yaw torque).
_MOTOR_LAYOUT = ((1.0, -1.0, 1.0), (-1.0, 1.0, 1.0), (1.0, 1.0, -1.0), (-1.0, -1.0, -1.0))


def motor_mixer(
    motor_thrusts: torch.Tensor, arm_length: float | torch.Tensor, yaw_torque_coef: float | torch.Tensor
) -> torch.Tensor:
    """Map per-motor thrusts to a body wrench.

    Args:
        motor_thrusts: Motor thrusts [N], shape (N, 4).
        arm_length: Distance of each motor from the centre of mass [m], one for all or per env, shape (N,).
        yaw_torque_coef: Yaw reaction torque per unit thrust [m], one for all or per env, shape (N,).

    Returns:
        (collective thrust, Mx, My, Mz) in the body frame, shape (N, 4).
    """
    layout = torch.tensor(_MOTOR_LAYOUT, device=motor_thrusts.device, dtype=motor_thrusts.dtype)  # (4, 3)
    r = _column(arm_length) / math.sqrt(2.0)
    thrust = motor_thrusts.sum(dim=-1, keepdim=True)
    # torque = r x f with f along +z: tau_x = y * f, tau_y = -x * f
    mx = r * (motor_thrusts @ layout[:, 1:2])
    my = -r * (motor_thrusts @ layout[:, 0:1])
    mz = -_column(yaw_torque_coef) * (motor_thrusts @ layout[:, 2:3])
    return torch.cat([thrust, mx, my, mz], dim=-1)


def _column(value: float | torch.Tensor) -> float | torch.Tensor:
    """A per-env ``[N]`` tensor as an ``[N, 1]`` column (a float stays a float)."""
    return value.reshape(-1, 1) if torch.is_tensor(value) else value


def first_order_lag(current: torch.Tensor, target: torch.Tensor, dt: float, tau: torch.Tensor) -> torch.Tensor:
    """One exact discrete step of ``d/dt x = (target - x) / tau``.

    Args:
        current: Current actuator state, shape (N, K).
        target: Commanded value, shape (N, K).
        dt: Integration step [s].
        tau: Per-env time constant [s], shape (N,) or (N, 1).

    Returns:
        The next actuator state, shape (N, K).
    """
    alpha = 1.0 - torch.exp(-dt / tau.reshape(-1, 1))
    return current + alpha * (target - current)


def sample_uniform(bounds: tuple[float, float], n: int, device: torch.device | str) -> torch.Tensor:
    """Sample ``n`` values uniformly in ``[low, high]``."""
    low, high = bounds
    return torch.empty(n, device=device).uniform_(low, high)


def sample_uniform_per_env(bounds: torch.Tensor) -> torch.Tensor:
    """Sample one value per row of ``bounds[n, 2]`` (low, high) uniformly: ``-> [n]``."""
    low, high = bounds.unbind(-1)
    return low + (high - low) * torch.rand_like(low)
