"""The depth-image teacher variant without the simulator: registration, observation layout, the sliced student."""

from __future__ import annotations

import gymnasium as gym
import torch
from rsl_rl.models import MLPModel
from tensordict import TensorDict

from isaaclab_distill.models import build_student
from isaaclab_distill.tasks.depth_parkour import depth_teacher_env_cfg as dt
from isaaclab_distill.tasks.depth_parkour import mdp
from isaaclab_distill.utils.hydra import load_task_configs, register_tasks

TASK = "Isaac-Depth-Parkour-DepthTeacher-v0"


def test_the_depth_teacher_task_registers_its_env_ppo_and_distillation_configs():
    register_tasks()
    for task_id in (TASK, "Isaac-Depth-Parkour-DepthTeacher-Play-v0"):
        assert {"env_cfg_entry_point", "rsl_rl_cfg_entry_point", "distillation_cfg_entry_point"} <= set(
            gym.spec(task_id).kwargs
        )
    env_cfg, agent_cfg = load_task_configs(TASK, "rsl_rl_cfg_entry_point")
    assert agent_cfg.obs_groups == {"actor": ["teacher"], "critic": ["teacher"]}
    assert agent_cfg.experiment_name == "depth_parkour_a1_depth_teacher"
    # teacher = proprioception + the flattened 64 x 64 image of the student's own camera; nothing privileged
    teacher = env_cfg.observations.teacher
    terms = [name for name in teacher.__dataclass_fields__ if hasattr(getattr(teacher, name), "func")]
    assert terms[-1] == "depth_pixels" and "height_scan" not in terms and "feet_friction" not in terms
    assert teacher.depth_pixels.func is mdp.depth_image and teacher.depth_pixels.params["flatten"]
    assert teacher.depth_pixels.params["sensor_cfg"].name == "depth_camera"
    pattern = env_cfg.scene.depth_camera.pattern_cfg
    assert (pattern.height, pattern.width) == (64, 64) and dt.DEPTH_TEACHER_OBS_DIM == 50 + 4096
    assert not env_cfg.observations.depth.image.params.get("flatten", False)  # the student's image stays an image


def test_flattened_depth_is_the_image_row_by_row():
    image = torch.rand(3, 1, 4, 5)
    assert torch.equal(image.reshape(3, -1)[:, 5:10], image[:, 0, 1])  # pixel (row 1, col c) at 5 + c


def test_the_sliced_student_reproduces_the_teachers_first_layer_on_the_shared_columns():
    _, distill_cfg = load_task_configs(TASK, "distillation_cfg_entry_point")
    p, pixels = 50, dt.DEPTH_TEACHER_PIXELS
    torch.manual_seed(0)
    obs = TensorDict({"teacher": torch.rand(5, p + pixels)}, batch_size=[5])
    teacher = MLPModel(obs, {"actor": ["teacher"]}, "actor", 12, [512, 256, 128])
    student = build_student(distill_cfg.student, {"policy": (p,), "depth": (1, 64, 64)}, 12)
    report = student.init_from_teacher(teacher)
    assert report["sliced"] == ["mlp.0.weight", "mlp.0.bias"]
    w_t, w_s = teacher.mlp[0].weight, student.mlp[0].weight  # [512, 4146], [512, 50 + 32]
    assert torch.equal(w_s[:, :p], w_t[:, :p]) and not w_s[:, p:].any()  # proprio columns copied, feature at 0
    # first-layer output: student on [proprio | feature 0] == teacher on [proprio | blank image (every pixel 1.0)]
    proprio = obs["teacher"][:, :p]
    blank = torch.cat((proprio, torch.ones(5, pixels)), dim=-1)
    student_out = student.mlp[0](torch.cat((proprio, torch.zeros(5, 32)), dim=-1))
    torch.testing.assert_close(student_out, teacher.mlp[0](blank), atol=1e-4, rtol=1e-5)
    # and the rest of the actor is the teacher's
    for i in (2, 4, 6):
        assert torch.equal(student.mlp[i].weight, teacher.mlp[i].weight)
