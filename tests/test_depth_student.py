"""The depth student (CNN + GRU on the ``policy`` + ``depth`` groups) and its start from the scandots teacher."""

from __future__ import annotations

import pytest
import torch
from rsl_rl.modules import MLP, EmpiricalNormalization
from tensordict import TensorDict

from isaaclab_distill.models import (
    DepthStudent,
    DepthStudentCfg,
    MLPStudent,
    PaperDepthStudentCfg,
    create_depth_actor_from_teacher,
)
from isaaclab_distill.tasks.depth_parkour import depth_parkour_env_cfg as pk

torch.set_num_threads(1)

SMALL = DepthStudentCfg(hidden_dims=[32, 32], rnn_hidden_dim=16)
SHAPES = {"policy": (10,), "depth": (1, 24, 32)}


def depth_obs(*batch: int, shapes: dict = SHAPES) -> TensorDict:
    """Random student groups ``[*batch]``: proprioception and a depth image in [0, 1)."""
    return TensorDict({group: torch.rand(*batch, *shape) for group, shape in shapes.items()}, batch_size=list(batch))


def test_depth_student_shapes_and_interface():
    torch.manual_seed(0)
    student = DepthStudent(SHAPES, 12, SMALL)
    assert isinstance(student, MLPStudent) and student.is_recurrent and student.hidden_shape == (1, 16)
    assert student.proprio_dim == student.obs_dim == 10 and student.image_shape == (1, 24, 32)
    obs = depth_obs(5)
    h0 = student.initial_hidden(5)
    assert h0.shape == (1, 5, 16) and not h0.any()
    actions, h1 = student(obs, h0)
    assert actions.shape == (5, 12) and h1.shape == (1, 5, 16)
    assert student.depth_feature(obs).shape == (5, 32) and student.depth_feature(obs).abs().max() <= 1.0
    assert student.forward_sequence(depth_obs(7, 5), h0).shape == (7, 5, 12)
    rebuilt = DepthStudent.from_cfg(student.config, student.config["obs_shapes"], student.action_dim)
    rebuilt.load_state_dict(student.state_dict())
    torch.testing.assert_close(rebuilt(obs, h0)[0], actions)
    # stacked frames are channels of the one image group
    stacked = DepthStudent({"policy": (10,), "depth": (3, 24, 32)}, 12, SMALL)
    assert stacked(depth_obs(2, shapes={"policy": (10,), "depth": (3, 24, 32)}))[0].shape == (2, 12)
    with pytest.raises(ValueError, match="image group 'depth'"):
        DepthStudent({"policy": (10 + 24 * 32,)}, 12, SMALL)  # a flattened image is not an image
    with pytest.raises(ValueError, match="vector group"):
        DepthStudent({"depth": (1, 24, 32)}, 12, SMALL)


def test_default_and_paper_students_fit_the_task_observation():
    shapes = {"policy": (pk.POLICY_OBS_DIM,), "depth": pk.DEPTH_SHAPE}
    default = DepthStudent(shapes, 12, DepthStudentCfg())
    paper = DepthStudent(shapes, 12, PaperDepthStudentCfg())
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(default) < 1_000_000 < 8_000_000 < count(paper)
    assert paper.hidden_shape == (1, 512)
    assert default(depth_obs(2, shapes=shapes))[0].shape == (2, 12)


def test_forward_sequence_resets_hidden_at_episode_starts():
    torch.manual_seed(1)
    student = DepthStudent(SHAPES, 4, SMALL)
    obs = depth_obs(6, 3)
    dones = torch.zeros(6, 3, dtype=torch.bool)
    dones[2, 0] = dones[4, 2] = True  # env 0 restarts at t=3, env 2 at t=5
    h0 = torch.randn(1, 3, 16)
    seq = student.forward_sequence(obs, h0, dones)
    h, steps = h0, []
    for t in range(6):
        if t > 0:
            h = h * (~dones[t - 1]).float().view(1, 3, 1)
        a, h = student(obs[t], h)
        steps.append(a)
    torch.testing.assert_close(seq, torch.stack(steps))
    # after the reset env 0 acts exactly like a fresh episode started at t=3
    fresh = student.forward_sequence(obs[3:, :1], student.initial_hidden(1))
    torch.testing.assert_close(seq[3:, :1], fresh)
    assert not torch.allclose(seq[3:, :1], student.forward_sequence(obs[:, :1], h0[:, :1])[3:])


@pytest.mark.parametrize("normalised", [False, True])
def test_actor_from_teacher_reproduces_the_teacher_on_the_proprio_part(normalised):
    torch.manual_seed(2)
    p, s, q = 10, 20, 3
    teacher = MLP(p + s + q, 6, [32, 16], "elu")
    norm = EmpiricalNormalization(p + s + q)
    if normalised:
        norm.train()
        norm.update(torch.randn(256, p + s + q) * 3.0 + 1.0)
        norm.eval()
    model = torch.nn.Module()
    model.mlp, model.obs_normalizer = teacher, (norm if normalised else torch.nn.Identity())
    s0, q0 = torch.full((s,), -0.24), torch.tensor([0.8, 0.5, 1.5])
    actor = create_depth_actor_from_teacher(model, p, s, feature_dim=8, scandots_fill=-0.24, privileged_fill=q0)
    assert actor[0].in_features == p + 8 and not actor[0].weight[:, p:].any()
    proprio = torch.randn(9, p)
    with torch.no_grad():
        expected = teacher(model.obs_normalizer(torch.cat((proprio, s0.expand(9, s), q0.expand(9, q)), dim=-1)))
        got = actor(torch.cat((proprio, torch.randn(9, 8) * 0.0), dim=-1))
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    # deeper layers are copies, not shared
    assert actor[2].weight.data_ptr() != teacher[2].weight.data_ptr()
    torch.testing.assert_close(actor[2].weight, teacher[2].weight)


def test_student_init_from_teacher_matches_teacher_while_feature_columns_are_zero():
    torch.manual_seed(3)
    cfg = SMALL.replace(teacher_scandots_dim=7, teacher_scandots_fill=-0.2, teacher_privileged_fill=[1.0, 0.0])
    student = DepthStudent(SHAPES, 4, cfg)
    teacher = MLP(10 + 7 + 2, 4, [32, 32], "elu")
    report = student.init_from_teacher(teacher)
    assert report["sliced"] == ["mlp.0.weight", "mlp.0.bias"] and "mlp.2.weight" in report["copied"]
    obs = depth_obs(5)
    fill = torch.tensor([-0.2] * 7 + [1.0, 0.0]).expand(5, 9)
    with torch.no_grad():  # any depth image: the feature columns start at zero
        torch.testing.assert_close(student(obs)[0], teacher(torch.cat((obs["policy"], fill), dim=-1)))


@pytest.mark.parametrize("normalize", [False, True])
def test_split_export_reproduces_the_student_with_its_hidden_state_carried(tmp_path, normalize):
    from isaaclab_distill.export_depth import deploy_loop, export_depth_student

    torch.manual_seed(0)
    student = DepthStudent(SHAPES, 3, SMALL.replace(obs_normalization=normalize))
    if normalize:  # statistics far from (0, 1), so a normaliser missing from either file shows
        student.train()
        student.update_normalization(depth_obs(64).apply(lambda x: 3.0 * x + 1.0))
    obs = depth_obs(6, 2)  # [T, B]: an episode restarts in env 1 at step 3
    starts = torch.zeros(6, 2, dtype=torch.bool)
    starts[0], starts[3, 1] = True, True
    info = export_depth_student(student, str(tmp_path), {**obs.to_dict(), "starts": starts})
    assert info["max_abs_error"] < 1e-5 and (info["proprio_dim"], info["hidden_dim"]) == (10, 16)
    encoder, actor = torch.jit.load(info["encoder"]), torch.jit.load(info["actor"])
    got = deploy_loop(encoder, actor, obs["depth"], obs["policy"], starts, hidden_dim=16)
    dones = torch.zeros(6, 2, dtype=torch.bool)
    dones[2, 1] = True
    torch.testing.assert_close(got, student.eval().forward_sequence(obs, None, dones), atol=1e-5, rtol=0)
    assert torch.load(info["reference"])["actions"].shape == (6, 2, 3)


def test_the_readme_deployment_loop_runs_on_an_exported_student(tmp_path, monkeypatch):
    import pathlib
    import re

    from isaaclab_distill.export_depth import export_depth_student

    readme = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text()
    (snippet,) = [b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.S) if "depth_encoder.pt" in b]
    student = DepthStudent({"policy": (pk.PROPRIO_DIM,), "depth": pk.DEPTH_SHAPE}, 12, DepthStudentCfg())
    export_depth_student(student, str(tmp_path / "exported"))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(snippet, namespace)  # the README's code, as a user runs it next to play.py's export
    expected, _ = student.eval()({"policy": torch.zeros(1, 50), "depth": torch.ones(1, *pk.DEPTH_SHAPE)})
    torch.testing.assert_close(namespace["actions"], expected, atol=1e-5, rtol=0)
