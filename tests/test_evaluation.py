"""Free evaluation from the collection rollouts: the same episodes as an explicit rollout, counted without bias."""

from __future__ import annotations

import copy

import pytest
import torch
from helpers.toy import OffsetTeacherModel, PointEnv, small_cfg

from isaaclab_distill.distillation import DistillationRunner, Teacher
from isaaclab_distill.distillation.evaluation import FreeEvaluation
from isaaclab_distill.distillation.rollout import StudentPolicy, TeacherGroupsPolicy, rollout
from isaaclab_distill.distillation.schedule import (
    MIXED,
    STUDENT,
    TEACHER,
    learning_rate,
    teacher_envs,
    teacher_probability,
)
from isaaclab_distill.models import StudentCfg, build_student

torch.set_num_threads(1)
PHASES = torch.tensor([1, 2, 3, 5, 6, 7])  # episode timers at the start: no env begins with a whole episode


def phased_env() -> PointEnv:
    torch.manual_seed(3)
    env = PointEnv()
    env.episode_length_buf = PHASES.clone()
    return env


def frozen_cfg(**kw):
    """The student never changes (lr 0, no normaliser), so its collection episodes are those of one policy."""
    cfg = small_cfg(eval_mode="collection", eval_min_episodes=1, init_at_random_ep_len=False, learning_rate=0.0, **kw)
    cfg.final_evaluation = "collection"  # the last evaluation too is the free window
    cfg.n_epochs, cfg.eval_interval = 4, 4
    return cfg


def test_free_evaluation_equals_an_explicit_rollout_on_the_same_episodes(tmp_path):
    student = build_student(
        StudentCfg(class_name="gru", hidden_dims=[16], rnn_hidden_dim=8, obs_normalization=False), 2, 2
    )
    cfg = frozen_cfg(epoch_teacher_forcing=0, beta_start=0.0)  # the student drives every step
    runner = DistillationRunner(phased_env(), Teacher(OffsetTeacherModel([0.0, 0.0])), copy.deepcopy(student), cfg, "")
    runner.save_checkpoint = lambda name, final=False: name  # no files
    runner.teacher_return = -1.0  # known (as after a resume): no teacher rollout steps the env first
    free = runner.learn()
    # The twin env, the same student, one explicit rollout over the same 20 steps
    twin = phased_env()
    explicit, _ = rollout(twin, StudentPolicy(student), 4 * cfg.num_steps_per_env, fresh_start=False)
    expected = explicit.summary()
    assert free["free"] == 1.0 and free["episodes"] == expected["episodes"] == 9  # whole episodes end at steps 9-19
    for key in ("mean_return", "std_return", "mean_length"):
        assert free[key] == pytest.approx(expected[key], rel=1e-6)
    assert free["evaluation_env_steps"] == 0 and free["evaluation_share"] == 0.0  # no env step spent on it


def test_the_teacher_return_comes_from_the_teacher_forcing_rollouts(tmp_path):
    teacher = Teacher(OffsetTeacherModel([0.2, -0.1]))
    student = build_student(StudentCfg(class_name="mlp", hidden_dims=[16]), 2, 2)
    cfg = frozen_cfg(epoch_teacher_forcing=4)  # BC for all 4 epochs = 20 steps
    runner = DistillationRunner(phased_env(), teacher, student, cfg, "")
    runner.save_checkpoint = lambda name, final=False: name
    result = runner.learn()
    twin = phased_env()
    policy = TeacherGroupsPolicy(lambda obs, dones: teacher.act(obs, dones, True))
    explicit, _ = rollout(twin, policy, 20, fresh_start=False)
    assert result["teacher_return"] == pytest.approx(explicit.summary()["mean_return"], rel=1e-6)
    # The student never drove: the last epoch's evaluation is the one explicit rollout (one episode per env)
    assert 0 < result["evaluation_env_steps"] <= cfg.eval_steps * 6 and result["episodes"] == 6
    assert "free" not in result and result["collection_env_steps"] == 20 * 6


def test_an_episode_counts_only_after_a_whole_horizon_of_one_driver():
    free = FreeEvaluation(num_envs=3, device=torch.device("cpu"), max_episode_length=4)
    window = free.windows[STUDENT]
    lengths = torch.zeros(3)
    student = torch.full((3,), STUDENT, dtype=torch.int8)
    mixed_env1 = torch.tensor([STUDENT, MIXED, STUDENT], dtype=torch.int8)
    none, done_all = torch.zeros(3, dtype=torch.bool), torch.ones(3, dtype=torch.bool)
    # Steps 1-3 by the student (env 1 sampled at step 2), step 4 ends every episode
    for driver in (student, mixed_env1, student):
        lengths += 1
        free.step(driver, none, torch.ones(3), lengths)
    free.step(student, done_all, torch.tensor([4.0, 4.0, 8.0]), lengths + 1)
    assert window.summary()["episodes"] == 2 and window.per_env()[1].tolist() == [1.0, 0.0, 1.0]
    assert window.summary()["mean_return"] == pytest.approx(6.0)
    # A short episode right after: its streak (5 steps >= 4) covers it whatever its length
    free.step(student, done_all, torch.ones(3), torch.ones(3))
    assert window.per_env()[1].tolist() == [2.0, 0.0, 2.0]  # env 1's streak is only 3 steps long
    # Another policy stepping the env (an explicit rollout), or a teacher step, restarts every streak
    free.break_streaks()
    for _ in range(3):
        free.step(student, none, torch.ones(3), torch.ones(3))
    free.step(torch.full((3,), TEACHER, dtype=torch.int8), done_all, torch.ones(3), torch.ones(3))
    assert window.per_env()[1].tolist() == [2.0, 0.0, 2.0] and free.windows[TEACHER].summary()["episodes"] == 0


def test_bounded_update_takes_exactly_num_updates_per_epoch_steps(tmp_path):
    student = build_student(StudentCfg(class_name="mlp", hidden_dims=[16]), 2, 2)
    runner = DistillationRunner(PointEnv(), Teacher(OffsetTeacherModel([0.0, 0.0])), student, small_cfg(), "")
    steps = []
    runner.alg.optimizer.step = lambda *a, **k: steps.append(1)
    for epoch, limit in enumerate((3, 7, 1)):  # 30 transitions per rollout, batches of 8: 4 per pass
        runner.cfg.algorithm.num_updates_per_epoch = limit
        runner.collect(epoch)
        steps.clear()
        runner.update(epoch)
        assert len(steps) == limit
    runner.cfg.algorithm.num_updates_per_epoch = None  # one full pass over the 72 transitions the dataset keeps
    steps.clear()
    runner.update(3)
    assert len(steps) == 9


def test_teacher_forcing_on_a_share_of_the_envs_gives_the_teacher_return_and_student_data(tmp_path):
    teacher = Teacher(OffsetTeacherModel([0.2, -0.1]))
    student = build_student(StudentCfg(class_name="mlp", hidden_dims=[16], obs_normalization=False), 2, 2)
    cfg = frozen_cfg(
        epoch_teacher_forcing=4, teacher_forcing_share=0.5
    )  # envs 0, 2, 5: the teacher, the others: the student
    runner = DistillationRunner(phased_env(), teacher, copy.deepcopy(student), cfg, "")
    runner.save_checkpoint = lambda name, final=False: name
    runner.alg.start_rollout(0)
    actions = runner.alg.act(runner.env.get_observations(), None)
    labels = runner.alg.labels
    forced = torch.tensor([True, False, True, False, False, True])
    assert runner.alg.driver.tolist() == [TEACHER if f else STUDENT for f in forced]
    assert torch.equal(actions[forced], labels[forced]) and not torch.allclose(actions[~forced], labels[~forced])
    result = runner.learn()
    # The teacher's return is that of its own envs' episodes, the student's that of the others (lr 0: one student)
    twin, policy = phased_env(), TeacherGroupsPolicy(lambda obs, dones: teacher.act(obs, dones, True))
    explicit, _ = rollout(twin, policy, 20, fresh_start=False)
    on_teacher_envs = explicit.returns[forced[explicit.env_ids]]
    assert result["teacher_return"] == pytest.approx(on_teacher_envs.mean().item(), rel=1e-6)
    twin = phased_env()
    explicit, _ = rollout(twin, StudentPolicy(student), 20, fresh_start=False)
    assert result["free"] == 1.0 and result["evaluation_env_steps"] == 0
    assert result["mean_return"] == pytest.approx(explicit.returns[~forced[explicit.env_ids]].mean().item(), rel=1e-6)


def test_cosine_learning_rate_runs_from_the_first_to_the_last_epoch():
    cfg = small_cfg(learning_rate=1e-2, learning_rate_schedule="cosine", min_learning_rate=1e-3).algorithm
    rates = [learning_rate(cfg, epoch, 5) for epoch in range(5)]
    assert rates[0] == pytest.approx(1e-2) and rates[-1] == pytest.approx(1e-3) and rates[2] == pytest.approx(5.5e-3)
    assert all(a > b for a, b in zip(rates, rates[1:]))
    cfg.learning_rate_schedule = "constant"
    assert {learning_rate(cfg, epoch, 5) for epoch in range(5)} == {1e-2}
    assert teacher_envs(cfg, 6, torch.device("cpu")) is None  # share 1: the teacher drives every env
    cfg.teacher_forcing_share = 0.3
    assert teacher_envs(cfg, 6, torch.device("cpu")).tolist() == [True, False, False, False, False, True]
    cfg.teacher_forcing_share = 0.125  # 32 of 256, one in 8: each half (a teacher group of two) has 16
    assert teacher_envs(cfg, 256, torch.device("cpu")).view(2, 128).sum(1).tolist() == [16, 16]


def test_the_teacher_return_waits_for_enough_teacher_episodes_during_teacher_forcing():
    """Evaluations during teacher forcing do not roll the teacher out while its free episodes are too few."""
    teacher = Teacher(OffsetTeacherModel([0.2, -0.1]))
    student = build_student(StudentCfg(class_name="mlp", hidden_dims=[16]), 2, 2)
    cfg = frozen_cfg(epoch_teacher_forcing=3, teacher_forcing_share=0.5)  # teacher envs 0, 2, 5
    cfg.n_epochs, cfg.eval_interval, cfg.eval_min_episodes = 3, 1, 3  # whole teacher episodes end at steps 9, 13, 15
    runner = DistillationRunner(phased_env(), teacher, student, cfg, "")
    runner.save_checkpoint = lambda name, final=False: name
    result = runner.learn()
    twin, policy = phased_env(), TeacherGroupsPolicy(lambda obs, dones: teacher.act(obs, dones, True))
    explicit, _ = rollout(twin, policy, 15, fresh_start=False)
    forced = torch.tensor([True, False, True, False, False, True])
    on_teacher_envs = explicit.returns[forced[explicit.env_ids]]
    assert len(on_teacher_envs) == 3 and result["teacher_return"] == pytest.approx(on_teacher_envs.mean().item())
    assert result["evaluation_env_steps"] == 0  # no teacher rollout at epochs 1 and 2 (0 and 1 whole episodes)


def test_the_update_uses_the_scheduled_learning_rate_and_beta_stays_within_the_share():
    cfg = small_cfg(learning_rate=1e-2, learning_rate_schedule="cosine", min_learning_rate=1e-3)
    student = build_student(StudentCfg(class_name="mlp", hidden_dims=[16]), 2, 2)
    runner = DistillationRunner(PointEnv(), Teacher(OffsetTeacherModel([0.0, 0.0])), student, cfg, "")
    runner.collect(0)
    for epoch in (2, 0):  # of n_epochs = 3
        runner.update(epoch)
        assert runner.alg.optimizer.param_groups[0]["lr"] == pytest.approx(learning_rate(cfg.algorithm, epoch, 3))
    assert runner.alg.optimizer.param_groups[0]["lr"] == pytest.approx(1e-2)
    # After teacher forcing on half of the envs the teacher never takes back more (beta_start 1 is capped)
    algo = small_cfg(epoch_teacher_forcing=2, teacher_forcing_share=0.5, beta_start=1.0, beta_decay=0.5).algorithm
    assert [teacher_probability(algo, epoch) for epoch in range(5)] == [0.5, 0.5, 0.5, 0.5, 0.25]
