"""Student networks (MLP / GRU / LSTM), truncated BPTT, the loss, and the init from a PPO teacher."""

from __future__ import annotations

import pytest
import torch
from helpers.toy import (
    make_obs,
    manual_rollout,
)
from rsl_rl.models import MLPModel
from tensordict import TensorDict

from isaaclab_distill.distillation.losses import sequence_loss
from isaaclab_distill.distillation.storage import SequenceBatch
from isaaclab_distill.models import MLPStudent, RecurrentStudent, StudentCfg, build_student, init_from_teacher

torch.set_num_threads(1)


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
    loss = sequence_loss(student, SequenceBatch(obs, target, dones, mask, h0))[0]
    per_step = ((manual_rollout(student, obs, h0, dones) - target) ** 2).mean(-1)  # [T, B]
    torch.testing.assert_close(loss, per_step[mask].mean())
    # Garbage in padded steps does not change the loss
    obs2, target2 = obs.clone(), target.clone()
    obs2[4:, 1], target2[4:, 1] = 1e3, -1e3
    torch.testing.assert_close(sequence_loss(student, SequenceBatch(obs2, target2, dones, mask, h0))[0], loss)


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
        loss = sequence_loss(student, batch)[0]
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
    sequence_loss(student, batch)[0].backward()
    assert prev.grad is None and h0.grad is None
    assert student.rnn.rnn.weight_hh_l0.grad is not None and student.rnn.rnn.weight_hh_l0.grad.abs().sum() > 0


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
