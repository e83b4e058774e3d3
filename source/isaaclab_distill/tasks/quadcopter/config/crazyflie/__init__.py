"""Crazyflie-sized quadcopter (30 g primitive body): gym registrations."""

import gymnasium as gym

from . import agents

_ENV = "isaaclab_distill.tasks.quadcopter"

for task_id, env_cfg in (
    ("Isaac-Quadcopter-Point-Ctrl-v0", "QuadcopterEnvCfg"),
    ("Isaac-Quadcopter-Point-Ctrl-Play-v0", "QuadcopterEnvCfg_PLAY"),
    ("Isaac-Quadcopter-Point-Ctrl-Motor-v0", "QuadcopterMotorEnvCfg"),
    # multi-teacher distillation: one teacher per vehicle, then one student for both
    ("Isaac-Quadcopter-Point-Ctrl-Light-v0", "QuadcopterLightEnvCfg"),
    ("Isaac-Quadcopter-Point-Ctrl-Heavy-v0", "QuadcopterHeavyEnvCfg"),
    ("Isaac-Quadcopter-Point-Ctrl-MultiVehicle-v0", "QuadcopterMultiVehicleEnvCfg"),
):
    gym.register(
        id=task_id,
        entry_point=f"{_ENV}.quadcopter_env:QuadcopterEnv",
        disable_env_checker=True,
        kwargs={
            "env_cfg_entry_point": f"{_ENV}.quadcopter_env_cfg:{env_cfg}",
            "rsl_rl_cfg_entry_point": f"{agents.__name__}.rsl_rl_ppo_cfg:QuadcopterPPORunnerCfg",
            "distillation_cfg_entry_point": f"{agents.__name__}.distillation_cfg:QuadcopterDistillationCfg",
            "default_agent": "rsl_rl",
        },
    )

# the multi-agent variant (DirectMARLEnv): two quadcopters, one agent each; the scripts convert it to one agent
gym.register(
    id="Isaac-Quadcopter-Pair-Point-Ctrl-v0",
    entry_point=f"{_ENV}.quadcopter_pair_env:QuadcopterPairEnv",
    disable_env_checker=True,
    kwargs={
        "env_cfg_entry_point": f"{_ENV}.quadcopter_pair_env_cfg:QuadcopterPairEnvCfg",
        "rsl_rl_cfg_entry_point": f"{agents.__name__}.rsl_rl_ppo_cfg:QuadcopterPairPPORunnerCfg",
        "distillation_cfg_entry_point": f"{agents.__name__}.distillation_cfg:QuadcopterPairDistillationCfg",
        "default_agent": "rsl_rl",
    },
)
