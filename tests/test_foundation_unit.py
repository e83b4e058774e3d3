"""Foundation policy without the simulator: the vehicle sampler, the task's vehicle selection, manifests, the table."""

from __future__ import annotations

import argparse
import json
import math

import pytest
import torch

from isaaclab_distill.distillation.manifest import apply_variants, load_teacher_manifest, write_teacher_manifest
from isaaclab_distill.distillation.rollout import RolloutResult
from isaaclab_distill.distillation.script_args import check_teacher_variants, resolve_teachers
from isaaclab_distill.foundation import block_means, markdown_table, summarize, variant_parameters, vehicle_table
from isaaclab_distill.rl.vehicle_teachers import plan_jobs, vehicle_variants
from isaaclab_distill.tasks.quadcopter.foundation_env_cfg import (
    ANGULAR_AUTHORITY_RANGE,
    FOUNDATION_RANGES,
    angular_authority,
    sample_vehicles,
)
from isaaclab_distill.tasks.quadcopter.quadcopter_env_cfg import VEHICLE_PARAMETERS
from isaaclab_distill.utils import UserError, load_task_configs

TASK = "Isaac-Quadcopter-Point-Ctrl-Foundation-v0"


def test_sampler_is_seeded_wide_and_inside_the_ranges():
    vehicles = sample_vehicles(FOUNDATION_RANGES, 64, seed=0)
    assert vehicles == sample_vehicles(FOUNDATION_RANGES, 64, seed=0)
    assert sample_vehicles(FOUNDATION_RANGES, 8, seed=0) == vehicles[:8]  # K does not move the first vehicles
    assert sample_vehicles(FOUNDATION_RANGES, 8, seed=1) != vehicles[:8]
    for name in VEHICLE_PARAMETERS:
        low, high = getattr(FOUNDATION_RANGES, f"{name}_range")
        assert high / low >= 1.4, name  # a wide family: every parameter varies by at least 40 %
        values = [getattr(v, f"{name}_range") for v in vehicles]
        assert all(a == b and low <= a <= high for a, b in values), name  # a fixed vehicle inside the family
        spread = (max(a for a, _ in values) - min(a for a, _ in values)) / (high - low)
        assert spread > 0.7, name  # 64 draws cover the range
    for vehicle in vehicles:  # only flyable ones: roll and yaw authority within the band
        low, high = ANGULAR_AUTHORITY_RANGE
        assert all(low <= a <= high for a in angular_authority(variant_parameters(vehicle.to_dict())))


def test_vehicle_id_selects_one_vehicle_of_the_family():
    env_cfg, _ = load_task_configs(TASK, None, ["env.num_vehicles=5", "env.vehicle_seed=3", "env.vehicle_id=2"])
    every = sample_vehicles(env_cfg.dynamics, 5, 3)
    assert env_cfg.vehicle_variants() == [every[2]]
    env_cfg.vehicle_id = -1
    assert env_cfg.vehicle_variants() == every
    env_cfg.vehicle_id = 5
    with pytest.raises(UserError, match="vehicle_id"):
        env_cfg.vehicle_variants()


def test_teachers_need_one_checkpoint_per_vehicle():
    env_cfg, _ = load_task_configs(TASK, None, ["env.num_vehicles=4"])
    check_teacher_variants(env_cfg, 4)
    with pytest.raises(UserError, match="4 vehicle variants but 3 teacher"):
        check_teacher_variants(env_cfg, 3)


def test_manifest_round_trip_sets_the_env_vehicles(tmp_path):
    env_cfg, _ = load_task_configs(TASK, None, ["env.vehicle_id=1"])
    variants = vehicle_variants(env_cfg, TASK, num_vehicles=3, vehicle_seed=7)
    jobs = plan_jobs(TASK, str(tmp_path / "out"), variants, 7, 10, ["--num_envs", "8"], ["agent.seed=2"])
    assert [job.final_checkpoint.rsplit("/", 2)[-2:] for job in jobs] == [
        [f"vehicle_{k}", "model_9.pt"] for k in range(3)
    ]
    assert jobs[2].command[-3:] == ["env.num_vehicles=3", "env.vehicle_seed=7", "env.vehicle_id=2"]
    teachers = []
    for job in jobs:
        (tmp_path / "out" / f"vehicle_{job.vehicle_id}").mkdir(parents=True)
        open(job.final_checkpoint, "wb").close()
        teachers.append({"vehicle_id": job.vehicle_id, "checkpoint": job.final_checkpoint, "variant": job.variant})
    path = write_teacher_manifest(str(tmp_path / "out" / "teachers.json"), TASK, ["agent.seed=2"], teachers)
    assert json.loads(open(path).read())["teachers"][0]["checkpoint"] == "vehicle_0/model_9.pt"  # relative: movable
    manifest = load_teacher_manifest(path)
    assert [t["checkpoint"] for t in manifest["teachers"]] == [job.final_checkpoint for job in jobs]
    target, _ = load_task_configs(TASK, None, ["env.vehicle_id=2"])
    apply_variants(target, [t["variant"] for t in manifest["teachers"]])
    assert target.vehicle_id == -1 and target.vehicle_variants() == sample_vehicles(target.dynamics, 3, 7)
    with pytest.raises(UserError, match="not fields"):
        apply_variants(target, [{"wing_span_range": [1, 1]}])


@pytest.mark.parametrize(
    "content,needle", [(None, "does not exist"), ("{", "not readable JSON"), ('{"version": 1}', "teacher manifest")]
)
def test_bad_manifests_give_one_line(tmp_path, content, needle):
    path = tmp_path / "teachers.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(UserError, match=needle):
        load_teacher_manifest(str(path))


def test_resolve_teachers_checks_flags_and_task(tmp_path):
    env_cfg, _ = load_task_configs(TASK, None, [])
    path = tmp_path / "teachers.json"
    path.write_text(json.dumps({"version": 1, "task": "Other-v0", "teachers": [{"checkpoint": "x", "variant": {}}]}))
    (tmp_path / "x").write_bytes(b"")
    both = argparse.Namespace(teacher_checkpoint=["a.pt"], teacher_manifest=str(path))
    with pytest.raises(UserError, match="not both"):
        resolve_teachers(both, env_cfg, TASK)
    with pytest.raises(UserError, match="pass --task Other-v0"):
        resolve_teachers(argparse.Namespace(teacher_checkpoint=None, teacher_manifest=str(path)), env_cfg, TASK)
    with pytest.raises(UserError, match="or --teacher_manifest"):
        resolve_teachers(argparse.Namespace(teacher_checkpoint=None, teacher_manifest=None), env_cfg, TASK)


def test_a_task_without_a_vehicle_family_is_refused():
    env_cfg, _ = load_task_configs("Isaac-Quadcopter-Point-Ctrl-v0", None, [])
    with pytest.raises(UserError, match="no vehicle family"):
        vehicle_variants(env_cfg, "Isaac-Quadcopter-Point-Ctrl-v0", 2, 0)


def test_block_means_and_the_table():
    # 6 envs, 3 vehicles of 2 envs; env 5 has no episode
    result = RolloutResult(
        returns=torch.tensor([1.0, 3.0, 10.0, 20.0, 5.0]),
        lengths=torch.ones(5),
        env_ids=torch.tensor([0, 1, 2, 3, 4]),
        steps=3,
    )
    means = block_means(result, num_envs=6, num_blocks=3)
    assert means == [2.0, 15.0, 5.0]
    assert math.isnan(block_means(RolloutResult(torch.zeros(0), torch.zeros(0), torch.zeros(0).long(), 1), 4, 2)[0])
    variant = {f"{p}_range": (0.5, 0.5) for p in VEHICLE_PARAMETERS}
    vehicles = [
        {"set": s, "vehicle_id": k, "parameters": variant_parameters(variant)}
        for s, k in (("train", 0), ("train", 1), ("held_out", 0))
    ]
    rows = vehicle_table(vehicles, [2.0, 20.0, 10.0], {"gru": [2.0, 15.0, 9.0], "mlp": [1.0, 20.0, 5.0]})
    assert rows[1]["ratios"] == {"gru": 0.75, "mlp": 1.0}
    summary = summarize(rows)
    assert summary["gru"] == {"train_min": 0.75, "train_mean": 0.875, "held_out_min": 0.9, "held_out_mean": 0.9}
    table = markdown_table(rows, summary)
    header = table.splitlines()[0]
    for column in ("set", "vehicle", *VEHICLE_PARAMETERS, "teacher", "gru / teacher", "mlp / teacher"):
        assert f" {column} |" in header
    assert "| gru | 0.750 | 0.875 | 0.900 | 0.900 |" in table
