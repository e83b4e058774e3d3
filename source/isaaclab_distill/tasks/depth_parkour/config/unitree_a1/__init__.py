"""Unitree A1 depth parkour: gym registrations.

``Isaac-Depth-Parkour-v0`` is the full task (``teacher`` and ``policy`` groups, depth camera on), used to train the
teacher and to distil the depth student; ``Isaac-Depth-Parkour-Play-v0`` watches a policy (16 envs);
``Isaac-Depth-Parkour-Teacher-v0`` trains the PPO teacher without paying for the depth camera (its ``policy`` group
is proprioception only, so it has no distillation entry point). Each trains the MLP teacher
(``rsl_rl_cfg_entry_point``) or, with ``--agent rsl_rl_scandots_encoder_cfg_entry_point``, extreme-parkour's
scandots-encoder teacher.
"""

import gymnasium as gym

from . import agents

_TASK = "isaaclab_distill.tasks.depth_parkour"
_PPO = f"{agents.__name__}.rsl_rl_ppo_cfg:DepthParkourPPORunnerCfg"
_PPO_ENCODER = f"{agents.__name__}.rsl_rl_ppo_cfg:DepthParkourScandotsEncoderPPORunnerCfg"
_DISTILL = f"{agents.__name__}.distillation_cfg:DepthParkourDistillationCfg"

for task_id, env_cfg, distill in (
    ("Isaac-Depth-Parkour-v0", "DepthParkourEnvCfg", True),
    ("Isaac-Depth-Parkour-Play-v0", "DepthParkourEnvCfg_PLAY", True),
    ("Isaac-Depth-Parkour-Teacher-v0", "DepthParkourTeacherEnvCfg", False),
):
    kwargs = {
        "env_cfg_entry_point": f"{_TASK}.depth_parkour_env_cfg:{env_cfg}",
        "rsl_rl_cfg_entry_point": _PPO,
        "rsl_rl_scandots_encoder_cfg_entry_point": _PPO_ENCODER,
        "default_agent": "rsl_rl",
    }
    if distill:
        kwargs["distillation_cfg_entry_point"] = _DISTILL
    gym.register(
        id=task_id, entry_point=f"{_TASK}.depth_parkour_env:DepthParkourEnv", disable_env_checker=True, kwargs=kwargs
    )
