"""``make_env``: the env of a task as the scripts run it (a multi-agent task converted to one agent)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym


def make_env(task: str, env_cfg: Any) -> gym.Env:
    """``gym.make(task, cfg=env_cfg)``; a ``DirectMARLEnv`` is converted to a single-agent env.

    The conversion is Isaac Lab's own ``multi_agent_to_single_agent``, as in Isaac Lab's rsl_rl scripts: the
    agents' observations are concatenated into the ``policy`` group, their actions are the slices of one action
    vector, the rewards are summed, and an episode ends when every agent's does. A teacher trained on the converted
    env by ``train.py`` is distilled and played on the same conversion. Video recorders write
    ``rl-video-step-<N>.mp4`` + ``.meta.json`` (:mod:`.video_recorder`).
    """
    from isaaclab.envs import DirectMARLEnv, multi_agent_to_single_agent

    env = gym.make(task, cfg=env_cfg)
    if getattr(env.unwrapped, "video_recorders", None):  # --video: clips named as gymnasium's RecordVideo names them
        from .video_recorder import use_gym_names

        use_gym_names(env.unwrapped)
    if isinstance(env.unwrapped, DirectMARLEnv):
        print(f"[INFO] {task} is multi-agent ({', '.join(env.unwrapped.possible_agents)}): converted to one agent")
        env = multi_agent_to_single_agent(env)
    return env
