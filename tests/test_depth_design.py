"""The depth teacher-student design on the real simulator: the scandots-encoder teacher and its latent loss, the
depth-image teacher, PPO interleaved with distillation."""

from __future__ import annotations

import json
import math

import pytest
import torch
import yaml
from helpers import run_script

from isaaclab_distill.distillation import load_checkpoint
from isaaclab_distill.distillation.plots import read_scalars

pytestmark = pytest.mark.sim


def test_scandots_encoder_teacher_trains_and_distils_with_the_latent_loss(tmp_path):
    # 1. PPO teacher with extreme-parkour's scandots encoder (2 iterations)
    proc = run_script(
        "train.py",
        *("--task", "Isaac-Depth-Parkour-Teacher-v0", "--agent", "rsl_rl_scandots_encoder_cfg_entry_point"),
        *("--num_envs", "8", "--max_iterations", "2", "--device", "cpu"),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (teacher_run,) = (tmp_path / "logs" / "rsl_rl" / "depth_parkour_a1_scandots_encoder").iterdir()
    agent = yaml.safe_load((teacher_run / "params" / "agent.yaml").read_text())
    assert agent["actor"]["class_name"].endswith(":ScandotsEncoderModel") and agent["actor"]["scan_dim"] == 187

    # 2. the depth student copies its actor and regresses its 32-d latent (8 epochs: the first starts right at the
    # teacher on flat ground, the loss rises with the first obstacles and falls from the second epoch on)
    proc = run_script(
        "distillation.py",
        *("--task", "Isaac-Depth-Parkour-v0", "--teacher_checkpoint", str(teacher_run / "model_1.pt")),
        *("--num_envs", "8", "--device", "cpu", "--n_epochs", "8", "--batch_size", "8"),
        *("agent.algorithm.latent_loss_coef=1.0", "agent.eval_steps=30", "agent.eval_interval=8"),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "feature_head.0 (weight 0, bias atanh of the teacher's latent" in proc.stdout
    (student_run,) = (tmp_path / "logs" / "distillation" / "depth_parkour_a1").iterdir()
    data = read_scalars(str(student_run))
    total, action, latent = (list(data[f"training/{tag}"].values()) for tag in ("loss", "loss_action", "loss_latent"))
    assert len(total) == len(action) == len(latent) == 8
    assert all(math.isfinite(v) for v in total + action + latent)
    for first, last, term in zip(total, action, latent):
        assert first == pytest.approx(last + term, rel=1e-4)  # total = action + 1.0 * latent
    assert latent[-1] < 0.7 * latent[0] and total[-1] < 0.7 * total[0] and total[-1] < 0.5 * max(total), (total, latent)


def test_depth_image_teacher_trains_and_distils(tmp_path):
    # 1. PPO on proprioception + the flattened 64 x 64 depth image (4146 inputs), 2 iterations
    proc = run_script(
        "train.py",
        *("--task", "Isaac-Depth-Parkour-DepthTeacher-v0", "--num_envs", "8", "--max_iterations", "2"),
        *("--device", "cpu"),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (teacher_run,) = (tmp_path / "logs" / "rsl_rl" / "depth_parkour_a1_depth_teacher").iterdir()
    state = torch.load(teacher_run / "model_1.pt", weights_only=True)["actor_state_dict"]
    assert state["mlp.0.weight"].shape == (512, 50 + 64 * 64)

    # 2. the depth student (its actor the teacher's, first layer sliced), 2 epochs
    proc = run_script(
        "distillation.py",
        *("--task", "Isaac-Depth-Parkour-DepthTeacher-v0", "--teacher_checkpoint", str(teacher_run / "model_1.pt")),
        *("--num_envs", "8", "--device", "cpu", "--n_epochs", "2", "--batch_size", "8", "agent.eval_steps=30"),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "sliced ['mlp.0.weight', 'mlp.0.bias']" in proc.stdout
    (student_run,) = (tmp_path / "logs" / "distillation" / "depth_parkour_a1_depth_teacher").iterdir()
    data = load_checkpoint(str(student_run / "final_student.pt"))
    assert data["epoch"] == 2 and data["student_cfg"]["obs_shapes"]["depth"] == [1, 64, 64]
    loss = list(read_scalars(str(student_run))["training/loss"].values())
    assert len(loss) == 2 and all(math.isfinite(v) for v in loss)


def test_interleaved_ppo_and_distillation_train_both_and_resume(tmp_path):
    # 4 PPO iterations on the task with the depth camera, the student distilled after iterations 2 and 4
    common = ("--task", "Isaac-Depth-Parkour-v0", "--num_envs", "8", "--device", "cpu")
    interleaved = (
        "agent.interleaved.depth_training_interval=2",
        "agent.interleaved.distillation.algorithm.batch_size=8",
    )
    proc = run_script("train.py", *common, "--max_iterations", "4", *interleaved, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run,) = (tmp_path / "logs" / "rsl_rl" / "depth_parkour_a1").iterdir()
    data = read_scalars(str(run))
    assert sorted(data["Distillation/loss"]) == [1, 3]  # after PPO iterations 1 and 3 (0-based)
    assert all(math.isfinite(v) for v in data["Distillation/loss"].values())
    assert sorted(data["Loss/surrogate"]) == [0, 1, 2, 3]  # PPO's own loss, every iteration
    curve = json.loads((run / "learning_curve.json").read_text())
    assert len(curve) == 4  # one row per PPO iteration: the student's steps count in none
    # both checkpoints: PPO's (with the distillation state) and the student, which plays and exports
    assert torch.load(run / "model_3.pt", weights_only=False)["infos"]["interleaved"]["epoch"] == 2
    student = load_checkpoint(str(run / "final_student.pt"))
    assert student["epoch"] == 2 and student["student_cfg"]["class_name"] == "depth_cnn_gru"

    # --resume continues both: PPO from iteration 3 (rsl_rl runs it again, its phase is not repeated), the student
    # from its 2 epochs: a third after iteration 5
    resume = ("--resume", "--checkpoint", str(run / "model_3.pt"))
    proc = run_script("train.py", *common, "--max_iterations", "3", *interleaved, *resume, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    resumed = max((tmp_path / "logs" / "rsl_rl" / "depth_parkour_a1").iterdir(), key=lambda p: p.stat().st_mtime)
    assert sorted(read_scalars(str(resumed))["Distillation/loss"]) == [5]
    assert load_checkpoint(str(resumed / "final_student.pt"))["epoch"] == 3
