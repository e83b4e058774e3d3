"""Depth-parkour throughput: env-steps/s with random actions, with and without the depth camera, per env count.

"with camera" is ``Isaac-Depth-Parkour-v0`` (ray-cast depth camera at 10 Hz + height scan), "without camera" is
``Isaac-Depth-Parkour-Teacher-v0`` (height scan only). Each row runs in its own process (one simulator per process).
Columns: env build time, env-steps/s, ms per ``env.step`` of all envs, and the camera's share of the step time
(``1 - steps/s with / steps/s without`` at the same env count). Then the DAgger dataset's bytes per stored transition
of the depth student (the task's distillation config) for each ``agent.storage.image_dtype``.

Example (the 256-env rows take a few minutes on a 2-core CPU)::

    OMP_NUM_THREADS=1 python scripts/benchmark_parkour.py --num_envs_list 16 64 256 --device cpu
"""

from __future__ import annotations

import argparse
import time

from isaaclab_distill.utils.bench import emit_row, run_row
from isaaclab_distill.utils.cli import check_device, cli_main, configure_threads

configure_threads()

TASKS = {"camera": "Isaac-Depth-Parkour-v0", "no camera": "Isaac-Depth-Parkour-Teacher-v0"}

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--num_envs_list", type=int, nargs="+", default=[16, 64, 256], help="Env counts to measure.")
parser.add_argument("--variants", nargs="+", choices=list(TASKS), default=list(TASKS), help="Camera on and/or off.")
parser.add_argument("--device", default="cpu", help="cpu or cuda:0.")
parser.add_argument("--steps", type=int, default=100, help="Timed env steps per row (after 10 warm-up steps).")
parser.add_argument("--worker", type=str, default=None, help=argparse.SUPPRESS)


def measure(variant: str, num_envs: int, device: str, steps: int) -> dict:
    """Build one env of ``variant`` and time ``steps`` random-action steps."""
    import gymnasium as gym
    import torch

    from isaaclab_distill.utils.hydra import load_task_configs

    task = TASKS[variant]
    env_cfg, _ = load_task_configs(task, None, [f"env.scene.num_envs={num_envs}", f"env.sim.device={device}"])
    start = time.perf_counter()
    env = gym.make(task, cfg=env_cfg)
    build_s = time.perf_counter() - start
    env.reset()
    actions = torch.zeros(num_envs, env.unwrapped.single_action_space.shape[0], device=device)
    for _ in range(10):  # warm-up: kernels compiled, caches hot, first camera frames rendered
        env.step(actions.uniform_(-1.0, 1.0))
    start = time.perf_counter()
    for _ in range(steps):
        env.step(actions.uniform_(-1.0, 1.0))
    step_s = time.perf_counter() - start
    storage = storage_bytes(task, env.unwrapped.obs_buf, actions.shape[1]) if variant == "camera" else {}
    env.close()
    return {
        "variant": variant,
        "num_envs": num_envs,
        "build_s": build_s,
        "env_steps_per_s": num_envs * steps / step_s,
        "ms_per_step": 1000.0 * step_s / steps,
        "storage_bytes": storage,
    }


def storage_bytes(task: str, obs: dict, num_actions: int) -> dict[str, int]:
    """Bytes per transition of the depth student's DAgger dataset, per ``image_dtype`` (``EpisodeDataset``)."""
    from isaaclab_distill.distillation.storage import EpisodeDataset
    from isaaclab_distill.models import build_student
    from isaaclab_distill.utils.hydra import load_task_configs

    _, cfg = load_task_configs(task, "distillation_cfg_entry_point", [])
    shapes = {group: tuple(obs[group].shape[1:]) for group in cfg.student_obs_groups}
    student = build_student(cfg.student, shapes, num_actions)
    hidden, num_envs = (student.hidden_shape if student.is_recurrent else None), len(obs[cfg.student_obs_groups[0]])
    return {  # one step of every env (the per-step rollout-start flag is shared by the envs)
        dtype: EpisodeDataset(num_envs, student.obs_shapes, num_actions, 1, "cpu", hidden, dtype).bytes_per_transition
        for dtype in ("float32", "float16", "uint8")
    }


def print_table(rows: list[dict], args: argparse.Namespace) -> None:
    """One line per (env count, variant); the camera share compares the two variants at the same env count."""
    print(f"\nDepth parkour (A1) on {args.device}: {args.steps} random-action steps per row")
    header = f"{'envs':>6}{'variant':>12}{'build s':>9}{'env-steps/s':>13}{'ms/step':>9}{'camera share':>14}"
    print(header + "\n" + "-" * len(header))
    by_key = {(r["num_envs"], r["variant"]): r for r in rows}
    for r in sorted(rows, key=lambda r: (r["num_envs"], r["variant"])):
        share = "-"
        other = by_key.get((r["num_envs"], "no camera"))
        if r["variant"] == "camera" and other:
            share = f"{1.0 - r['env_steps_per_s'] / other['env_steps_per_s']:.0%}"
        print(
            f"{r['num_envs']:>6}{r['variant']:>12}{r['build_s']:>9.1f}{r['env_steps_per_s']:>13.0f}"
            f"{r['ms_per_step']:>9.1f}{share:>14}"
        )
    storage = next((r["storage_bytes"] for r in rows if r.get("storage_bytes")), None)
    if storage:
        sizes = ", ".join(f"{dtype} {size:,} B" for dtype, size in storage.items())
        ratio = storage["float32"] / storage["uint8"]
        print(f"DAgger dataset per stored transition (depth student): {sizes} (uint8: {ratio:.2f}x fewer than float32)")


@cli_main
def main() -> None:
    args = parser.parse_args()
    check_device(args.device)
    if args.worker:
        variant, num_envs = args.worker.rsplit(",", 1)
        emit_row(measure(variant, int(num_envs), args.device, args.steps))
        return
    rows = []
    for num_envs in args.num_envs_list:
        for variant in args.variants:
            worker = ["--device", args.device, "--steps", str(args.steps), "--worker", f"{variant},{num_envs}"]
            row = run_row(__file__, worker, f"{variant} x {num_envs}")
            if row is not None:
                rows.append(row)
    print_table(rows, args)


if __name__ == "__main__":
    main()
