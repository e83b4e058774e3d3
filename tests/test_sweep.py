"""``-m`` / ``--multirun``: Hydra's sweeper expands the jobs, Hydra's launcher runs them, one run dir each, a table."""

from __future__ import annotations

import json

import pytest
import yaml
from helpers import QUAD_TASK, assert_one_line_error, run_script

from isaaclab_distill.utils import UserError
from isaaclab_distill.utils.sweep import expand_jobs, format_table, restore, split_overrides


def test_split_routes_hydra_presets_and_deletions_and_keeps_prefixes():
    hydra, fixed, task = split_overrides(
        [
            "hydra/launcher=submitit_slurm",
            "hydra.launcher.gpus_per_node=1",
            "presets=a,b",
            "~agent.x",
            "+k.y=1,2",
            "z=3",
        ]
    )
    assert hydra == ["hydra/launcher=submitit_slurm", "hydra.launcher.gpus_per_node=1"]
    assert fixed == ["presets=a,b", "~agent.x"]  # a preset list is one value, not a sweep
    assert task == [("+", "k.y", "1,2"), ("", "z", "3")]
    with pytest.raises(UserError, match="key=value"):
        split_overrides(["agent.lr"])


def test_jobs_are_the_cartesian_product_as_hydra_forms_it():
    _, _, task = split_overrides(["agent.lr=1e-3,3e-4", "agent.seq=range(8,24,8)", "+agent.note='a b'", "n=1"])
    jobs = expand_jobs(task)
    assert len(jobs) == 2 * 2
    assert jobs[0] == ["agent.lr=0.001", "agent.seq=8", "+agent.note='a b'", "n=1"]  # prefixes and quoting kept
    assert {tuple(j[:2]) for j in jobs} == {
        (a, b) for a in ("agent.lr=0.001", "agent.lr=0.0003") for b in ("agent.seq=8", "agent.seq=16")
    }
    assert restore("++agent.lr=0.001", {"agent.lr": "+"}) == "+agent.lr=0.001"
    with pytest.raises(UserError, match="cannot read the sweep"):
        expand_jobs([("", "agent.lr", "[1,")])


def test_table_shows_the_overrides_that_differ():
    rows = [
        {"job": 0, "overrides": ["a=1", "b=2"], "status": "ok", "final / teacher": 0.9, "seconds": 12.0},
        {"job": 1, "overrides": ["a=1", "b=3"], "status": "failed (1)", "seconds": 3.0},
    ]
    lines = format_table(rows).splitlines()
    assert lines[0] == "| job | overrides | status | final / teacher | wall [s] |"
    assert lines[2] == "| 0 | b=2 | ok | 0.900 | 12.0 |"
    assert lines[3] == "| 1 | b=3 | failed (1) | - | 3.0 |"


@pytest.mark.sim
def test_distillation_multirun_writes_a_run_per_job_and_the_table(teacher_run, tmp_path):
    """A 2x1 sweep of 1-epoch distillations (Hydra's basic launcher): two run dirs under the sweep dir, a table."""
    proc = run_script(
        "distillation.py",
        "-m",
        "--task",
        QUAD_TASK,
        "--teacher_checkpoint",
        str(teacher_run / "model_149.pt"),
        "--device",
        "cpu",
        "--num_envs",
        "32",
        "--n_epochs",
        "1",
        "--batch_size",
        "16",
        "agent.algorithm.learning_rate=1e-3,3e-4",
        "agent.eval_steps=500",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    (sweep,) = (tmp_path / "logs" / "distillation" / "quadcopter_point_ctrl").iterdir()
    assert sweep.name.startswith("sweep_")
    for job, lr in ((0, "0.001"), (1, "0.0003")):
        run = sweep / str(job)
        assert (run / "final_student.pt").is_file() and (run / "params" / "agent.yaml").is_file()
        agent = yaml.safe_load((run / "params" / "agent.yaml").read_text())
        assert agent["algorithm"]["learning_rate"] == float(lr)
        hydra_overrides = yaml.safe_load((run / ".hydra" / "overrides.yaml").read_text())
        assert f"++agent.algorithm.learning_rate={lr}" in hydra_overrides  # Hydra's own record of the job
    rows = json.loads((sweep / "summary.json").read_text())
    assert [r["status"] for r in rows] == ["ok", "ok"]
    assert all(r["teacher return"] > 0 and r["student return"] == r["student return"] for r in rows)  # finite
    table = (sweep / "summary.md").read_text()
    assert "| 0 | agent.algorithm.learning_rate=0.001 | ok |" in table and "final / teacher" in table
    assert table.strip() in proc.stdout


@pytest.mark.parametrize(
    "override,needles",
    [
        ("agent.algorithm.learning_rat=1e-3,3e-4", ["learning_rat", "did you mean"]),
        ("hydra/launcher=submitit_slurm", ["submitit_slurm", "pip install hydra-submitit-launcher"]),
        ("hydra.sweep.bogus=1", ["hydra.sweep.bogus"]),
        ("agent.max_iterations=2,abc", ["agent.max_iterations", "abc"]),  # the second job's value: every job checked
        ("agent.algorithm.gamma=interval(0.9,0.99)", ["does not support", "hydra/sweeper="]),
        ("hydra.sweep.dir=elsewhere", ["drop hydra.sweep"]),
        ("--distributed", ["drop --distributed"]),
        ("--num_gpus=2", ["drop --num_gpus"]),
        ("--multi", ["cannot read argument '--multi'"]),  # no abbreviated flags
    ],
)
def test_a_bad_sweep_fails_before_any_job_in_one_line(override, needles, tmp_path):
    args = ("-m", "--task", QUAD_TASK, "--device", "cpu", "agent.algorithm.learning_rate=1e-3,3e-4", override)
    proc = run_script("train.py", *args, cwd=tmp_path, timeout=120)
    assert_one_line_error(proc, *needles)
    assert not (tmp_path / "logs").exists()
