"""Throughput benchmark: env-steps/s with random actions and PPO iteration time, per env count and physics preset.

Each row runs in its own process (one simulator per process); the table reports absolute numbers and the
ratio against the first row of the same run, so numbers taken on different machines compare by ratio.

Example:
    python scripts/benchmark.py --task Isaac-Quadcopter-Point-Ctrl-v0 --num_envs 64 256 1024 --device cpu
"""

from __future__ import annotations

import argparse
import time

from isaaclab_distill.utils.bench import emit_row, run_row
from isaaclab_distill.utils.cli import cli_main, configure_threads

configure_threads()

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--task", default="Isaac-Quadcopter-Point-Ctrl-v0")
parser.add_argument("--num_envs", type=int, nargs="+", default=[64, 256, 1024])
parser.add_argument("--physics", nargs="+", default=["newton_mjwarp"], help="Physics presets to compare.")
parser.add_argument("--device", default="cpu")
parser.add_argument("--steps", type=int, default=200, help="Timed env steps per row.")
parser.add_argument("--ppo_iterations", type=int, default=3, help="Timed PPO iterations per row (0: skip).")
parser.add_argument("--worker", type=str, default=None, help=argparse.SUPPRESS)


def measure(task: str, num_envs: int, physics: str, device: str, steps: int, ppo_iterations: int) -> dict:
    """Build one env and time random-action stepping and PPO iterations on it."""
    import gymnasium as gym
    import torch
    from isaaclab.utils import to_dict
    from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper, check_rsl_rl_version, handle_deprecated_rsl_rl_cfg

    from isaaclab_distill.rl import TeacherRunner
    from isaaclab_distill.utils.hydra import load_task_configs

    overrides = [f"env.scene.num_envs={num_envs}", f"env.sim.device={device}", f"physics={physics}"]
    env_cfg, agent_cfg = load_task_configs(task, "rsl_rl_cfg_entry_point", overrides)
    agent_cfg.device = device
    start = time.perf_counter()
    env = gym.make(task, cfg=env_cfg)
    build_s = time.perf_counter() - start
    env.reset()
    actions = torch.zeros(num_envs, env.unwrapped.single_action_space.shape[0], device=device)
    for _ in range(10):  # warm-up: kernels compiled and caches hot
        env.step(actions.uniform_(-1.0, 1.0))
    start = time.perf_counter()
    for _ in range(steps):
        env.step(actions.uniform_(-1.0, 1.0))
    step_s = time.perf_counter() - start
    row = {"num_envs": num_envs, "physics": physics, "build_s": build_s, "env_steps_per_s": num_envs * steps / step_s}
    if ppo_iterations:
        agent_cfg = handle_deprecated_rsl_rl_cfg(agent_cfg, check_rsl_rl_version())
        runner = TeacherRunner(RslRlVecEnvWrapper(env), to_dict(agent_cfg), log_dir=None, device=device)
        runner.learn(1)  # warm-up iteration
        start = time.perf_counter()
        runner.learn(ppo_iterations)
        row["ppo_s_per_iter"] = (time.perf_counter() - start) / ppo_iterations
        row["ppo_samples_per_s"] = num_envs * agent_cfg.num_steps_per_env / row["ppo_s_per_iter"]
    env.close()
    return row


@cli_main
def main() -> None:
    args = parser.parse_args()
    if args.worker:
        num_envs, physics = args.worker.split(",")
        row = measure(args.task, int(num_envs), physics, args.device, args.steps, args.ppo_iterations)
        emit_row(row)
        return
    rows = []
    for physics in args.physics:
        for num_envs in args.num_envs:
            worker = ["--task", args.task, "--device", args.device, "--steps", str(args.steps)]
            worker += ["--ppo_iterations", str(args.ppo_iterations), "--worker", f"{num_envs},{physics}"]
            row = run_row(__file__, worker, f"{physics} x {num_envs}")
            if row is not None:
                rows.append(row)
    print_table(rows, args)


def print_table(rows: list[dict], args: argparse.Namespace) -> None:
    if not rows:
        return
    base = rows[0]
    print(f"\n{args.task} on {args.device}: {args.steps} random-action steps, {args.ppo_iterations} PPO iterations")
    header = "".join(
        f"{name:{align}{width}}"
        for name, align, width in [
            ("physics", "<", 22),
            ("envs", ">", 6),
            ("build s", ">", 9),
            ("env-steps/s", ">", 13),
            ("x row 1", ">", 9),
            ("PPO s/iter", ">", 12),
            ("x row 1", ">", 9),
        ]
    )
    print(header + "\n" + "-" * len(header))
    for r in rows:
        ppo = r.get("ppo_s_per_iter")
        ppo_cols = f"{ppo:>12.3f}{ppo / base['ppo_s_per_iter']:>9.2f}" if ppo else f"{'-':>12}{'-':>9}"
        speed = r["env_steps_per_s"] / base["env_steps_per_s"]
        print(
            f"{r['physics']:<22}{r['num_envs']:>6}{r['build_s']:>9.1f}{r['env_steps_per_s']:>13.0f}{speed:>9.2f}"
            + ppo_cols
        )


if __name__ == "__main__":
    main()
