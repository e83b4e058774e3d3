"""The DAgger storage: bounded ring buffer, segments that cover every step once, stored hidden states."""

from __future__ import annotations

import pytest
import torch

from isaaclab_distill.distillation.losses import sequence_loss
from isaaclab_distill.distillation.storage import EpisodeDataset
from isaaclab_distill.models import RecurrentStudent

torch.set_num_threads(1)
VEC = {"policy": (2,)}


def fill(ds, steps, n, t0=0, dones_at=()):
    for t in range(t0, t0 + steps):
        obs = torch.stack([torch.tensor([float(t), float(e)]) for e in range(n)])  # (time, env) id
        done = torch.tensor([(t, e) in dones_at for e in range(n)])
        ds.append({"policy": obs}, obs[:, :1].repeat(1, 2), done, hidden=torch.full((1, n, 3), float(t)))


def test_dataset_bounded_oldest_dropped_and_on_policy_clear():
    ds = EpisodeDataset(num_envs=2, obs_shapes=VEC, action_dim=2, capacity=5, hidden_shape=(1, 3))
    fill(ds, 8, 2)
    assert len(ds) == 5 and ds.num_transitions == 10
    batch = next(ds.sequences(seq_len=5, batch_size=2, shuffle=False))
    assert batch.obs["policy"][:, 0, 0].tolist() == [3.0, 4.0, 5.0, 6.0, 7.0]  # oldest 3 steps dropped, order kept
    assert batch.h0[0, :, 0].tolist() == [3.0, 3.0]  # hidden stored with the first kept step
    ds.clear()
    assert len(ds) == 0 and list(ds.sequences(3, 4)) == []
    fill(ds, 2, 2, t0=100)
    times = sorted({int(x) for b in ds.sequences(1, 3) for x in b.obs["policy"][b.mask][:, 0]})
    assert times == [100, 101]


def test_sequences_keep_the_tail_segment():
    ds = EpisodeDataset(num_envs=3, obs_shapes=VEC, action_dim=2, capacity=20)
    fill(ds, 10, 3)
    batches = list(ds.sequences(seq_len=4, batch_size=100, shuffle=False))
    assert len(batches) == 1
    b = batches[0]
    assert b.obs.batch_size == (4, 9) and b.obs["policy"].shape == (4, 9, 2)  # 3 segments (4, 4, 2) per env
    assert int(b.mask.sum()) == 30  # every step covered, none dropped
    assert sorted(b.mask.sum(0).tolist()) == [2, 2, 2, 4, 4, 4, 4, 4, 4]


@pytest.mark.parametrize("seq_len", [1, 3])
def test_sequences_cover_every_step_exactly_once(seq_len):
    n = 3
    ds = EpisodeDataset(num_envs=n, obs_shapes=VEC, action_dim=2, capacity=7)
    fill(ds, 5, n)
    ds.start_rollout()  # trajectory is not continuous across rollouts
    fill(ds, 4, n, t0=50, dones_at={(52, 1)})  # 9 steps appended, capacity 7 -> keep 2..4 and 50..53
    seen = []
    for b in ds.sequences(seq_len, batch_size=2, shuffle=True, generator=torch.Generator().manual_seed(0)):
        assert b.flat == (seq_len == 1)
        obs = b.obs["policy"] if not b.flat else b.obs["policy"].unsqueeze(0)
        mask = b.mask if not b.flat else b.mask.unsqueeze(0)
        for j in range(obs.shape[1]):
            steps = obs[:, j][mask[:, j]]
            seen += [(int(t), int(e)) for t, e in steps]
            # Inside a segment: one env, consecutive times, valid steps first
            assert len(set(steps[:, 1].tolist())) == 1
            assert steps[:, 0].tolist() == list(range(int(steps[0, 0]), int(steps[0, 0]) + len(steps)))
    expected = [(t, e) for t in (2, 3, 4, 50, 51, 52, 53) for e in range(n)]
    assert sorted(seen) == expected  # exactly once each


def test_dataset_segments_replay_collection_time_actions():
    # Storing the hidden state before each step makes any segment reproduce the collection-time outputs exactly
    torch.manual_seed(3)
    student = RecurrentStudent(2, 2, [6], rnn_type="lstm", rnn_hidden_dim=4)
    n, steps = 4, 9
    ds = EpisodeDataset(n, student.obs_shapes, 2, capacity=20, hidden_shape=student.hidden_shape)
    h = student.initial_hidden(n)
    with torch.no_grad():
        for _ in range(steps):
            obs = torch.randn(n, 2)
            act, h_next = student(obs, h)
            done = torch.rand(n) < 0.3
            ds.append({"policy": obs}, act, done, hidden=h)
            h = h_next * (~done).view(1, -1, 1).float()
        for b in ds.sequences(seq_len=4, batch_size=3, shuffle=True):
            pred = student.forward_sequence(b.obs, b.h0, b.dones)
            torch.testing.assert_close(pred[b.mask], b.actions[b.mask])
            assert sequence_loss(student, b).item() < 1e-10


def test_image_groups_stay_images_and_round_trip():
    # one tensor per group: the depth image keeps its [C, H, W] shape in storage, batches and checkpoints
    shapes = {"policy": (3,), "depth": (1, 4, 5)}
    ds = EpisodeDataset(num_envs=2, obs_shapes=shapes, action_dim=2, capacity=6)
    for t in range(4):
        obs = {"policy": torch.full((2, 3), float(t)), "depth": torch.full((2, 1, 4, 5), t / 10), "teacher": None}
        ds.append(obs, torch.zeros(2, 2), torch.zeros(2, dtype=torch.bool))  # groups it does not store are ignored
    batch = next(ds.sequences(seq_len=4, batch_size=2, shuffle=False))
    assert batch.obs["depth"].shape == (4, 2, 1, 4, 5) and batch.obs["policy"].shape == (4, 2, 3)
    torch.testing.assert_close(batch.obs["depth"][:, 0, 0, 0, 0], torch.tensor([0.0, 0.1, 0.2, 0.3]))
    state = ds.state_dict()
    assert set(state["obs"]) == {"policy", "depth"} and all(torch.is_tensor(v) for v in state["obs"].values())
    restored = EpisodeDataset(num_envs=2, obs_shapes=shapes, action_dim=2, capacity=6)
    restored.load_state_dict(state)
    again = next(restored.sequences(seq_len=4, batch_size=2, shuffle=False))
    torch.testing.assert_close(again.obs["depth"], batch.obs["depth"])
    with pytest.raises(ValueError, match="groups"):
        EpisodeDataset(num_envs=2, obs_shapes={"policy": (3,)}, action_dim=2, capacity=6).load_state_dict(state)
    recurrent = EpisodeDataset(num_envs=2, obs_shapes=shapes, action_dim=2, capacity=6, hidden_shape=(1, 3))
    with pytest.raises(ValueError, match="no 'hidden'"):  # a resume error line, not an AttributeError
        recurrent.load_state_dict(state)
