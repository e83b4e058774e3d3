"""The parkour teacher learns instead of collapsing: a short PPO run on the real simulator (CPU, ~3 min).

The first version of this task passed a test that looked at the first iterations only, while PPO was learning to
tip over: its step reward was negative, so ending an episode early raised the return, and by iteration 60 every
episode ended in ``bad_orientation`` (episode length 98 -> 39). This test compares an early and the last window of
the curve that :class:`~isaaclab_distill.rl.LearningCurveEnv` measures on every env step.
"""

from __future__ import annotations

import gymnasium as gym
import pytest
import torch
from isaaclab.utils import to_dict
from isaaclab_rl.rsl_rl import check_rsl_rl_version, handle_deprecated_rsl_rl_cfg
from rsl_rl.runners import OnPolicyRunner

from isaaclab_distill.rl import LearningCurveEnv
from isaaclab_distill.rl.curve_plot import pooled
from isaaclab_distill.tasks.depth_parkour import depth_parkour_env_cfg as pk
from isaaclab_distill.utils.hydra import load_task_configs

pytestmark = pytest.mark.sim
TASK = "Isaac-Depth-Parkour-Teacher-v0"
NUM_ENVS = 64
EPISODE_S = 4.0
"""Short episodes (200 steps) so that a few minutes of PPO see several of them per env."""
ITERATIONS = 36
WINDOW = 9
"""Iterations per compared window; the first starts after one episode length (216 > 200 steps)."""


@pytest.fixture(scope="module")
def curve():
    env_cfg, agent_cfg = load_task_configs(TASK, "rsl_rl_cfg_entry_point", [f"env.scene.num_envs={NUM_ENVS}"])
    env_cfg.seed, env_cfg.episode_length_s = 0, EPISODE_S
    torch.manual_seed(0)
    cfg = handle_deprecated_rsl_rl_cfg(agent_cfg, check_rsl_rl_version())
    env = LearningCurveEnv(gym.make(TASK, cfg=env_cfg), steps_per_iteration=cfg.num_steps_per_env)
    try:
        runner = OnPolicyRunner(env, {**to_dict(cfg), "seed": 0}, log_dir=None, device="cpu")
        # random initial episode lengths: after one episode length the ended episodes are a steady mix, so the
        # windows compare policies, not the start-up transient (all envs young, no time-out possible yet)
        runner.learn(num_learning_iterations=ITERATIONS, init_at_random_ep_len=True)
    finally:
        env.close()
    return env.rows


def test_robots_start_on_the_easy_levels(curve):
    """Levels 0..MAX_INIT_TERRAIN_LEVEL, uniformly: mean ~1.0 (not promoted by the first reset)."""
    assert abs(curve[0]["terrain_level"] - pk.MAX_INIT_TERRAIN_LEVEL / 2) < 0.3


def test_reward_never_pays_for_dying(curve):
    """Every step reward PPO saw is >= 0: an early end can only lose return."""
    assert min(r["min_step_reward"] for r in curve) >= 0.0
    assert all(r["mean_step_reward"] > 0.0 for r in curve)


def test_tracking_improves_without_more_falls(curve):
    """The tracking error falls by 10 %; episode length and the share of successes do not fall (10 % / 0.05 slack for
    ~70 episodes per window).

    Measured (seed 0, trotting prior): tracking error 0.70 -> 0.50 m/s, success share 1.00 -> 0.99, length 200 -> 198.
    """
    first, last = pooled(curve[WINDOW : 2 * WINDOW]), pooled(curve[-WINDOW:])
    print(
        f"\n[parkour learning] first/last {WINDOW} of {ITERATIONS} iterations: "
        + ", ".join(f"{k} {first[k]:.3f} -> {last[k]:.3f}" for k in sorted(first))
    )
    assert first["episodes"] >= 30 and last["episodes"] >= 30
    assert last["mean_episode_length"] >= 0.9 * first["mean_episode_length"]
    assert last["success_share"] >= first["success_share"] - 0.05
    assert last["tracking_error"] < 0.9 * first["tracking_error"]
