"""Train a PPO teacher with rsl_rl on an Isaac Lab task.

Example:
    python scripts/train.py --task Isaac-Quadcopter-Point-Ctrl-v0 --num_envs 256 --max_iterations 150 --device cpu
    python scripts/train.py --task Isaac-Quadcopter-Point-Ctrl-v0 agent.algorithm.learning_rate=3e-4 scene.num_envs=64
    python scripts/train.py --num_gpus 2 --task Isaac-Quadcopter-Point-Ctrl-v0  # torchrun, one rank per GPU
"""

from __future__ import annotations

import argparse
import os
import time

from isaaclab_distill.utils.cli import (
    add_env_args,
    apply_distributed,
    cli_main,
    launch,
    parse_args,
    start_script,
)
from isaaclab_distill.utils.run_args import add_run_args

start_script(__file__)  # --num_gpus N: run N ranks of this script under torchrun, then exit; else 1 torch thread

parser = argparse.ArgumentParser(
    description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False
)
add_env_args(parser)
parser.add_argument("--agent", type=str, default="rsl_rl_cfg_entry_point", help="Agent config registry key.")
parser.add_argument("--max_iterations", type=int, default=None, help="PPO iterations to run.")
parser.add_argument("--experiment_name", type=str, default=None, help="Folder under logs/rsl_rl/.")
parser.add_argument("--run_name", type=str, default=None, help="Suffix of the run folder.")
parser.add_argument("--resume", action="store_true", help="Continue from --checkpoint, else the newest run.")
parser.add_argument("--checkpoint", type=str, default=None, help="model_*.pt, a run directory, latest or best.")
add_run_args(parser)  # --logger, --log_project_name, --run_timestamp (Isaac Lab's rsl_rl train flags)
args_cli = parse_args(parser)

from isaaclab.utils import to_dict  # noqa: E402
from isaaclab_rl.rsl_rl import check_rsl_rl_version, handle_deprecated_rsl_rl_cfg  # noqa: E402

from isaaclab_distill.rl import CURVE_FILE, LearningCurveEnv, TeacherRunner  # noqa: E402
from isaaclab_distill.rl.curves import final_results  # noqa: E402
from isaaclab_distill.rl.interleaved import InterleavedRunner  # noqa: E402
from isaaclab_distill.rl.interleaved_cfg import check_interleaved, interleaved_cfg  # noqa: E402
from isaaclab_distill.utils import hydra_task_config, load_task_configs  # noqa: E402
from isaaclab_distill.utils.envs import make_env  # noqa: E402
from isaaclab_distill.utils.run_args import apply_ppo_args, select_checkpoint, write_manifest  # noqa: E402
from isaaclab_distill.utils.runs import dump_params, make_run_dir, resolve_checkpoint  # noqa: E402
from isaaclab_distill.utils.sweep import sweep_cli  # noqa: E402


def apply_flags(env_cfg, agent_cfg) -> None:
    """The flags into the resolved configs (they win over defaults and overrides), checked before the simulator."""
    apply_ppo_args(args_cli, env_cfg, agent_cfg)


@cli_main
@hydra_task_config(args_cli.task, args_cli.agent)
def main(env_cfg, agent_cfg) -> None:
    """Resolved configs -> env -> rsl_rl wrapper -> PPO runner -> learn."""
    # 1. flags win over config defaults and overrides; bad values fail before the simulator starts
    apply_flags(env_cfg, agent_cfg)
    ranks = apply_distributed(args_cli, env_cfg, agent_cfg)  # --distributed: cuda:<LOCAL_RANK>, seed + RANK
    agent_cfg = handle_deprecated_rsl_rl_cfg(agent_cfg, check_rsl_rl_version())
    if (interleaved := interleaved_cfg(agent_cfg)) is not None:
        check_interleaved(interleaved, env_cfg, agent_cfg, args_cli.task)
    resume_path = None
    log_root = os.path.abspath(os.path.join("logs", "rsl_rl", agent_cfg.experiment_name))
    if args_cli.checkpoint in ("latest", "best"):  # Isaac Lab's selectors, over the runs' run.json manifests
        task, pattern = args_cli.task, r"model_.*\.pt"
        resume_path = select_checkpoint(args_cli.checkpoint, log_root, "rsl_rl", task, args_cli.agent, pattern)
    elif args_cli.resume or args_cli.checkpoint:  # --checkpoint alone resumes too, as in Isaac Lab
        resume_path = resolve_checkpoint(args_cli.checkpoint or log_root)

    # 2. run directory: logs/rsl_rl/<experiment>/<timestamp>, named by rank 0 alone (rsl_rl writes only there)
    run_name = args_cli.run_name or agent_cfg.run_name or None
    stamp, path = args_cli.run_timestamp, args_cli.run_dir
    log_dir = ranks.from_main(
        lambda: make_run_dir("rsl_rl", agent_cfg.experiment_name, run_name, stamp=stamp, path=path)
    )
    if ranks.is_main:
        write_manifest(log_dir, "rsl_rl", args_cli.task, args_cli.agent)
    env_cfg.log_dir = log_dir
    print(f"[INFO] logging to {log_dir}" + (f" (rank {ranks.rank} of {ranks.world_size})" if ranks.enabled else ""))
    if args_cli.video and ranks.is_main:  # imported only when recording: it loads the camera and renderer modules
        from isaaclab_distill.utils.video import configure_video

        configure_video(env_cfg, args_cli, log_dir, "train")

    with launch(env_cfg, args_cli):
        # 3. environment, wrapped for rsl_rl; the wrapper also writes learning_curve.json after every iteration
        env = LearningCurveEnv(
            make_env(args_cli.task, env_cfg),
            steps_per_iteration=agent_cfg.num_steps_per_env,
            path=os.path.join(log_dir, CURVE_FILE) if ranks.is_main else None,  # rank 0's envs
            clip_actions=agent_cfg.clip_actions,
        )
        try:
            # 4. PPO runner (rsl_rl's, with atomic checkpoint writes)
            if interleaved is None:
                runner = TeacherRunner(env, to_dict(agent_cfg), log_dir=log_dir, device=agent_cfg.device)
            else:  # distillation phases between PPO iterations (agent.interleaved)
                runner = InterleavedRunner(env, to_dict(agent_cfg), interleaved, log_dir, device=agent_cfg.device)
            if resume_path:
                print(f"[INFO] resuming from {resume_path}")
                runner.load(resume_path, map_location=agent_cfg.device)
            if ranks.is_main:
                dump_params(log_dir, env_cfg, agent_cfg)
            start = time.time()
            runner.learn(agent_cfg.max_iterations)
            print(f"[INFO] training took {time.time() - start:.1f} s; checkpoints in {log_dir}")
            ranks.report_checksum("actor", runner.alg.actor)  # the distributed-run test compares them
            if interleaved is not None:
                ranks.report_checksum("student", runner.distiller.student)
        finally:
            env.close()


def job_experiment(overrides: list[str]) -> str:
    """A sweep job's configs resolve and its overrides check out (before any job runs): its experiment name."""
    env_cfg, agent_cfg = load_task_configs(args_cli.task, args_cli.agent, overrides)
    apply_flags(env_cfg, agent_cfg)
    return agent_cfg.experiment_name


@cli_main
def sweep() -> None:
    """``-m``: one PPO run per job of the overrides' sweep (Hydra's launcher), then the jobs' table."""
    sweep_cli(__file__, args_cli, "rsl_rl", job_experiment, final_results)


if __name__ == "__main__":
    sweep() if args_cli.multirun else main()
