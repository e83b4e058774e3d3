"""Crazyflie-sized quadcopter (30 g primitive body): gym registrations."""

import gymnasium as gym

from . import agents

_ENV = "isaaclab_distill.tasks.quadcopter"


def _register(task_id: str, env: str, env_cfg: str, ppo_cfg: str, distillation_cfg: str) -> None:
    gym.register(
        id=task_id,
        entry_point=f"{_ENV}.{env}",
        disable_env_checker=True,
        kwargs={
            "env_cfg_entry_point": f"{_ENV}.{env_cfg}",
            "rsl_rl_cfg_entry_point": f"{agents.__name__}.rsl_rl_ppo_cfg:{ppo_cfg}",
            "distillation_cfg_entry_point": f"{agents.__name__}.distillation_cfg:{distillation_cfg}",
            "default_agent": "rsl_rl",
        },
    )


for task_id, env_cfg in (
    ("Isaac-Quadcopter-Point-Ctrl-v0", "QuadcopterEnvCfg"),
    ("Isaac-Quadcopter-Point-Ctrl-Play-v0", "QuadcopterEnvCfg_PLAY"),
    ("Isaac-Quadcopter-Point-Ctrl-Motor-v0", "QuadcopterMotorEnvCfg"),
    # multi-teacher distillation: one teacher per vehicle, then one student for both
    ("Isaac-Quadcopter-Point-Ctrl-Light-v0", "QuadcopterLightEnvCfg"),
    ("Isaac-Quadcopter-Point-Ctrl-Heavy-v0", "QuadcopterHeavyEnvCfg"),
    ("Isaac-Quadcopter-Point-Ctrl-MultiVehicle-v0", "QuadcopterMultiVehicleEnvCfg"),
):
    _register(
        task_id,
        "quadcopter_env:QuadcopterEnv",
        f"quadcopter_env_cfg:{env_cfg}",
        "QuadcopterPPORunnerCfg",
        "QuadcopterDistillationCfg",
    )

# foundation policy: K sampled vehicles (env.num_vehicles, env.vehicle_seed), env.vehicle_id=k flies one
for task_id, env_cfg in (
    ("Isaac-Quadcopter-Point-Ctrl-Foundation-v0", "QuadcopterFoundationEnvCfg"),
    ("Isaac-Quadcopter-Point-Ctrl-Foundation-Play-v0", "QuadcopterFoundationEnvCfg_PLAY"),
):
    _register(
        task_id,
        "quadcopter_env:QuadcopterEnv",
        f"foundation_env_cfg:{env_cfg}",
        "QuadcopterFoundationPPORunnerCfg",
        "QuadcopterFoundationDistillationCfg",
    )

# the multi-agent variant (DirectMARLEnv): two quadcopters, one agent each; the scripts convert it to one agent
_register(
    "Isaac-Quadcopter-Pair-Point-Ctrl-v0",
    "quadcopter_pair_env:QuadcopterPairEnv",
    "quadcopter_pair_env_cfg:QuadcopterPairEnvCfg",
    "QuadcopterPairPPORunnerCfg",
    "QuadcopterPairDistillationCfg",
)
