"""Reading a learning curve (rows of :class:`~isaaclab_distill.rl.curves.LearningCurveEnv`): windows and a figure.

Pure Python (matplotlib for the figure): no simulator, usable on a finished run's ``learning_curve.json``.
"""

from __future__ import annotations

import math

EPISODE_KEYS = ("mean_episode_length", "mean_episode_return", "success_share")
"""Row entries that average over the episodes that ended in an iteration (pooled by episode count)."""
STEP_KEYS = ("mean_step_reward", "tracking_error", "terrain_level")
"""Row entries that average over env steps (plain mean over iterations)."""


def pooled(rows: list[dict]) -> dict[str, float]:
    """Means over a window of iterations: episode statistics weighted by episodes, step statistics plain.

    Termination shares come as ``termination/<term>``. Entries without data (no episode ended) are NaN.
    """
    episodes = sum(r["episodes"] for r in rows)
    out: dict[str, float] = {"episodes": float(episodes)}
    for key in EPISODE_KEYS:
        out[key] = sum(r[key] * r["episodes"] for r in rows if r["episodes"]) / episodes if episodes else math.nan
    for term in rows[0]["termination_share"] if rows else ():
        total = sum(r["termination_share"][term] * r["episodes"] for r in rows if r["episodes"])
        out[f"termination/{term}"] = total / episodes if episodes else math.nan
    for key in STEP_KEYS:
        values = [r[key] for r in rows if math.isfinite(r[key])]
        out[key] = sum(values) / len(values) if values else math.nan
    return out


def summarize_curve(rows: list[dict], window: int = 5) -> dict[str, tuple[float, float]]:
    """``{entry: (first, last)}``: the first and last ``window`` iterations pooled (see :func:`pooled`).

    The tracking error's and terrain level's ``first`` are iteration 0's own values (the untrained policy, and the
    levels robots start on).
    """
    first, last = pooled(rows[:window]), pooled(rows[-window:])
    first["tracking_error"], first["terrain_level"] = rows[0]["tracking_error"], rows[0]["terrain_level"]
    return {key: (first[key], last[key]) for key in first}


def plot_learning_curve(rows: list[dict], path: str) -> str:
    """Four panels over iterations: rewards, episode length, tracking error + terrain level, termination shares."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    it = [r["iteration"] for r in rows]
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
    ax = axes[0, 0]
    ax.plot(it, [r["mean_step_reward"] for r in rows], label="mean step reward")
    ax.set_ylabel("step reward")
    ax2 = ax.twinx()
    ax2.plot(it, [r["mean_episode_return"] for r in rows], color="tab:orange", label="episode return")
    ax2.set_ylabel("episode return")
    ax.set_title("reward")
    ax = axes[0, 1]
    ax.plot(it, [r["mean_episode_length"] for r in rows])
    ax.set_ylabel("steps")
    ax.set_title("episode length (ended episodes)")
    ax = axes[1, 0]
    ax.plot(it, [r["tracking_error"] for r in rows], label="velocity-tracking error [m/s]")
    ax.plot(it, [r["terrain_level"] for r in rows], label="mean terrain level")
    ax.legend()
    ax.set_title("tracking and curriculum")
    ax = axes[1, 1]
    for term in rows[0]["termination_share"]:
        ax.plot(it, [r["termination_share"][term] for r in rows], label=term)
    ax.plot(it, [r["success_share"] for r in rows], "k--", label="success (time-out type)")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=8)
    ax.set_title("share of ended episodes")
    for ax in axes[1]:
        ax.set_xlabel("PPO iteration")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
