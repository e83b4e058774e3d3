"""PPO teacher training end to end through ``scripts/train.py``: outputs, learning, resume."""

from __future__ import annotations

import json
import pathlib

import pytest
import torch
import yaml
from helpers import QUAD_TASK, run_script
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

pytestmark = pytest.mark.sim


def scalars(run_dir: pathlib.Path, tag: str) -> list[float]:
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    return [event.value for event in acc.Scalars(tag)]


def test_run_directory_layout(teacher_run):
    assert teacher_run.parent.name == "quadcopter_point_ctrl"
    assert (teacher_run / "params" / "env.yaml").is_file() and (teacher_run / "params" / "agent.yaml").is_file()
    agent = yaml.safe_load((teacher_run / "params" / "agent.yaml").read_text())
    env = yaml.safe_load((teacher_run / "params" / "env.yaml").read_text())
    assert agent["max_iterations"] == 150 and env["scene"]["num_envs"] == 256 and env["sim"]["device"] == "cpu"
    assert list(teacher_run.glob("events.out.tfevents.*"))
    assert (teacher_run / "model_149.pt").is_file()
    assert not list(teacher_run.glob(".*.tmp*")), "atomic saves leave no temporary files"


def test_teacher_reaches_the_goal(teacher_run):
    """The documented CPU budget (256 envs x 150 iterations) brings the final distance to goal under 0.1 m."""
    distance = scalars(teacher_run, "Metrics/final_distance_to_goal")
    reward = scalars(teacher_run, "Train/mean_reward")
    first, last = sum(distance[:5]) / 5, sum(distance[-10:]) / 10
    assert first > 1.0, distance[:5]
    assert last < 0.1, f"final distance {last:.3f} m (start {first:.2f} m)"
    assert reward[-1] > reward[0] + 50.0


def test_resume_continues_from_checkpoint(teacher_run, tmp_path):
    checkpoint = teacher_run / "model_149.pt"
    proc = run_script(
        "train.py",
        "--task",
        QUAD_TASK,
        "--num_envs",
        "64",
        "--max_iterations",
        "2",
        "--device",
        "cpu",
        "--resume",
        "--checkpoint",
        str(checkpoint),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    run = next((tmp_path / "logs" / "rsl_rl" / "quadcopter_point_ctrl").iterdir())
    # rsl_rl's counter continues from the stored iteration (149) for 2 more: 149, 150
    saved = torch.load(run / "model_150.pt", weights_only=False, map_location="cpu")
    assert saved["iter"] == 150
    loaded = torch.load(checkpoint, weights_only=False, map_location="cpu")
    assert set(saved["actor_state_dict"]) == set(loaded["actor_state_dict"])


def test_isaac_lab_run_flags_timestamp_manifest_and_latest(tmp_path):
    """``--run_timestamp`` names the folder, ``run.json`` is Isaac Lab's manifest, ``--checkpoint latest`` reads it."""
    common = ("--task", QUAD_TASK, "--num_envs", "32", "--max_iterations", "1", "--device", "cpu")
    first = run_script(
        "train.py", *common, "--run_timestamp", "2026-01-01_00-00-00", "--logger", "tensorboard", cwd=tmp_path
    )
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    root = tmp_path / "logs" / "rsl_rl" / "quadcopter_point_ctrl"
    run = root / "2026-01-01_00-00-00"
    manifest = json.loads((run / "run.json").read_text())
    assert (manifest["library"], manifest["task"], manifest["metadata"]) == (
        "rsl_rl",
        QUAD_TASK,
        {"agent": "rsl_rl_cfg_entry_point"},
    )
    resume = (*common[:-3], "2", "--device", "cpu", "--checkpoint", "latest")  # Isaac Lab's selector, 2 iterations
    again = run_script("train.py", *resume, cwd=tmp_path)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert f"resuming from {run / 'model_0.pt'}" in again.stdout
    (second,) = [p for p in root.iterdir() if p != run]
    assert torch.load(second / "model_1.pt", weights_only=False, map_location="cpu")["iter"] == 1  # 0 -> 1
