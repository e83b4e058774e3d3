"""The DAgger storage: bounded ring buffer, segments that cover every step once, stored hidden states."""

from __future__ import annotations

import io

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
            assert sequence_loss(student, b)[0].item() < 1e-10


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


IMAGES = {"policy": (2,), "depth": (2, 3, 4)}  # policy = (time, env) id of the step


def fill_images(ds, steps, n, seed=0):
    """Images of several ranges per env: [0, 2] m, constant, negative, wide; returns (time, env) -> image."""
    gen, originals = torch.Generator().manual_seed(seed), {}
    for t in range(steps):
        u = torch.rand(n, *IMAGES["depth"], generator=gen)
        lo_hi = [(0.0, 2.0), (0.7, 0.7), (-3.0, -1.0), (-5.0, 5.0)]
        depth = torch.stack([lo_hi[e % 4][0] + (lo_hi[e % 4][1] - lo_hi[e % 4][0]) * u[e] for e in range(n)])
        depth[1 % n] += 0.01 * t  # the constant image changes between steps
        ids = torch.tensor([[float(t), float(e)] for e in range(n)])
        ds.append({"policy": ids, "depth": depth}, ids, torch.zeros(n, dtype=torch.bool))
        originals |= {(t, e): depth[e].clone() for e in range(n)}
    return originals


def decoded_steps(ds, seq_len):
    """Every real step of one pass: ``(ids [2], depth image)`` from the batches of :meth:`sequences`."""
    for b in ds.sequences(seq_len, batch_size=2, shuffle=True, generator=torch.Generator().manual_seed(1)):
        assert b.obs["depth"].dtype == torch.float32 and b.obs["policy"].dtype == torch.float32
        yield from zip(b.obs["policy"][b.mask], b.obs["depth"][b.mask])


@pytest.mark.parametrize("seq_len", [1, 3])
def test_uint8_images_decode_within_half_a_quantisation_step(seq_len):
    n, steps = 4, 7
    ds = EpisodeDataset(num_envs=n, obs_shapes=IMAGES, action_dim=2, capacity=5)  # default "uint8"; wraps
    originals = fill_images(ds, steps, n)
    assert ds.obs["depth"].dtype == torch.uint8 and ds.obs["policy"].dtype == torch.float32
    seen = []
    for ids, depth in decoded_steps(ds, seq_len):
        t, e = int(ids[0]), int(ids[1])
        x = originals[(t, e)]
        assert ids.tolist() == [float(t), float(e)]  # the vector group is exact
        scale = float(x.max() - x.min()) / 255
        assert float((depth - x).abs().max()) <= scale / 2 + 1e-6, (t, e)
        if e == 1:
            assert torch.equal(depth, x)  # a constant image is exact
        seen.append((t, e))
    assert sorted(seen) == [(t, e) for t in range(steps - 5, steps) for e in range(n)]


@pytest.mark.parametrize("image_dtype", ["float16", "float32"])
def test_float_image_dtypes(image_dtype):
    n = 4
    ds = EpisodeDataset(num_envs=n, obs_shapes=IMAGES, action_dim=2, capacity=3, image_dtype=image_dtype)
    originals = fill_images(ds, 5, n)
    assert ds.obs["depth"].dtype == getattr(torch, image_dtype)
    count = 0
    for ids, depth in decoded_steps(ds, seq_len=2):
        x = originals[(int(ids[0]), int(ids[1]))]
        if image_dtype == "float32":
            assert torch.equal(depth, x)
        else:  # float16 rounding: relative error <= 2**-11 in the normal range
            assert torch.equal(depth, x.half().float())
            torch.testing.assert_close(depth, x, rtol=2**-11, atol=0.0)
        count += 1
    assert count == 3 * n


@pytest.mark.parametrize("hidden_dim,float32_bytes,uint8_bytes", [(128, 20946, 5816), (512, 22482, 7352)])
def test_bytes_per_transition_of_a_parkour_dataset(hidden_dim, float32_bytes, uint8_bytes):
    # policy 50 x 4 = 200, actions 12 x 4 = 48, dones + valid 2, hidden 4 H; rollout_start (1 byte per step) / 4 envs
    # depth 1 x 58 x 87 = 5046 pixels: float32 20184, float16 10092, uint8 5046 + lo 4 + scale 4 = 5054
    def size(image_dtype):
        shapes = {"policy": (50,), "depth": (1, 58, 87)}
        ds = EpisodeDataset(4, shapes, 12, 2, "cpu", (1, hidden_dim), image_dtype=image_dtype)  # algorithm's call
        return ds.bytes_per_transition

    common = 200 + 48 + 2 + 4 * hidden_dim
    assert size("float32") == common + 20184 == float32_bytes
    assert size("float16") == common + 10092
    assert size("uint8") == common + 5054 == uint8_bytes
    assert size("float32") >= 3 * size("uint8")


def test_uint8_state_dict_round_trip_and_mismatched_image_dtype():
    n = 3
    ds = EpisodeDataset(num_envs=n, obs_shapes=IMAGES, action_dim=2, capacity=4, hidden_shape=(1, 3))
    gen = torch.Generator().manual_seed(2)
    for t in range(6):  # wraps
        depth = torch.rand(n, *IMAGES["depth"], generator=gen) * (t + 1) - t
        ds.append(
            {"policy": torch.randn(n, 2, generator=gen), "depth": depth},
            torch.randn(n, 2, generator=gen),
            torch.rand(n, generator=gen) < 0.3,
            hidden=torch.randn(1, n, 3, generator=gen),
        )
    buffer = io.BytesIO()
    torch.save(ds.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)  # the checkpoint reader's safe load
    assert state["obs"]["depth"].dtype == torch.uint8 and state["image_quant"]["depth"]["lo"].shape == (4, n)
    restored = EpisodeDataset(num_envs=n, obs_shapes=IMAGES, action_dim=2, capacity=5, hidden_shape=(1, 3))
    restored.load_state_dict(state)
    for seq_len in (1, 2):
        for a, b in zip(ds.sequences(seq_len, 2, shuffle=False), restored.sequences(seq_len, 2, shuffle=False)):
            assert all(torch.equal(a.obs[k], b.obs[k]) for k in IMAGES)
            assert torch.equal(a.actions, b.actions) and torch.equal(a.mask, b.mask) and torch.equal(a.h0, b.h0)
    other = EpisodeDataset(n, IMAGES, 2, 4, hidden_shape=(1, 3), image_dtype="float32")
    with pytest.raises(ValueError, match="image_dtype='uint8'.*image_dtype='float32'"):
        other.load_state_dict(state)


def test_bad_image_dtype_names_the_allowed_values():
    with pytest.raises(ValueError, match=r"\['float16', 'float32', 'uint8'\].*'int8'"):
        EpisodeDataset(num_envs=2, obs_shapes=IMAGES, action_dim=2, capacity=3, image_dtype="int8")
