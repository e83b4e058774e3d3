"""Unitree A1 depth parkour: gym registrations.

``Isaac-Depth-Parkour-v0`` is the full task (``teacher`` and ``policy`` groups, depth camera on), used to train the
teacher and to distil the depth student; ``Isaac-Depth-Parkour-Play-v0`` watches a policy (16 envs);
``Isaac-Depth-Parkour-Teacher-v0`` trains the PPO teacher without paying for the depth camera (its ``policy`` group
is proprioception only, so it has no distillation entry point). Each trains the MLP teacher
(``rsl_rl_cfg_entry_point``) or, with ``--agent rsl_rl_scandots_encoder_cfg_entry_point``, extreme-parkour's
scandots-encoder teacher.

``Isaac-Depth-Parkour-DepthTeacher-v0`` (and ``-DepthTeacher-Play-v0``) is the design document's variant: the teacher
reads proprioception + the flattened 64 x 64 depth image (``depth_teacher_env_cfg``).
"""

import gymnasium as gym

from . import agents

_TASK = "isaaclab_distill.tasks.depth_parkour"
_AGENTS = agents.__name__
_SCANDOTS_AGENTS = {
    "rsl_rl_cfg_entry_point": f"{_AGENTS}.rsl_rl_ppo_cfg:DepthParkourPPORunnerCfg",
    "rsl_rl_scandots_encoder_cfg_entry_point": f"{_AGENTS}.rsl_rl_ppo_cfg:DepthParkourScandotsEncoderPPORunnerCfg",
}
_DISTILL = {"distillation_cfg_entry_point": f"{_AGENTS}.distillation_cfg:DepthParkourDistillationCfg"}
_DEPTH_TEACHER_AGENTS = {
    "rsl_rl_cfg_entry_point": f"{_AGENTS}.rsl_rl_ppo_cfg:DepthParkourDepthTeacherPPORunnerCfg",
    "distillation_cfg_entry_point": f"{_AGENTS}.distillation_cfg:DepthParkourDepthTeacherDistillationCfg",
}

for task_id, env_cfg, agent_cfgs in (
    ("Isaac-Depth-Parkour-v0", "depth_parkour_env_cfg:DepthParkourEnvCfg", {**_SCANDOTS_AGENTS, **_DISTILL}),
    ("Isaac-Depth-Parkour-Play-v0", "depth_parkour_env_cfg:DepthParkourEnvCfg_PLAY", {**_SCANDOTS_AGENTS, **_DISTILL}),
    ("Isaac-Depth-Parkour-Teacher-v0", "depth_parkour_env_cfg:DepthParkourTeacherEnvCfg", _SCANDOTS_AGENTS),
    (
        "Isaac-Depth-Parkour-DepthTeacher-v0",
        "depth_teacher_env_cfg:DepthParkourDepthTeacherEnvCfg",
        _DEPTH_TEACHER_AGENTS,
    ),
    (
        "Isaac-Depth-Parkour-DepthTeacher-Play-v0",
        "depth_teacher_env_cfg:DepthParkourDepthTeacherEnvCfg_PLAY",
        _DEPTH_TEACHER_AGENTS,
    ),
):
    gym.register(
        id=task_id,
        entry_point=f"{_TASK}.depth_parkour_env:DepthParkourEnv",
        disable_env_checker=True,
        kwargs={"env_cfg_entry_point": f"{_TASK}.{env_cfg}", **agent_cfgs, "default_agent": "rsl_rl"},
    )
