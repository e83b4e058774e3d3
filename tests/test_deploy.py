"""``isaaclab_distill.load_student`` on a checkpoint written by the engine's own saver (no simulator)."""

from __future__ import annotations

import torch

from isaaclab_distill import load_student
from isaaclab_distill.distillation.checkpoint import save_checkpoint
from isaaclab_distill.models import build_student
from isaaclab_distill.models.cfg import StudentCfg


def _saved_gru(tmp_path) -> tuple[torch.nn.Module, str]:
    torch.manual_seed(0)
    network = build_student(StudentCfg(class_name="gru", hidden_dims=[16], rnn_hidden_dim=8), {"policy": (3,)}, 2)
    path = save_checkpoint(str(tmp_path / "best_student.pt"), student=network, optimizer=None, epoch=1, best_return=0)
    return network, path


def test_loaded_student_acts_like_the_saved_network_and_resets_per_env(tmp_path):
    network, path = _saved_gru(tmp_path)
    student = load_student(str(tmp_path))  # a run directory: its best student
    assert not student.training and not student.network.training and student.is_recurrent
    obs = torch.randn(5, 4, 3)  # [T, N, D]
    hidden, expected = None, []
    for t in range(5):
        actions, hidden = network.eval()(obs[t], hidden)
        expected.append(actions)
    assert torch.allclose(torch.stack([student(obs[t]) for t in range(5)]), torch.stack(expected), atol=1e-6)
    student.reset(torch.tensor([True, False, False, False]))  # env 0 starts over, the others keep their memory
    fresh, _ = network(obs[0], None)
    carried, _ = network(obs[0], hidden)
    out = student(obs[0])
    assert torch.allclose(out[0], fresh[0], atol=1e-6) and torch.allclose(out[1:], carried[1:], atol=1e-6)
    assert path.endswith("best_student.pt") and student.path == path


def test_moving_the_student_drops_its_hidden_state(tmp_path):
    network, _ = _saved_gru(tmp_path)
    student = load_student(str(tmp_path / "best_student.pt"))
    obs = torch.randn(4, 3)
    first = student(obs)
    student(obs)
    student = student.double().float()  # any nn.Module move (.to(device) on a GPU) goes through _apply
    assert torch.allclose(student(obs), first, atol=1e-6)  # starts again from zeros, on the new tensors
