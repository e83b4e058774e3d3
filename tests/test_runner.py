"""The distillation runner and algorithm on a pure-torch point env: epochs, logs, checkpoints, exact resume."""

from __future__ import annotations

import math
import os

import pytest
import torch
from helpers import DISTILLATION_TAGS
from helpers.toy import (
    OffsetTeacherModel,
    PointEnv,
    Writer,
    small_cfg,
)

from isaaclab_distill.distillation import (
    DistillationError,
    DistillationRunner,
    MultiTeacherCfg,
    Teacher,
    load_checkpoint,
)
from isaaclab_distill.models import MLPStudent, RecurrentStudent, StudentCfg, build_student

torch.set_num_threads(1)


@pytest.mark.parametrize("student_cls,seq_len", [("mlp", 1), ("gru", 4)])
def test_runner_epochs_logs_checkpoints_and_resume(tmp_path, student_cls, seq_len):
    torch.manual_seed(7)
    env, writer = PointEnv(), Writer()
    teachers = [Teacher(OffsetTeacherModel([0.0, 0.0])), Teacher(OffsetTeacherModel([0.3, -0.2]))]
    student = build_student(StudentCfg(class_name=student_cls, hidden_dims=[16], rnn_hidden_dim=8), 2, 2)
    mt = MultiTeacherCfg(
        selection="worst_k", k=1, position_offset_correction=True, offset_settle_steps=4, position_obs_slice=(0, 2)
    )
    cfg = small_cfg(sequence_length=seq_len, multi_teacher=mt)
    trainer = DistillationRunner(env, teachers, student, cfg, str(tmp_path), writer)
    result = trainer.learn()
    # Offsets measured on settled teacher steps equal each teacher's set point
    torch.testing.assert_close(trainer.alg.position_offsets, torch.tensor([[0.0, 0.0], [0.3, -0.2]]))
    assert {t for t, _, _ in writer.scalars} == DISTILLATION_TAGS  # exactly the documented tags, all of them
    assert [s for t, _, s in writer.scalars if t == "training/loss"] == [1, 2, 3]
    ratio = [v for t, v, s in writer.scalars if t == "evaluation/student_teacher_return_ratio" and s == 3][0]
    assert ratio == pytest.approx(result["mean_return"] / result["teacher_return"])
    assert sorted(os.listdir(tmp_path)) == ["best_student.pt", "checkpoint_epoch_2.pt", "final_student.pt"]
    # worst_k keeps only the worst teacher group's envs in the last rollout
    worst = int(torch.argmin(trainer.alg.student_group_returns))
    assert trainer.alg.active_envs().tolist() == (trainer.alg.env_teacher_ids == worst).tolist()
    # Resume restores the learner exactly
    again = DistillationRunner(
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
    assert again.alg.optimizer.state_dict()["state"][0]["step"] == data["optimizer_state_dict"]["state"][0]["step"]


def test_runner_nan_observation_raises_and_keeps_last_checkpoint(tmp_path):
    env = PointEnv()
    trainer = DistillationRunner(
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


def test_non_finite_teacher_labels_raise_before_they_are_stored(tmp_path):
    teacher = Teacher(OffsetTeacherModel([math.nan, 0.0]))
    trainer = DistillationRunner(PointEnv(), teacher, MLPStudent(2, 2, [8]), small_cfg(), str(tmp_path), None)
    with pytest.raises(DistillationError, match="Non-finite values in .*'teacher actions \\(labels\\)'"):
        trainer.collect(0)
    assert len(trainer.alg.dataset) == 0  # the step was checked before it was stored (the env got NaN actions too)


def test_runner_rejects_dataset_smaller_than_a_rollout(tmp_path):
    with pytest.raises(DistillationError, match="cannot hold one rollout"):
        DistillationRunner(
            PointEnv(),
            Teacher(OffsetTeacherModel([0.0, 0.0])),
            MLPStudent(2, 2, [8]),
            small_cfg(max_dataset_steps=10),
            str(tmp_path),
        )


def test_runner_collection_stores_hidden_state_before_each_step(tmp_path):
    torch.manual_seed(8)
    student = RecurrentStudent(2, 2, [8], rnn_type="gru", rnn_hidden_dim=4)
    trainer = DistillationRunner(
        PointEnv(),
        Teacher(OffsetTeacherModel([0.0, 0.0])),
        student,
        small_cfg(num_steps_per_env=10, epoch_teacher_forcing=0, beta_start=0.5),
        str(tmp_path),
    )
    trainer.collect(epoch=0)
    ds = trainer.alg.dataset
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

    def trainer(env: PointEnv, n_epochs: int, name: str) -> DistillationRunner:
        student_cfg = StudentCfg(class_name=student_cls, hidden_dims=[16], rnn_hidden_dim=8, obs_normalization=True)
        cfg = small_cfg(n_epochs=n_epochs, sequence_length=seq_len, checkpoint_dataset=True)  # the ring buffer wraps
        teacher = Teacher(OffsetTeacherModel([0.1, -0.2]))
        return DistillationRunner(env, teacher, build_student(student_cfg, 2, 2), cfg, str(tmp_path / name))

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
    assert (
        len(resumed.alg.dataset) == len(first.alg.dataset) == first.alg.dataset.capacity
    )  # full: the oldest steps are gone
    resumed.learn()
    for (name, a), b in zip(uninterrupted.student.state_dict().items(), resumed.student.state_dict().values()):
        assert torch.equal(a, b), name
