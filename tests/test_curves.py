"""Learning-curve windows (simulator-free): episode statistics pool by episode count, step statistics plainly."""

from __future__ import annotations

import json
import math

from isaaclab_distill.rl.curve_plot import plot_learning_curve, pooled, summarize_curve


def _row(it: int, episodes: int, length: float, fall: float, error: float, level: float) -> dict:
    return {
        "iteration": it,
        "mean_step_reward": 0.01 * it,
        "min_step_reward": 0.0,
        "episodes": episodes,
        "mean_episode_length": length,
        "mean_episode_return": length / 100,
        "termination_share": {"time_out": 1.0 - fall, "bad_orientation": fall},
        "success_share": 1.0 - fall,
        "tracking_error": error,
        "terrain_level": level,
    }


def test_windows_pool_episodes_by_count_and_first_values_are_iteration_zero(tmp_path):
    rows = [
        _row(0, 0, math.nan, math.nan, 0.8, 1.0),
        _row(1, 3, 100.0, 1.0, 0.7, 0.9),
        _row(2, 1, 500.0, 0.0, 0.3, 1.2),
    ]
    window = pooled(rows[1:])
    assert window["episodes"] == 4
    assert math.isclose(window["mean_episode_length"], (3 * 100 + 500) / 4)
    assert math.isclose(window["termination/bad_orientation"], 0.75) and math.isclose(window["success_share"], 0.25)
    assert math.isclose(window["tracking_error"], 0.5)
    assert math.isnan(pooled(rows[:1])["mean_episode_length"])  # no episode ended: no data, not zero
    summary = summarize_curve(rows, window=2)
    assert summary["tracking_error"] == (0.8, 0.5) and summary["terrain_level"] == (1.0, 1.05)
    assert summary["mean_episode_length"] == (100.0, 200.0)
    path = plot_learning_curve(json.loads(json.dumps(rows)), str(tmp_path / "curve.png"))
    assert (tmp_path / "curve.png").stat().st_size > 10_000 and path.endswith("curve.png")
