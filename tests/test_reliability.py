"""Faults on the real scripts: SIGKILL mid-run, Ctrl-C, a teacher that does not fit the task."""

from __future__ import annotations

import pathlib
import re
import signal

import pytest
import torch
from helpers import QUAD_TASK, assert_one_line_error, run_script, start_script, wait_for

from isaaclab_distill.distillation import load_checkpoint

pytestmark = pytest.mark.sim

DISTIL_FAST = (
    "agent.eval_interval=100",
    "agent.eval_steps=50",
    "agent.save_interval=1",
    "agent.checkpoint_dataset=true",
    "agent.n_epochs=200",
)


def distil_args(teacher_run: pathlib.Path, *extra: str) -> list[str]:
    teacher = str(teacher_run / "model_149.pt")
    return ["--task", QUAD_TASK, "--teacher_checkpoint", teacher, "--num_envs", "32", "--batch_size", "64", *extra]


def run_dir(work: pathlib.Path, library: str, experiment: str = "quadcopter_point_ctrl") -> pathlib.Path:
    (path,) = (work / "logs" / library / experiment).iterdir()
    return path


def test_sigkill_leaves_loadable_checkpoints_and_resume_continues(teacher_run, tmp_path):
    proc = start_script("distillation.py", *distil_args(teacher_run, *DISTIL_FAST), cwd=tmp_path)
    wait_for(proc, tmp_path, lambda out: "epoch 4/200" in out)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    run = run_dir(tmp_path, "distillation")
    checkpoints = sorted(run.glob("checkpoint_epoch_*.pt"), key=lambda p: int(re.findall(r"\d+", p.name)[-1]))
    assert len(checkpoints) >= 3
    for path in run.glob("*.pt"):
        torch.load(path, weights_only=True)  # every checkpoint that exists is complete
    last = load_checkpoint(str(checkpoints[-1]))
    stored = last["trainer_state"]["dataset"]["obs"]  # group -> [steps, envs, ...]: the filled part of the dataset only
    assert list(stored) == ["policy"] and stored["policy"].shape == (last["epoch"] * 64, 32, 13)
    resumed = tmp_path / "resumed"
    resumed.mkdir()
    more = (f"agent.n_epochs={last['epoch'] + 1}", "--resume", str(checkpoints[-1]))
    proc = run_script("distillation.py", *distil_args(teacher_run, *DISTIL_FAST[:4], *more), cwd=resumed, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"at epoch {last['epoch']}" in proc.stdout
    assert load_checkpoint(str(run_dir(resumed, "distillation") / "final_student.pt"))["epoch"] == last["epoch"] + 1


def test_ctrl_c_saves_the_student_and_exits_cleanly(teacher_run, tmp_path):
    proc = start_script("distillation.py", *distil_args(teacher_run, *DISTIL_FAST), cwd=tmp_path)
    wait_for(proc, tmp_path, lambda out: "epoch 2/200" in out)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=120) == 130
    output = (tmp_path / "out.log").read_text()
    assert "Traceback" not in output and "interrupted" in output
    saved = load_checkpoint(str(run_dir(tmp_path, "distillation") / "interrupted_student.pt"))
    assert saved["epoch"] >= 2


def test_ctrl_c_saves_the_teacher(tmp_path):
    args = ["--task", QUAD_TASK, "--num_envs", "32", "--max_iterations", "500", "--device", "cpu"]
    proc = start_script("train.py", *args, cwd=tmp_path)
    wait_for(proc, tmp_path, lambda out: "Learning iteration 3/" in out)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=120) == 130
    output = (tmp_path / "out.log").read_text()
    assert "Traceback" not in output
    saved = re.search(r"interrupted: saved (\S+model_(\d+)\.pt)", output)
    assert saved and int(saved.group(2)) >= 2, output[-2000:]
    assert torch.load(saved.group(1), weights_only=True)["iter"] == int(saved.group(2))


def test_teacher_network_that_does_not_fit_the_task_is_one_line(teacher_run, tmp_path):
    """A PPO checkpoint whose actor input layer was trained on another observation size."""
    data = torch.load(teacher_run / "model_149.pt", weights_only=True)
    weight = data["actor_state_dict"]["mlp.0.weight"]
    data["actor_state_dict"]["mlp.0.weight"] = weight[:, :-2].clone()
    for key in ("obs_normalizer._mean", "obs_normalizer._var", "obs_normalizer._std"):
        if key in data["actor_state_dict"]:
            data["actor_state_dict"][key] = data["actor_state_dict"][key][..., :-2].clone()
    bad = tmp_path / "other" / "model_149.pt"
    bad.parent.mkdir()
    torch.save(data, bad)
    proc = run_script(
        "distillation.py",
        "--task",
        QUAD_TASK,
        "--teacher_checkpoint",
        str(bad),
        "--num_envs",
        "8",
        "--batch_size",
        "8",
        "--device",
        "cpu",
        cwd=tmp_path,
        timeout=300,
    )
    line = assert_one_line_error(proc, "does not match the configured actor")
    assert f"checkpoint ({weight.shape[0]}, {weight.shape[1] - 2})" in line and f"{tuple(weight.shape)}" in line
