"""Depth-parkour learning benchmark: does the teacher learn, and does the depth student learn from it.

One command runs the whole pipeline on CPU with this package's own scripts, as a user runs them::

    OMP_NUM_THREADS=1 python scripts/benchmark_parkour_learning.py --out logs/benchmarks/parkour_learning

1. ``train.py`` trains the PPO teacher on ``Isaac-Depth-Parkour-Teacher-v0`` for a fixed budget; its
   ``learning_curve.json`` (per iteration: reward, episode length, velocity-tracking error [m/s], terrain level,
   termination shares; see :mod:`isaaclab_distill.rl.curves`) is copied to ``--out`` and drawn as
   ``learning_curve.png``;
2. ``play.py --video`` records the final teacher on the play terrain (``teacher.mp4``; ``--frame`` saves five frames);
3. ``distillation.py`` distils it into the depth CNN+GRU student on ``Isaac-Depth-Parkour-v0`` for a fixed budget;
4. ``play.py`` evaluates the teacher, the teacher with its scandots zeroed, the student and the student with a blank
   depth image (every pixel "far") on the same play terrain (every tile is an obstacle ring) with the same seed, and
   the table compares them: each ablation shows whether that policy uses its terrain sensor.

``--teacher_agent rsl_rl_scandots_encoder_cfg_entry_point`` trains extreme-parkour's scandots-encoder teacher instead
of the MLP teacher, and ``--latent_loss_coef`` adds the regression of the student's depth feature onto its latent.

``--teacher`` skips stage 1 and ``--student`` stage 3, so an existing pair is evaluated alone. Read the sensor
ablations with the per-time columns: a tile exit ends an episode early, so the mean return favours a slow robot, and
a blinded policy that creeps scores a similar success share over fewer episodes. ``successes / 1k`` (tile exits and
time-outs per env and 1000 steps) and the velocity-tracking error show what the sensor buys.

Everything lands in ``--out`` (``results.json`` holds the table); the runs' own folders are under ``--out/logs``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from isaaclab_distill.distillation.runner import BEST_FILE
from isaaclab_distill.rl.curve_plot import plot_learning_curve, summarize_curve
from isaaclab_distill.utils.cli import cli_main, configure_threads
from isaaclab_distill.utils.errors import UserError

configure_threads()

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
TEACHER_TASK, STUDENT_TASK, PLAY_TASK = (
    "Isaac-Depth-Parkour-Teacher-v0",
    "Isaac-Depth-Parkour-v0",
    "Isaac-Depth-Parkour-Play-v0",
)
STUDENT_EXPERIMENT = "+experiment=parkour_depth_student"
"""The student's schedule (``config/experiment/parkour_depth_student.yaml``); the flags given here override it."""
BLANK_DEPTH = "env.observations.depth.image.params.blank=true"
BLIND_TEACHER = "env.observations.teacher.height_scan.scale=0.0"
"""The teacher's ablation: every scandot reads 0 (a constant scan), so the teacher's score without terrain sight
bounds what a student can gain from its depth image."""
CURVE_WINDOW = 20
"""Iterations pooled for the table's first / last values: ~200 episodes at 128 envs (+-3.5 % on a share); 5 pooled
~50 episodes, whose success share swung 0.33-0.63 between neighbouring windows of one run."""

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--out", default="logs/benchmarks/parkour_learning", help="Output folder.")
parser.add_argument("--teacher_envs", type=int, default=128, help="Envs of the PPO teacher run.")
parser.add_argument("--teacher_iterations", type=int, default=540, help="PPO iterations (24 steps x envs each).")
parser.add_argument("--teacher_agent", default="rsl_rl_cfg_entry_point", help="train.py --agent of the teacher.")
parser.add_argument("--latent_loss_coef", type=float, default=0.0, help="Depth feature -> teacher latent weight.")
parser.add_argument("--teacher", default=None, help="Skip stage 1: use this trained model_*.pt (its run's curve).")
parser.add_argument("--student", default=None, help="Skip stage 3: evaluate this student checkpoint.")
parser.add_argument("--student_envs", type=int, default=64, help="Envs of the distillation run (depth camera on).")
parser.add_argument("--student_epochs", type=int, default=40, help="Distillation epochs (24 steps x envs each).")
parser.add_argument("--student_batch_size", type=int, default=None, help="Segments per update (task default: 64).")
parser.add_argument("--eval_envs", type=int, default=64, help="Envs of each evaluation on the play terrain.")
parser.add_argument("--eval_steps", type=int, default=1000, help="Env steps of each evaluation (1000 = 20 s).")
parser.add_argument("--video_length", type=int, default=300, help="Teacher clip length [env steps].")
parser.add_argument(
    "--frame", default=None, help="Also save 5 frames of the teacher clip, 0.4 s apart, side by side here (PNG)."
)
parser.add_argument("--seed", type=int, default=0, help="Seed of every stage.")


def run(script: str, *args: str, cwd: str) -> str:
    """Run ``scripts/<script>`` in ``cwd`` and return its stdout; a failure stops the benchmark with its tail."""
    start = time.perf_counter()
    cmd = [sys.executable, os.path.join(SCRIPTS, script), *args, "--device", "cpu"]
    proc = subprocess.run(cmd, cwd=cwd, env=dict(os.environ, OMP_NUM_THREADS="1"), capture_output=True, text=True)
    if proc.returncode != 0:
        raise UserError(f"{script} failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-3000:]}")
    print(f"[bench] {script} {' '.join(args[:2])} took {time.perf_counter() - start:.0f} s", flush=True)
    return proc.stdout


def newest_run(out: str, library: str) -> str:
    """The newest run folder ``<out>/logs/<library>/<experiment>/<timestamp>`` (any experiment)."""
    root = os.path.join(out, "logs", library)
    runs = [os.path.join(root, e, r) for e in os.listdir(root) for r in os.listdir(os.path.join(root, e))]
    return max(runs, key=os.path.getmtime)


def evaluate(out: str, checkpoint: str, label: str, args: argparse.Namespace, *overrides: str) -> dict:
    """play.py on the play terrain; its summary JSON is moved to ``<out>/eval_<label>.json`` and returned."""
    run(
        "play.py",
        *("--task", PLAY_TASK, "--checkpoint", checkpoint, "--num_envs", str(args.eval_envs)),
        *("--steps", str(args.eval_steps), "--seed", str(args.seed), "--no_export", *overrides),
        cwd=out,
    )
    summary = os.path.splitext(checkpoint)[0] + "_play.json"
    target = os.path.join(out, f"eval_{label}.json")
    shutil.move(summary, target)
    with open(target) as f:
        return json.load(f)


def record_teacher(out: str, teacher: str, args: argparse.Namespace) -> str:
    """A clip of env 0 with the final teacher on the play terrain, copied to ``<out>/teacher.mp4``."""
    run(
        "play.py",
        *("--task", PLAY_TASK, "--checkpoint", teacher, "--num_envs", "4", "--seed", str(args.seed), "--no_export"),
        *("--steps", str(args.video_length + 10), "--video", "--video_length", str(args.video_length)),
        cwd=out,
    )
    clips = sorted(
        (os.path.join(d, f) for d, _, fs in os.walk(os.path.dirname(teacher)) for f in fs if f.endswith(".mp4")),
        key=os.path.getmtime,
    )
    video = shutil.copy(clips[-1], os.path.join(out, "teacher.mp4"))
    os.remove(os.path.splitext(teacher)[0] + "_play.json")  # the clip's 4-env rollout is not an evaluation
    if args.frame:
        save_frame(video, args.frame)
    return video


def save_frame(video: str, path: str, start: float = 0.55, count: int = 5, every: int = 10) -> None:
    """Save ``count`` frames of ``video``, ``every`` frames apart from ``start`` (fraction of the clip), side by side.

    One still cannot show a gait; at the clip's 25 fps, 10 frames apart is 0.4 s, about one trot period.
    """
    import imageio.v2 as imageio
    import numpy as np

    reader = imageio.get_reader(video)
    frames = [frame for frame in reader]
    reader.close()
    first = min(int(start * len(frames)), max(0, len(frames) - 1 - (count - 1) * every))
    picked = [frames[min(first + k * every, len(frames) - 1)] for k in range(count)]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    imageio.imwrite(path, np.concatenate(picked, axis=1))
    print(f"[bench] frames {path}")


def success_terms() -> tuple[str, ...]:
    """The task's termination terms that count as a success (``time_out=True``: time-out, off the tile, off the map)."""
    from isaaclab_distill.tasks.depth_parkour.mdp_cfg import TerminationsCfg

    return tuple(name for name, term in vars(TerminationsCfg()).items() if term is not None and term.time_out)


def eval_row(summary: dict) -> dict:
    metrics = summary["metrics"]
    terms = {k.split("/", 1)[1]: v for k, v in metrics.items() if k.startswith("Episode_Termination/")}
    ended = sum(terms.values()) or float("nan")
    nan_if_none = lambda v: float("nan") if v is None else v  # noqa: E731 (the summary stores NaN as null)
    success_share = sum(terms.get(name, 0.0) for name in success_terms()) / ended
    env_steps = summary["num_envs"] * summary["steps"]
    return {
        "mean_return": nan_if_none(summary["mean_return"]),
        "mean_length": nan_if_none(summary["mean_length"]),
        "episodes": summary["episodes"],
        "success_share": success_share,
        "successes_per_1k_steps": 1000.0 * summary["episodes"] * success_share / env_steps,
        "tracking_error": metrics.get("Metrics/base_velocity/error_vel_xy", float("nan")),
        "terrain_level": metrics.get("Curriculum/terrain_levels", float("nan")),
    }


def print_tables(results: dict) -> None:
    curve = results["teacher"]["curve"]
    print(
        f"\nTeacher: {results['teacher']['envs']} envs x {results['teacher']['iterations']} PPO iterations, "
        f"{results['teacher']['wall_s'] / 60:.1f} min"
    )
    print(f"{'(pooled ' + str(CURVE_WINDOW) + ' iterations)':24}{'first':>10}{'last':>10}")
    for key, (first, last) in curve.items():
        print(f"{key:24}{first:>10.3f}{last:>10.3f}")
    print(
        f"\nEvaluation on the play terrain ({results['eval_envs']} envs x {results['eval_steps']} steps, seed "
        f"{results['seed']}); student: {results['student']['epochs']} epochs x {results['student']['envs']} envs, "
        f"{results['student']['wall_s'] / 60:.1f} min"
    )
    header = (
        f"{'policy':26}{'return':>8}{'/ teacher':>10}{'length':>8}{'episodes':>9}{'success':>8}{'succ./1k':>9}"
        f"{'err m/s':>8}{'level':>7}"
    )
    print(header + "\n" + "-" * len(header))
    teacher_return = next(iter(results["eval"].values()))["mean_return"]  # the first row is the teacher
    for label, row in results["eval"].items():
        print(
            f"{label:26}{row['mean_return']:>8.2f}{row['mean_return'] / teacher_return:>10.2f}"
            f"{row['mean_length']:>8.0f}{row['episodes']:>9d}{row['success_share']:>8.2f}"
            f"{row['successes_per_1k_steps']:>9.2f}{row['tracking_error']:>8.3f}{row['terrain_level']:>7.2f}"
        )


@cli_main
def main() -> None:
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    results: dict = {"seed": args.seed, "eval_envs": args.eval_envs, "eval_steps": args.eval_steps}
    # 1. teacher and its learning curve
    start = time.perf_counter()
    if args.teacher is None:
        run(
            "train.py",
            *("--task", TEACHER_TASK, "--num_envs", str(args.teacher_envs), "--seed", str(args.seed)),
            *("--max_iterations", str(args.teacher_iterations), "--agent", args.teacher_agent),
            cwd=out,
        )
        teacher_run = newest_run(out, "rsl_rl")
        teacher = os.path.join(teacher_run, f"model_{args.teacher_iterations - 1}.pt")
    else:
        teacher = os.path.abspath(args.teacher)
        teacher_run = os.path.dirname(teacher)
    with open(os.path.join(teacher_run, "learning_curve.json")) as f:
        rows = json.load(f)
    shutil.copy(os.path.join(teacher_run, "learning_curve.json"), out)
    plot_learning_curve(rows, os.path.join(out, "learning_curve.png"))
    results["teacher"] = {
        "checkpoint": teacher,
        "envs": args.teacher_envs,
        "iterations": len(rows),
        "wall_s": time.perf_counter() - start,
        "curve": summarize_curve(rows, window=CURVE_WINDOW),
    }
    # 2. teacher video
    results["video"] = record_teacher(out, teacher, args)
    # 3. depth student
    start = time.perf_counter()
    if args.student is None:
        run(
            "distillation.py",
            *("--task", STUDENT_TASK, "--teacher_checkpoint", teacher, "--num_envs", str(args.student_envs)),
            *("--n_epochs", str(args.student_epochs), "--seed", str(args.seed), STUDENT_EXPERIMENT),
            # one short evaluation, at the end: the comparison is stage 4's (same terrain and seed for every policy)
            f"agent.eval_interval={args.student_epochs}",
            f"agent.algorithm.latent_loss_coef={args.latent_loss_coef}",
            *(("--batch_size", str(args.student_batch_size)) if args.student_batch_size else ()),
            cwd=out,
        )
        student = os.path.join(newest_run(out, "distillation"), BEST_FILE)
    else:
        student = os.path.abspath(args.student)
    results["student"] = {"checkpoint": student, "envs": args.student_envs, "epochs": args.student_epochs}
    results["teacher"]["agent"], results["student"]["latent_loss_coef"] = args.teacher_agent, args.latent_loss_coef
    results["student"]["wall_s"] = time.perf_counter() - start
    # 4. evaluation on the same terrain and seed
    results["eval"] = {
        "teacher (scandots)": eval_row(evaluate(out, teacher, "teacher", args)),
        "teacher, scandots zeroed": eval_row(evaluate(out, teacher, "teacher_blind", args, BLIND_TEACHER)),
        "student (depth)": eval_row(evaluate(out, student, "student", args)),
        "student, blank depth": eval_row(evaluate(out, student, "student_blank", args, BLANK_DEPTH)),
    }
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print_tables(results)
    print(f"\n[bench] wrote {out}/results.json, learning_curve.json/.png, teacher.mp4")


if __name__ == "__main__":
    main()
