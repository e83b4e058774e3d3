"""Foundation quadcopter policy, end to end: K teachers -> one GRU student (+ an MLP ablation) -> unseen vehicles.

One command runs the whole pipeline on CPU with this package's own scripts, as a user runs them::

    OMP_NUM_THREADS=1 python scripts/benchmark_foundation.py --out logs/benchmarks/foundation

1. ``train_teachers.py``: one PPO teacher per training vehicle (K vehicles drawn with ``--vehicle_seed``), then one
   per held-out vehicle (H vehicles drawn with ``--held_out_seed``: the same family, vehicles no student sees);
   ``--jobs`` at once;
2. ``distillation.py --teacher_manifest``: the K training teachers into one GRU student
   (``+experiment=quadcopter_foundation``: the task's ``QuadcopterFoundationDistillationCfg``, position-offset
   correction on) and, as the ablation without memory, into an MLP student with the same schedule; both at once
   with ``--jobs 2``;
3. ``foundation_eval.py``: every vehicle, training and held-out, in one env; the teachers on their own vehicles and
   both students everywhere, from the same seeded reset; the per-vehicle table (``foundation_eval.{json,md,png}``).

Everything lands in ``--out`` (``benchmark.json``: stage wall times and the summary); a second call with the same
``--out`` keeps the finished teachers and students and redoes the rest.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from isaaclab_distill.foundation import JSON_FILE, load_report
from isaaclab_distill.utils.cli import cli_main, configure_threads
from isaaclab_distill.utils.errors import UserError
from isaaclab_distill.utils.io import atomic_write_text

configure_threads()

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
TASK = "Isaac-Quadcopter-Point-Ctrl-Foundation-v0"
EXPERIMENT = "+experiment=quadcopter_foundation"

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--out", default="logs/benchmarks/foundation", help="Output folder.")
parser.add_argument("--num_vehicles", type=int, default=8, help="K training vehicles.")
parser.add_argument("--held_out", type=int, default=4, help="H held-out vehicles.")
parser.add_argument("--vehicle_seed", type=int, default=0, help="Sampler seed of the training vehicles.")
parser.add_argument("--held_out_seed", type=int, default=1, help="Sampler seed of the held-out vehicles.")
parser.add_argument("--teacher_envs", type=int, default=256, help="Envs of each PPO teacher run.")
parser.add_argument("--teacher_iterations", type=int, default=200, help="PPO iterations per teacher.")
parser.add_argument("--student_envs", type=int, default=None, help="Distillation envs (experiment default).")
parser.add_argument("--student_epochs", type=int, default=None, help="Distillation epochs (experiment default).")
parser.add_argument("--eval_envs_per_vehicle", type=int, default=64, help="Evaluation envs (episodes) per vehicle.")
parser.add_argument("--jobs", type=int, default=2, help="Processes at once (one per CPU core).")
parser.add_argument("--seed", type=int, default=0, help="Seed of the students and the evaluation.")


def run(script: str, *args: str, log: str) -> None:
    """Run ``scripts/<script>`` (output to ``log``); a failure stops the benchmark with the log's tail."""
    wait([start(script, *args, log=log)])


def start(script: str, *args: str, log: str) -> tuple[subprocess.Popen, str]:
    """Start ``scripts/<script>`` with one thread, its output in ``log``."""
    cmd = [sys.executable, os.path.join(SCRIPTS, script), *args, "--device", "cpu"]
    with open(log, "w") as handle:
        proc = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, env=dict(os.environ, OMP_NUM_THREADS="1"))
    return proc, log


def wait(procs: list[tuple[subprocess.Popen, str]]) -> None:
    """Wait for every process; raise with the first failed one's log tail."""
    for proc, log in procs:
        if proc.wait() != 0:
            with open(log) as f:
                tail = f.read()[-3000:]
            raise UserError(f"{os.path.basename(log)} failed (exit {proc.returncode}); its tail:\n{tail}")


def distil_args(args: argparse.Namespace, manifest: str, student: str, run_dir: str) -> list[str]:
    """The distillation command line of one student."""
    flags = ["--task", TASK, "--teacher_manifest", manifest, "--student", student, "--run_dir", run_dir]
    flags += ["--seed", str(args.seed), EXPERIMENT]
    if args.student_envs:
        flags += ["--num_envs", str(args.student_envs)]
    if args.student_epochs:
        flags += ["--n_epochs", str(args.student_epochs)]
    return flags


@cli_main
def main() -> None:
    """Teachers (training, held-out) -> GRU and MLP students -> the per-vehicle evaluation -> benchmark.json."""
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    walls: dict[str, float] = {}
    start_all = time.perf_counter()

    # 1. one teacher per vehicle, training and held-out
    common = ["--task", TASK, "--num_envs", str(args.teacher_envs), "--max_iterations", str(args.teacher_iterations)]
    common += ["--jobs", str(args.jobs), "--seed", str(args.seed)]
    manifests = {}
    for name, count, seed in (
        ("train", args.num_vehicles, args.vehicle_seed),
        ("held_out", args.held_out, args.held_out_seed),
    ):
        t0 = time.perf_counter()
        folder = os.path.join(out, f"teachers_{name}")
        run(
            "train_teachers.py",
            *common,
            "--num_vehicles",
            str(count),
            "--vehicle_seed",
            str(seed),
            "--out",
            folder,
            log=os.path.join(out, f"teachers_{name}.log"),
        )
        manifests[name] = os.path.join(folder, "teachers.json")
        walls[f"teachers ({name}, {count})"] = time.perf_counter() - t0
        print(f"[foundation] {count} {name} teachers in {walls[f'teachers ({name}, {count})']:.0f} s", flush=True)

    # 2. the GRU student and the MLP ablation, side by side
    t0 = time.perf_counter()
    students, procs = {}, []
    for student in ("gru", "mlp"):
        run_dir = os.path.join(out, f"student_{student}")
        students[student] = os.path.join(run_dir, "final_student.pt")
        if os.path.isfile(students[student]):
            print(f"[foundation] {student} student: done before ({students[student]})", flush=True)
            continue
        shutil.rmtree(run_dir, ignore_errors=True)  # an interrupted run: start it again
        procs.append(
            start(
                "distillation.py",
                *distil_args(args, manifests["train"], student, run_dir),
                log=os.path.join(out, f"student_{student}.log"),
            )
        )
        if len(procs) >= args.jobs:
            wait(procs), procs.clear()
    wait(procs)
    walls["students (gru, mlp)"] = time.perf_counter() - t0
    print(f"[foundation] students in {walls['students (gru, mlp)']:.0f} s", flush=True)

    # 3. every vehicle: teachers and students
    t0 = time.perf_counter()
    run(
        "foundation_eval.py",
        "--manifest",
        manifests["train"],
        "--held_out_manifest",
        manifests["held_out"],
        "--student",
        students["gru"],
        "--student",
        students["mlp"],
        "--envs_per_vehicle",
        str(args.eval_envs_per_vehicle),
        "--seed",
        str(args.seed),
        "--out",
        out,
        log=os.path.join(out, "eval.log"),
    )
    walls["evaluation"] = time.perf_counter() - t0
    walls["whole pipeline"] = time.perf_counter() - start_all

    report = load_report(out)
    result = {"wall_s": walls, "summary": report["summary"], "args": vars(args), "eval": os.path.join(out, JSON_FILE)}
    atomic_write_text(os.path.join(out, "benchmark.json"), json.dumps(result, indent=2) + "\n")
    print("\n| stage | wall |\n|---|---|")
    for stage, wall in walls.items():
        print(f"| {stage} | {wall / 60:.1f} min |")
    with open(os.path.join(out, "foundation_eval.md")) as f:
        print("\n" + f.read())


if __name__ == "__main__":
    main()
