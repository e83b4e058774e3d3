"""Any Isaac Lab task through the three scripts: a user's own tasks (found by their entry point), and a DirectMARLEnv.

The user's tasks (:mod:`helpers.user_tasks`) register only an env config and an rsl_rl PPO config (one of them
also Isaac Lab's ``RslRlDistillationRunnerCfg``): train.py -> distillation.py -> play.py run on them unchanged.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest
import yaml
from helpers import REPO, run_script
from helpers.user_tasks import ISAACLAB_DISTILLATION_TASK, PPO_ONLY_TASK, install

from isaaclab_distill.tasks.quadcopter.quadcopter_env_cfg import TEACHER_OBS_DIM

pytestmark = pytest.mark.sim

FAST = ["--num_envs", "16", "--device", "cpu", "--seed", "1", "env.episode_length_s=2.0"]
"""Short episodes so that two epochs and a play hold complete ones."""
MARL_TASK = "Isaac-Quadcopter-Pair-Point-Ctrl-v0"


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    return proc.stdout


def train_distil_play(task: str, work: pathlib.Path, env: dict[str, str], *args: str) -> tuple[pathlib.Path, str]:
    """train.py 2 iterations -> distillation.py 2 epochs with that teacher -> play.py on the student."""
    ok(run_script("train.py", "--task", task, "--max_iterations", "2", *FAST, cwd=work, env=env))
    (teacher,) = (work / "logs" / "rsl_rl").glob("*/*/model_1.pt")
    out = ok(distil(task, teacher, work, env, *args))
    (student_run,) = (work / "logs" / "distillation").glob("*/*")
    assert (student_run / "final_student.pt").is_file() and (student_run / "params" / "agent.yaml").is_file()
    args = ["--checkpoint", str(student_run / "final_student.pt"), "--steps", "150", "--no_export", *FAST]
    ok(run_script("play.py", "--task", task, *args, cwd=work, env=env))
    (summary,) = student_run.glob("*_play.json")
    assert json.loads(summary.read_text())["episodes"] > 0
    return teacher, out


def distil(task: str, teacher: pathlib.Path, work: pathlib.Path, env: dict[str, str], *extra: str):
    args = ["--teacher_checkpoint", str(teacher), "--n_epochs", "2", "agent.eval_steps=120", *FAST, *extra]
    return run_script("distillation.py", "--task", task, *args, cwd=work, env=env)


@pytest.fixture(scope="module")
def user_env(tmp_path_factory) -> dict[str, str]:
    """A subprocess environment in which the user's task package is installed (its ``*.dist-info`` on the path)."""
    return install(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module")
def ppo_only_run(user_env, tmp_path_factory) -> tuple[pathlib.Path, str]:
    return train_distil_play(PPO_ONLY_TASK, tmp_path_factory.mktemp("ppo_only"), user_env)


def test_task_with_only_a_ppo_cfg_trains_distils_and_plays(ppo_only_run):
    teacher, out = ppo_only_run
    assert "[INFO] distillation config: rsl_rl_cfg_entry_point (" in out
    assert f"[INFO] Teacher architecture: obs={TEACHER_OBS_DIM}, actions=4, hidden=[64, 64] (model_1.pt)" in out
    epochs = [line.split(" | collect ")[1] for line in out.splitlines() if " | collect " in line]
    assert len(epochs) == 2 and any(" +- " in e.split(" | ")[0] for e in epochs)  # collection return: mean +- std
    run = next((teacher.parents[3] / "distillation" / "quadcopter_point_ctrl").iterdir())  # the PPO cfg's name
    agent = yaml.safe_load((run / "params" / "agent.yaml").read_text())
    assert agent["student"]["class_name"] == "mlp" and agent["student_obs_groups"] == ["policy"]


def test_isaaclab_distillation_cfg_runs_with_its_settings(ppo_only_run, user_env, tmp_path):
    teacher, _ = ppo_only_run
    out = ok(distil(ISAACLAB_DISTILLATION_TASK, teacher, tmp_path, user_env))
    assert (
        "[INFO] distillation config: rsl_rl_distillation_cfg_entry_point (user_tasks:UserDistillationRunnerCfg)" in out
    )
    (run,) = (tmp_path / "logs" / "distillation" / "user_quadcopter").iterdir()
    agent = yaml.safe_load((run / "params" / "agent.yaml").read_text())
    assert agent["algorithm"]["sequence_length"] == 8  # gradient_length
    assert (agent["algorithm"]["learning_rate"], agent["algorithm"]["loss"]) == (5.0e-4, "huber")
    assert (agent["student"]["class_name"], agent["student"]["rnn_hidden_dim"]) == ("gru", 32)
    assert agent["student_obs_groups"] == ["policy"] and agent["num_steps_per_env"] == 32
    assert agent["eval_steps"] == 120 and agent["n_epochs"] == 2  # the override and the flag, on the translation


def test_load_student_readme_snippet_runs_on_a_real_checkpoint(ppo_only_run):
    teacher, _ = ppo_only_run
    readme = (REPO / "README.md").read_text()
    snippet = next(b for b in readme.split("```python")[1:] if "from isaaclab_distill import load_student" in b)
    snippet = snippet.split("```")[0]
    work = teacher.parents[4]  # the directory holding logs/
    check = "\nassert actions.shape == (8, 4) and bool(torch.isfinite(actions).all()), actions\nprint('OK')\n"
    proc = subprocess.run(
        [sys.executable, "-c", snippet + check],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0 and proc.stdout.strip().endswith("OK"), proc.stdout + proc.stderr


def test_direct_marl_task_trains_distils_and_plays(tmp_path):
    _, out = train_distil_play(MARL_TASK, tmp_path, {}, "--batch_size", "32")  # 16 envs: 64 segments of 16 steps
    assert "is multi-agent (quad_0, quad_1): converted to one agent" in out
    assert "[INFO] distillation config: distillation_cfg_entry_point (" in out
