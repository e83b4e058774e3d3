"""The checkpoint file format: weights-only round trip, atomic writes, kind checks, RNG state."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest
import torch

from isaaclab_distill.distillation import (
    CheckpointError,
    DistillationCfg,
    load_checkpoint,
    load_student_network,
    save_checkpoint,
)
from isaaclab_distill.distillation.checkpoint import capture_rng_state, restore_rng_state
from isaaclab_distill.models import MLPStudent, StudentCfg, build_student
from isaaclab_distill.utils import UserError
from isaaclab_distill.utils import io as io_mod

torch.set_num_threads(1)


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
    loaded, data = load_student_network(path)
    x = torch.randn(5, 3)
    torch.testing.assert_close(loaded(x)[0], student(x)[0])
    assert data["distillation_cfg"]["student"]["class_name"] == "mlp"
    # a checkpoint written before observation groups (one flat vector, its group in the run config) still loads
    raw["student_cfg"] = {k: v for k, v in raw["student_cfg"].items() if k != "obs_shapes"}
    raw["distillation_cfg"] = {"student_obs_group": "state"}
    torch.save(raw, tmp_path / "old.pt")
    old, _ = load_student_network(str(tmp_path / "old.pt"))
    assert old.obs_shapes == {"state": (3,)}
    torch.testing.assert_close(old({"state": x})[0], student(x)[0])


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
