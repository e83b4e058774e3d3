"""GuidedPPO's math on tiny tensors, no simulator: rsl_rl's storage and models, a synthetic batch of 8 envs.

- the steps the teacher drove never enter the PPO surrogate (with only teacher-driven steps and no behaviour term the
  student does not move, while the critic learns);
- the behaviour term alone (``rl_coef=0``) pulls the student, MLP or GRU, onto the teacher's actions.
"""

from __future__ import annotations

import math

import pytest
import torch
from rsl_rl.models import MLPModel
from rsl_rl.storage import RolloutStorage
from tensordict import TensorDict

from isaaclab_distill.distillation import Teacher, TeacherLoadError, save_checkpoint
from isaaclab_distill.models import build_student
from isaaclab_distill.rl.guided_ppo import GuidedPPO
from isaaclab_distill.rl.student_actor import StudentActor

N, T, A = 8, 6, 2  # envs, steps per rollout, actions
GROUPS = {"actor": ["policy"], "critic": ["teacher"]}


def make_obs(generator: torch.Generator) -> TensorDict:
    policy = torch.randn(N, 3, generator=generator)
    return TensorDict({"policy": policy, "teacher": torch.cat([policy, policy.abs()], -1)}, batch_size=[N])


def make_alg(tmp_path, class_name: str, guidance: dict, driven: bool) -> tuple[GuidedPPO, TensorDict]:
    torch.manual_seed(0)
    obs = make_obs(torch.Generator().manual_seed(1))
    cfg = {"class_name": class_name, "hidden_dims": [16], "rnn_hidden_dim": 8}
    save_checkpoint(
        str(tmp_path / "s.pt"), student=build_student(cfg, {"policy": [3]}, A), optimizer=None, epoch=0, best_return=0
    )
    actor = StudentActor(obs, GROUPS, "actor", A, checkpoint=str(tmp_path / "s.pt"), init_std=0.3)
    critic = MLPModel(obs, GROUPS, "critic", 1, hidden_dims=[16])
    storage = RolloutStorage("rl", N, T, obs, [A])
    alg = GuidedPPO(actor, critic, storage, guidance=guidance, num_mini_batches=2, learning_rate=3e-3)
    teacher_model = MLPModel(obs, {"actor": ["teacher"]}, "actor", A, hidden_dims=[8])
    alg.teacher = Teacher(teacher_model)
    alg.driven = torch.full((N,), driven)
    alg.storage = RolloutStorage("rl", N, T, alg.labelled(obs), [A])
    return alg, obs


def iterate(alg: GuidedPPO, obs: TensorDict, episode_end: int | None = None) -> dict[str, float]:
    """One rollout of T steps on fixed observations (dones at step ``episode_end``), then the update."""
    with torch.inference_mode():
        for t in range(T):
            alg.act(obs)
            dones = torch.full((N,), t == episode_end, dtype=torch.long)
            alg.process_env_step(obs, torch.randn(N), dones, {})
        alg.compute_returns(obs)
    return alg.update()


def test_teacher_driven_steps_never_enter_the_surrogate(tmp_path):
    alg, obs = make_alg(tmp_path, "mlp", {"coef": 0.0, "beta": 1.0}, driven=True)
    actor0 = {k: v.clone() for k, v in alg.actor.state_dict().items()}
    critic0 = {k: v.clone() for k, v in alg.critic.state_dict().items()}
    for _ in range(3):
        losses = iterate(alg, obs)
    assert losses["surrogate"] == 0.0 and losses["teacher_share"] == 1.0
    assert all(torch.equal(actor0[k], v) for k, v in alg.actor.state_dict().items() if "normalizer" not in k)
    assert any(not torch.equal(critic0[k], v) for k, v in alg.critic.state_dict().items())


@pytest.mark.parametrize("class_name", ["mlp", "gru"])
def test_the_behaviour_term_alone_pulls_the_student_onto_the_teacher(tmp_path, class_name):
    alg, obs = make_alg(tmp_path, class_name, {"coef": 1.0, "rl_coef": 0.0}, driven=False)
    losses = [iterate(alg, obs, episode_end=2)["behaviour"] for _ in range(30)]
    assert all(math.isfinite(x) for x in losses)
    assert sum(losses[-5:]) / 5 < 0.25 * sum(losses[:5]) / 5, losses
    with torch.no_grad():
        alg.actor.reset()
        student = alg.actor(obs)
        assert torch.allclose(student, alg.teacher.act(obs), atol=0.2)


def test_the_critic_starts_from_the_teachers(tmp_path):
    """``critic_from_teacher``: the teacher checkpoint's critic is loaded; one of another layout is one clear error."""
    alg, obs = make_alg(tmp_path, "gru", {}, driven=False)
    teacher_critic = MLPModel(obs, GROUPS, "critic", 1, hidden_dims=[16])
    torch.save({"actor_state_dict": {}, "critic_state_dict": teacher_critic.state_dict()}, tmp_path / "model_9.pt")
    alg.load_teacher_critic(str(tmp_path / "model_9.pt"))
    assert all(torch.equal(v, teacher_critic.state_dict()[k]) for k, v in alg.critic.state_dict().items())
    other = MLPModel(obs, GROUPS, "critic", 1, hidden_dims=[32])
    torch.save({"actor_state_dict": {}, "critic_state_dict": other.state_dict()}, tmp_path / "model_8.pt")
    with pytest.raises(TeacherLoadError, match="critic_from_teacher=false"):
        alg.load_teacher_critic(str(tmp_path / "model_8.pt"))
