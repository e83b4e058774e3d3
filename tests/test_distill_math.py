"""Distillation engine without the simulator: TBPTT loss, dataset, students, teachers, checkpoints, trainer loop."""

from __future__ import annotations

import math
import os
import random

import numpy as np
import pytest
import torch
import torch.nn as nn
from conftest import DISTILLATION_TAGS
from rsl_rl.algorithms import PPO
from rsl_rl.models import MLPModel, RNNModel
from rsl_rl.storage import RolloutStorage
from tensordict import TensorDict

from isaaclab_distill.distillation import (
    CheckpointError,
    DistillationCfg,
    DistillationError,
    DistillationTrainer,
    EpisodeDataset,
    MLPStudent,
    MultiTeacherCfg,
    RecurrentStudent,
    SequenceBatch,
    StudentCfg,
    Teacher,
    TeacherLoadError,
    build_student,
    capture_rng_state,
    init_from_teacher,
    load_checkpoint,
    load_student,
    restore_rng_state,
    save_checkpoint,
    sequence_loss,
)
from isaaclab_distill.utils import UserError
from isaaclab_distill.utils import io as io_mod

torch.set_num_threads(1)


def manual_rollout(student, obs, h0, dones):
    """Step-by-step reference: one forward per step, hidden zeroed after a done."""
    h, outs = h0, []
    for t in range(obs.shape[0]):
        a, h = student(obs[t], h)
        outs.append(a)
        h = h * (~dones[t]).view(1, -1, 1).float()
    return torch.stack(outs)


# ----------------------------------------------------------------------------- students / TBPTT


@pytest.mark.parametrize("rnn", ["gru", "lstm"])
def test_forward_sequence_resets_hidden_at_episode_boundaries(rnn):
    torch.manual_seed(0)
    student = build_student(StudentCfg(class_name=rnn, hidden_dims=[8], rnn_hidden_dim=6, rnn_num_layers=2), 4, 2)
    assert student.hidden_shape == ((4 if rnn == "lstm" else 2), 6)
    obs, h0 = torch.randn(7, 3, 4), torch.randn(student.hidden_shape[0], 3, 6)
    dones = torch.zeros(7, 3, dtype=torch.bool)
    dones[2, 0] = dones[4, 1] = dones[5, 0] = True
    seq = student.forward_sequence(obs, h0, dones)
    torch.testing.assert_close(seq, manual_rollout(student, obs, h0, dones))
    # The resets matter: env 0 after step 2 equals a fresh rollout from zero state
    fresh = manual_rollout(student, obs[3:, :1], torch.zeros_like(h0[:, :1]), dones[3:, :1])
    torch.testing.assert_close(seq[3:6, :1], fresh[:3])
    no_reset = student.forward_sequence(obs, h0, None)
    assert not torch.allclose(seq[3:, 0], no_reset[3:, 0])
    torch.testing.assert_close(seq[:, 2], no_reset[:, 2])  # env 2 never finished


def test_sequence_loss_is_an_average_over_valid_steps():
    torch.manual_seed(1)
    student = RecurrentStudent(3, 2, [8], rnn_type="gru", rnn_hidden_dim=5)
    obs, target = torch.randn(6, 4, 3), torch.randn(6, 4, 2)
    dones = torch.zeros(6, 4, dtype=torch.bool)
    dones[1, 2] = True
    mask = torch.ones(6, 4, dtype=torch.bool)
    mask[4:, 1] = False  # padded tail of segment 1
    h0 = torch.randn(1, 4, 5)
    loss = sequence_loss(student, SequenceBatch(obs, target, dones, mask, h0))
    per_step = ((manual_rollout(student, obs, h0, dones) - target) ** 2).mean(-1)  # [T, B]
    torch.testing.assert_close(loss, per_step[mask].mean())
    # Garbage in padded steps does not change the loss
    obs2, target2 = obs.clone(), target.clone()
    obs2[4:, 1], target2[4:, 1] = 1e3, -1e3
    torch.testing.assert_close(sequence_loss(student, SequenceBatch(obs2, target2, dones, mask, h0)), loss)


def test_sequence_loss_is_scale_invariant_to_sequence_length():
    # Constant student output -> constant per-step error: an average is the same for T=3 and T=12, a sum is 4x
    student = RecurrentStudent(2, 2, [4], rnn_type="lstm", rnn_hidden_dim=3)
    with torch.no_grad():
        student.mlp[-1].weight.zero_()
        student.mlp[-1].bias.copy_(torch.tensor([0.5, -1.0]))
    grads, losses = [], []
    for t in (3, 12):
        batch = SequenceBatch(
            torch.randn(t, 5, 2),
            torch.zeros(t, 5, 2),
            torch.zeros(t, 5, dtype=torch.bool),
            torch.ones(t, 5, dtype=torch.bool),
            torch.zeros(2, 5, 3),
        )
        student.zero_grad()
        loss = sequence_loss(student, batch)
        loss.backward()
        losses.append(loss.item())
        grads.append(student.mlp[-1].bias.grad.clone())
    assert losses[0] == pytest.approx(0.625) and losses[1] == pytest.approx(0.625)
    torch.testing.assert_close(grads[0], grads[1])
    torch.testing.assert_close(grads[0], torch.tensor([0.5, -1.0]))  # d/db mean((b - 0)^2) over 2 dims


def test_no_gradient_flows_into_h0_across_segments():
    torch.manual_seed(2)
    student = RecurrentStudent(3, 2, [8], rnn_type="gru", rnn_hidden_dim=4)
    # h0 produced by a previous segment (with a graph) must not receive gradient
    prev = torch.randn(5, 3, requires_grad=True)
    h0 = torch.tanh(prev @ torch.randn(3, 4)).unsqueeze(0)  # [1, B, H], attached to `prev`
    h0.retain_grad()
    batch = SequenceBatch(
        torch.randn(4, 5, 3),
        torch.randn(4, 5, 2),
        torch.zeros(4, 5, dtype=torch.bool),
        torch.ones(4, 5, dtype=torch.bool),
        h0,
    )
    sequence_loss(student, batch).backward()
    assert prev.grad is None and h0.grad is None
    assert student.rnn.rnn.weight_hh_l0.grad is not None and student.rnn.rnn.weight_hh_l0.grad.abs().sum() > 0


# ----------------------------------------------------------------------------- dataset


def fill(ds, steps, n, t0=0, dones_at=()):
    for t in range(t0, t0 + steps):
        obs = torch.stack([torch.tensor([float(t), float(e)]) for e in range(n)])  # (time, env) id
        done = torch.tensor([(t, e) in dones_at for e in range(n)])
        ds.append(obs, obs[:, :1].repeat(1, 2), done, hidden=torch.full((1, n, 3), float(t)))


def test_dataset_bounded_oldest_dropped_and_on_policy_clear():
    ds = EpisodeDataset(num_envs=2, obs_dim=2, action_dim=2, capacity=5, hidden_shape=(1, 3))
    fill(ds, 8, 2)
    assert len(ds) == 5 and ds.num_transitions == 10
    batch = next(ds.sequences(seq_len=5, batch_size=2, shuffle=False))
    assert batch.obs[:, 0, 0].tolist() == [3.0, 4.0, 5.0, 6.0, 7.0]  # oldest 3 steps dropped, order kept
    assert batch.h0[0, :, 0].tolist() == [3.0, 3.0]  # hidden stored with the first kept step
    ds.clear()
    assert len(ds) == 0 and list(ds.sequences(3, 4)) == []
    fill(ds, 2, 2, t0=100)
    times = sorted({int(x) for b in ds.sequences(1, 3) for x in b.obs[b.mask][:, 0]})
    assert times == [100, 101]


def test_sequences_keep_the_tail_segment():
    ds = EpisodeDataset(num_envs=3, obs_dim=2, action_dim=2, capacity=20)
    fill(ds, 10, 3)
    batches = list(ds.sequences(seq_len=4, batch_size=100, shuffle=False))
    assert len(batches) == 1
    b = batches[0]
    assert b.obs.shape == (4, 9, 2)  # 3 segments (4, 4, 2) per env
    assert int(b.mask.sum()) == 30  # every step covered, none dropped
    assert sorted(b.mask.sum(0).tolist()) == [2, 2, 2, 4, 4, 4, 4, 4, 4]


@pytest.mark.parametrize("seq_len", [1, 3])
def test_sequences_cover_every_step_exactly_once(seq_len):
    n = 3
    ds = EpisodeDataset(num_envs=n, obs_dim=2, action_dim=2, capacity=7)
    fill(ds, 5, n)
    ds.start_rollout()  # trajectory is not continuous across rollouts
    fill(ds, 4, n, t0=50, dones_at={(52, 1)})  # 9 steps appended, capacity 7 -> keep 2..4 and 50..53
    seen = []
    for b in ds.sequences(seq_len, batch_size=2, shuffle=True, generator=torch.Generator().manual_seed(0)):
        assert b.flat == (seq_len == 1)
        obs = b.obs if not b.flat else b.obs.unsqueeze(0)
        mask = b.mask if not b.flat else b.mask.unsqueeze(0)
        for j in range(obs.shape[1]):
            steps = obs[:, j][mask[:, j]]
            seen += [(int(t), int(e)) for t, e in steps]
            # Inside a segment: one env, consecutive times, valid steps first
            assert len(set(steps[:, 1].tolist())) == 1
            assert steps[:, 0].tolist() == list(range(int(steps[0, 0]), int(steps[0, 0]) + len(steps)))
    expected = [(t, e) for t in (2, 3, 4, 50, 51, 52, 53) for e in range(n)]
    assert sorted(seen) == expected  # exactly once each


def test_dataset_segments_replay_collection_time_actions():
    # Storing the hidden state before each step makes any segment reproduce the collection-time outputs exactly
    torch.manual_seed(3)
    student = RecurrentStudent(2, 2, [6], rnn_type="lstm", rnn_hidden_dim=4)
    n, steps = 4, 9
    ds = EpisodeDataset(n, 2, 2, capacity=20, hidden_shape=student.hidden_shape)
    h = student.initial_hidden(n)
    with torch.no_grad():
        for _ in range(steps):
            obs = torch.randn(n, 2)
            act, h_next = student(obs, h)
            done = torch.rand(n) < 0.3
            ds.append(obs, act, done, hidden=h)
            h = h_next * (~done).view(1, -1, 1).float()
        for b in ds.sequences(seq_len=4, batch_size=3, shuffle=True):
            pred = student.forward_sequence(b.obs, b.h0, b.dones)
            torch.testing.assert_close(pred[b.mask], b.actions[b.mask])
            assert sequence_loss(student, b).item() < 1e-10


# ----------------------------------------------------------------------------- checkpoints


def test_checkpoint_round_trip_weights_only(tmp_path):
    student = build_student(StudentCfg(class_name="gru", hidden_dims=[8], rnn_hidden_dim=4), 3, 2)
    opt = torch.optim.Adam(student.parameters(), lr=1e-3)
    student(torch.randn(2, 3))[0].sum().backward()
    opt.step()
    path = save_checkpoint(
        str(tmp_path / "s.pt"),
        student=student,
        optimizer=opt,
        epoch=7,
        best_return=1.5,
        distillation_cfg=DistillationCfg().to_dict(),
        rng_state=capture_rng_state(),
    )
    raw = torch.load(path, weights_only=True)  # plain data only
    assert raw["kind"] == "student" and raw["epoch"] == 7 and raw["best_return"] == 1.5
    assert raw["student_cfg"] == student.config and raw["optimizer_state_dict"]["state"]
    loaded, data = load_student(path)
    x = torch.randn(5, 3)
    torch.testing.assert_close(loaded(x)[0], student(x)[0])
    assert data["distillation_cfg"]["student"]["class_name"] == "mlp"


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    student = MLPStudent(3, 2, [4])
    path = str(tmp_path / "best_student.pt")
    save_checkpoint(path, student=student, optimizer=None, epoch=1, best_return=0.0)

    def crash(obj, f, *args, **kwargs):
        f.write(b"PK\x03\x04 half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(io_mod.torch, "save", crash)
    with torch.no_grad():
        student.mlp[0].weight.add_(1.0)
    with pytest.raises(UserError, match="cannot write .*best_student.pt': disk full; the previous file"):
        save_checkpoint(path, student=student, optimizer=None, epoch=2, best_return=9.0)
    monkeypatch.undo()
    assert load_checkpoint(path)["epoch"] == 1  # previous file intact
    assert os.listdir(tmp_path) == ["best_student.pt"]  # temp file removed


def test_checkpoint_kind_detects_teacher_mixup(tmp_path):
    torch.save({"actor_state_dict": {}, "iter": 3, "infos": None}, tmp_path / "model_3.pt")
    with pytest.raises(CheckpointError, match="teacher"):
        load_checkpoint(str(tmp_path / "model_3.pt"))


def test_rng_state_round_trip():
    gen = {"g": torch.Generator().manual_seed(5)}
    state = capture_rng_state(gen)
    first = (torch.rand(3), np.random.rand(3), random.random(), torch.rand(3, generator=gen["g"]))
    restore_rng_state(state, gen)
    second = (torch.rand(3), np.random.rand(3), random.random(), torch.rand(3, generator=gen["g"]))
    torch.testing.assert_close(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert first[2] == second[2]
    torch.testing.assert_close(first[3], second[3])


# ----------------------------------------------------------------------------- teacher


def agent_cfg(hidden=(16, 16), rnn=False):
    actor = {
        "class_name": "RNNModel" if rnn else "MLPModel",
        "hidden_dims": list(hidden),
        "activation": "elu",
        "obs_normalization": True,
        "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 0.7},
    }
    if rnn:
        actor.update(rnn_type="gru", rnn_hidden_dim=8, rnn_num_layers=1)
    critic = {"class_name": "MLPModel", "hidden_dims": [8], "activation": "elu", "obs_normalization": False}
    return {"actor": actor, "critic": critic, "obs_groups": {"actor": ["teacher"], "critic": ["teacher"]}}


def make_obs(n=4, policy_dim=3, teacher_dim=5):
    return TensorDict({"policy": torch.randn(n, policy_dim), "teacher": torch.randn(n, teacher_dim)}, batch_size=[n])


def write_ppo_checkpoint(path, cfg, obs, num_actions=2):
    """A real rsl_rl PPO save(), as OnPolicyRunner.save writes it."""
    torch.manual_seed(4)
    actor = (RNNModel if cfg["actor"]["class_name"] == "RNNModel" else MLPModel)(
        obs, cfg["obs_groups"], "actor", num_actions, **{k: v for k, v in cfg["actor"].items() if k != "class_name"}
    )
    critic = MLPModel(obs, cfg["obs_groups"], "critic", 1, hidden_dims=[8], activation="elu")
    actor.train()
    actor.update_normalization(TensorDict({"teacher": 3.0 + 2.0 * torch.randn(64, obs["teacher"].shape[1])}, [64]))
    storage = RolloutStorage("rl", obs.batch_size[0], 4, obs, [num_actions])
    alg = PPO(actor, critic, storage)
    saved = alg.save()
    saved["iter"], saved["infos"] = 10, None
    torch.save(saved, path)
    return actor.eval()


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
    with pytest.raises(TeacherLoadError, match="is not a torch checkpoint: pass a model_"):
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
    with pytest.raises(TeacherLoadError, match="not an rsl_rl PPO checkpoint"):
        Teacher.from_checkpoint(str(tmp_path / "best_student.pt"), agent_cfg(), make_obs(), num_actions=2)


def test_teacher_checkpoint_with_unsafe_pickle_is_refused(tmp_path):
    obs = make_obs()
    path = str(tmp_path / "model_10.pt")
    write_ppo_checkpoint(path, agent_cfg(), obs)
    data = torch.load(path, weights_only=True)
    data["infos"] = {"cfg": DistillationCfg()}  # an arbitrary pickled object
    torch.save(data, path)
    with pytest.raises(TeacherLoadError, match="weights_only"):
        Teacher.from_checkpoint(path, agent_cfg(), obs, num_actions=2)
    teacher = Teacher.from_checkpoint(path, agent_cfg(), obs, num_actions=2, allow_unsafe_pickle=True)
    assert teacher.act(obs).shape == (4, 2)


# ----------------------------------------------------------------------------- init from teacher


def test_init_from_teacher_slices_input_columns():
    torch.manual_seed(5)
    obs = make_obs(n=6, teacher_dim=6)
    teacher = MLPModel(obs, {"actor": ["teacher"]}, "actor", 2, [16, 16], "elu").eval()
    student = MLPStudent(3, 2, [16, 16])
    report = init_from_teacher(student, teacher, input_indices=[4, 0, 2])
    assert report["sliced"] == ["mlp.0.weight"] and "mlp.4.weight" in report["copied"]
    torch.testing.assert_close(student.mlp[0].weight, teacher.mlp[0].weight[:, [4, 0, 2]])
    # Same function when the unseen teacher inputs are zero
    x_t = torch.zeros(6, 6)
    x_t[:, [4, 0, 2]] = torch.randn(6, 3)
    torch.testing.assert_close(student(x_t[:, [4, 0, 2]])[0], teacher(TensorDict({"teacher": x_t}, [6])))


def test_init_from_teacher_folds_teacher_normaliser():
    torch.manual_seed(6)
    obs = make_obs(n=6, teacher_dim=5)
    teacher = MLPModel(obs, {"actor": ["teacher"]}, "actor", 2, [8], "elu", obs_normalization=True)
    teacher.update_normalization(TensorDict({"teacher": 2.0 + 3.0 * torch.randn(100, 5)}, [100]))
    teacher.eval()
    student = MLPStudent(3, 2, [8], obs_normalization=False)  # sees the prefix teacher[:, :3]
    report = init_from_teacher(student, teacher)
    assert any("folded" in c for c in report["copied"])
    x_t = teacher.obs_normalizer.mean.repeat(6, 1)  # unseen columns at their mean -> normalised to 0
    x_t[:, :3] = torch.randn(6, 3)
    torch.testing.assert_close(student(x_t[:, :3])[0], teacher(TensorDict({"teacher": x_t}, [6])))
    rec = RecurrentStudent(3, 2, [8], rnn_type="gru", rnn_hidden_dim=4)
    report = init_from_teacher(rec, teacher)
    assert not report["copied"] and any("mlp.0.weight" in s for s in report["skipped"])


# ----------------------------------------------------------------------------- trainer on a toy env


class PointEnv:
    """Pure-torch VecEnv: x += 0.5 a, reward -|x|, episodes of 8 steps. Obs: policy = x, teacher = [x, 1]."""

    def __init__(self, n=6):
        self.num_envs, self.num_actions, self.device, self.max_episode_length = n, 2, "cpu", 8
        self.x, self.episode_length_buf, self.nan = torch.randn(n, 2), torch.zeros(n, dtype=torch.long), False

    def get_observations(self):
        pol = self.x.clone() if not self.nan else torch.full_like(self.x, math.nan)
        return TensorDict(
            {"policy": pol, "teacher": torch.cat([self.x, torch.ones(self.num_envs, 1)], 1)}, [self.num_envs]
        )

    def step(self, actions):
        self.x = self.x + 0.5 * actions
        self.episode_length_buf += 1
        rew = -self.x.norm(dim=1)
        dones = self.episode_length_buf >= self.max_episode_length
        self.x[dones] = torch.randn(int(dones.sum()), 2)
        self.episode_length_buf[dones] = 0
        return self.get_observations(), rew, dones.long(), {}


class OffsetTeacherModel(nn.Module):
    """Dead-beat controller: x = offset after one step (with x += 0.5 a)."""

    obs_groups = ["teacher"]
    is_recurrent = False

    def __init__(self, offset):
        super().__init__()
        self.register_buffer("offset", torch.tensor(offset))

    def forward(self, obs, stochastic_output=False):
        return -2.0 * (obs["teacher"][:, :2] - self.offset)


class Writer:
    def __init__(self):
        self.scalars = []

    def add_scalar(self, tag, value, step):
        self.scalars.append((tag, value, step))


def small_cfg(**kw):
    cfg = DistillationCfg(
        n_epochs=3,
        num_steps_per_env=5,
        batch_size=8,
        epoch_teacher_forcing=1,
        beta_start=0.5,
        learning_rate=1e-2,
        eval_steps=20,
        save_interval=2,
        max_dataset_steps=6 * 12,
    )
    for k, v in kw.items():
        setattr(cfg, k, v)
    return cfg


@pytest.mark.parametrize("student_cls,seq_len", [("mlp", 1), ("gru", 4)])
def test_trainer_epochs_logs_checkpoints_and_resume(tmp_path, student_cls, seq_len):
    torch.manual_seed(7)
    env, writer = PointEnv(), Writer()
    teachers = [Teacher(OffsetTeacherModel([0.0, 0.0])), Teacher(OffsetTeacherModel([0.3, -0.2]))]
    student = build_student(StudentCfg(class_name=student_cls, hidden_dims=[16], rnn_hidden_dim=8), 2, 2)
    mt = MultiTeacherCfg(
        selection="worst_k", k=1, position_offset_correction=True, offset_settle_steps=4, position_obs_slice=(0, 2)
    )
    cfg = small_cfg(sequence_length=seq_len, multi_teacher=mt)
    trainer = DistillationTrainer(env, teachers, student, cfg, str(tmp_path), writer)
    result = trainer.learn()
    # Offsets measured on settled teacher steps equal each teacher's set point
    torch.testing.assert_close(trainer.position_offsets, torch.tensor([[0.0, 0.0], [0.3, -0.2]]))
    assert {t for t, _, _ in writer.scalars} == DISTILLATION_TAGS  # exactly the documented tags, all of them
    assert [s for t, _, s in writer.scalars if t == "training/loss"] == [1, 2, 3]
    ratio = [v for t, v, s in writer.scalars if t == "evaluation/student_teacher_return_ratio" and s == 3][0]
    assert ratio == pytest.approx(result["mean_return"] / result["teacher_return"])
    assert sorted(os.listdir(tmp_path)) == ["best_student.pt", "checkpoint_epoch_2.pt", "final_student.pt"]
    # worst_k keeps only the worst teacher group's envs in the last rollout
    worst = int(torch.argmin(trainer.student_group_returns))
    assert trainer._active_envs().tolist() == (trainer.env_teacher_ids == worst).tolist()
    # Resume restores the learner exactly
    again = DistillationTrainer(
        PointEnv(),
        teachers,
        build_student(StudentCfg(class_name=student_cls, hidden_dims=[16], rnn_hidden_dim=8), 2, 2),
        cfg,
        str(tmp_path),
        None,
    )
    again.resume(str(tmp_path / "checkpoint_epoch_2.pt"))
    data = load_checkpoint(str(tmp_path / "checkpoint_epoch_2.pt"))
    assert again.epoch == 2 and again.best_return == data["best_return"]
    assert again.teacher_return == trainer.teacher_return
    for k, v in again.student.state_dict().items():
        torch.testing.assert_close(v, data["model_state_dict"][k])
    assert again.optimizer.state_dict()["state"][0]["step"] == data["optimizer_state_dict"]["state"][0]["step"]


def test_trainer_nan_observation_raises_and_keeps_last_checkpoint(tmp_path):
    env = PointEnv()
    trainer = DistillationTrainer(
        env, Teacher(OffsetTeacherModel([0.0, 0.0])), MLPStudent(2, 2, [8]), small_cfg(n_epochs=5), str(tmp_path), None
    )
    trainer.cfg.n_epochs = 2
    trainer.learn()
    before = load_checkpoint(str(tmp_path / "final_student.pt"))
    env.nan, trainer.cfg.n_epochs = True, 4
    with pytest.raises(
        DistillationError, match="Non-finite values in \\['policy'\\] returned by env.step \\(epoch 3\\)"
    ):
        trainer.learn()
    after = load_checkpoint(str(tmp_path / "final_student.pt"))
    assert after["epoch"] == before["epoch"] == 2
    assert "checkpoint_epoch_4.pt" not in os.listdir(tmp_path)


def test_trainer_rejects_dataset_smaller_than_a_rollout(tmp_path):
    with pytest.raises(DistillationError, match="cannot hold one rollout"):
        DistillationTrainer(
            PointEnv(),
            Teacher(OffsetTeacherModel([0.0, 0.0])),
            MLPStudent(2, 2, [8]),
            small_cfg(max_dataset_steps=10),
            str(tmp_path),
        )


def test_trainer_collection_stores_hidden_state_before_each_step(tmp_path):
    torch.manual_seed(8)
    student = RecurrentStudent(2, 2, [8], rnn_type="gru", rnn_hidden_dim=4)
    trainer = DistillationTrainer(
        PointEnv(),
        Teacher(OffsetTeacherModel([0.0, 0.0])),
        student,
        small_cfg(num_steps_per_env=10, epoch_teacher_forcing=0, beta_start=0.5),
        str(tmp_path),
    )
    trainer.collect(epoch=0)
    ds = trainer.dataset
    h, obs, dones = ds.hidden.transpose(1, 2), ds.obs, ds.dones  # [T, K, N, H], [T, N, D], [T, N]
    assert bool(dones.any())  # the rollout crosses episode boundaries
    with torch.no_grad():
        for t in range(9):
            _, h_next = student(obs[t], h[t])
            torch.testing.assert_close(h[t + 1], h_next * (~dones[t]).view(1, -1, 1).float())


@pytest.mark.parametrize("student_cls,seq_len", [("mlp", 1), ("gru", 4)])
def test_resume_is_exact_given_the_same_env_state(tmp_path, student_cls, seq_len):
    """5 epochs == 3 epochs, checkpoint, a new trainer resumed for 2: the same weights bit for bit (CPU).

    The trainer's whole state is in the checkpoint (``checkpoint_dataset``); the env state is not (Isaac Lab cannot
    save a simulator), so the test hands the resumed trainer an env in the state the first run left it in.
    """

    def trainer(env: PointEnv, n_epochs: int, name: str) -> DistillationTrainer:
        student_cfg = StudentCfg(class_name=student_cls, hidden_dims=[16], rnn_hidden_dim=8, obs_normalization=True)
        cfg = small_cfg(n_epochs=n_epochs, sequence_length=seq_len, checkpoint_dataset=True)  # the ring buffer wraps
        teacher = Teacher(OffsetTeacherModel([0.1, -0.2]))
        return DistillationTrainer(env, teacher, build_student(student_cfg, 2, 2), cfg, str(tmp_path / name))

    torch.manual_seed(1)
    uninterrupted = trainer(PointEnv(), 5, "a")
    uninterrupted.learn()

    torch.manual_seed(1)
    env = PointEnv()
    first = trainer(env, 3, "b")
    first.learn()  # writes final_student.pt at epoch 3, then the process "dies"
    env_state = env.x.clone(), env.episode_length_buf.clone()

    torch.manual_seed(123)  # a new process: other initial weights and RNG, restored by the resume
    env = PointEnv()
    env.x, env.episode_length_buf = env_state
    resumed = trainer(env, 5, "c")
    resumed.resume(str(tmp_path / "b" / "final_student.pt"), restore_env_stream=True)
    assert len(resumed.dataset) == len(first.dataset) == first.dataset.capacity  # full: the oldest steps are gone
    resumed.learn()
    for (name, a), b in zip(uninterrupted.student.state_dict().items(), resumed.student.state_dict().values()):
        assert torch.equal(a, b), name
