"""The scandots-encoder teacher and the latent loss, without the simulator: model, student copy, export, loss math."""

from __future__ import annotations

import copy

import pytest
import torch
from rsl_rl.utils import resolve_class
from tensordict import TensorDict

from isaaclab_distill.distillation.errors import DistillationError
from isaaclab_distill.distillation.losses import per_step_loss, sequence_loss
from isaaclab_distill.distillation.storage import SequenceBatch
from isaaclab_distill.distillation.teacher import Teacher, actor_cfg_from_agent_cfg, latent_label_dim
from isaaclab_distill.export import export_policy
from isaaclab_distill.models import DepthStudent, DepthStudentCfg, MLPStudent
from isaaclab_distill.models.depth_student import flat_latent
from isaaclab_distill.models.scandots_teacher import ScandotsEncoderModel

P, S, Q, A = 50, 187, 5, 12
IMAGE = (1, 58, 87)
GAUSSIAN = {"class_name": "GaussianDistribution", "init_std": 0.5}


def make_obs(n: int = 6, seed: int = 0) -> TensorDict:
    g = torch.Generator().manual_seed(seed)
    teacher = torch.randn(n, P + S + Q, generator=g)
    depth = torch.rand(n, *IMAGE, generator=g)
    return TensorDict({"teacher": teacher, "policy": teacher[:, :P].clone(), "depth": depth}, batch_size=[n])


def make_teacher(normalize: bool = False) -> ScandotsEncoderModel:
    torch.manual_seed(0)
    obs = make_obs()
    model = ScandotsEncoderModel(
        obs, {"actor": ["teacher"]}, "actor", A, [64, 32], "elu", normalize, GAUSSIAN, scan_start=P, scan_dim=S
    )
    if normalize:  # statistics far from (0, 1), so a wrong fold shows
        model.update_normalization(TensorDict({"teacher": 3.0 * torch.randn(500, P + S + Q) + 1.0}, batch_size=[500]))
    return model.eval()


def make_student() -> DepthStudent:
    cfg = DepthStudentCfg(hidden_dims=[64, 32], teacher_scandots_dim=S, teacher_scandots_fill=-0.235)
    return DepthStudent({"policy": (P,), "depth": IMAGE}, A, cfg)


def test_the_task_config_builds_the_encoder_actor_through_rsl_rl():
    from isaaclab_distill.tasks.depth_parkour.config.unitree_a1.agents.rsl_rl_ppo_cfg import (
        DepthParkourScandotsEncoderPPORunnerCfg,
    )

    cfg = actor_cfg_from_agent_cfg(DepthParkourScandotsEncoderPPORunnerCfg())
    actor_class, kwargs = resolve_class(cfg)  # what PPO.construct_algorithm and Teacher.from_checkpoint do
    model = actor_class(make_obs(), {"actor": ["teacher"]}, "actor", A, **kwargs)
    assert isinstance(model, ScandotsEncoderModel) and model.mlp[0].in_features == P + 32 + Q
    latent = model.scan_latent(make_obs())
    assert latent.shape == (6, 32) and float(latent.abs().max()) < 1.0  # tanh
    assert model(make_obs()).shape == (6, A)


def test_scandots_outside_the_input_are_an_error():
    with pytest.raises(ValueError, match="outside the input"):
        ScandotsEncoderModel(make_obs(), {"actor": ["teacher"]}, "actor", A, scan_start=P, scan_dim=S + Q + 1)


@pytest.mark.parametrize("normalize", [False, True])
def test_the_student_actor_is_the_teacher_mlp_with_the_feature_in_the_latents_place(normalize):
    teacher, student, obs = make_teacher(normalize), make_student(), make_obs(seed=1)
    report = student.init_from_teacher(teacher)
    assert report["sliced"] == ["mlp.0.weight", "mlp.0.bias"]
    # the student's actor on [proprio | teacher latent] == the teacher with its privileged inputs at the fill value
    filled = obs["teacher"].clone()
    filled[:, P + S :] = teacher.obs_normalizer._mean[0, P + S :] if normalize else 0.0
    expected = teacher(TensorDict({"teacher": filled}, batch_size=[6]))
    got = student.mlp(torch.cat((obs["policy"], teacher.scan_latent(obs)), dim=-1))
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    # whatever the image, the untrained feature is the teacher's latent of flat ground
    flat = flat_latent(teacher, -0.235).clamp(-0.99, 0.99)
    torch.testing.assert_close(student.depth_feature(obs), flat.expand(6, -1), atol=1e-6, rtol=1e-6)


def test_a_plain_student_may_share_only_the_columns_before_the_scandots():
    teacher = make_teacher()
    report = MLPStudent(P, A, [64, 32]).init_from_teacher(teacher)  # the proprioception prefix: fine
    assert "mlp.0.weight" in report["sliced"]
    with pytest.raises(ValueError, match="scandots encoder"):
        MLPStudent(P + 1, A, [64, 32]).init_from_teacher(teacher)


def test_the_encoder_teacher_exports_to_onnx_and_torchscript(tmp_path):
    result = export_policy(make_teacher(normalize=True), str(tmp_path))
    assert result["inputs"] == ["obs"] and max(result["max_abs_error"].values()) < 1e-5
    scripted = torch.jit.load(result["jit"])
    obs = make_obs(seed=2)
    torch.testing.assert_close(scripted(obs["teacher"]), make_teacher(normalize=True)(obs), atol=1e-5, rtol=1e-5)


def test_l1_loss_is_the_mean_absolute_error():
    pred, target = torch.tensor([[1.0, -2.0]]), torch.tensor([[0.0, 0.0]])
    assert per_step_loss(pred, target, "l1").item() == pytest.approx(1.5)
    with pytest.raises(ValueError, match="'l1'"):
        per_step_loss(pred, target, "l3")


def test_the_latent_term_trains_the_depth_feature_onto_the_teacher_latent():
    torch.manual_seed(0)
    student, t, b = make_student(), 4, 3
    obs = TensorDict({"policy": torch.randn(t, b, P), "depth": torch.rand(t, b, *IMAGE)}, batch_size=[t, b])
    latent = 0.5 * torch.tanh(torch.randn(t, b, 32))  # the teacher's latent of each step
    labels = torch.cat((torch.zeros(t, b, A), latent), dim=-1)  # [T, B, A + L]
    batch = SequenceBatch(obs, labels, torch.zeros(t, b, dtype=torch.bool), torch.ones(t, b, dtype=torch.bool), None)
    loss, parts = sequence_loss(student, batch, "mse", latent_coef=2.0)
    assert set(parts) == {"action", "latent"}
    torch.testing.assert_close(loss, parts["action"] + 2.0 * parts["latent"])
    _, feature = student.forward_sequence_with_feature(obs)
    torch.testing.assert_close(parts["latent"], (feature - latent).square().mean())
    optimizer = torch.optim.Adam(student.parameters(), lr=1e-3)
    first = parts["latent"].item()
    for _ in range(30):
        optimizer.zero_grad()
        sequence_loss(student, batch, "mse", latent_coef=1.0)[0].backward()
        optimizer.step()
    assert sequence_loss(student, batch, "mse", latent_coef=1.0)[1]["latent"].item() < 0.5 * first


def test_a_latent_loss_needs_an_encoder_teacher_and_a_feature_of_its_size():
    encoder = Teacher(make_teacher())
    assert latent_label_dim([encoder], make_student(), 0.0) == 0
    assert latent_label_dim([encoder], make_student(), 1.0) == 32
    mlp_teacher = Teacher(copy.deepcopy(MLPStudent(P, A)))
    with pytest.raises(DistillationError, match="scandots encoder"):
        latent_label_dim([mlp_teacher], make_student(), 1.0)
    with pytest.raises(DistillationError, match="scandots encoder"):
        latent_label_dim([encoder, encoder], make_student(), 1.0)
    with pytest.raises(DistillationError, match="32-d feature"):
        latent_label_dim([encoder], MLPStudent(P, A), 1.0)
