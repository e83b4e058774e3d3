"""Progress output: a tqdm bar on a terminal, one line per epoch (or per ``every`` units) elsewhere."""

from __future__ import annotations

import io

import torch
from helpers.toy import OffsetTeacherModel, PointEnv, small_cfg

from isaaclab_distill.distillation import DistillationRunner, Teacher
from isaaclab_distill.models import MLPStudent
from isaaclab_distill.utils.progress import Progress

torch.set_num_threads(1)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_without_a_terminal_lines_only_every_n_units_and_at_the_end():
    out = io.StringIO()
    progress = Progress(10, "[play]", "step", every=3, stream=out)
    for _ in range(10):
        progress.step()
    lines = out.getvalue().splitlines()
    assert [line.split()[1] for line in lines] == ["3/10", "6/10", "9/10", "10/10"]
    assert all("steps/s | ETA " in line for line in lines) and "\r" not in out.getvalue()


def test_on_a_terminal_a_bar_with_the_lines_above_it():
    out = Terminal()
    progress = Progress(4, "[distill]", "epoch", initial=1, stream=out)
    progress.write("[distill] epoch 2/4 line")
    progress.step(3)
    text = out.getvalue()
    assert "\r" in text and "4/4" in text and "[distill] epoch 2/4 line\n" in text  # tqdm draws with \r
    assert progress.bar is None  # closed at the total


def test_disabled_progress_writes_nothing():
    out = Terminal()
    progress = Progress(3, "[distill]", "epoch", every=1, enabled=False, stream=out)
    progress.write("x"), progress.step(3)
    assert out.getvalue() == ""


def test_distillation_prints_one_line_per_epoch_when_stdout_is_not_a_terminal(tmp_path, capsys):
    cfg = small_cfg(n_epochs=3)
    runner = DistillationRunner(
        PointEnv(), Teacher(OffsetTeacherModel([0.0, 0.0])), MLPStudent(2, 2, [8]), cfg, str(tmp_path)
    )
    runner.learn()
    out = capsys.readouterr().out
    epochs = [line for line in out.splitlines() if line.startswith("[distill] epoch ")]
    assert [line.split()[2] for line in epochs] == ["1/3", "2/3", "3/3"] and "\r" not in out


def test_distillation_on_a_terminal_draws_the_epoch_bar_below_its_lines(tmp_path, monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    cfg = small_cfg(n_epochs=3)
    teacher, student = Teacher(OffsetTeacherModel([0.0, 0.0])), MLPStudent(2, 2, [8])
    runner = DistillationRunner(PointEnv(), teacher, student, cfg, str(tmp_path))
    runner.learn()
    text = terminal.getvalue()
    assert "[distill] epoch 3/3 " in text and "3/3 [" in text and "\r" in text  # tqdm's bar: "3/3 [00:00<00:00, ...]"
    assert runner.logger.progress is not None and runner.logger.progress.bar is None  # closed after the last epoch
