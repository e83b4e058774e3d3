"""Distillation end to end through ``scripts/distillation.py`` on the quadcopter: learning, outputs, resume, errors."""

from __future__ import annotations

import pathlib
import subprocess

import pytest
import torch
import yaml
from helpers import DISTILLATION_TAGS, QUAD_TASK, assert_one_line_error, run_script
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from isaaclab_distill.distillation import load_checkpoint, save_checkpoint
from isaaclab_distill.models import MLPStudent

pytestmark = pytest.mark.sim


def scalars(run_dir: pathlib.Path) -> dict[str, list[tuple[int, float]]]:
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def distil(work: pathlib.Path, teacher: pathlib.Path, *args: str) -> subprocess.CompletedProcess:
    return run_script(
        "distillation.py",
        "--task",
        QUAD_TASK,
        "--teacher_checkpoint",
        str(teacher),
        "--device",
        "cpu",
        "--seed",
        "3",
        *args,
        cwd=work,
    )


@pytest.fixture(scope="module")
def student_run(teacher_run, tmp_path_factory) -> tuple[pathlib.Path, str]:
    """A GRU student that never sees linear velocity nor the dynamics parameters, distilled with the task defaults."""
    work = tmp_path_factory.mktemp("student")
    proc = distil(work, teacher_run / "model_149.pt", "--num_envs", "256")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    runs = list((work / "logs" / "distillation" / "quadcopter_point_ctrl").iterdir())
    assert len(runs) == 1
    return runs[0], proc.stdout


def test_gru_student_reaches_90_percent_of_the_teacher_return(student_run):
    run_dir, _ = student_run
    data = scalars(run_dir)
    ratio = data["evaluation/student_teacher_return_ratio"]
    loss = [v for _, v in data["training/loss"]]
    assert loss[-1] < 0.5 * loss[0], f"behaviour loss did not fall: {loss[0]:.4f} -> {loss[-1]:.4f}"
    assert ratio[-1][1] >= 0.9, f"student/teacher return ratio per evaluation: {ratio}"


def test_run_directory_has_logs_checkpoints_and_params(student_run):
    run_dir, _ = student_run
    assert DISTILLATION_TAGS <= set(scalars(run_dir))
    names = {p.name for p in run_dir.glob("*.pt")}
    assert {"best_student.pt", "final_student.pt", "checkpoint_epoch_10.pt", "checkpoint_epoch_30.pt"} <= names
    for path in run_dir.glob("*.pt"):
        data = torch.load(path, weights_only=True)  # plain data only
        assert {"epoch", "model_state_dict", "optimizer_state_dict", "best_return", "student_cfg"} <= set(data)
    final = load_checkpoint(str(run_dir / "final_student.pt"))
    assert final["epoch"] == 34 and final["student_cfg"]["class_name"] == "gru"
    assert final["student_cfg"]["obs_dim"] == 13, "the student reads the 13-dim policy group"
    agent = yaml.safe_load((run_dir / "params" / "agent.yaml").read_text())
    env = yaml.safe_load((run_dir / "params" / "env.yaml").read_text())
    assert agent["n_epochs"] == 34 and agent["student"]["class_name"] == "gru" and env["scene"]["num_envs"] == 256
    assert not list(run_dir.glob(".*.tmp*")), "atomic saves leave no temporary files"
    assert (run_dir / "summary.png").stat().st_size > 10_000, "student vs teacher return plot"
    manifest = yaml.safe_load((run_dir / "run.json").read_text())  # Isaac Lab's run manifest (JSON is YAML)
    assert (manifest["library"], manifest["task"]) == ("distillation", QUAD_TASK)
    assert manifest["metadata"] == {"agent": "distillation_cfg_entry_point"}


def test_resume_continues_at_the_saved_epoch(student_run, teacher_run, tmp_path):
    run_dir, _ = student_run
    proc = distil(
        tmp_path,
        teacher_run / "model_149.pt",
        "--num_envs",
        "64",
        "--resume",
        str(run_dir / "checkpoint_epoch_10.pt"),
        "--n_epochs",
        "12",
        "agent.eval_interval=2",
        "agent.eval_steps=600",
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "at epoch 10" in proc.stdout
    assert "epoch 11/12" in proc.stdout and "epoch 1/12" not in proc.stdout
    (new_run,) = (tmp_path / "logs" / "distillation" / "quadcopter_point_ctrl").iterdir()
    assert load_checkpoint(str(new_run / "final_student.pt"))["epoch"] == 12


def test_bad_input_is_one_line_before_the_simulator(teacher_run, tmp_path):
    teacher = teacher_run / "model_149.pt"
    student = tmp_path / "student.pt"
    save_checkpoint(str(student), student=MLPStudent(13, 4, [8]), optimizer=None, epoch=1, best_return=0.0)
    cases = [
        (["--teacher_checkpoint", str(student)], ["is a distilled student checkpoint", "model_*.pt"]),
        (["--teacher_checkpoint", str(tmp_path / "none*.pt")], ["matches no file"]),
        (["--teacher_checkpoint", str(teacher), "--resume", str(teacher)], ["not a student checkpoint"]),
        (["--teacher_checkpoint", str(teacher), "--sequence_length", "0"], ["sequence_length must be >= 1"]),
        (["--teacher_checkpoint", str(teacher), "--num_envs", "4", "--batch_size", "100000"], ["--batch_size"]),
        (["--teacher_checkpoint", str(teacher), "agent.student.class_nam=gru"], ["did you mean"]),
        (["--teacher_checkpoint", "agent.n_epochs=3"], ["needs at least one PPO model_*.pt"]),
    ]
    for args, needles in cases:
        proc = run_script("distillation.py", "--task", QUAD_TASK, "--device", "cpu", *args, cwd=tmp_path, timeout=120)
        assert_one_line_error(proc, *needles)
    assert not (tmp_path / "logs").exists(), "a rejected run must not leave a run directory behind"


def test_two_teachers_bound_to_two_vehicles(teacher_run, tmp_path):
    """Multi-teacher plumbing on the real env: worst-k selection and position offset correction (one teacher twice)."""
    teacher = str(teacher_run / "model_149.pt")
    proc = run_script(
        "distillation.py",
        "--task",
        "Isaac-Quadcopter-Point-Ctrl-MultiVehicle-v0",
        "--teacher_checkpoint",
        teacher,
        teacher,
        "--num_envs",
        "32",
        "--batch_size",
        "64",
        "--device",
        "cpu",
        "--n_epochs",
        "2",
        "agent.eval_interval=1",
        "agent.eval_steps=700",
        "agent.multi_teacher.selection=worst_k",
        "agent.multi_teacher.position_offset_correction=true",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    offsets = [line for line in proc.stdout.splitlines() if "teacher position offsets" in line]
    assert len(offsets) == 1
    values = [float(v) for v in offsets[0].split(":", 1)[1].replace("[", " ").replace("]", " ").split(",")]
    assert len(values) == 6 and all(abs(v) < 0.5 for v in values), offsets  # 2 teachers x 3 position columns
    (run,) = (tmp_path / "logs" / "distillation" / "quadcopter_point_ctrl").iterdir()
    state = load_checkpoint(str(run / "final_student.pt"))["trainer_state"]
    assert state["env_teacher_ids"].tolist() == [0] * 16 + [1] * 16
    assert state["student_group_returns"].shape == (2,)
