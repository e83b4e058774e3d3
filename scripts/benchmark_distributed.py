"""Samples/s of 1 process vs N ``torchrun`` processes at the same total env count: PPO and distillation.

Each row runs the real script (``train.py`` / ``distillation.py``) in fresh processes: one process with all envs,
then ``torchrun --nproc_per_node N ... --distributed`` with ``total / N`` envs per rank. Samples/s are the scripts' own
figures over all ranks (rsl_rl's "Steps per second", the distillation epoch line), the median over the iterations
after the warm-up ones (Warp kernel compilation and the first allocations). The ratio is against the 1-process row of
the same job. On a GPU machine each rank gets its own GPU (``--device cuda``); on a CPU the N processes share its
cores, so the ratio says how far one process was from using all of them.

Example::

    python scripts/benchmark_distributed.py --total_envs 256 --nproc 2 --device cpu \
        --teacher_checkpoint logs/rsl_rl/quadcopter_point_ctrl/<run>/model_149.pt
    python scripts/benchmark_distributed.py --task Isaac-Depth-Parkour-Teacher-v0 --total_envs 128 --jobs ppo
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
RATE = {
    "ppo": re.compile(r"Steps per second:\s+([0-9.]+)"),
    "distillation": re.compile(r"\[distill\] epoch \d+/\d+ .*?\| ([0-9,]+) samples/s"),
}

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--task", default="Isaac-Quadcopter-Point-Ctrl-v0", help="Gym task id.")
parser.add_argument("--total_envs", type=int, default=256, help="Envs over all processes.")
parser.add_argument("--nproc", type=int, default=2, help="Processes of the distributed rows.")
parser.add_argument("--iterations", type=int, default=12, help="PPO iterations / distillation epochs per row.")
parser.add_argument("--warmup", type=int, default=2, help="First iterations left out of the median.")
parser.add_argument("--device", default="cpu", help="cpu, or cuda (rank r on cuda:r).")
parser.add_argument("--jobs", nargs="+", choices=list(RATE), default=list(RATE), help="What to measure.")
parser.add_argument("--teacher_checkpoint", default=None, help="PPO checkpoint for the distillation rows.")


def command(job: str, nproc: int, args: argparse.Namespace) -> list[str]:
    """The script's command line for ``nproc`` processes (torchrun when more than one)."""
    envs = args.total_envs // nproc
    script = "train.py" if job == "ppo" else "distillation.py"
    cmd = [os.path.join(SCRIPTS, script), "--task", args.task, "--num_envs", str(envs), "--device", args.device]
    if job == "ppo":
        cmd += ["--max_iterations", str(args.iterations), "agent.save_interval=100000"]
    else:
        cmd += ["--n_epochs", str(args.iterations), "--teacher_checkpoint", os.path.abspath(args.teacher_checkpoint)]
        cmd += ["agent.eval_interval=100000", "agent.save_interval=0"]  # the one final evaluation only
    if nproc == 1:
        return [sys.executable, *cmd]
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={nproc}",
        *cmd,
        "--distributed",
    ]


def measure(job: str, nproc: int, args: argparse.Namespace) -> dict | None:
    """Run one row in a scratch directory; its median samples/s after warm-up."""
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_dist_") as cwd:
        proc = subprocess.run(command(job, nproc, args), cwd=cwd, env=env, capture_output=True, text=True)
    rates = [float(x.replace(",", "")) for x in RATE[job].findall(proc.stdout)]
    if proc.returncode != 0 or len(rates) <= args.warmup:
        print(
            f"[{job} x{nproc}] failed (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-2000:]}", file=sys.stderr
        )
        return None
    wall = time.perf_counter() - start
    print(f"measured {job} x{nproc} in {wall:.0f} s", file=sys.stderr)
    return {"samples_s": statistics.median(rates[args.warmup :]), "wall_s": wall}


def main() -> None:
    args = parser.parse_args()
    if "distillation" in args.jobs and not args.teacher_checkpoint:
        parser.error("the distillation rows need --teacher_checkpoint (or pass --jobs ppo)")
    if args.total_envs % args.nproc:
        parser.error(f"--total_envs {args.total_envs} is not divisible by --nproc {args.nproc}")
    print(f"\n{args.task}, {args.total_envs} envs in total, device {args.device}, {os.cpu_count()} CPU cores\n")
    print("| job | processes | envs / process | samples/s | vs 1 process | wall [s] |")
    print("|---|---|---|---|---|---|")
    for job in args.jobs:
        base = None
        for nproc in (1, args.nproc):
            row = measure(job, nproc, args)
            if row is None:
                print(f"| {job} | {nproc} | {args.total_envs // nproc} | failed | - | - |")
                continue
            base = row["samples_s"] if nproc == 1 else base
            ratio = f"{row['samples_s'] / base:.2f}" if base else "-"
            print(
                f"| {job} | {nproc} | {args.total_envs // nproc} | {row['samples_s']:,.0f} | {ratio} |"
                f" {row['wall_s']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
