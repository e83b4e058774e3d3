"""mp4 recording with ``--video``: config wiring (no simulator) and a real clip from ``scripts/train.py`` (sim)."""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import pytest
from helpers import QUAD_TASK, assert_one_line_error, run_script

VIDEO_LENGTH = 40


def video_args(**kwargs) -> argparse.Namespace:
    values = {"video": True, "video_length": VIDEO_LENGTH, "video_interval": 2000} | kwargs
    return argparse.Namespace(**values)


def test_configure_video_adds_camera_ground_and_recorder(tmp_path):
    from isaaclab_distill.utils.hydra import load_task_configs
    from isaaclab_distill.utils.video import FRAME_STRIDE, VIDEO_CAMERA_NAME, FollowCamera, configure_video

    env_cfg, _ = load_task_configs(QUAD_TASK, None, ["env.scene.num_envs=4"])
    configure_video(env_cfg, video_args(video_interval=500), str(tmp_path), "train")
    camera = getattr(env_cfg.scene, VIDEO_CAMERA_NAME)
    assert camera.class_type is FollowCamera and camera.target_asset == "robot"
    assert camera.renderer_cfg.renderer_type == "newton_warp" and not camera.renderer_cfg.use_cuda_graph
    assert camera.checker_prim_path == env_cfg.scene.video_ground.prim_path  # no terrain: a checkerboard ground
    assert env_cfg.scene.video_ground.spawn.collision_props is None  # visual only: the physics is unchanged
    assert env_cfg.scene.goal_marker is not None and camera.framed_asset == "goal_marker"  # the task's video_mode()
    (recorder,) = env_cfg.video_recorders
    assert recorder.source == f"sensor:{VIDEO_CAMERA_NAME}"
    assert recorder.output_dir == os.path.join(str(tmp_path), "videos", "train")
    assert (recorder.video_length, recorder.video_interval, recorder.frame_stride) == (VIDEO_LENGTH, 500, FRAME_STRIDE)


def test_video_follows_the_first_articulation_of_a_scene_without_a_robot(tmp_path):
    from isaaclab_distill.utils.hydra import load_task_configs
    from isaaclab_distill.utils.video import VIDEO_CAMERA_NAME, configure_video

    env_cfg, _ = load_task_configs("Isaac-Quadcopter-Pair-Point-Ctrl-v0", None, ["env.scene.num_envs=4"])
    configure_video(env_cfg, video_args(), str(tmp_path), "play")
    assert getattr(env_cfg.scene, VIDEO_CAMERA_NAME).target_asset == "robot_0"  # quad_0's quadcopter


def test_configure_video_is_a_no_op_without_the_flag(tmp_path):
    from isaaclab_distill.utils.hydra import load_task_configs
    from isaaclab_distill.utils.video import VIDEO_CAMERA_NAME, configure_video

    env_cfg, _ = load_task_configs(QUAD_TASK, None, [])
    configure_video(env_cfg, video_args(video=False), str(tmp_path), "train")
    assert getattr(env_cfg.scene, VIDEO_CAMERA_NAME, None) is None and not env_cfg.video_recorders


def test_configure_video_rejects_a_negative_interval(tmp_path):
    from isaaclab_distill.utils import UserError
    from isaaclab_distill.utils.hydra import load_task_configs
    from isaaclab_distill.utils.video import configure_video

    env_cfg, _ = load_task_configs(QUAD_TASK, None, [])
    with pytest.raises(UserError, match="--video_interval"):
        configure_video(env_cfg, video_args(video_interval=-1), str(tmp_path), "train")


def test_clips_get_gymnasium_names_and_metadata_also_when_they_overlap(tmp_path, monkeypatch):
    """Isaac Lab's recorder, our names: a new clip that starts while one records closes the old one under its own
    start step; env 0's finished episodes are counted from ``reset_buf``."""
    from types import SimpleNamespace

    import torch
    from isaaclab.envs.utils.video_recorder_cfg import VideoRecorderCfg

    from isaaclab_distill.utils.video_recorder import GymNamedVideoRecorder

    env = SimpleNamespace(step_dt=0.02, metadata={}, reset_buf=torch.zeros(2, dtype=torch.bool))
    cfg = VideoRecorderCfg(source="sensor:cam", output_dir=str(tmp_path), video_length=6, video_interval=4)
    recorder = GymNamedVideoRecorder(cfg, env)
    monkeypatch.setattr(recorder, "_get_frame", lambda: np.full((16, 16, 3), 128, dtype=np.uint8))
    for step in range(1, 13):
        env.reset_buf[0] = step in (3, 6)  # env 0's episodes end after steps 3 and 6
        recorder.step()
    recorder.close()
    # clips start at steps 0, 4, 8 (every 4th); each is cut by the next one after 4 frames
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"rl-video-step-{n}.{ext}" for n in (0, 4, 8) for ext in ("meta.json", "mp4")]
    metas = [json.loads((tmp_path / f"rl-video-step-{n}.meta.json").read_text()) for n in (0, 4, 8)]
    assert [(m["step_id"], m["episode_id"], m["frames"]) for m in metas] == [(0, 0, 4), (4, 1, 4), (8, 2, 4)]
    assert metas[0]["fps"] == 50 and metas[0]["env_ids"] == [0]


def test_bad_video_flag_is_one_line_error_before_the_simulator(tmp_path):
    args = ("--task", QUAD_TASK, "--device", "cpu", "--video", "--video_interval", "-5")
    proc = run_script("train.py", *args, cwd=tmp_path, timeout=300)
    assert_one_line_error(proc, "--video_interval")
    assert not list(tmp_path.glob("logs/**/videos"))


@pytest.mark.sim
def test_train_records_a_moving_quadcopter(tmp_path):
    """A 40-step clip of env 0 during PPO training, named as gymnasium names it, with the vehicle and the goal."""
    import imageio.v3 as iio

    start = time.perf_counter()
    proc = run_script(
        "train.py",
        *("--task", QUAD_TASK, "--num_envs", "4", "--max_iterations", "2", "--seed", "0", "--device", "cpu"),
        *("--video", "--video_length", str(VIDEO_LENGTH)),
        cwd=tmp_path,
        timeout=600,
    )
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (videos,) = (tmp_path / "logs" / "rsl_rl" / "quadcopter_point_ctrl").glob("*/videos/train")
    # 2 x 24 steps: one clip (the next would start at step 2000), and its metadata
    assert sorted(p.name for p in videos.iterdir()) == ["rl-video-step-0.meta.json", "rl-video-step-0.mp4"]
    frames = iio.imread(videos / "rl-video-step-0.mp4").astype(np.float32)  # (T, H, W, 3)
    meta = json.loads((videos / "rl-video-step-0.meta.json").read_text())
    print(f"\n[video] {(videos / 'rl-video-step-0.mp4').stat().st_size / 1e3:.0f} kB, {frames.shape}, {elapsed:.0f} s")

    assert frames.shape[1:] == (360, 480, 3)
    assert abs(frames.shape[0] - VIDEO_LENGTH // 2) <= 1, frames.shape
    assert meta == {
        "step_id": 0,
        "episode_id": 0,
        "env_ids": [0],
        "frames": frames.shape[0],
        "fps": 25,  # every 2nd step of 0.02 s: real time
        "content_type": "video/mp4",
    }
    # not blank: every frame has structure (ground, sky, quadcopter)
    assert min(float(frame.std()) for frame in frames) > 10.0
    # the camera follows the flying quadcopter over a checkerboard: the picture changes over time
    assert float(np.abs(frames[-1] - frames[0]).mean()) > 3.0
    changes = [float(np.abs(b - a).mean()) for a, b in zip(frames[:-1], frames[1:])]
    assert sum(change > 0.5 for change in changes) >= len(changes) // 2, changes
    r, g, b = frames[..., 0], frames[..., 1], frames[..., 2]
    # the vehicle: its orange front rotors are in view (the untrained policy tumbles: edge-on discs hide some frames)
    orange = (r > 170.0) & (g > 60.0) & (g < 170.0) & (b < 90.0) & (r > g + 60.0)
    assert (orange.reshape(len(frames), -1).sum(axis=1) >= 5).mean() >= 0.75
    # the goal: the green marker is in view (the camera keeps both) in nearly every frame
    green = (g > r + 60.0) & (g > b + 40.0)
    seen = green.reshape(len(frames), -1).sum(axis=1) >= 20
    assert seen.mean() >= 0.9, seen
