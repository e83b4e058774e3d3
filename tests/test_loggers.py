"""``--logger wandb`` on train and distillation, offline (``WANDB_MODE=offline``): a W&B run dir with our scalars."""

from __future__ import annotations

import pathlib

import pytest
from helpers import QUAD_TASK, run_script

pytestmark = pytest.mark.sim

OFFLINE = {"WANDB_MODE": "offline", "WANDB_SILENT": "true"}


def offline_run(work: pathlib.Path) -> bytes:
    """The records of the one offline W&B run written below ``work`` (rsl_rl's writer: ``./wandb/``)."""
    (run,) = (work / "wandb").glob("offline-run-*")
    (records,) = run.glob("run-*.wandb")
    return records.read_bytes()


def test_train_and_distillation_log_to_an_offline_wandb_run(teacher_run, tmp_path):
    common = ("--task", QUAD_TASK, "--device", "cpu", "--logger", "wandb", "--log_project_name", "isaaclab_distill")
    train = tmp_path / "train"
    train.mkdir()
    proc = run_script("train.py", *common, "--num_envs", "32", "--max_iterations", "2", cwd=train, env=OFFLINE)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert b"Loss/value" in offline_run(train)  # rsl_rl's PPO scalars went to W&B

    distil = tmp_path / "distil"
    distil.mkdir()
    teacher = str(teacher_run / "model_149.pt")
    args = ("--teacher_checkpoint", teacher, "--num_envs", "32", "--n_epochs", "1", "--batch_size", "16")
    proc = run_script("distillation.py", *common, *args, cwd=distil, env=OFFLINE)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    records = offline_run(distil)
    assert b"training/loss" in records and b"evaluation/mean_return" in records
    (run_dir,) = (distil / "logs" / "distillation" / "quadcopter_point_ctrl").iterdir()
    assert list(run_dir.glob("events.out.tfevents.*")), "the W&B writer also writes the TensorBoard events"
