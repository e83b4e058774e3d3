"""Policy export without the simulator: ONNX (onnxruntime) and TorchScript files match the torch model step by step."""

from __future__ import annotations

import onnx
import onnxruntime as ort
import pytest
import torch
import torch.nn as nn
from rsl_rl.models import MLPModel, RNNModel
from tensordict import TensorDict

from isaaclab_distill.distillation import Teacher
from isaaclab_distill.export import export_policy, read_jit_description
from isaaclab_distill.models import DepthStudent, DepthStudentCfg, build_student

OBS, ACT, TEACHER_OBS = 6, 3, 9
DEPTH_CFG = DepthStudentCfg(
    conv_channels=[4],
    conv_kernels=[3],
    conv_strides=[2],
    conv_maxpool=[False],
    cnn_hidden_dim=16,
    depth_latent_dim=8,
    fuse_hidden_dim=16,
    fuse_dim=8,
    rnn_hidden_dim=8,
    feature_dim=4,
    hidden_dims=[16, 16],
    obs_normalization=True,
)
DEPTH_SHAPES = {"policy": (5,), "depth": (1, 12, 16)}
"""The depth student's two groups: proprioception and an image."""
ATOL = 1e-5


def _fit_normaliser(model: nn.Module, dim: int, update) -> None:
    """Give the normaliser non-trivial statistics so that baking it in is actually tested."""
    model.train()
    update(torch.randn(256, dim) * 3.0 + 2.0)
    model.eval()


def make_student(kind: str) -> nn.Module:
    torch.manual_seed(0)
    if kind == "depth":
        student = DepthStudent(DEPTH_SHAPES, ACT, DEPTH_CFG)
        _fit_normaliser(student, 5, lambda x: student.update_normalization({"policy": x}))
        return student
    cfg = {"class_name": kind, "hidden_dims": [16, 16], "rnn_hidden_dim": 8, "rnn_num_layers": 2}
    student = build_student({**cfg, "obs_normalization": True}, OBS, ACT)
    _fit_normaliser(student, OBS, student.update_normalization)
    return student


def make_teacher(rnn_type: str | None) -> nn.Module:
    """An rsl_rl actor reading the 'teacher' group, with a normaliser and a Gaussian head (as PPO builds it)."""
    torch.manual_seed(1)
    obs = TensorDict({"policy": torch.randn(4, OBS), "teacher": torch.randn(4, TEACHER_OBS)}, batch_size=[4])
    groups = {"actor": ["teacher"], "critic": ["teacher"]}
    kwargs = {"obs_normalization": True, "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 1.0}}
    if rnn_type is None:
        model = MLPModel(obs, groups, "actor", ACT, [16, 16], **kwargs)
    else:
        model = RNNModel(obs, groups, "actor", ACT, [16], **kwargs, rnn_type=rnn_type, rnn_hidden_dim=8)

    def update(x: torch.Tensor) -> None:
        model.update_normalization(TensorDict({"teacher": x}, batch_size=[x.shape[0]]))

    _fit_normaliser(model, TEACHER_OBS, update)
    return model


def reference_step(model: nn.Module, obs: tuple[torch.Tensor, ...], h: torch.Tensor | None):
    """One deterministic step of the torch model with the exported interface ``(*obs, h) -> (actions, h)``."""
    if isinstance(model, MLPModel):  # rsl_rl actor: hidden state inside the model, h/c in a tuple for an LSTM
        td = TensorDict({"teacher": obs[0]}, batch_size=[obs[0].shape[0]])
        if not model.is_recurrent:
            return model(td), None
        lstm = isinstance(model.rnn.rnn, nn.LSTM)
        layers = model.rnn.rnn.num_layers
        model.rnn.hidden_state = (h[:layers], h[layers:]) if lstm else h
        actions = model(td)
        state = model.rnn.hidden_state
        return actions, torch.cat(state, dim=0) if lstm else state
    return model(dict(zip(model.obs_shapes, obs)), h)


def random_obs(shapes: dict, batch: int) -> tuple[torch.Tensor, ...]:
    """Images in [0, 1); vectors off-centre, so that a baked-in normaliser matters."""
    return tuple(torch.rand(batch, *s) if len(s) == 3 else torch.randn(batch, *s) * 3.0 + 2.0 for s in shapes.values())


def check_files(model: nn.Module, info: dict, batch: int = 5, steps: int = 4) -> None:
    """Run policy.onnx and policy.pt for a few steps, feeding the hidden state back, against the torch model."""
    recurrent, names = info["recurrent"], list(info["obs_shapes"])
    session = ort.InferenceSession(info["onnx"], providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == names + (["h_in"] if recurrent else [])
    assert [o.name for o in session.get_outputs()] == (["actions", "h_out"] if recurrent else ["actions"])
    jit = torch.jit.load(info["jit"])
    h_ref = h_onnx = h_jit = (
        torch.zeros(*info["hidden_shape"][:1], batch, info["hidden_shape"][1]) if recurrent else None
    )
    torch.manual_seed(2)
    with torch.no_grad():
        for _ in range(steps):
            obs = random_obs(info["obs_shapes"], batch)
            feeds = {name: x.numpy() for name, x in zip(names, obs)}
            ref, h_ref_next = reference_step(model, obs, h_ref)
            if recurrent:
                a_onnx, h_onnx = (torch.from_numpy(x) for x in session.run(None, feeds | {"h_in": h_onnx.numpy()}))
                a_jit, h_jit = jit(*obs, h_jit)
                torch.testing.assert_close(h_onnx, h_ref_next, atol=ATOL, rtol=0)
                torch.testing.assert_close(h_jit, h_ref_next, atol=ATOL, rtol=0)
                assert h_ref_next.abs().max() > 0  # the state actually evolves
            else:
                a_onnx = torch.from_numpy(session.run(None, feeds)[0])
                a_jit = jit(*obs)
            assert a_onnx.shape == (batch, ACT)
            torch.testing.assert_close(a_onnx, ref, atol=ATOL, rtol=0)
            torch.testing.assert_close(a_jit, ref, atol=ATOL, rtol=0)
            h_ref = h_ref_next


@pytest.mark.parametrize("kind", ["mlp", "gru", "lstm", "depth"])
def test_student_export_matches_torch(tmp_path, kind):
    student = make_student(kind)
    before = {k: v.clone() for k, v in student.state_dict().items()}
    info = export_policy(student, str(tmp_path / "exported"))
    assert (tmp_path / "exported" / "policy.onnx").is_file() and (tmp_path / "exported" / "policy.pt").is_file()
    assert info["recurrent"] == (kind != "mlp") and info["action_dim"] == ACT
    # one input per observation group, named after it (a one-group student's input is "obs")
    expected = {n: list(s) for n, s in DEPTH_SHAPES.items()} if kind == "depth" else {"obs": [OBS]}
    assert info["obs_shapes"] == expected
    assert max(info["max_abs_error"].values()) < ATOL
    check_files(student, info)
    check_files(student, info, batch=1)  # the batch axis is dynamic in both directions
    # the exported model is a copy: the student is untouched and still usable for training
    assert all(torch.equal(before[k], v) for k, v in student.state_dict().items())
    assert next(student.parameters()).requires_grad


@pytest.mark.parametrize("rnn_type", [None, "gru", "lstm"], ids=["mlp", "gru", "lstm"])
def test_teacher_export_matches_torch(tmp_path, rnn_type):
    model = make_teacher(rnn_type)
    info = export_policy(Teacher(model), str(tmp_path))  # a Teacher wrapper exports its actor
    assert info["policy"] == type(model).__name__ and info["obs_groups"] == ["teacher"]
    expected_k = {None: None, "gru": 1, "lstm": 2}[rnn_type]
    assert (info["hidden_shape"] or [None])[0] == expected_k
    check_files(model, info)


def test_export_metadata_and_normaliser_is_baked_in(tmp_path):
    student = make_student("gru")
    info = export_policy(student, str(tmp_path))
    meta = {p.key: p.value for p in onnx.load(info["onnx"]).metadata_props}
    assert '"hidden_shape": [2, 8]' in meta["isaaclab_distill"]
    assert read_jit_description(info["jit"])["inputs"] == ["obs", "h_in"]
    # the same weights without the normaliser's statistics give different actions: the statistics are in the file
    plain = build_student(student.config, OBS, ACT)
    plain.load_state_dict({k: v for k, v in student.state_dict().items() if "normalizer" not in k}, strict=False)
    obs, h = torch.randn(2, OBS) * 3 + 2, torch.zeros(2, 2, 8)
    session = ort.InferenceSession(info["onnx"], providers=["CPUExecutionProvider"])
    actions = torch.from_numpy(session.run(None, {"obs": obs.numpy(), "h_in": h.numpy()})[0])
    torch.testing.assert_close(actions, student(obs, h)[0], atol=ATOL, rtol=0)
    assert (actions - plain(obs, h)[0]).abs().max() > 1e-3


def test_export_overwrites_atomically(tmp_path):
    student = make_student("mlp")
    export_policy(student, str(tmp_path))
    with torch.no_grad():
        student.mlp[-1].bias.add_(1.0)
    info = export_policy(student, str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policy.onnx", "policy.pt"]  # no temporary files left
    check_files(student, info)
