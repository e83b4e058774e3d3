"""Per-teacher-group loss weights (``multi_teacher.group_loss_power``): the math on tiny tensors, then the algorithm."""

from __future__ import annotations

import pytest
import torch
from helpers.toy import OffsetTeacherModel, PointEnv, Writer, small_cfg

from isaaclab_distill.distillation import DistillationRunner, Teacher
from isaaclab_distill.distillation.balance import MOMENTUM, GroupLossBalance
from isaaclab_distill.distillation.losses import reduce_segments
from isaaclab_distill.models import StudentCfg, build_student

ENV_GROUPS = torch.tensor([0, 0, 1, 1])  # 4 envs, two teachers


def _observe(balance: GroupLossBalance, per_step: list[float]) -> None:
    """One epoch in which every step of group k has loss ``per_step[k]`` (segments of 2 valid steps)."""
    env = torch.arange(4)
    valid = torch.full((4,), 2.0)
    terms = {"action": torch.tensor(per_step)[ENV_GROUPS] * valid}
    balance.reduce(env, terms, valid)
    balance.end_epoch()


def test_power_zero_is_the_plain_mean_over_valid_steps():
    balance = GroupLossBalance(ENV_GROUPS, 2, power=0.0)
    terms, valid = {"action": torch.tensor([1.0, 2.0, 6.0, 0.0])}, torch.tensor([1.0, 2.0, 3.0, 0.0])
    loss, parts, steps = balance.reduce(torch.arange(4), terms, valid)
    assert not balance.active and float(steps) == 6.0
    assert float(loss) == pytest.approx(9.0 / 6.0) and float(parts["action"]) == pytest.approx(9.0 / 6.0)
    _observe(balance, [0.1, 0.3])
    assert balance.weights.tolist() == [1.0, 1.0] and balance.scalars() == {}


def test_weights_follow_the_moving_average_of_each_groups_loss():
    balance = GroupLossBalance(ENV_GROUPS, 2, power=1.0)
    assert balance.weights.tolist() == [1.0, 1.0], "uniform before any loss is known"
    _observe(balance, [0.1, 0.3])  # w_k = K l_k / sum l
    torch.testing.assert_close(balance.weights, torch.tensor([0.5, 1.5]))
    _observe(balance, [0.3, 0.1])  # l = MOMENTUM * old + (1 - MOMENTUM) * new
    expected = MOMENTUM * torch.tensor([0.1, 0.3]) + (1 - MOMENTUM) * torch.tensor([0.3, 0.1])
    torch.testing.assert_close(balance.group_loss.float(), expected)
    torch.testing.assert_close(balance.weights, 2 * expected / expected.sum())
    tags = balance.scalars()
    assert tags["multi_teacher/loss_weight_0"] == pytest.approx(float(balance.weights[0]))
    assert tags["multi_teacher/action_loss_1"] == pytest.approx(float(expected[1]))
    square = GroupLossBalance(ENV_GROUPS, 2, power=2.0)
    _observe(square, [0.1, 0.3])
    torch.testing.assert_close(square.weights, torch.tensor([0.2, 1.8]))  # 2 * [1, 9] / 10


def test_weighted_loss_counts_each_step_with_its_groups_weight():
    balance = GroupLossBalance(ENV_GROUPS, 2, power=1.0)
    _observe(balance, [0.1, 0.3])  # weights [0.5, 1.5]
    terms = {"action": torch.tensor([2.0, 2.0, 4.0, 0.0]), "latent": torch.tensor([1.0, 1.0, 1.0, 1.0])}
    valid = torch.tensor([2.0, 2.0, 2.0, 0.0])  # the last segment is all padding
    loss, parts, steps = balance.reduce(torch.arange(4), terms, valid, latent_coef=0.5)
    assert float(steps) == pytest.approx(0.5 * 4 + 1.5 * 2)
    assert float(parts["action"]) == pytest.approx((0.5 * 4 + 1.5 * 4) / 5.0)
    assert float(loss) == pytest.approx(float(parts["action"]) + 0.5 * float(parts["latent"]))
    nothing, _ = reduce_segments({"action": torch.zeros(2, requires_grad=True)}, torch.zeros(2))
    assert float(nothing.detach()) == 0.0 and nothing.requires_grad, "an all-padding minibatch is 0, with a graph"


def test_state_round_trip_and_a_state_of_other_groups_is_ignored():
    balance = GroupLossBalance(ENV_GROUPS, 2, power=1.0)
    _observe(balance, [0.1, 0.3])
    restored = GroupLossBalance(ENV_GROUPS, 2, power=1.0)
    restored.load_state_dict(balance.state_dict())
    torch.testing.assert_close(restored.weights, balance.weights)
    three = GroupLossBalance(torch.tensor([0, 1, 2, 2]), 3, power=1.0)
    three.load_state_dict(balance.state_dict())
    assert three.weights.tolist() == [1.0, 1.0, 1.0]


def test_the_runner_weights_the_teacher_the_student_imitates_worst(tmp_path):
    """Two dead-beat teachers; the second's target is 10x further off, so its envs' loss and weight are larger."""
    torch.manual_seed(0)
    env = PointEnv(n=6)
    student = build_student(StudentCfg(class_name="mlp", hidden_dims=[16]), 2, 2)
    teachers = [Teacher(OffsetTeacherModel([0.1, -0.1])), Teacher(OffsetTeacherModel([1.0, -1.0]))]
    cfg = small_cfg(n_epochs=4)
    cfg.multi_teacher.group_loss_power = 1.0
    writer = Writer()
    runner = DistillationRunner(env, teachers, student, cfg, str(tmp_path), writer)
    runner.learn()
    weights = runner.alg.balance.weights
    assert float(weights[1]) > 1.0 > float(weights[0]) and float(weights.mean()) == pytest.approx(1.0)
    tags = {tag for tag, _, _ in writer.scalars}
    assert {"multi_teacher/loss_weight_0", "multi_teacher/action_loss_1"} <= tags
    saved = torch.load(tmp_path / "final_student.pt", weights_only=False)
    torch.testing.assert_close(saved["trainer_state"]["group_balance"]["weights"], weights.cpu())
    resumed = DistillationRunner(
        PointEnv(n=6),
        teachers,
        build_student(StudentCfg(class_name="mlp", hidden_dims=[16]), 2, 2),
        cfg,
        str(tmp_path / "resumed"),
    )
    resumed.resume(str(tmp_path / "final_student.pt"))
    torch.testing.assert_close(resumed.alg.balance.weights, weights)
