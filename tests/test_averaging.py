"""Weight averaging of the last epochs' students (``average_last_epochs``) on the pure-torch point env."""

from __future__ import annotations

import copy

import pytest
import torch
from helpers.toy import OffsetTeacherModel, PointEnv, small_cfg

from isaaclab_distill.distillation import DistillationRunner, Teacher, load_checkpoint
from isaaclab_distill.distillation.averaging import WeightAverage
from isaaclab_distill.models import StudentCfg, build_student

torch.set_num_threads(1)


def _student(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    cfg = StudentCfg(class_name="gru", hidden_dims=[8], rnn_hidden_dim=4, obs_normalization=True)
    return build_student(cfg, 2, 2)


def test_average_is_the_mean_of_the_averaged_epochs_and_keeps_the_newest_buffers():
    average, student = WeightAverage(last_epochs=2, n_epochs=4), _student()
    snapshots = []
    for epoch in range(4):
        with torch.no_grad():
            for p in student.parameters():
                p.add_(torch.randn_like(p))
            for b in student.buffers():
                b.add_(1 if b.dtype == torch.long else 0.5)
        average.update(epoch, student)
        snapshots.append(copy.deepcopy(student.state_dict()))
        assert average.active == (epoch >= 2)
        assert (average.final(student) is student) == (epoch < 2)
    policy = average.final(student)
    names = {name for name, _ in student.named_parameters()}
    for name, value in policy.state_dict().items():
        expected = (snapshots[2][name] + snapshots[3][name]) / 2 if name in names else snapshots[3][name]
        torch.testing.assert_close(value, expected, msg=name)
    assert average.state_dict() == {"first_epoch": 2, "last_epoch": 3, "n_averaged": 2}
    average.update(3, student)  # an epoch repeated (a resume after an interrupted epoch) is not added twice
    assert average.state_dict()["n_averaged"] == 2
    restored = WeightAverage(last_epochs=2, n_epochs=4)
    restored.load_state_dict(average.state_dict(), policy.state_dict(), _student(1))
    for a, b in zip(restored.final(student).state_dict().values(), policy.state_dict().values()):
        assert torch.equal(a, b)


def test_no_averaging_keeps_the_student_as_the_policy():
    average, student = WeightAverage(last_epochs=0, n_epochs=3), _student()
    for epoch in range(3):
        average.update(epoch, student)
    assert not average.active and average.final(student) is student and average.state_dict() == {}


def test_only_epochs_after_teacher_forcing_are_averaged_and_another_window_is_not_restored():
    assert WeightAverage(last_epochs=9, n_epochs=10, first_allowed=16).first_epoch is None  # a short run: none
    assert WeightAverage(last_epochs=9, n_epochs=20, first_allowed=16).first_epoch == 16
    average, student = WeightAverage(last_epochs=2, n_epochs=4), _student()
    for epoch in range(4):
        average.update(epoch, student)
    longer = WeightAverage(last_epochs=2, n_epochs=10)  # resumed with more epochs: its window is 8-9
    longer.load_state_dict(average.state_dict(), average.final(student).state_dict(), student)
    assert not longer.active


def _runner(tmp_path, name: str, n_epochs: int = 4) -> DistillationRunner:
    cfg = small_cfg(n_epochs=n_epochs, sequence_length=4, average_last_epochs=2, beta_start=0.0)
    teacher = Teacher(OffsetTeacherModel([0.1, -0.2]))
    return DistillationRunner(PointEnv(), teacher, _student(), cfg, str(tmp_path / name))


def _equal(a: torch.nn.Module | dict, b: torch.nn.Module) -> None:
    for (name, x), y in zip((a if isinstance(a, dict) else a.state_dict()).items(), b.state_dict().values()):
        assert torch.equal(x, y), name


def test_the_trained_student_drives_the_average_is_final_and_both_resume(tmp_path):
    runner = _runner(tmp_path, "a")
    for epoch in range(4):
        runner.collect(epoch)
        runner.update(epoch)
        runner.epoch = epoch + 1
    alg = runner.alg
    assert alg.final_student is not alg.student and alg.average.state_dict()["n_averaged"] == 2
    # the trained student drives the collection (SWA: DAgger corrects its own mistakes), not the average
    alg.start_rollout(4)
    obs, hidden = runner.env.get_observations(), alg.hidden
    actions = alg.act(obs, None)
    torch.testing.assert_close(actions, alg.student(alg.student_obs(obs), hidden)[0])
    assert not torch.allclose(actions, alg.final_student(alg.student_obs(obs), hidden)[0])
    alg.process_env_step(torch.zeros(runner.num_envs, dtype=torch.bool))
    # final_student.pt holds the average (what play.py and the exporters load), a periodic checkpoint the trained one
    final, periodic = runner.save_checkpoint("final_student.pt"), runner.save_checkpoint("checkpoint_epoch_4.pt")
    _equal(load_checkpoint(final)["model_state_dict"], alg.final_student)
    _equal(load_checkpoint(periodic)["model_state_dict"], alg.student)
    for path in (final, periodic):  # either file resumes both networks
        resumed = _runner(tmp_path, "b")
        resumed.resume(path)
        assert resumed.alg.average.state_dict() == alg.average.state_dict()
        _equal(resumed.alg.student, alg.student)
        _equal(resumed.alg.final_student, alg.final_student)


@pytest.mark.parametrize("last_epochs", [0, 2])
def test_learn_ends_with_the_average_of_the_last_epochs(tmp_path, last_epochs):
    cfg = small_cfg(n_epochs=4, sequence_length=4, average_last_epochs=last_epochs)
    runner = DistillationRunner(PointEnv(), Teacher(OffsetTeacherModel([0.1, -0.2])), _student(), cfg, str(tmp_path))
    trained = []
    update = runner.alg.update

    def recorded(epoch, check=None):
        loss = update(epoch, check)
        trained.append({k: v.clone() for k, v in runner.alg.student.named_parameters()})
        return loss

    runner.alg.update = recorded
    runner.learn()
    final = load_checkpoint(str(tmp_path / "final_student.pt"))["model_state_dict"]
    for name in trained[-1]:
        expected = sum(t[name] for t in trained[4 - last_epochs :]) / last_epochs if last_epochs else trained[-1][name]
        torch.testing.assert_close(final[name], expected, msg=name)


def test_a_best_final_rollout_saves_the_network_it_measured(tmp_path):
    cfg = small_cfg(n_epochs=4, sequence_length=4, average_last_epochs=2, final_evaluation="rollout", eval_interval=1)
    runner = DistillationRunner(PointEnv(), Teacher(OffsetTeacherModel([0.1, -0.2])), _student(), cfg, str(tmp_path))
    rising = iter(range(1, 5))  # every evaluation beats the last: the final one (of the average) is the best

    def evaluation(last):
        return {"mean_return": float(next(rising)), "std_return": 0.0, "mean_length": 5.0, "episodes": 8.0}

    runner._evaluate_student = evaluation
    runner.learn()
    best = load_checkpoint(str(tmp_path / "best_student.pt"))
    assert best["epoch"] == 4
    _equal(best["model_state_dict"], runner.alg.final_student)


def test_a_run_directory_resolves_to_its_final_student(tmp_path):
    from isaaclab_distill.evaluation import resolve_policy_checkpoint

    (tmp_path / "best_student.pt").write_bytes(b"")
    assert resolve_policy_checkpoint(str(tmp_path)) == str(tmp_path / "best_student.pt")
    (tmp_path / "final_student.pt").write_bytes(b"")  # the run's result, the weight average, wins
    assert resolve_policy_checkpoint(str(tmp_path)) == str(tmp_path / "final_student.pt")
