"""``scripts/play.py`` and the evaluation helpers: rollout summary, JSON, export, bad input.

The ``sim`` tests play the session's trained quadcopter teacher and a freshly built GRU student. Episodes are
shortened with the override ``env.episode_length_s`` so that 300 steps hold several complete episodes.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import shutil

import onnxruntime as ort
import pytest
import torch
from helpers import QUAD_TASK, assert_one_line_error, run_script
from rsl_rl.utils import resolve_class, resolve_obs_groups
from tensordict import TensorDict

from isaaclab_distill.distillation import Teacher, load_student_network, save_checkpoint
from isaaclab_distill.distillation.teacher import actor_cfg_from_agent_cfg
from isaaclab_distill.evaluation import (
    action_clip,
    checkpoint_kind,
    evaluate_policy,
    load_policy,
    resolve_policy_checkpoint,
    save_summary,
)
from isaaclab_distill.models import build_student
from isaaclab_distill.tasks.quadcopter.quadcopter_env_cfg import POLICY_OBS_DIM, TEACHER_OBS_DIM
from isaaclab_distill.utils import UserError
from isaaclab_distill.utils.runs import teacher_agent_cfg

POLICY_DIM, TEACHER_DIM, ACTIONS = POLICY_OBS_DIM, TEACHER_OBS_DIM, 4  # quadcopter 'policy' / 'teacher' groups


def make_student_checkpoint(path: pathlib.Path, class_name: str = "gru", obs_dim: int = POLICY_DIM) -> pathlib.Path:
    torch.manual_seed(0)
    cfg = {"class_name": class_name, "hidden_dims": [32, 32], "rnn_hidden_dim": 16, "obs_normalization": True}
    student = build_student(cfg, obs_dim, ACTIONS)
    save_checkpoint(
        str(path),
        student=student,
        optimizer=None,
        epoch=0,
        best_return=-math.inf,
        distillation_cfg={"student_obs_groups": ["policy"]},
    )
    return path


def onnx_actions(path: pathlib.Path, obs: torch.Tensor, h_in: torch.Tensor | None = None) -> torch.Tensor:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {"obs": obs.numpy()} | ({} if h_in is None else {"h_in": h_in.numpy()})
    return torch.from_numpy(session.run(None, feeds)[0])


# ---------------------------------------------------------------- without the simulator


class FakeEnv:
    """rsl_rl-wrapped env stand-in: env i ends its episode every ``i + 2`` steps and logs ``Metrics/d = i``."""

    num_envs, device, num_actions = 3, "cpu", ACTIONS

    def __init__(self) -> None:
        self.t = torch.zeros(self.num_envs)
        self.extras: dict = {}

    def get_observations(self) -> TensorDict:
        return TensorDict({"policy": torch.randn(self.num_envs, POLICY_DIM)}, batch_size=[self.num_envs])

    def step(self, actions: torch.Tensor):
        assert actions.shape == (self.num_envs, ACTIONS)
        self.t += 1
        dones = self.t % (torch.arange(self.num_envs) + 2) == 0
        if dones.any():  # like Isaac Lab: the log describes the episodes that end now and stays until the next reset
            self.extras = {"log": {"Metrics/d": torch.arange(self.num_envs, dtype=torch.float)[dones].mean()}}
        return self.get_observations(), torch.ones(self.num_envs), dones.long(), self.extras


def test_evaluate_policy_counts_episodes_and_averages_metrics(tmp_path):
    path = make_student_checkpoint(tmp_path / "student.pt")
    env = FakeEnv()
    policy = load_policy(str(path), env.get_observations(), ACTIONS, QUAD_TASK)
    assert policy.kind == "student" and policy.is_recurrent and policy.obs_groups == ["policy"]
    summary = evaluate_policy(env, policy, steps=12)
    # env 0: 6 episodes of 2 steps, env 1: 4 of 3, env 2: 3 of 4 -> 13 episodes, return = length
    assert summary["episodes"] == 13
    assert summary["mean_length"] == pytest.approx((6 * 2 + 4 * 3 + 3 * 4) / 13)
    assert summary["mean_return"] == pytest.approx(summary["mean_length"])
    assert summary["metrics"]["Metrics/d"] == pytest.approx((6 * 0 + 4 * 1 + 3 * 2) / 13)  # per-episode average
    assert summary["num_envs"] == 3 and summary["steps"] == 12


def test_policy_resets_hidden_state_of_finished_envs(tmp_path):
    policy = load_policy(str(make_student_checkpoint(tmp_path / "s.pt")), FakeEnv().get_observations(), ACTIONS, "x")
    policy(FakeEnv().get_observations())
    hidden = policy.actor.hidden  # the StudentPolicy inside
    assert hidden.shape == (1, 3, 16) and bool((hidden != 0).all())
    policy.reset(torch.tensor([False, True, False]))
    assert not policy.actor.hidden[:, 1].any() and bool(policy.actor.hidden[:, 0].ne(0).all())


def test_load_policy_teacher_checkpoint_from_ppo_state(tmp_path):
    """A PPO checkpoint (``actor_state_dict``) loads as a deterministic teacher policy from the task's config."""
    obs = TensorDict({"policy": torch.randn(2, POLICY_DIM), "teacher": torch.randn(2, TEACHER_DIM)}, batch_size=[2])
    agent_cfg = teacher_agent_cfg(QUAD_TASK, str(tmp_path / "none.pt"))  # no params/: the registered config
    cls, kwargs = resolve_class(actor_cfg_from_agent_cfg(agent_cfg))
    groups = resolve_obs_groups(obs, {"actor": ["teacher"], "critic": ["teacher"]}, ["actor", "critic"])
    actor = cls(obs, groups, "actor", ACTIONS, **kwargs)
    torch.save({"actor_state_dict": actor.state_dict(), "iter": 3, "infos": None}, tmp_path / "model_3.pt")
    assert checkpoint_kind(str(tmp_path / "model_3.pt")) == "teacher"
    assert resolve_policy_checkpoint(str(tmp_path)) == str(tmp_path / "model_3.pt")
    torch.save({}, tmp_path / "model_20.pt")
    os.utime(tmp_path / "model_20.pt", (1, 1))  # older file, higher iteration: the iteration decides
    assert resolve_policy_checkpoint(str(tmp_path)) == str(tmp_path / "model_20.pt")
    policy = load_policy(str(tmp_path / "model_3.pt"), obs, ACTIONS, QUAD_TASK)
    assert policy.kind == "teacher" and policy.obs_groups == ["teacher"]
    assert action_clip(str(tmp_path / "model_3.pt"), "teacher", QUAD_TASK) == 1.0  # the task PPO config clip
    torch.testing.assert_close(policy(obs), actor.eval()(obs))


def test_bad_checkpoints_and_mismatched_student_are_user_errors(tmp_path):
    (tmp_path / "notes.pt").write_text("not a checkpoint")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(UserError, match="cannot be read"):
        checkpoint_kind(str(tmp_path / "notes.pt"))
    with pytest.raises(UserError, match="neither a student nor an rsl_rl PPO"):
        checkpoint_kind(str(tmp_path / "other.pt"))
    with pytest.raises(UserError, match="does not exist"):
        resolve_policy_checkpoint(str(tmp_path / "missing.pt"))
    wrong = make_student_checkpoint(tmp_path / "wrong.pt", obs_dim=7)
    with pytest.raises(UserError, match=r"does not fit the task: 'policy' is \(13,\), the student reads \(7,\)"):
        load_policy(str(wrong), FakeEnv().get_observations(), ACTIONS, QUAD_TASK)


def test_save_summary_is_strict_json(tmp_path):
    path = save_summary({"mean_return": float("nan"), "metrics": {"a": 1.5}}, str(tmp_path / "s" / "x_play.json"))
    assert json.loads(pathlib.Path(path).read_text()) == {"mean_return": None, "metrics": {"a": 1.5}}
    assert [p.name for p in (tmp_path / "s").iterdir()] == ["x_play.json"]


# ---------------------------------------------------------------- CLI: bad input (no simulator start)


def test_play_rejects_bad_checkpoints(tmp_path):
    proc = run_script("play.py", "--task", QUAD_TASK, "--checkpoint", "missing/model_9.pt", cwd=tmp_path, timeout=180)
    assert_one_line_error(proc, "missing/model_9.pt", "does not exist")
    (tmp_path / "notes.pt").write_text("not a checkpoint")
    proc = run_script("play.py", "--task", QUAD_TASK, "--checkpoint", "notes.pt", cwd=tmp_path, timeout=180)
    assert_one_line_error(proc, "notes.pt", "cannot be read")
    assert "Starting the simulation" not in proc.stdout + proc.stderr
    proc = run_script("play.py", "--task", QUAD_TASK, cwd=tmp_path, timeout=180)  # --checkpoint latest: no run here
    assert_one_line_error(proc, "--checkpoint latest", "no distillation or PPO run")


# ---------------------------------------------------------------- end to end with the simulator


def play(checkpoint: pathlib.Path, cwd: pathlib.Path, *args: str):
    return run_script(
        "play.py", "--task", QUAD_TASK, "--checkpoint", str(checkpoint), "--device", "cpu", *args, cwd=cwd, timeout=600
    )


def check_outputs(proc, checkpoint: pathlib.Path) -> dict:
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary_path = checkpoint.with_name(f"{checkpoint.stem}_play.json")
    summary = json.loads(summary_path.read_text())
    assert summary["episodes"] > 0 and math.isfinite(summary["mean_return"]), summary
    assert math.isfinite(summary["metrics"]["Metrics/final_distance_to_goal"])
    assert (checkpoint.parent / "exported" / "policy.onnx").is_file()
    assert (checkpoint.parent / "exported" / "policy.pt").is_file()
    return summary


@pytest.mark.sim
def test_play_teacher(teacher_run, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(teacher_run / "model_149.pt", run)
    shutil.copytree(teacher_run / "params", run / "params")
    proc = play(run / "model_149.pt", tmp_path, "--num_envs", "8", "--steps", "300", "env.episode_length_s=2.0")
    summary = check_outputs(proc, run / "model_149.pt")
    assert summary["num_envs"] == 8 and summary["steps"] == 300 and summary["episodes"] >= 8
    assert summary["metrics"]["Metrics/final_distance_to_goal"] < 0.5  # the trained teacher flies to its goals
    # the exported graph computes the teacher's deterministic action (normaliser included)
    obs = TensorDict({"policy": torch.randn(5, POLICY_DIM), "teacher": torch.randn(5, TEACHER_DIM)}, batch_size=[5])
    path = str(run / "model_149.pt")
    teacher = Teacher.from_checkpoint(path, teacher_agent_cfg(QUAD_TASK, path), obs, ACTIONS)
    expected = teacher.model(obs)  # the actor; the clamp to clip_actions is the env wrapper's job at play time
    assert teacher.clip_actions == 1.0 and expected.abs().max() > 1.0
    # random inputs drive the raw actor far out (|a| up to ~50): float32 rounding there is ~1e-7 relative
    torch.testing.assert_close(
        onnx_actions(run / "exported" / "policy.onnx", obs["teacher"]), expected, atol=1e-5, rtol=1e-6
    )
    torch.testing.assert_close(
        torch.jit.load(run / "exported" / "policy.pt")(obs["teacher"]), expected, atol=1e-5, rtol=1e-6
    )


@pytest.mark.sim
def test_play_gru_student(tmp_path):
    checkpoint = make_student_checkpoint(tmp_path / "run" / "best_student.pt")
    proc = play(tmp_path / "run", tmp_path, "--num_envs", "4", "--steps", "150", "env.episode_length_s=1.0")
    summary = check_outputs(proc, checkpoint)
    assert summary["policy"].startswith("student RecurrentStudent (gru)")
    # recurrent export: obs, h_in -> actions, h_out, matching the student over steps with the state fed back
    student, _ = load_student_network(str(checkpoint))
    session = ort.InferenceSession(str(tmp_path / "run" / "exported" / "policy.onnx"))
    assert [i.name for i in session.get_inputs()] == ["obs", "h_in"]
    h = student.initial_hidden(3)
    with torch.no_grad():
        for _ in range(3):
            obs = torch.randn(3, POLICY_DIM)
            actions, h_next = student(obs, h)
            a_onnx, h_onnx = session.run(None, {"obs": obs.numpy(), "h_in": h.numpy()})
            torch.testing.assert_close(torch.from_numpy(a_onnx), actions, atol=1e-5, rtol=0)
            torch.testing.assert_close(torch.from_numpy(h_onnx), h_next, atol=1e-5, rtol=0)
            h = h_next
