"""Frozen rsl_rl PPO teachers: loading, configs, recurrent state, mismatches and unsafe files."""

from __future__ import annotations

import pytest
import torch
from helpers.toy import (
    agent_cfg,
    make_obs,
    write_ppo_checkpoint,
)

from isaaclab_distill.distillation import CheckpointError, DistillationCfg, Teacher, TeacherLoadError
from isaaclab_distill.distillation.checkpoint import checkpoint_kind

torch.set_num_threads(1)


def test_teacher_loads_rsl_rl_ppo_checkpoint(tmp_path):
    obs = make_obs()
    path = str(tmp_path / "model_10.pt")
    actor = write_ppo_checkpoint(path, agent_cfg(), obs)
    teacher = Teacher.from_checkpoint(path, agent_cfg(), obs, num_actions=2)
    assert teacher.obs_groups == ["teacher"] and not teacher.is_recurrent
    torch.testing.assert_close(teacher.model.obs_normalizer.mean, actor.obs_normalizer.mean)  # normaliser restored
    assert teacher.model.obs_normalizer.mean.abs().mean() > 1.0
    # Deterministic action = distribution mean = actor MLP on normalised teacher obs
    expected = actor.mlp(actor.obs_normalizer(obs["teacher"]))
    torch.testing.assert_close(teacher.act(obs), expected)
    stochastic = Teacher(teacher.model, deterministic=False).act(obs)
    assert not torch.allclose(stochastic, expected)
    # The runner's clip_actions (the range the env applied in training) bounds labels and actions
    clipped = Teacher.from_checkpoint(path, {**agent_cfg(), "clip_actions": 0.05}, obs, num_actions=2)
    assert clipped.clip_actions == 0.05 and expected.abs().max() > 0.05
    torch.testing.assert_close(clipped.act(obs), expected.clamp(-0.05, 0.05))


def test_teacher_file_that_is_not_a_checkpoint_is_named_so(tmp_path):
    path = tmp_path / "train.log"
    path.write_text("iteration 1 reward 3.0\n")
    with pytest.raises(CheckpointError, match="cannot be read \\(not a torch file\\): pass a .pt checkpoint"):
        Teacher.from_checkpoint(str(path), agent_cfg(), make_obs(), num_actions=2)


def test_teacher_accepts_isaaclab_runner_cfg(tmp_path):
    from isaaclab_rl.rsl_rl import RslRlMLPModelCfg, RslRlOnPolicyRunnerCfg

    obs = make_obs()
    path = str(tmp_path / "model_10.pt")
    actor = write_ppo_checkpoint(path, agent_cfg(), obs)
    cfg = RslRlOnPolicyRunnerCfg(obs_groups={"actor": ["teacher"], "critic": ["teacher"]})
    # Legacy `stochastic` fields are migrated to a Gaussian distribution, as isaaclab_rl does for rsl-rl >= 5
    cfg.actor = RslRlMLPModelCfg(
        hidden_dims=[16, 16], activation="elu", obs_normalization=True, stochastic=True, init_noise_std=0.7
    )
    teacher = Teacher.from_checkpoint(path, cfg, obs, num_actions=2)
    torch.testing.assert_close(teacher.act(obs), actor.mlp(actor.obs_normalizer(obs["teacher"])))


def test_recurrent_teacher_hidden_is_per_env_and_reset_on_done(tmp_path):
    obs1, obs2 = make_obs(n=2), make_obs(n=2)
    path = str(tmp_path / "model_10.pt")
    write_ppo_checkpoint(path, agent_cfg(rnn=True), obs1)
    teacher = Teacher.from_checkpoint(path, agent_cfg(rnn=True), obs1, num_actions=2)
    fresh = Teacher.from_checkpoint(path, agent_cfg(rnn=True), obs1, num_actions=2)
    teacher.act(obs1)
    a2 = teacher.act(obs2, dones=torch.tensor([1, 0]))
    f2 = fresh.act(obs2)
    torch.testing.assert_close(a2[0], f2[0])  # env 0 restarted from zero state
    assert not torch.allclose(a2[1], f2[1])  # env 1 carries its memory of obs1


def test_teacher_mismatch_names_both_shapes(tmp_path):
    path = str(tmp_path / "model_10.pt")
    write_ppo_checkpoint(path, agent_cfg(), make_obs(teacher_dim=5))
    with pytest.raises(TeacherLoadError) as err:  # env now gives 7 teacher obs
        Teacher.from_checkpoint(path, agent_cfg(), make_obs(teacher_dim=7), num_actions=2)
    assert "mlp.0.weight" in str(err.value) and "(16, 5)" in str(err.value) and "(16, 7)" in str(err.value)
    with pytest.raises(TeacherLoadError) as err:  # hidden sizes differ
        Teacher.from_checkpoint(path, agent_cfg(hidden=(32, 16)), make_obs(teacher_dim=5), num_actions=2)
    assert "checkpoint (16, 5) vs config (32, 5)" in str(err.value)
    torch.save({"kind": "student", "model_state_dict": {}}, tmp_path / "best_student.pt")
    with pytest.raises(CheckpointError, match="is not an rsl_rl PPO checkpoint: it is a distilled student"):
        Teacher.from_checkpoint(str(tmp_path / "best_student.pt"), agent_cfg(), make_obs(), num_actions=2)


def test_teacher_checkpoint_with_unsafe_pickle_is_refused_not_retried(tmp_path):
    obs = make_obs()
    path = str(tmp_path / "model_10.pt")
    write_ppo_checkpoint(path, agent_cfg(), obs)
    data = torch.load(path, weights_only=True)
    data["infos"] = {"cfg": DistillationCfg()}  # an arbitrary pickled object
    torch.save(data, path)
    with pytest.raises(CheckpointError, match="weights_only=True\\) refuses .*re-save it with tensors"):
        Teacher.from_checkpoint(path, agent_cfg(), obs, num_actions=2)
    with pytest.raises(CheckpointError, match="refuses"):  # the one reader: students and kind checks alike
        checkpoint_kind(path)
