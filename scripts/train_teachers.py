"""Train one PPO teacher per vehicle of a vehicle family, then write the manifest that distillation.py reads.

Example (the foundation policy's 8 training vehicles, then 4 held-out ones drawn with another seed):
    python scripts/train_teachers.py --task Isaac-Quadcopter-Point-Ctrl-Foundation-v0 --num_vehicles 8 \
        --vehicle_seed 0 --out logs/foundation/train --num_envs 256 --device cpu --jobs 2
    python scripts/train_teachers.py --task Isaac-Quadcopter-Point-Ctrl-Foundation-v0 --num_vehicles 4 \
        --vehicle_seed 1 --out logs/foundation/held_out --num_envs 256 --device cpu --jobs 2
    python scripts/distillation.py --task Isaac-Quadcopter-Point-Ctrl-Foundation-v0 \
        --teacher_manifest logs/foundation/train/teachers.json +experiment=quadcopter_foundation

Vehicle ``k`` is a ``scripts/train.py`` run on ``env.vehicle_id=k`` in ``<out>/vehicle_<k>/`` (its log:
``<out>/vehicle_<k>.log``); ``--jobs`` of them run at once. Hydra overrides are passed to every run. Run it again
after an interruption: finished vehicles are kept. ``<out>/teachers.json`` maps each vehicle to its checkpoint.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from isaaclab_distill.utils.cli import add_env_args, cli_main, configure_threads, parse_args

configure_threads()

parser = argparse.ArgumentParser(
    description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False
)
add_env_args(parser)
parser.add_argument("--num_vehicles", type=int, required=True, help="K: vehicles drawn from the family.")
parser.add_argument("--vehicle_seed", type=int, default=0, help="Seed of the vehicle sampler (held out: another).")
parser.add_argument("--out", required=True, help="Directory of the K runs and teachers.json.")
parser.add_argument("--max_iterations", type=int, default=None, help="PPO iterations per teacher.")
parser.add_argument("--jobs", type=int, default=1, help="Teachers trained at once (one per CPU core / GPU).")
args_cli = parse_args(parser, single_process=True)

from isaaclab_distill.rl.vehicle_teachers import plan_jobs, run_jobs, vehicle_variants, write_manifest  # noqa: E402
from isaaclab_distill.utils import UserError, load_task_configs  # noqa: E402


@cli_main
def main() -> None:
    """Resolve the configs (every override checked) -> the vehicles -> one train.py job each -> the manifest."""
    overrides = sys.argv[1:]
    env_cfg, agent_cfg = load_task_configs(args_cli.task, "rsl_rl_cfg_entry_point", overrides)
    if args_cli.video:
        raise UserError("train_teachers.py records no videos: train one vehicle with scripts/train.py --video")
    if args_cli.jobs < 1:
        raise UserError(f"--jobs must be at least 1, got {args_cli.jobs}")
    iterations = args_cli.max_iterations or agent_cfg.max_iterations
    if iterations <= 0:
        raise UserError(f"--max_iterations must be positive, got {iterations}")
    variants = vehicle_variants(env_cfg, args_cli.task, args_cli.num_vehicles, args_cli.vehicle_seed)
    flags = ["--max_iterations", str(iterations)]
    for name in ("num_envs", "seed", "device"):
        if getattr(args_cli, name) is not None:
            flags += [f"--{name}", str(getattr(args_cli, name))]
    jobs = plan_jobs(args_cli.task, args_cli.out, variants, args_cli.vehicle_seed, iterations, flags, overrides)
    start = time.monotonic()
    print(f"[teachers] {len(jobs)} vehicles of {args_cli.task} (seed {args_cli.vehicle_seed}), {args_cli.jobs} at once")
    run_jobs(jobs, args_cli.jobs)
    path = write_manifest(os.path.abspath(args_cli.out), args_cli.task, overrides, jobs)
    print(f"[teachers] all {len(jobs)} teachers in {time.monotonic() - start:.0f} s; manifest: {path}")


if __name__ == "__main__":
    main()
