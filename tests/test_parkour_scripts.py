"""Depth parkour through the scripts, as a user runs it: PPO teacher -> depth student -> play and export."""

from __future__ import annotations

import json

import imageio.v3 as iio
import numpy as np
import onnxruntime
import pytest
import torch
from helpers import run_script

from isaaclab_distill import load_student
from isaaclab_distill.distillation import load_checkpoint
from isaaclab_distill.export_depth import deploy_loop

pytestmark = pytest.mark.sim


def test_teacher_student_play_end_to_end(tmp_path):
    # 1. PPO teacher on the camera-free teacher variant (scandots + privileged terms)
    proc = run_script(
        "train.py",
        *("--task", "Isaac-Depth-Parkour-Teacher-v0", "--num_envs", "8", "--max_iterations", "2", "--device", "cpu"),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (teacher_run,) = (tmp_path / "logs" / "rsl_rl" / "depth_parkour_a1").iterdir()
    teacher = teacher_run / "model_1.pt"
    assert teacher.is_file()

    # 2. depth CNN + GRU student on the task with the depth camera, started from the teacher's actor
    proc = run_script(
        "distillation.py",
        *("--task", "Isaac-Depth-Parkour-v0", "--teacher_checkpoint", str(teacher), "--num_envs", "8"),
        *("--device", "cpu", "--n_epochs", "2", "--batch_size", "8", "agent.eval_steps=30"),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "init from teacher" in proc.stdout
    (student_run,) = (tmp_path / "logs" / "distillation" / "depth_parkour_a1").iterdir()
    student = student_run / "final_student.pt"
    data = load_checkpoint(str(student))
    assert data["epoch"] == 2 and data["student_cfg"]["class_name"] == "depth_cnn_gru"

    # 3. play the student: evaluation summary, exported ONNX with explicit hidden state, a clip
    proc = run_script(
        "play.py",
        *("--task", "Isaac-Depth-Parkour-Play-v0", "--checkpoint", str(student), "--num_envs", "4", "--steps", "30"),
        *("--video", "--video_length", "20", "--device", "cpu"),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summaries = list(student_run.glob("*_play.json"))  # (run.json is the run manifest)
    assert len(summaries) == 1 and "mean_return" in json.loads(summaries[0].read_text())
    session = onnxruntime.InferenceSession(str(student_run / "exported" / "policy.onnx"))
    # one input per observation group, the image as an image
    inputs = {i.name: i.shape[1:] for i in session.get_inputs()}
    assert list(inputs) == ["policy", "depth", "h_in"] and inputs["depth"] == [1, 58, 87], inputs
    # the split export (depth encoder + actor, TorchScript) reproduces the student on the rollout's recorded inputs
    exported = student_run / "exported"
    encoder, actor = (torch.jit.load(str(exported / name)) for name in ("depth_encoder.pt", "student_actor.pt"))
    ref = torch.load(exported / "depth_student_reference.pt")
    assert ref["depth"].shape[:2] == (30, 4) and ref["proprio"].shape == (30, 4, 50)  # all 30 steps of the 4 envs
    got = deploy_loop(encoder, actor, ref["depth"], ref["proprio"], ref["starts"], hidden_dim=128)
    torch.testing.assert_close(got, ref["actions"], atol=1e-5, rtol=0)
    deployed, hidden, expected = load_student(str(student)), None, []  # the checkpoint itself, step by step
    for t in range(30):
        hidden = None if t == 0 else hidden * (~ref["starts"][t]).view(1, -1, 1)
        actions, hidden = deployed.network({"policy": ref["proprio"][t], "depth": ref["depth"][t]}, hidden)
        expected.append(actions)
    torch.testing.assert_close(torch.stack(expected), ref["actions"], atol=1e-5, rtol=0)
    # the robot is drawn (the A1 has colliders only): its red and orange parts stand out of the grey terrain and the
    # blue sky in every frame (without them: 0 pixels; with them, a trained teacher's clip: 0.26-0.77 % of each frame)
    (clip,) = (student_run / "videos" / "play").glob("*.mp4")
    frames = iio.imread(clip).astype(np.float32)  # (T, H, W, 3)
    r, g, b = frames[..., 0], frames[..., 1], frames[..., 2]
    robot_share = ((r - b > 50) & (r - g > 50)).mean(axis=(1, 2))
    assert len(frames) >= 9 and float(robot_share.min()) > 0.001, robot_share
