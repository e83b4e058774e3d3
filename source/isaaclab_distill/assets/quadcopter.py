"""A quadcopter you can recognise in a video, from primitives: the body cube plus visual-only arms and rotors.

Physics sees only the body (:class:`~isaaclab.sim.CuboidCfg` with its collider, mass and rigid body): the arms and
rotor discs are visual geometry below the body prim, with neither collider nor mass, so the body's mass and inertia
are those of the cube alone (``tests/test_quadcopter_env.py`` checks it). X configuration: the arms point at
45 degrees, the front rotors (+x) are orange and the rear ones dark, so heading and tilt read from the picture.
"""

from __future__ import annotations

import math

import isaaclab.sim as sim_utils
from isaaclab.sim.spawners.shapes import spawn_cuboid, spawn_cylinder
from isaaclab.sim.utils import clone
from isaaclab.utils import configclass

_ARM_COLOR = (0.15, 0.15, 0.18)
_FRONT_ROTOR_COLOR = (1.0, 0.45, 0.05)
_REAR_ROTOR_COLOR = (0.25, 0.25, 0.3)


@clone
def spawn_quadcopter(prim_path: str, cfg: QuadcopterBodyCfg, translation=None, orientation=None, **kwargs):
    """Spawn the body cube (the rigid body), then two crossed arms and four rotor discs as visual children."""
    prim = spawn_cuboid(prim_path, cfg, translation=translation, orientation=orientation, **kwargs)
    half = math.sqrt(2.0) / 2.0
    span = 2.0 * cfg.rotor_distance + 2.0 * cfg.rotor_radius
    arm = sim_utils.CuboidCfg(
        size=(span, cfg.arm_width, cfg.arm_width),
        visual_material=sim_utils.PreviewSurfaceCfg(diffuse_color=_ARM_COLOR),
    )
    for name, yaw in (("ArmA", math.pi / 4.0), ("ArmB", -math.pi / 4.0)):
        spawn_cuboid(f"{prim_path}/{name}", arm, orientation=(0.0, 0.0, math.sin(yaw / 2.0), math.cos(yaw / 2.0)))
    for i, (sx, sy) in enumerate(((1, 1), (1, -1), (-1, -1), (-1, 1))):
        color = _FRONT_ROTOR_COLOR if sx > 0 else _REAR_ROTOR_COLOR
        rotor = sim_utils.CylinderCfg(
            radius=cfg.rotor_radius,
            height=0.006,
            axis="Z",
            visual_material=sim_utils.PreviewSurfaceCfg(diffuse_color=color),
        )
        position = (sx * half * cfg.rotor_distance, sy * half * cfg.rotor_distance, 0.5 * cfg.arm_width + 0.004)
        spawn_cylinder(f"{prim_path}/Rotor{i}", rotor, translation=position)
    return prim


@configclass
class QuadcopterBodyCfg(sim_utils.CuboidCfg):
    """The body cube with visual arms and rotors (:func:`spawn_quadcopter`)."""

    func = spawn_quadcopter
    rotor_distance: float = 0.11
    """Rotor centre distance from the body centre [m] (drawn larger than a Crazyflie's 46 mm, to be seen)."""
    rotor_radius: float = 0.045
    """Rotor disc radius [m]."""
    arm_width: float = 0.012
    """Arm cross-section [m]."""
