"""The foundation-policy vehicle family: K quadcopters sampled over wide ranges, one env block each.

RAPTOR (rl-tools ``foundation_policy``) trains one teacher per sampled vehicle and distils all of them into one small
recurrent policy that identifies the vehicle in context. Here a seeded sampler draws the vehicles; with
``vehicle_id=k`` the task is vehicle ``k`` alone (train its teacher there), with ``vehicle_id=-1`` it is all of them,
block ``k`` of the envs flying vehicle ``k`` (the block teacher ``k`` labels in a multi-teacher distillation).
Held-out vehicles are the same family drawn with another ``vehicle_seed``.
"""

from __future__ import annotations

import math

import torch
from isaaclab.utils import configclass

from ...utils.errors import UserError
from .quadcopter_env_cfg import VEHICLE_PARAMETERS, DynamicsRandomizationCfg, QuadcopterEnvCfg

FOUNDATION_RANGES = DynamicsRandomizationCfg(
    mass_scale_range=(0.7, 1.4),
    thrust_to_weight_range=(1.9, 3.0),  # of the nominal mass: the heaviest, weakest vehicle keeps 1.36
    motor_time_constant_range=(0.02, 0.08),
    inertia_scale_range=(0.75, 1.35),
    arm_length_scale_range=(0.7, 1.4),
    yaw_torque_scale_range=(0.5, 1.5),
)
"""The family's ranges (also what normalises the teachers' privileged parameters)."""

LOG_UNIFORM = frozenset({"mass_scale", "inertia_scale", "arm_length_scale", "yaw_torque_scale"})
"""Scale factors are drawn uniformly in log space (as likely halved as doubled); the others uniformly."""

ANGULAR_AUTHORITY_RANGE = (0.5, 1.3)
"""Flyable vehicles only: the angular acceleration at full roll and yaw command, relative to the nominal vehicle's
(``arm_length_scale`` and ``yaw_torque_scale`` over ``mass_scale * inertia_scale``), must lie in this band; other
draws are rejected. Measured (150 PPO iterations, initial action std 1.0): at 1.69x (roll) and 1.77x (yaw) the
vehicles spun out within 5-100 steps and their teachers never learned to fly; at 1.36x one teacher flew whole
episodes from iteration ~60 with one seed and never within 150 iterations with another (std 0.5: from ~90)."""


def angular_authority(values: dict[str, float]) -> tuple[float, float]:
    """Full-command (roll, yaw) angular acceleration of a vehicle relative to the nominal one."""
    inertia = values["mass_scale"] * values["inertia_scale"]
    return values["arm_length_scale"] / inertia, values["yaw_torque_scale"] / inertia


def sample_vehicles(ranges: DynamicsRandomizationCfg, num_vehicles: int, seed: int) -> list[DynamicsRandomizationCfg]:
    """``num_vehicles`` flyable fixed vehicles (single-value ranges) drawn from ``ranges`` with ``seed``.

    Draws outside :data:`ANGULAR_AUTHORITY_RANGE` are rejected. The same ``(ranges, num_vehicles, seed)`` gives the
    same vehicles on every machine (a CPU torch generator), and the first ``k`` vehicles do not depend on
    ``num_vehicles``.
    """
    if num_vehicles < 1:
        raise UserError(f"env.num_vehicles must be at least 1, got {num_vehicles}")
    generator = torch.Generator().manual_seed(seed)
    vehicles: list[DynamicsRandomizationCfg] = []
    for _ in range(1000 * num_vehicles):
        row = torch.rand(len(VEHICLE_PARAMETERS), generator=generator, dtype=torch.float64).tolist()
        values = {}
        for name, u in zip(VEHICLE_PARAMETERS, row):
            low, high = getattr(ranges, f"{name}_range")
            if name in LOG_UNIFORM:
                value = math.exp(math.log(low) + u * (math.log(high) - math.log(low)))
            else:
                value = low + u * (high - low)
            values[name] = round(value, 6)
        if all(ANGULAR_AUTHORITY_RANGE[0] <= a <= ANGULAR_AUTHORITY_RANGE[1] for a in angular_authority(values)):
            vehicles.append(DynamicsRandomizationCfg(**{f"{k}_range": (v, v) for k, v in values.items()}))
            if len(vehicles) == num_vehicles:
                return vehicles
    raise UserError("the vehicle ranges leave almost no flyable vehicle: widen env.dynamics")


@configclass
class QuadcopterFoundationEnvCfg(QuadcopterEnvCfg):
    """``num_vehicles`` sampled vehicles; ``vehicle_id=k`` selects one, ``-1`` flies them all (a block of envs each).

    ``dynamics_variants``, when set (``distillation.py --teacher_manifest`` and the foundation evaluation set it from
    a manifest), lists the vehicles explicitly and takes the sampler's place.
    """

    dynamics: DynamicsRandomizationCfg = FOUNDATION_RANGES
    num_vehicles: int = 8
    """K, the number of vehicles the sampler draws."""
    vehicle_seed: int = 0
    """Seed of the sampler (held-out vehicles: another seed)."""
    vehicle_id: int = -1
    """Fly vehicle ``k`` alone (``0 <= k < num_vehicles``), or all of them (``-1``)."""
    spin_reward_scale = -0.05
    """Without it, PPO teachers of some sampled vehicles settle in a hover that turns about the vertical at 2-6 rad/s
    and sits 0.15-0.24 m off the goal, a local optimum more iterations deepen, and the students copy it. Roll and
    pitch rates keep the -0.01 of ``ang_vel_reward_scale``."""
    only_positive_rewards: bool = True
    """With the heading-rate penalty alone, the early step reward of a spinning vehicle is negative and some teachers
    learn to crash at once (vehicle 3, seed 0: 17-step episodes after 200 iterations); clipped, it took off by
    iteration 60 and hovered 0.03-0.06 m off the goal (README, "Foundation quadcopter policy")."""

    def vehicle_variants(self) -> list[DynamicsRandomizationCfg]:
        """The vehicles of the env blocks: the explicit list, else the sampled ones, narrowed to ``vehicle_id``."""
        vehicles = list(self.dynamics_variants) or sample_vehicles(self.dynamics, self.num_vehicles, self.vehicle_seed)
        if self.vehicle_id == -1:
            return vehicles
        if not 0 <= self.vehicle_id < len(vehicles):
            raise UserError(f"env.vehicle_id must be -1 or in [0, {len(vehicles)}), got {self.vehicle_id}")
        return [vehicles[self.vehicle_id]]


@configclass
class QuadcopterFoundationEnvCfg_PLAY(QuadcopterFoundationEnvCfg):
    """Play variant: few envs, episodes start together."""

    def __post_init__(self):
        super().__post_init__()
        self.play_mode()
