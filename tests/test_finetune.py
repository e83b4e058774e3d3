"""``scripts/finetune.py``: PPO on a distilled student, the critic warm-up, the distillation-term schedule.

The ``sim`` tests fine-tune small students for a few PPO iterations on the real quadcopter env, guided by the
session's trained teacher, then play and export the result with ``play.py``.
"""

from __future__ import annotations

import math
import pathlib

import pytest
import torch
from helpers import QUAD_TASK, assert_one_line_error, run_script
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from isaaclab_distill.distillation import load_checkpoint, save_checkpoint
from isaaclab_distill.models import build_student
from isaaclab_distill.rl.finetune_cfg import GuidanceCfg, linear, runner_dict


def student_checkpoint(path: pathlib.Path, class_name: str) -> pathlib.Path:
    """A small untrained student of the quadcopter's ``policy`` group (13 inputs, 4 actions)."""
    torch.manual_seed(0)
    cfg = {"class_name": class_name, "hidden_dims": [32, 32], "rnn_hidden_dim": 16, "obs_normalization": True}
    student = build_student(cfg, {"policy": [13]}, 4)
    save_checkpoint(str(path), student=student, optimizer=None, epoch=0, best_return=-math.inf)
    return path


def finetune(work: pathlib.Path, student: pathlib.Path, run: str, *args: str):
    return run_script(
        "finetune.py",
        *("--task", QUAD_TASK, "--student", str(student), "--num_envs", "32", "--device", "cpu"),
        *("--run_dir", str(work / run), "--seed", "2"),
        *args,
        cwd=work,
    )


def scalars(run_dir: pathlib.Path) -> dict[str, list[float]]:
    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    return {tag: [e.value for e in sorted(acc.Scalars(tag), key=lambda e: e.step)] for tag in acc.Tags()["scalars"]}


def student_state(path: pathlib.Path) -> dict[str, torch.Tensor]:
    data = load_checkpoint(str(path))
    return data["model_state_dict"]


# ---- simulator-free ----


def test_linear_schedule_and_guidance():
    assert linear(1.0, 0.0, 4, 0) == 1.0 and linear(1.0, 0.0, 4, 2) == 0.5 and linear(1.0, 0.0, 4, 9) == 0.0
    assert linear(0.3, None, 4, 2) == 0.3 and linear(0.3, 0.0, 0, 2) == 0.3
    g = GuidanceCfg(coef=1.0, coef_end=0.0, coef_iterations=2, beta=0.5)
    assert g.at(0) == (1.0, 0.5) and g.at(1) == (0.5, 0.5) and g.at(5) == (0.0, 0.5)
    assert g.needs_teacher and not GuidanceCfg().needs_teacher


def test_runner_dict_puts_the_student_in_the_actor_and_keeps_the_critic():
    finetune = {"init_std": 0.2, "learn_std": True, "train_memory": False, "critic_warmup_iterations": 3}
    finetune["critic_from_teacher"] = True
    finetune["guidance"] = GuidanceCfg().to_dict()
    cfg = {
        "actor": {"class_name": "MLPModel", "hidden_dims": [64]},
        "critic": {"class_name": "MLPModel", "hidden_dims": [64]},
        "obs_groups": {"actor": ["teacher"], "critic": ["teacher"]},
        "algorithm": {"class_name": "PPO", "learning_rate": 1e-3},
        "clip_actions": 1.0,
        "finetune": finetune,
    }
    out = runner_dict(cfg, "s.pt", ["policy"], "t.pt")
    assert out["actor"]["class_name"].endswith("student_actor:StudentActor") and out["actor"]["checkpoint"] == "s.pt"
    assert out["actor"]["init_std"] == 0.2 and out["critic"] == cfg["critic"]
    assert out["obs_groups"] == {"actor": ["policy"], "critic": ["teacher"]}  # asymmetric: the critic is privileged
    alg = out["algorithm"]
    assert alg["class_name"].endswith("guided_ppo:GuidedPPO") and alg["critic_warmup_iterations"] == 3
    assert alg["critic_from_teacher"] and out["actor"]["train_memory"] is False
    assert alg["teacher"]["checkpoint"] == "t.pt" and alg["teacher"]["actor"] == cfg["actor"]  # the task's teacher
    assert alg["learning_rate"] == 1e-3 and "finetune" not in out
    assert runner_dict(cfg, "s.pt", ["policy"], None)["algorithm"]["teacher"] is None


@pytest.mark.parametrize(
    "name,expected",
    [
        ("finetune_dagger_to_rl", {"coef": 1.0, "coef_end": 0.0, "coef_iterations": 60, "rl_coef": 1.0}),
        ("finetune_guided_rl", {"coef": 0.1, "coef_end": None, "rl_coef": 1.0}),
        ("finetune_dagger", {"coef": 1.0, "rl_coef": 0.0, "beta": 1.0, "beta_end": 0.0}),
    ],
)
def test_finetune_recipes_are_experiments_of_one_config(name, expected):
    """DAgger -> RL, teacher-guided RL and pure DAgger: ``+experiment=`` presets of the same ``agent.finetune``."""
    from isaaclab_distill.rl.finetune_cfg import as_finetune_cfg
    from isaaclab_distill.utils import load_task_configs

    _, agent = load_task_configs(
        QUAD_TASK, "rsl_rl_cfg_entry_point", [f"+experiment={name}"], agent_cfg_adapter=lambda a, e: as_finetune_cfg(a)
    )
    guidance = agent.finetune.guidance.to_dict()
    assert {k: guidance[k] for k in expected} == expected
    assert agent.algorithm.learning_rate == 5.0e-4  # the task's PPO settings stay


@pytest.mark.parametrize(
    "args,needles",
    [
        (["--student", "missing.pt"], ["'missing.pt' does not exist"]),
        (["--student", "TEACHER"], ["not a student checkpoint"]),
        (["--student", "STUDENT", "agent.finetune.guidance.coef=1.0"], ["--teacher_checkpoint"]),
        (["--student", "STUDENT", "agent.finetune.init_std=0"], ["init_std must be > 0"]),
        (["--student", "STUDENT", "agent.finetune.critic_warmup=1"], ["critic_warmup_iterations"]),
        (["--student", "STUDENT", "agent.finetune.guidance.loss=l2"], ["mse, huber or l1"]),
        (["--student", "STUDENT", "agent.finetune.guidance.beta=1.5"], ["beta(_end) must be in [0, 1]"]),
        (["--student", "STUDENT", "--resume", "TEACHER"], ["is not a fine-tuning run of this --student"]),
        (["--student", "STUDENT", "-m"], ["drop -m"]),
    ],
    ids=["missing", "teacher-as-student", "guidance-without-teacher", "std", "typo", "loss", "beta", "resume", "sweep"],
)
def test_finetune_rejects_bad_input(tmp_path, args, needles):
    teacher = tmp_path / "model_0.pt"
    torch.save({"actor_state_dict": {}, "critic_state_dict": {}}, teacher)
    student = student_checkpoint(tmp_path / "s.pt", "mlp")
    args = [str(teacher) if a == "TEACHER" else str(student) if a == "STUDENT" else a for a in args]
    proc = run_script("finetune.py", "--task", QUAD_TASK, "--device", "cpu", *args, cwd=tmp_path, timeout=120)
    assert_one_line_error(proc, *needles)
    assert not (tmp_path / "logs").exists()


# ---- real simulator ----


@pytest.mark.sim
def test_guided_gru_finetune_logs_its_schedule_and_plays(tmp_path, teacher_run):
    """GRU student, teacher-guided: the coef and teacher share follow the schedule; the result plays and exports."""
    student = student_checkpoint(tmp_path / "gru.pt", "gru")
    schedule = ["agent.finetune.guidance.coef=1.0", "agent.finetune.guidance.coef_end=0.0"]
    schedule += ["agent.finetune.guidance.coef_iterations=2", "agent.finetune.guidance.beta=0.5"]
    proc = finetune(
        tmp_path,
        student,
        "gru",
        *("--max_iterations", "3", "--teacher_checkpoint", str(teacher_run / "model_149.pt")),
        *("agent.finetune.critic_warmup_iterations=0", *schedule),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    run = tmp_path / "gru"
    tags = scalars(run)
    assert tags["Loss/behaviour_coef"] == pytest.approx([1.0, 0.5, 0.0])
    assert all(0.2 < share < 0.8 for share in tags["Loss/teacher_share"])  # the steps the teacher drove (beta 0.5)
    assert all(math.isfinite(v) and v > 0 for v in tags["Loss/behaviour"])
    assert tags["Loss/actor_frozen"] == [0.0, 0.0, 0.0]
    for name in ("model_2.pt", "student_2.pt", "final_student.pt", "params/agent.yaml", "learning_curve.json"):
        assert (run / name).is_file(), name
    final = load_checkpoint(str(run / "final_student.pt"))
    assert final["student_cfg"]["class_name"] == "gru" and final["distillation_cfg"]["finetune"]["iteration"] == 2
    changed = [k for k, v in final["model_state_dict"].items() if not torch.equal(v, student_state(student)[k])]
    assert changed and all(k.startswith("mlp.") for k in changed)  # train_memory=false: the GRU and its normaliser stay

    play = run_script(
        "play.py",
        *("--task", "Isaac-Quadcopter-Point-Ctrl-Play-v0", "--checkpoint", str(run / "final_student.pt")),
        *("--device", "cpu", "--steps", "50"),
        cwd=tmp_path,
    )
    assert play.returncode == 0, play.stdout[-3000:] + play.stderr[-3000:]
    assert (run / "exported" / "policy.onnx").is_file() and (run / "exported" / "policy.pt").is_file()


@pytest.mark.sim
def test_warmup_freezes_the_actor_and_a_resumed_run_continues_the_schedule(tmp_path):
    """MLP student, warm-up 2: the student (weights, normaliser) is unchanged after 2 iterations, the critic is not;
    resumed from iteration 1 for 2 more, the warm-up is over and the student changes."""
    student = student_checkpoint(tmp_path / "mlp.pt", "mlp")
    proc = finetune(tmp_path, student, "warm", "--max_iterations", "2", "agent.finetune.critic_warmup_iterations=2")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    run = tmp_path / "warm"
    assert scalars(run)["Loss/actor_frozen"] == [1.0, 1.0]
    initial, final = student_state(student), student_state(run / "final_student.pt")
    assert all(torch.equal(initial[k], final[k]) for k in initial), "the warm-up changed the student"
    critic = [torch.load(run / f"model_{i}.pt", weights_only=True)["critic_state_dict"] for i in (0, 1)]
    assert any(not torch.equal(critic[0][k], critic[1][k]) for k in critic[0]), "the critic did not learn"
    std = torch.load(run / "model_1.pt", weights_only=True)["actor_state_dict"]["distribution.std_param"]
    assert torch.allclose(std, torch.full_like(std, 0.1))  # init_std, not learned during the warm-up

    resumed = finetune(
        tmp_path, student, "resumed", "--max_iterations", "2", "--resume", str(run / "model_1.pt"),
        "agent.finetune.critic_warmup_iterations=2",
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert scalars(tmp_path / "resumed")["Loss/actor_frozen"][-1] == 0.0
    after = student_state(tmp_path / "resumed" / "final_student.pt")
    assert any(not torch.equal(initial[k], after[k]) for k in initial if k.startswith("mlp."))


@pytest.mark.sim
def test_guided_finetune_on_two_ranks(tmp_path, teacher_run):
    """torchrun, 2 CPU ranks (gloo): the warm-up and the guided iterations keep both ranks' students identical."""
    from test_distributed_scripts import checksums, torchrun

    student = student_checkpoint(tmp_path / "gru.pt", "gru")
    proc = torchrun(
        "finetune.py",
        *("--task", QUAD_TASK, "--student", str(student), "--num_envs", "32", "--max_iterations", "2"),
        *("--teacher_checkpoint", str(teacher_run / "model_149.pt"), "--run_dir", str(tmp_path / "run")),
        *("agent.finetune.critic_warmup_iterations=1", "agent.finetune.guidance.coef=0.5"),
        cwd=tmp_path,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    sums = checksums(output, "student")
    assert set(sums) == {0, 1} and sums[0] == sums[1], sums
    assert (tmp_path / "run" / "final_student.pt").is_file()
