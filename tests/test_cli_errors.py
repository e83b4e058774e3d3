"""Bad input to the scripts: one ``error:`` line, exit code 2, no traceback, before the simulator starts."""

from __future__ import annotations

import pytest
from helpers import QUAD_TASK, assert_one_line_error, run_script

CASES = [
    (["--task", "Isaac-Quadcoptr-Point-Ctrl-v0"], ["unknown task", f"did you mean {QUAD_TASK}"]),
    (["--task", QUAD_TASK, "--num_envs", "0"], ["--num_envs must be a positive integer"]),
    (["--task", QUAD_TASK, "--device", "cuda:0"], ["CUDA is not available", "--device cpu"]),
    (["--task", QUAD_TASK, "scene.num_envs=abc"], ["scene.num_envs=abc", "expected an integer"]),
    (["--task", QUAD_TASK, "env.scene.num_env=4"], ["did you mean 'env.scene.num_envs'"]),
    (["--task", QUAD_TASK, "--max_iterations", "-3"], ["--max_iterations must be positive"]),
    (["--task", QUAD_TASK, "env.sim.dt=-1"], ["env.sim.dt=-1.0 cannot run", "positive number"]),
    (["--task", QUAD_TASK, "env.decimation=0"], ["env.decimation=0 cannot run", "integer >= 1"]),
    (["--task", QUAD_TASK, "--resume", "--checkpoint", "missing/model_9.pt"], ["does not exist"]),
    (["--task", QUAD_TASK, "--distributed", "--device", "cpu"], ["expects to be started by torchrun", "--num_gpus"]),
    (["--task", QUAD_TASK, "+experiment=parkour_depth_student"], ["is for task 'Isaac-Depth-Parkour-v0'", "--task"]),
    (["--task", QUAD_TASK, "~agent.seed"], ["fixed fields", "agent.seed=null"]),
    (["--task", QUAD_TASK, "agent.max_iterations=1,2"], ["is a sweep"]),
    (
        ["--task", QUAD_TASK, "--logger", "neptune"],
        ["--logger neptune needs the 'neptune' package", "pip install neptune"],
    ),
    (["--task", QUAD_TASK, "--run_timestamp", "a/b"], ["--run_timestamp 'a/b' is not a folder name"]),
    (["--task", QUAD_TASK, "--checkpoint", "latest"], ["--checkpoint latest: no run of", "with a run.json"]),
    (
        ["--task", "Isaac-Depth-Parkour-Teacher-v0", "agent.interleaved.depth_training_interval=2"],
        ["reads the observation groups depth", "Isaac-Depth-Parkour-v0"],
    ),
    (
        ["--task", "Isaac-Depth-Parkour-v0", "--max_iterations", "4", "agent.interleaved.depth_training_interval=5"],
        ["depth_training_interval=5 is more than the run's 4 iterations"],
    ),
]


@pytest.mark.parametrize("args,needles", CASES, ids=[c[1][0][:30] for c in CASES])
def test_train_rejects_bad_input(tmp_path, args, needles):
    proc = run_script("train.py", *args, cwd=tmp_path, timeout=120)
    assert_one_line_error(proc, *needles)
    assert not (tmp_path / "logs").exists(), "a rejected run must not leave a run directory behind"


FOUNDATION = "Isaac-Quadcopter-Point-Ctrl-Foundation-v0"
FOUNDATION_CASES = [
    ("train.py", ["--task", FOUNDATION, "env.num_vehicles=3", "env.vehicle_id=3"], ["env.vehicle_id must be -1 or in"]),
    ("train_teachers.py", ["--task", QUAD_TASK, "--num_vehicles", "2", "--out", "t"], ["has no vehicle family"]),
    ("train_teachers.py", ["--task", FOUNDATION, "--num_vehicles", "0", "--out", "t"], ["at least 1"]),
    ("distillation.py", ["--task", FOUNDATION, "--teacher_manifest", "no.json"], ["'no.json' does not exist"]),
    ("distillation.py", ["--task", FOUNDATION], ["or --teacher_manifest"]),
    ("foundation_eval.py", ["--manifest", "no.json", "--student", "s.pt", "--out", "e"], ["does not exist"]),
    ("foundation_eval.py", ["--manifest", "no.json", "--student", "s.pt", "--out", "e", "--video"], ["no videos"]),
]


@pytest.mark.parametrize("script,args,needles", FOUNDATION_CASES, ids=[c[0] + c[2][0][:20] for c in FOUNDATION_CASES])
def test_foundation_scripts_reject_bad_input(tmp_path, script, args, needles):
    proc = run_script(script, *args, cwd=tmp_path, timeout=120)
    assert_one_line_error(proc, *needles)
    assert not (tmp_path / "logs").exists() and not (tmp_path / "t").exists()


def test_play_refuses_distributed(tmp_path):
    proc = run_script(
        "play.py", "--task", QUAD_TASK, "--checkpoint", "x.pt", "--distributed", cwd=tmp_path, timeout=120
    )
    assert_one_line_error(proc, "play.py runs in one process", "without torchrun")


def test_list_envs_names_every_task_of_the_unknown_task_hint(tmp_path):
    proc = run_script("list_envs.py", cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [line.split()[0] for line in proc.stdout.splitlines() if line.startswith("Isaac-")]
    assert QUAD_TASK in rows and "Isaac-Depth-Parkour-v0" in rows
    line = next(line for line in proc.stdout.splitlines() if line.startswith(QUAD_TASK + " "))
    assert "distillation_cfg_entry_point" in line and "rsl_rl_cfg_entry_point" in line
    stock = run_script("list_envs.py", "--all", "Cartpole-Direct", cwd=tmp_path, timeout=120)
    assert "Isaac-Cartpole-Direct " in stock.stdout and QUAD_TASK not in stock.stdout
