"""Distillation summary figure from TensorBoard events (no simulator)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from torch.utils.tensorboard import SummaryWriter

from isaaclab_distill.distillation.plots import plot_distillation_summary, read_scalars, teacher_return

TEACHER = 120.0


def write_events(log_dir, epochs: int = 6, *, eval_tags: bool = True, loss: bool = True, ratio: bool = True) -> None:
    writer = SummaryWriter(str(log_dir))
    for epoch in range(1, epochs + 1):
        if loss:
            writer.add_scalar("training/loss", 5.0 / epoch, epoch)
        if eval_tags:
            mean = TEACHER * (1.0 - 0.5 / epoch)
            writer.add_scalar("evaluation/mean_return", mean, epoch)
            writer.add_scalar("evaluation/std_return", 4.0, epoch)
            if ratio:
                writer.add_scalar("evaluation/student_teacher_return_ratio", mean / TEACHER, epoch)
    writer.close()


def assert_valid_figure(path) -> None:
    with Image.open(path) as image:
        image.verify()
    pixels = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)
    assert pixels.shape[0] > 200 and pixels.shape[1] > 200
    assert pixels.std() > 10.0, "blank figure"
    # several distinct colours: lines, band, text
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20


def test_summary_png_with_all_tags(tmp_path):
    write_events(tmp_path)
    path = plot_distillation_summary(str(tmp_path))
    assert path == str(tmp_path / "summary.png")
    assert_valid_figure(path)


def test_teacher_return_from_ratio_or_scalar(tmp_path):
    write_events(tmp_path)
    assert teacher_return(read_scalars(str(tmp_path))) == pytest.approx(TEACHER, rel=1e-5)
    series = {"evaluation/teacher_return": {3: 99.0}, "evaluation/mean_return": {3: 10.0}}
    assert teacher_return(series) == 99.0
    assert teacher_return({"evaluation/mean_return": {1: 1.0}}) is None


@pytest.mark.parametrize(
    "tags",
    [{"eval_tags": False}, {"loss": False, "ratio": False}],
    ids=["loss-only", "eval-without-ratio-or-loss"],
)
def test_missing_tags_do_not_crash(tmp_path, tags):
    write_events(tmp_path, **tags)
    assert_valid_figure(plot_distillation_summary(str(tmp_path)))


def test_empty_run_directory(tmp_path):
    assert_valid_figure(plot_distillation_summary(str(tmp_path)))
