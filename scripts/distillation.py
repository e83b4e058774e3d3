"""Distil PPO teacher(s) into a deployable student (MLP, GRU, LSTM or the depth CNN+GRU) on an Isaac Lab task.

Example:
    python scripts/distillation.py --task Isaac-Quadcopter-Point-Ctrl-v0 \
        --teacher_checkpoint logs/rsl_rl/quadcopter_point_ctrl/<run>/model_149.pt --num_envs 256 --student gru

Several teachers (``--teacher_checkpoint a.pt b.pt`` or a glob) each label a contiguous block of envs; on a task
with per-block vehicle variants teacher k is bound to variant k:

    python scripts/distillation.py --task Isaac-Quadcopter-Point-Ctrl-MultiVehicle-v0 \
        --teacher_checkpoint logs/rsl_rl/light/<run>/model_149.pt logs/rsl_rl/heavy/<run>/model_149.pt

Teachers trained one per vehicle by ``scripts/train_teachers.py`` come with a manifest that also sets the vehicles:

    python scripts/distillation.py --task Isaac-Quadcopter-Point-Ctrl-Foundation-v0 \
        --teacher_manifest logs/foundation/<run>/train/teachers.json +experiment=quadcopter_foundation

On N GPUs (one rank each, ``torchrun`` underneath; ``--device cpu`` runs N CPU processes):

    python scripts/distillation.py --num_gpus 2 --task Isaac-Quadcopter-Point-Ctrl-v0 --teacher_checkpoint ...
"""

from __future__ import annotations

import argparse

from isaaclab_distill.utils.cli import (
    add_env_args,
    apply_distributed,
    apply_env_args,
    cli_main,
    launch,
    parse_args,
    start_script,
)
from isaaclab_distill.utils.run_args import add_run_args

start_script(__file__)  # --num_gpus N: run N ranks of this script under torchrun, then exit; else 1 torch thread

from isaaclab_distill.models import student_class_names  # noqa: E402 (after the thread setting, it imports torch)

parser = argparse.ArgumentParser(
    description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False
)
add_env_args(parser)
parser.add_argument("--teacher_checkpoint", nargs="+", default=None, help="PPO model_*.pt file(s) or globs.")
parser.add_argument(
    "--teacher_manifest",
    default=None,
    help="teachers.json of scripts/train_teachers.py: teacher k and its vehicle on env block k (instead of"
    " --teacher_checkpoint).",
)
parser.add_argument(
    "--agent",
    default=None,
    help="Agent config registry key (default: the first the task has of distillation_cfg_entry_point,"
    " rsl_rl_distillation_cfg_entry_point, rsl_rl_cfg_entry_point).",
)
parser.add_argument("--experiment_name", default=None, help="Folder under logs/distillation/.")
parser.add_argument("--run_name", default=None, help="Suffix of the run folder.")
parser.add_argument("--resume", default=None, help="Student checkpoint to continue from.")
parser.add_argument("--student", choices=student_class_names(), default=None, help="Student architecture.")
parser.add_argument("--student_obs_group", nargs="+", default=None, help="Observation group(s) the student reads.")
parser.add_argument("--n_epochs", type=int, default=None)
parser.add_argument("--num_episodes", type=int, default=None, help="Episodes' worth of transitions per epoch.")
parser.add_argument("--batch_size", type=int, default=None, help="Segments per minibatch.")
parser.add_argument("--sequence_length", type=int, default=None, help="TBPTT segment length (1 = transitions).")
parser.add_argument("--learning_rate", type=float, default=None)
parser.add_argument("--epoch_teacher_forcing", type=int, default=None, help="Epochs in which the teacher drives.")
parser.add_argument("--shuffle", action=argparse.BooleanOptionalAction, default=None)
parser.add_argument("--on_policy", action="store_true", default=None, help="Rebuild the dataset every epoch.")
parser.add_argument("--teacher_deterministic", action=argparse.BooleanOptionalAction, default=None)
add_run_args(parser)  # --logger, --log_project_name, --run_timestamp (Isaac Lab's rsl_rl train flags)
args_cli = parse_args(parser)

from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper  # noqa: E402

from isaaclab_distill.distillation import DistillationRunner, Teacher, load_checkpoint  # noqa: E402
from isaaclab_distill.distillation.plots import final_results, plot_distillation_summary  # noqa: E402
from isaaclab_distill.distillation.rsl_rl_cfg import ENTRY_POINTS, env_obs_groups, to_distillation_cfg  # noqa: E402
from isaaclab_distill.distillation.runner import INTERRUPTED_FILE  # noqa: E402
from isaaclab_distill.distillation.script_args import (  # noqa: E402
    apply_distillation_args,
    check_teacher_variants,
    resolve_teachers,
)
from isaaclab_distill.models import build_student  # noqa: E402
from isaaclab_distill.models.observations import obs_shapes_of  # noqa: E402
from isaaclab_distill.utils import UserError, hydra_task_config, load_task_configs  # noqa: E402
from isaaclab_distill.utils.envs import make_env  # noqa: E402
from isaaclab_distill.utils.hydra import describe_agent_cfg, select_agent_entry_point  # noqa: E402
from isaaclab_distill.utils.interrupt import GracefulInterrupt  # noqa: E402
from isaaclab_distill.utils.run_args import check_run_args, make_writer, write_manifest  # noqa: E402
from isaaclab_distill.utils.runs import dump_params, make_run_dir, teacher_agent_cfg  # noqa: E402
from isaaclab_distill.utils.sweep import sweep_cli  # noqa: E402

AGENT_KEYS = args_cli.agent or ENTRY_POINTS


def as_distillation_cfg(agent_cfg, env_cfg):
    """The registered agent config (ours, Isaac Lab's distillation config, or a PPO config) as a DistillationCfg."""
    return to_distillation_cfg(agent_cfg, args_cli.num_envs or env_cfg.scene.num_envs, env_obs_groups(env_cfg))


def apply_flags(env_cfg, agent_cfg) -> list[str]:
    """The flags into the resolved configs, and every check that needs no simulator; returns the teacher files."""
    apply_env_args(args_cli, env_cfg)
    episode_steps = int(env_cfg.episode_length_s / (env_cfg.sim.dt * env_cfg.decimation))
    apply_distillation_args(args_cli, agent_cfg, env_cfg.scene.num_envs, episode_steps)
    teacher_paths = resolve_teachers(args_cli, env_cfg, args_cli.task)
    check_teacher_variants(env_cfg, len(teacher_paths))
    check_run_args(args_cli)
    if args_cli.resume:
        load_checkpoint(args_cli.resume)  # kind and readability, before the simulator starts
    if args_cli.distributed and agent_cfg.checkpoint_dataset:
        raise UserError("agent.checkpoint_dataset=true is not supported with --distributed (one dataset per rank)")
    return teacher_paths


@cli_main
@hydra_task_config(args_cli.task, AGENT_KEYS, agent_cfg_adapter=as_distillation_cfg)
def main(env_cfg, agent_cfg) -> None:
    """Resolved configs -> env -> rsl_rl wrapper -> teachers + student -> runner -> learn."""
    # 1. configs and every check that needs no simulator
    print(f"[INFO] distillation config: {describe_agent_cfg(args_cli.task, AGENT_KEYS)}")
    teacher_paths = apply_flags(env_cfg, agent_cfg)
    ranks = apply_distributed(args_cli, env_cfg, agent_cfg)  # --distributed: cuda:<LOCAL_RANK>, seed + RANK
    # run directory: named by rank 0 alone, which alone writes params, TensorBoard events, checkpoints and videos
    name, stamp, path = agent_cfg.run_name or None, args_cli.run_timestamp, args_cli.run_dir
    log_dir = ranks.from_main(
        lambda: make_run_dir("distillation", agent_cfg.experiment_name, name, stamp=stamp, path=path)
    )
    env_cfg.log_dir = log_dir
    if ranks.is_main:
        dump_params(log_dir, env_cfg, agent_cfg)
        write_manifest(log_dir, "distillation", args_cli.task, select_agent_entry_point(args_cli.task, AGENT_KEYS))
    print(f"[INFO] logging to {log_dir}" + (f" (rank {ranks.rank} of {ranks.world_size})" if ranks.enabled else ""))
    if args_cli.video and ranks.is_main:  # imported only when recording: it loads the camera and renderer modules
        from isaaclab_distill.utils.video import configure_video

        configure_video(env_cfg, args_cli, log_dir, "distillation")

    with launch(env_cfg, args_cli):
        # 2. environment, wrapped for rsl_rl (TensorDict observations with "policy" and "teacher" groups)
        env = RslRlVecEnvWrapper(make_env(args_cli.task, env_cfg))
        writer = make_writer(args_cli, log_dir, agent_cfg.experiment_name) if ranks.is_main else None
        try:
            # 3. teachers (rsl_rl PPO actors) and the student
            obs = env.get_observations()
            teachers = [
                Teacher.from_checkpoint(
                    path,
                    teacher_agent_cfg(args_cli.task, path),
                    obs,
                    env.num_actions,
                    device=env.device,
                    deterministic=agent_cfg.algorithm.teacher_deterministic,
                )
                for path in teacher_paths
            ]
            student = build_student(
                agent_cfg.student, obs_shapes_of(obs, agent_cfg.student_obs_groups), env.num_actions
            )
            for teacher in teachers:
                print(f"[INFO] {teacher.architecture(env.num_actions)} ({teacher.name})")
            print(f"[INFO] student: {student.config}")
            # 4. runner
            runner = DistillationRunner(env, teachers, student, agent_cfg, log_dir, writer, ranks=ranks)
            if args_cli.resume:
                runner.resume(args_cli.resume)
            with GracefulInterrupt() as interrupt:  # Ctrl-C stops at the next step, then saves
                runner.check_interrupt = interrupt.check
                try:
                    result = runner.learn()
                except KeyboardInterrupt:
                    path = runner.save_checkpoint(INTERRUPTED_FILE)
                    if ranks.is_main:
                        print(f"[INFO] interrupted: saved {path}")
                    raise
            ranks.report_checksum("student", student)  # the distributed-run test compares them
            if ranks.is_main:
                print(f"[INFO] done: {result}; checkpoints in {log_dir}")
                print(f"[INFO] student vs teacher return plot: {plot_distillation_summary(log_dir)}")
        finally:
            if writer is not None:
                writer.close()
            env.close()


def job_experiment(overrides: list[str]) -> str:
    """A sweep job's configs resolve and its overrides check out (before any job runs): its experiment name."""
    env_cfg, agent_cfg = load_task_configs(args_cli.task, AGENT_KEYS, overrides, agent_cfg_adapter=as_distillation_cfg)
    apply_flags(env_cfg, agent_cfg)
    return agent_cfg.experiment_name


@cli_main
def sweep() -> None:
    """``-m``: one distillation per job of the overrides' sweep (Hydra's launcher), then the jobs' table."""
    sweep_cli(__file__, args_cli, "distillation", job_experiment, final_results)


if __name__ == "__main__":
    sweep() if args_cli.multirun else main()
