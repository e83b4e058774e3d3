"""Unitree A1 quadruped: local USD with primitive colliders (MPL-2.0, see ``NOTICE``) and its articulation config.

The USD was made once by ``scripts/tools/make_a1_usd.py`` from the URDF of the PyPI package ``example-robot-data``
6.0.0. Its prims nest as ``<Robot>/Geometry/trunk/FR_hip/FR_thigh/FR_calf/FR_foot``: 17 bodies (``trunk``,
``{F,R}{L,R}_hip``, ``*_thigh``, ``*_calf``, ``*_foot``), 12 revolute joints (``*_hip_joint``, ``*_thigh_joint``,
``*_calf_joint``).
Actuator model and default pose follow Isaac Lab's ``isaaclab_assets.robots.unitree.UNITREE_A1_CFG``.
"""

from __future__ import annotations

import pathlib

import isaaclab.sim as sim_utils
from isaaclab.actuators import DCMotorCfg
from isaaclab.assets.articulation import ArticulationCfg
from isaaclab_newton.sim.schemas import NewtonArticulationCfg

ASSET_DIR = pathlib.Path(__file__).resolve().parent
UNITREE_A1_USD_PATH = str(ASSET_DIR / "a1.usdc")
"""Absolute path of the committed A1 USD (resolved relative to this package, so it works from any cwd)."""

TRUNK_PRIM = "Geometry/trunk"
"""Path of the base body below the robot prim (sensors attach here)."""

UNITREE_A1_CFG = ArticulationCfg(
    spawn=sim_utils.UsdFileCfg(
        usd_path=UNITREE_A1_USD_PATH,
        activate_contact_sensors=True,
        articulation_props=NewtonArticulationCfg(self_collision_enabled=False),
    ),
    init_state=ArticulationCfg.InitialStateCfg(
        pos=(0.0, 0.0, 0.42),
        joint_pos={
            ".*L_hip_joint": 0.1,
            ".*R_hip_joint": -0.1,
            "F[L,R]_thigh_joint": 0.8,
            "R[L,R]_thigh_joint": 1.0,
            ".*_calf_joint": -1.5,
        },
        joint_vel={".*": 0.0},
    ),
    soft_joint_pos_limit_factor=0.9,
    actuators={
        "base_legs": DCMotorCfg(
            joint_names_expr=[".*_hip_joint", ".*_thigh_joint", ".*_calf_joint"],
            actuator_effort_limit=33.5,
            saturation_effort=33.5,
            actuator_velocity_limit=21.0,
            stiffness=25.0,
            damping=0.5,
            friction=0.0,
        ),
    },
)
"""Unitree A1 with a DC-motor model on the 12 leg joints (PD gains 25 / 0.5, 33.5 N m)."""
