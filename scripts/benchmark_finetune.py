"""Distil, then fine-tune: a distilled student before and after PPO fine-tuning (with / without warm-up) vs its teacher.

1. ``finetune.py`` four times from the same student, ``--jobs`` at once (one CPU core each): the defaults (critic
   from the teacher's, 10 warm-up iterations), without the warm-up, with a fresh critic, and with a fresh critic and
   no warm-up (the ablations);
2. every policy (teacher, distilled student, the fine-tuned students) evaluated by one function, as the
   distillation benchmark does: every env's first episode from a seeded synchronous reset, deterministic actions,
   ``--eval_seeds`` seeds of ``--eval_envs`` envs;
3. a table (return, / teacher, fine-tuning wall time) and, from each run's ``learning_curve.json``, the mean step
   reward of its first iterations against its last (a collapse right after the start shows there).

Example:
    OMP_NUM_THREADS=1 python scripts/benchmark_finetune.py --teacher_checkpoint <run>/model_149.pt \
        --student <distillation run>/final_student.pt --out logs/benchmarks/finetune
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from isaaclab_distill.utils.cli import add_env_args, apply_env_args, cli_main, configure_threads, launch, parse_args

configure_threads()

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
add_env_args(parser, default_task="Isaac-Quadcopter-Point-Ctrl-v0")
parser.add_argument("--teacher_checkpoint", required=True, help="The student's PPO teacher (model_*.pt).")
parser.add_argument("--student", required=True, help="Distilled student (final_student.pt).")
parser.add_argument("--out", default="logs/benchmarks/finetune", help="Output folder.")
parser.add_argument("--train_envs", type=int, default=256, help="Envs of the fine-tuning runs.")
parser.add_argument("--iterations", type=int, default=300, help="PPO iterations of each fine-tuning run.")
parser.add_argument("--jobs", type=int, default=2, help="Fine-tuning runs at once (one per CPU core).")
parser.add_argument("--eval_envs", type=int, default=256, help="Envs (first episodes) per evaluation seed.")
parser.add_argument("--eval_seeds", type=int, default=2, help="Evaluation seeds.")
parser.add_argument("--early", type=int, default=20, help="Iterations that count as the start of a curve.")
parser.add_argument("--curve_every", type=int, default=100, help="Also evaluate student_<it>.pt every so many its.")
args_cli = parse_args(parser)

from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper  # noqa: E402

from isaaclab_distill.distillation.benchmark import evaluate  # noqa: E402
from isaaclab_distill.evaluation import load_policy  # noqa: E402
from isaaclab_distill.rl.curves import CURVE_FILE  # noqa: E402
from isaaclab_distill.utils import UserError, load_task_configs  # noqa: E402
from isaaclab_distill.utils.envs import make_env  # noqa: E402
from isaaclab_distill.utils.io import atomic_write_text  # noqa: E402

NO_WARMUP, FRESH = "agent.finetune.critic_warmup_iterations=0", "agent.finetune.critic_from_teacher=false"
RUNS = {
    "teacher critic, warm-up": [],
    "teacher critic, no warm-up": [NO_WARMUP],
    "fresh critic, warm-up": [FRESH],
    "fresh critic, no warm-up": [FRESH, NO_WARMUP],
}


def run_dir(out: str, label: str) -> str:
    """The run folder of a variant."""
    return os.path.join(out, label.replace(", ", "_").replace(" ", "_").replace("-", "_"))


def finetune_all(out: str) -> dict[str, float]:
    """The fine-tuning runs, ``--jobs`` at once (a finished run keeps its wall time); their wall times [s]."""
    walls, pending = {}, []
    done = os.path.join(out, "walls.json")
    known = json.load(open(done)) if os.path.isfile(done) else {}
    for label, overrides in RUNS.items():
        folder = run_dir(out, label)
        if os.path.isfile(os.path.join(folder, "final_student.pt")) and label in known:
            walls[label] = known[label]
            continue
        cmd = [sys.executable, os.path.join(SCRIPTS, "finetune.py"), "--task", args_cli.task, "--device", "cpu"]
        cmd += ["--student", args_cli.student, "--teacher_checkpoint", args_cli.teacher_checkpoint]
        cmd += [
            "--num_envs",
            str(args_cli.train_envs),
            "--run_dir",
            folder,
            "--max_iterations",
            str(args_cli.iterations),
        ]
        pending.append((label, [*cmd, "--seed", "0", *overrides], f"{folder}.log"))
    while pending:
        batch, pending = pending[: args_cli.jobs], pending[args_cli.jobs :]
        procs = []
        for label, cmd, log in batch:
            shutil.rmtree(run_dir(out, label), ignore_errors=True)  # an interrupted run starts again
            with open(log, "w") as handle:
                procs.append((label, subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT), log))
        start = time.perf_counter()
        while any(label not in walls for label, _, _ in procs):  # each run's own end
            for label, proc, log in procs:
                if label not in walls and proc.poll() is not None:
                    if proc.returncode != 0:
                        raise UserError(f"fine-tuning '{label}' failed; see {log}")
                    walls[label] = time.perf_counter() - start
            time.sleep(1.0)
        atomic_write_text(done, json.dumps(walls, indent=2) + "\n")
    return walls


def curve_start_end(run_dir: str, early: int) -> tuple[float, float, float]:
    """Mean step reward: iterations ``[0, early)``, its minimum there, the last ``early`` iterations."""
    rows = json.load(open(os.path.join(run_dir, CURVE_FILE)))
    rewards = [row["mean_step_reward"] for row in rows]
    head, tail = rewards[:early], rewards[-early:]
    return sum(head) / len(head), min(head), sum(tail) / len(tail)


@cli_main
def main() -> None:
    """Fine-tune twice -> evaluate every policy from the same seeded resets -> table and benchmark.json."""
    counts = {"--jobs": args_cli.jobs, "--eval_seeds": args_cli.eval_seeds, "--early": args_cli.early}
    counts.update({"--curve_every": args_cli.curve_every, "--iterations": args_cli.iterations})
    for flag, value in counts.items():
        if value < 1:
            raise UserError(f"{flag} must be at least 1, got {value}")
    out = os.path.abspath(args_cli.out)
    os.makedirs(out, exist_ok=True)
    walls = finetune_all(out)
    policies = {"teacher": args_cli.teacher_checkpoint, "distilled": args_cli.student}
    runs = {label: run_dir(out, label) for label in RUNS}
    policies.update({f"fine-tuned ({label})": os.path.join(d, "final_student.pt") for label, d in runs.items()})

    env_cfg, _ = load_task_configs(args_cli.task, "rsl_rl_cfg_entry_point", [])
    args_cli.num_envs = args_cli.eval_envs
    apply_env_args(args_cli, env_cfg)
    returns: dict[str, list[float]] = {}
    curves: dict[str, dict[int, float]] = {}
    with launch(env_cfg, args_cli):
        env = RslRlVecEnvWrapper(make_env(args_cli.task, env_cfg))
        try:
            obs = env.get_observations()
            for label, path in policies.items():
                policy = load_policy(path, obs, env.num_actions, args_cli.task, env.device)
                returns[label] = [evaluate(env, policy, seed) for seed in range(args_cli.eval_seeds)]
                print(f"[finetune] {label}: {returns[label]}", flush=True)
            for label, folder in runs.items():  # the deterministic return along the run (seed 0)
                for it in range(args_cli.curve_every, args_cli.iterations, args_cli.curve_every):
                    path = os.path.join(folder, f"student_{it}.pt")  # written every save_interval iterations
                    if os.path.isfile(path):
                        policy = load_policy(path, obs, env.num_actions, args_cli.task, env.device)
                        curves.setdefault(label, {})[it] = evaluate(env, policy, 0)
        finally:
            env.close()

    teacher = sum(returns["teacher"]) / len(returns["teacher"])
    rows = []
    for label, values in returns.items():
        mean = sum(values) / len(values)
        variant = label.removeprefix("fine-tuned (").removesuffix(")")
        curve = curve_start_end(runs[variant], args_cli.early) if variant in runs else (float("nan"),) * 3
        wall = walls.get(variant, float("nan"))
        rows.append({"policy": label, "return": mean, "ratio": mean / teacher, "wall_s": wall, "curve": curve})
    result = {"rows": rows, "finetune_wall_s": walls, "returns": returns, "curves": curves, "args": vars(args_cli)}
    atomic_write_text(os.path.join(out, "benchmark.json"), json.dumps(result, indent=2) + "\n")
    print(
        f"\n| policy | return | / teacher | fine-tuning wall | step reward: first {args_cli.early} its (min) | last |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        start, low, end = r["curve"]
        print(
            f"| {r['policy']} | {r['return']:.1f} | {r['ratio']:.3f} | {r['wall_s'] / 60:.1f} min"
            f" | {start:.4f} ({low:.4f}) | {end:.4f} |"
        )
    steps = list(next(iter(curves.values()), {}))
    print("\n| run | " + " | ".join(f"it {it} / teacher" for it in steps) + " |\n|---|" + "---|" * len(steps))
    for label, curve in curves.items():
        print(f"| {label} | " + " | ".join(f"{value / teacher:.3f}" for value in curve.values()) + " |")


if __name__ == "__main__":
    main()
