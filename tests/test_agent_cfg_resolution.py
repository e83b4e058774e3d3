"""Which agent config ``distillation.py`` runs on any Isaac Lab task, and its translation (no simulator).

Ours (``distillation_cfg_entry_point``) first, then Isaac Lab's ``RslRlDistillationRunnerCfg``, then a default
derived from the PPO config; ``agent.*`` overrides address the resolved :class:`DistillationCfg` in all three cases.
"""

from __future__ import annotations

import argparse
import re

import gymnasium as gym
import pytest
import torch
from helpers import QUAD_TASK
from helpers.toy import agent_cfg, make_obs, write_ppo_checkpoint
from helpers.user_tasks import ISAACLAB_DISTILLATION_TASK, PPO_ONLY_TASK

from isaaclab_distill.distillation import DistillationCfg, Teacher
from isaaclab_distill.distillation.rsl_rl_cfg import ENTRY_POINTS, to_distillation_cfg
from isaaclab_distill.utils import UserError
from isaaclab_distill.utils.cli import apply_env_args
from isaaclab_distill.utils.hydra import describe_agent_cfg, load_task_configs


def resolve(task: str, *overrides: str, num_envs: int = 16) -> tuple[object, DistillationCfg]:
    return load_task_configs(
        task, ENTRY_POINTS, overrides, agent_cfg_adapter=lambda a, e: to_distillation_cfg(a, num_envs)
    )


def test_isaaclab_recurrent_distillation_cfg_is_translated_field_by_field():
    from isaaclab_tasks.core.velocity.config.anymal_d.agents.rsl_rl_distillation_cfg import (
        AnymalDFlatDistillationRunnerRecurrentCfg,
    )

    source = AnymalDFlatDistillationRunnerRecurrentCfg()  # Isaac Lab's own config, unchanged
    cfg = to_distillation_cfg(source, num_envs=64)
    assert (cfg.student.class_name, cfg.student.rnn_hidden_dim, cfg.student.rnn_num_layers) == ("lstm", 256, 1)
    assert cfg.student.hidden_dims == [128, 128, 128] and cfg.student.obs_normalization is False
    assert cfg.student_obs_groups == ["policy"] and cfg.experiment_name == "anymal_d_flat"
    assert (cfg.n_epochs, cfg.num_steps_per_env) == (300, 120)
    alg = cfg.algorithm
    assert (alg.sequence_length, alg.learning_rate, alg.num_learning_passes) == (15, 1.0e-3, 2)
    assert (alg.loss, alg.optimizer, alg.max_grad_norm) == ("mse", "adam", None)
    # rsl_rl's schedule: the student acts from the first step, on-policy data, all envs in one gradient step
    assert (alg.epoch_teacher_forcing, alg.beta_start, cfg.storage.on_policy, alg.batch_size) == (0, 0.0, True, 64)
    # the same config as rsl_rl's plain dict
    from isaaclab.utils import to_dict

    assert to_dict(to_distillation_cfg(to_dict(source), num_envs=64)) == to_dict(cfg)


def test_resolution_order_and_the_info_line():
    assert describe_agent_cfg(QUAD_TASK, ENTRY_POINTS).startswith("distillation_cfg_entry_point (")
    assert describe_agent_cfg(ISAACLAB_DISTILLATION_TASK, ENTRY_POINTS).startswith(
        "rsl_rl_distillation_cfg_entry_point (helpers.user_tasks:UserDistillationRunnerCfg)"
    )
    assert describe_agent_cfg(PPO_ONLY_TASK, ENTRY_POINTS).startswith("rsl_rl_cfg_entry_point (")
    _, ours = resolve(QUAD_TASK)
    assert type(ours).__name__ == "QuadcopterDistillationCfg"  # our own config is used as is


def test_overrides_apply_to_the_translated_isaaclab_cfg():
    _, cfg = resolve(ISAACLAB_DISTILLATION_TASK, "agent.eval_steps=120", "agent.algorithm.batch_size=8")
    assert isinstance(cfg, DistillationCfg)
    assert (cfg.student.class_name, cfg.algorithm.sequence_length, cfg.algorithm.loss) == ("gru", 8, "huber")
    assert (cfg.eval_steps, cfg.algorithm.batch_size, cfg.experiment_name) == (120, 8, "user_quadcopter")
    with pytest.raises(UserError, match="did you mean 'agent.algorithm.sequence_length'"):
        resolve(ISAACLAB_DISTILLATION_TASK, "agent.algorithm.gradient_length=4")  # an rsl_rl field: named ours


def test_ppo_only_task_gets_a_default_from_its_ppo_cfg():
    _, cfg = resolve(PPO_ONLY_TASK, "agent.student.class_name=gru", "scene.num_envs=8")
    assert isinstance(cfg, DistillationCfg)
    assert cfg.experiment_name == "quadcopter_point_ctrl"  # the PPO config's
    assert cfg.student_obs_groups == ["policy"] and cfg.student.class_name == "gru"


def test_task_without_any_agent_cfg_and_unknown_runner_are_one_line_errors():
    gym.register(id="User-No-Agent-v0", entry_point="x:y", kwargs={"env_cfg_entry_point": "x:y"})
    with pytest.raises(UserError, match="registers none of the agent configs distillation_cfg_entry_point"):
        resolve("User-No-Agent-v0")
    with pytest.raises(UserError, match="runner 'SkrlRunner'"):
        to_distillation_cfg({"class_name": "SkrlRunner"})


@pytest.mark.parametrize(
    "override,message",
    [
        ("env.sim.dt=-1", "env.sim.dt=-1.0 cannot run: it must be a positive number"),
        ("env.decimation=0", "env.decimation=0 cannot run: it must be an integer >= 1"),
        ("env.episode_length_s=0", "env.episode_length_s=0.0 cannot run"),
    ],
)
def test_env_timing_that_cannot_run_is_rejected_before_the_simulator(override, message):
    env_cfg, _ = load_task_configs(QUAD_TASK, None, [override])
    args = argparse.Namespace(num_envs=None, device="cpu", seed=None)
    with pytest.raises(UserError, match=message.replace(".", r"\.")):
        apply_env_args(args, env_cfg)


def test_teacher_architecture_line(tmp_path):
    obs = make_obs()
    path = str(tmp_path / "model_1.pt")
    write_ppo_checkpoint(path, agent_cfg(hidden=(16, 8)), obs)
    teacher = Teacher.from_checkpoint(path, agent_cfg(hidden=(16, 8)), obs, num_actions=2)
    assert teacher.architecture(2) == "Teacher architecture: obs=5, actions=2, hidden=[16, 8]"
    rnn_path = str(tmp_path / "model_2.pt")
    write_ppo_checkpoint(rnn_path, agent_cfg(rnn=True), obs)
    recurrent = Teacher.from_checkpoint(rnn_path, agent_cfg(rnn=True), obs, num_actions=2)
    assert recurrent.architecture(2) == "Teacher architecture: obs=5, actions=2, hidden=[16, 16], rnn=GRU(8 x 1)"


def test_optimizer_is_rsl_rl_named():
    from helpers.toy import small_cfg

    from isaaclab_distill.distillation import DistillationAlgorithm
    from isaaclab_distill.models import MLPStudent

    cfg = small_cfg(optimizer="sgd")
    alg = DistillationAlgorithm(MLPStudent({"policy": (3,)}, 2, [8]), Teacher(torch.nn.Linear(5, 2)), cfg, 4, "cpu")
    assert isinstance(alg.optimizer, torch.optim.SGD)


def test_rsl_rl_summed_loss_keeps_its_clipped_step_and_sgd_learning_rate():
    """rsl_rl sums the losses of gradient_length steps, we average them: the clip and the SGD step are rescaled."""
    from helpers.user_tasks import UserDistillationRunnerCfg
    from isaaclab.utils import to_dict

    source = to_dict(UserDistillationRunnerCfg())  # gradient_length 8, max_grad_norm 1.0, lr 5e-4
    cfg = to_distillation_cfg(source, num_envs=16)
    assert (cfg.algorithm.max_grad_norm, cfg.algorithm.learning_rate) == (1.0 / 8, 5.0e-4)  # Adam: scale-free
    source["algorithm"]["optimizer"] = "SGD"
    assert to_distillation_cfg(source, num_envs=16).algorithm.learning_rate == pytest.approx(8 * 5.0e-4)


def test_rsl_rl_cfg_that_cannot_translate_is_one_line():
    from helpers.user_tasks import UserDistillationRunnerCfg
    from isaaclab.utils import to_dict

    base = to_dict(UserDistillationRunnerCfg())
    cnn = {**base, "student": {**base["student"], "class_name": "CNNModel"}}
    with pytest.raises(UserError, match="rsl_rl student model 'CNNModel' has no counterpart here"):
        to_distillation_cfg(cnn)
    for path in ("num_steps_per_env", "max_iterations", "algorithm.learning_rate", "student.hidden_dims"):
        broken = to_dict(UserDistillationRunnerCfg())
        *parents, leaf = path.split(".")
        node = broken[parents[0]] if parents else broken
        node[leaf] = None
        with pytest.raises(UserError, match=f"leaves agent.{path} unset"):
            to_distillation_cfg(broken)


def test_student_reads_the_envs_student_group_when_the_cfg_names_none():
    """rsl_rl's resolve_obs_groups: a group named 'student' if the env has one, else 'policy'."""
    from helpers.user_tasks import UserDistillationRunnerCfg
    from isaaclab.utils import to_dict

    from isaaclab_distill.distillation.rsl_rl_cfg import env_obs_groups

    source = {**to_dict(UserDistillationRunnerCfg()), "obs_groups": {}}
    assert to_distillation_cfg(source, env_groups=["policy", "student"]).student_obs_groups == ["student"]
    assert to_distillation_cfg(source, env_groups=["policy"]).student_obs_groups == ["policy"]
    assert to_distillation_cfg({"class_name": "OnPolicyRunner"}, env_groups=["student"]).student_obs_groups == [
        "student"
    ]
    parkour, _ = load_task_configs("Isaac-Depth-Parkour-Teacher-v0", None)
    assert "policy" in env_obs_groups(parkour) and env_obs_groups(load_task_configs(QUAD_TASK, None)[0]) == ["policy"]


@pytest.mark.parametrize(
    "override,message",
    [
        ("agent.algorithm.optimizer=adamx", "agent.algorithm.optimizer must be one of adam, adamw, sgd, rmsprop"),
        ("agent.algorithm.loss=l3", "agent.algorithm.loss must be one of mse, huber"),
        ("agent.eval_mode=free", "agent.eval_mode must be one of collection, rollout, got 'free'"),
        ("agent.final_evaluation=none", "agent.final_evaluation must be one of rollout, collection"),
        ("agent.storage.image_dtype=int8", "agent.storage.image_dtype must be one of float32, float16, uint8"),
        ("agent.multi_teacher.selection=best", "agent.multi_teacher.selection must be one of all, worst_k"),
        ("agent.algorithm.num_updates_per_epoch=0", "agent.algorithm.num_updates_per_epoch must be >= 1, got 0"),
        ("agent.eval_min_episodes=0", "agent.eval_min_episodes must be >= 1, got 0"),
        ("agent.algorithm.learning_rate_schedule=step", "learning_rate_schedule must be one of constant, cosine"),
        ("agent.algorithm.teacher_forcing_share=0", "teacher_forcing_share must be in (0, 1], got 0"),
        ("agent.algorithm.learning_rate=5e-5", "min_learning_rate must be in [0, learning_rate=5e-05], got 0.0001"),
        ("agent.algorithm.average_last_epochs=-1", "agent.algorithm.average_last_epochs must be >= 0, got -1"),
        ("agent.multi_teacher.group_loss_power=-1", "agent.multi_teacher.group_loss_power must be >= 0, got -1"),
    ],
)
def test_bad_optimizer_or_loss_is_rejected_before_the_simulator(override, message):
    from isaaclab_distill.distillation.script_args import apply_distillation_args

    env_cfg, cfg = resolve(QUAD_TASK, override)
    args = argparse.Namespace(num_episodes=None)
    with pytest.raises(UserError, match=re.escape(message)):
        apply_distillation_args(args, cfg, 16, 500)


def test_task_whose_env_and_ppo_cfgs_are_presets_resolves():
    """Isaac Lab's Shadow hand registers both configs as PresetCfg (its alternatives picked by ``presets=``)."""
    env_cfg, cfg = resolve("Isaac-Reorient-Cube-Shadow", "agent.n_epochs=3", "scene.num_envs=4")
    assert isinstance(cfg, DistillationCfg) and cfg.n_epochs == 3 and env_cfg.scene.num_envs == 4
    assert cfg.experiment_name == "shadow_hand"  # the PPO config's default alternative


def test_too_few_teacher_envs_for_a_free_teacher_return_is_said_before_the_simulator(capsys):
    from isaaclab_distill.distillation.script_args import apply_distillation_args

    args = argparse.Namespace(num_episodes=None)
    _, cfg = resolve(QUAD_TASK)
    apply_distillation_args(args, cfg, 256, 500)  # the defaults: 32 teacher envs x 1024 steps
    assert "warning" not in capsys.readouterr().out
    _, cfg = resolve(QUAD_TASK)
    apply_distillation_args(args, cfg, 64, 500)  # 8 teacher envs: fewer than eval_min_episodes = 32
    assert (
        "teacher forcing on 8 envs for 1024 steps may give fewer than eval_min_episodes=32" in capsys.readouterr().out
    )
