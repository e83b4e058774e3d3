"""Isaac Lab's run flags without a simulator: ``run.json`` manifests and the ``latest`` / ``best`` selectors of play."""

from __future__ import annotations

import argparse
import pathlib

import pytest
from helpers import QUAD_TASK

from isaaclab_distill.utils import UserError
from isaaclab_distill.utils.run_args import check_run_args, select_play_checkpoint, write_manifest
from isaaclab_distill.utils.runs import make_run_dir


def make_run(
    root: pathlib.Path, library: str, stamp: str, files: list[str], task: str = QUAD_TASK, path: str | None = None
) -> pathlib.Path:
    run = pathlib.Path(make_run_dir(library, "quad", root=str(root), stamp=stamp, path=path))
    write_manifest(str(run), library, task, "some_entry_point")
    for name in files:
        (run / name).write_bytes(b"")
    return run


def test_play_selectors_pick_the_newest_distillation_run_then_ppo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match="no distillation or PPO run"):
        select_play_checkpoint("latest", QUAD_TASK, "quad")
    ppo = make_run(tmp_path / "logs", "rsl_rl", "a", ["model_0.pt", "model_50.pt", "model_149.pt"])
    assert select_play_checkpoint("latest", QUAD_TASK, "quad") == str(ppo / "model_149.pt")  # natural order
    assert select_play_checkpoint("best", QUAD_TASK, "quad") == str(ppo / "model_149.pt")
    files = ["checkpoint_epoch_10.pt", "checkpoint_epoch_5.pt", "best_student.pt", "final_student.pt"]
    done = make_run(tmp_path / "logs", "distillation", "b", files)
    assert select_play_checkpoint("latest", QUAD_TASK, "quad") == str(done / "final_student.pt")
    assert select_play_checkpoint("best", QUAD_TASK, "quad") == str(done / "best_student.pt")
    make_run(tmp_path / "logs", "distillation", "c", ["final_student.pt"], task="Isaac-Other-v0")  # another task
    assert select_play_checkpoint("latest", QUAD_TASK, "quad") == str(done / "final_student.pt")
    unfinished = make_run(tmp_path / "logs", "distillation", "d", ["checkpoint_epoch_5.pt", "checkpoint_epoch_10.pt"])
    assert select_play_checkpoint("latest", QUAD_TASK, "quad") == str(unfinished / "checkpoint_epoch_10.pt")
    job = tmp_path / "logs" / "distillation" / "quad" / "sweep_e" / "1"  # a sweep's job is a run too
    job = make_run(tmp_path / "logs", "distillation", "e", ["final_student.pt"], path=str(job))
    assert select_play_checkpoint("latest", QUAD_TASK, "quad") == str(job / "final_student.pt")


@pytest.mark.parametrize(
    "run_dir,extra,message",
    [
        ("", {}, "is not a folder"),
        ("notes.txt", {}, "is not a folder"),
        ("new", {"multirun": True}, "drop --run_timestamp / -m"),
    ],
)
def test_bad_run_dir_is_one_line(run_dir, extra, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    args = argparse.Namespace(logger=None, run_timestamp=None, multirun=False, run_dir=run_dir)
    vars(args).update(extra)
    with pytest.raises(UserError, match=message):
        check_run_args(args)
