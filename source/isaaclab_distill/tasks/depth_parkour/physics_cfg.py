"""Physics of the depth-parkour task: Newton MuJoCo-Warp, its time step and the policy's decimation (pure data)."""

from __future__ import annotations

from isaaclab.utils import configclass
from isaaclab_newton.physics import MJWarpSolverCfg, NewtonCfg, NewtonCollisionPipelineCfg, NewtonShapeCfg
from isaaclab_tasks.utils import PresetCfg

PHYSICS_DT = 1.0 / 150.0
"""Physics step [s]. The policy runs at 50 Hz either way; 3 physics steps per action instead of legged_gym's 4 x 5 ms
cut an env step from 235 to 193 ms at 128 envs on CPU. The explicit PD of the DC motors stays stable: under random
actions the largest joint speed was 25 rad/s (19 at 5 ms); at 10 ms x 2 it chattered (42 rad/s) and robots fell."""
CONTROL_DECIMATION = 3
"""Physics steps per policy step (``PHYSICS_DT * CONTROL_DECIMATION`` = 0.02 s)."""


@configclass
class DepthParkourPhysicsCfg(PresetCfg):
    """Newton MuJoCo-Warp physics, selected explicitly; runs kit-less on ``cpu`` and ``cuda:0``."""

    newton_mjwarp: NewtonCfg = NewtonCfg(
        solver_cfg=MJWarpSolverCfg(
            njmax=200,
            nconmax=100,
            cone="pyramidal",
            impratio=1.0,
            integrator="implicitfast",
            use_mujoco_contacts=False,
        ),
        # the stock rough-terrain value (4096 envs on a GPU); the allocation does not slow the CPU down
        collision_cfg=NewtonCollisionPipelineCfg(max_triangle_pairs=2_500_000),
        num_substeps=1,
        default_shape_cfg=NewtonShapeCfg(margin=0.0, ke=160000.0, kd=1100.0),
        use_cuda_graph=True,  # ignored on CPU, where Newton steps eagerly
    )
    default: NewtonCfg = newton_mjwarp
