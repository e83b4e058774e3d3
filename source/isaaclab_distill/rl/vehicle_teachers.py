"""One PPO teacher per vehicle of a task's vehicle family: ``scripts/train.py`` jobs, run side by side, and a manifest.

Each job is a fresh ``train.py`` process (Isaac Lab's simulation context is one per process) on
``env.vehicle_id=k`` with its own run directory ``<out>/vehicle_<k>/``; ``parallel`` of them run at once (one per
CPU core or GPU). A vehicle whose final checkpoint exists is skipped, so an interrupted call continues where it
stopped (an unfinished run directory is started again). When every job has finished, the teacher manifest
(:mod:`isaaclab_distill.distillation.manifest`) maps each vehicle's parameters to its checkpoint.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..distillation.manifest import write_teacher_manifest
from ..utils.errors import UserError
from .curves import final_results

MANIFEST_FILE = "teachers.json"


@dataclass
class TeacherJob:
    """The ``train.py`` run of vehicle ``vehicle_id``."""

    vehicle_id: int
    run_dir: str
    command: list[str]
    final_checkpoint: str
    variant: dict[str, Any]

    @property
    def log_file(self) -> str:
        return f"{self.run_dir}.log"

    def done(self) -> bool:
        return os.path.isfile(self.final_checkpoint)


def vehicle_variants(env_cfg: Any, task: str, num_vehicles: int, vehicle_seed: int) -> list[dict[str, Any]]:
    """The ``num_vehicles`` vehicles of the task's family drawn with ``vehicle_seed``, as variant dicts.

    Raises:
        UserError: The task has no vehicle family (``env.num_vehicles``, ``vehicle_variants()``).
    """
    if not all(hasattr(env_cfg, name) for name in ("num_vehicles", "vehicle_seed", "vehicle_id", "vehicle_variants")):
        raise UserError(
            f"{task} has no vehicle family: use Isaac-Quadcopter-Point-Ctrl-Foundation-v0 (or a task with one)"
        )
    if num_vehicles < 1:
        raise UserError(f"--num_vehicles must be at least 1, got {num_vehicles}")
    env_cfg.num_vehicles, env_cfg.vehicle_seed, env_cfg.vehicle_id = num_vehicles, vehicle_seed, -1
    return [variant.to_dict() for variant in env_cfg.vehicle_variants()]


def plan_jobs(
    task: str,
    out_dir: str,
    variants: list[dict[str, Any]],
    vehicle_seed: int,
    max_iterations: int,
    flags: list[str],
    overrides: list[str],
) -> list[TeacherJob]:
    """One job per vehicle: ``train.py --task <task> --run_dir <out>/vehicle_<k> <flags> env.vehicle_id=k ...``."""
    script = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), "train.py")
    jobs = []
    for k, variant in enumerate(variants):
        run_dir = os.path.join(os.path.abspath(out_dir), f"vehicle_{k}")
        family = [f"env.num_vehicles={len(variants)}", f"env.vehicle_seed={vehicle_seed}", f"env.vehicle_id={k}"]
        command = [sys.executable, script, "--task", task, "--run_dir", run_dir, *flags, *overrides, *family]
        final = os.path.join(run_dir, f"model_{max_iterations - 1}.pt")
        jobs.append(TeacherJob(k, run_dir, command, final, variant))
    return jobs


def run_jobs(jobs: list[TeacherJob], parallel: int, log: Callable[[str], None] = print) -> dict[int, float]:
    """Run the unfinished jobs, ``parallel`` at a time; returns each run job's wall time [s].

    Raises:
        UserError: A job failed (after the running ones have finished); the message names its log file.
    """
    pending = [job for job in jobs if not job.done()]
    for job in jobs:
        if job.done():
            log(f"[teachers] vehicle {job.vehicle_id}: done before ({job.final_checkpoint})")
    running: dict[subprocess.Popen, tuple[TeacherJob, float, Any]] = {}
    walls: dict[int, float] = {}
    failed: list[TeacherJob] = []
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    while pending or running:
        while pending and len(running) < max(1, parallel) and not failed:
            job = pending.pop(0)
            if os.path.isdir(job.run_dir):  # an interrupted run: start it again
                shutil.rmtree(job.run_dir)
            os.makedirs(os.path.dirname(job.run_dir), exist_ok=True)
            handle = open(job.log_file, "w")  # noqa: SIM115 (closed when the job ends)
            proc = subprocess.Popen(job.command, stdout=handle, stderr=subprocess.STDOUT, env=env)
            running[proc] = (job, time.monotonic(), handle)
            log(f"[teachers] vehicle {job.vehicle_id}: training ({job.log_file})")
        time.sleep(1.0)
        for proc in [p for p in running if p.poll() is not None]:
            job, start, handle = running.pop(proc)
            handle.close()
            walls[job.vehicle_id] = time.monotonic() - start
            if proc.returncode != 0 or not job.done():
                failed.append(job)
                log(f"[teachers] vehicle {job.vehicle_id}: FAILED (exit {proc.returncode}), see {job.log_file}")
                continue
            result = final_results(job.run_dir)
            log(
                f"[teachers] vehicle {job.vehicle_id}: done in {walls[job.vehicle_id]:.0f} s, last episode return"
                f" {result['episode return']:.2f}"
            )
        if failed:
            pending.clear()
    if failed:
        raise UserError(
            f"teacher training failed for vehicle(s) {[j.vehicle_id for j in failed]}: see {failed[0].log_file}"
        )
    return walls


def write_manifest(out_dir: str, task: str, overrides: list[str], jobs: list[TeacherJob]) -> str:
    """``<out>/teachers.json``: each vehicle's variant and final checkpoint, in vehicle order."""
    teachers = [
        {"vehicle_id": job.vehicle_id, "checkpoint": job.final_checkpoint, "variant": job.variant} for job in jobs
    ]
    return write_teacher_manifest(os.path.join(out_dir, MANIFEST_FILE), task, overrides, teachers)


__all__ = ["MANIFEST_FILE", "TeacherJob", "plan_jobs", "run_jobs", "vehicle_variants", "write_manifest"]
