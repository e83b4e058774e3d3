"""The foundation-policy pipeline end to end on the real simulator (K=2 training vehicles, H=1 held out, tiny budgets):
teachers per vehicle -> manifests -> GRU and MLP students -> the per-vehicle evaluation table and plot."""

from __future__ import annotations

import json

import pytest
import yaml
from helpers import run_script

from isaaclab_distill.tasks.quadcopter.quadcopter_env_cfg import VEHICLE_PARAMETERS

pytestmark = pytest.mark.sim


def test_whole_pipeline_writes_the_manifests_students_and_table(tmp_path):
    out = tmp_path / "foundation"
    proc = run_script(
        "benchmark_foundation.py",
        *("--out", str(out), "--num_vehicles", "2", "--held_out", "1", "--teacher_envs", "32"),
        *("--teacher_iterations", "3", "--student_envs", "64", "--student_epochs", "2", "--eval_envs_per_vehicle", "4"),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    # 1. one teacher per vehicle, each trained on its own vehicle; the manifests map vehicles to checkpoints
    train = json.loads((out / "teachers_train" / "teachers.json").read_text())
    held_out = json.loads((out / "teachers_held_out" / "teachers.json").read_text())
    assert train["task"] == held_out["task"] == "Isaac-Quadcopter-Point-Ctrl-Foundation-v0"
    assert [t["vehicle_id"] for t in train["teachers"]] == [0, 1] and len(held_out["teachers"]) == 1
    variants = [t["variant"] for t in train["teachers"] + held_out["teachers"]]
    assert len({json.dumps(v, sort_keys=True) for v in variants}) == 3  # three different vehicles
    for k, teacher in enumerate(train["teachers"]):
        assert (out / "teachers_train" / teacher["checkpoint"]).is_file()
        env_yaml = yaml.safe_load((out / "teachers_train" / f"vehicle_{k}" / "params" / "env.yaml").read_text())
        assert env_yaml["vehicle_id"] == k and env_yaml["num_vehicles"] == 2

    # 2. both students flew the manifest's vehicles, one env block each
    for student in ("gru", "mlp"):
        run_dir = out / f"student_{student}"
        assert (run_dir / "final_student.pt").is_file()
        env_yaml = yaml.safe_load((run_dir / "params" / "env.yaml").read_text())
        assert [{k: list(v) for k, v in d.items()} for d in env_yaml["dynamics_variants"]] == variants[:2]
        agent_yaml = yaml.safe_load((run_dir / "params" / "agent.yaml").read_text())
        assert agent_yaml["student"]["class_name"] == student
        assert agent_yaml["multi_teacher"]["position_offset_correction"] is True

    # 3. the table: every vehicle, its parameters, its teacher's return, both students' returns and ratios
    report = json.loads((out / "foundation_eval.json").read_text())
    rows = report["vehicles"]
    assert [(r["set"], r["vehicle_id"]) for r in rows] == [("train", 0), ("train", 1), ("held_out", 0)]
    for row in rows:
        assert set(row["parameters"]) == set(VEHICLE_PARAMETERS)
        assert isinstance(row["teacher_return"], float)
        assert set(row["returns"]) == set(row["ratios"]) == {"gru", "mlp"}
        assert row["ratios"]["gru"] == pytest.approx(row["returns"]["gru"] / row["teacher_return"])
    assert set(report["summary"]["gru"]) == {"train_min", "train_mean", "held_out_min", "held_out_mean"}
    header = (out / "foundation_eval.md").read_text().splitlines()[0]
    assert "| teacher | gru return | mlp return | gru / teacher | mlp / teacher |" in header
    assert (out / "foundation_eval.png").read_bytes()[:4] == b"\x89PNG"
    bench = json.loads((out / "benchmark.json").read_text())
    assert {"teachers (train, 2)", "teachers (held_out, 1)", "students (gru, mlp)", "evaluation"} <= set(
        bench["wall_s"]
    )

    # 4. a second call keeps what is finished
    again = run_script(
        "benchmark_foundation.py",
        *("--out", str(out), "--num_vehicles", "2", "--held_out", "1", "--teacher_envs", "32"),
        *("--teacher_iterations", "3", "--student_envs", "64", "--student_epochs", "2", "--eval_envs_per_vehicle", "4"),
        cwd=tmp_path,
    )
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "done before" in (out / "teachers_train.log").read_text()
    assert "gru student: done before" in again.stdout and "mlp student: done before" in again.stdout
