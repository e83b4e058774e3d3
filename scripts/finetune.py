"""Fine-tune a distilled student with PPO (rsl_rl), optionally with a scheduled distillation term.

The student (MLP, GRU or LSTM ``final_student.pt``) becomes the PPO actor, the critic reads the task's critic group
(privileged observations: asymmetric actor-critic) and starts from the teacher's with ``--teacher_checkpoint``
(fresh without), the action std starts at
``agent.finetune.init_std`` and the actor stays frozen for ``agent.finetune.critic_warmup_iterations``. The rest of
the PPO settings are the task's own (its ``rsl_rl_cfg_entry_point``). The run writes ``model_<it>.pt`` (resume
with ``--resume``) and ``student_<it>.pt`` / ``final_student.pt``, which ``play.py`` plays and exports unchanged.

Example:
    python scripts/finetune.py --task Isaac-Quadcopter-Point-Ctrl-v0 --num_envs 256 --max_iterations 200 \
        --student logs/distillation/quadcopter_point_ctrl/<run>/final_student.pt
    # DAgger -> fine-tune: the behaviour loss fades out over 50 iterations
    python scripts/finetune.py ... --teacher_checkpoint logs/rsl_rl/quadcopter_point_ctrl/<run>/model_149.pt \
        agent.finetune.guidance.coef=1.0 agent.finetune.guidance.coef_end=0.0 agent.finetune.guidance.coef_iterations=50
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

start_script(__file__)  # --num_gpus N: run N ranks of this script under torchrun (rsl_rl's multi-GPU PPO)

parser = argparse.ArgumentParser(
    description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False
)
add_env_args(parser)
parser.add_argument("--student", required=True, help="Distilled student checkpoint (final_student.pt).")
parser.add_argument("--teacher_checkpoint", default=None, help="PPO teacher model_*.pt for the guidance term.")
parser.add_argument("--max_iterations", type=int, default=None, help="PPO iterations to run.")
parser.add_argument("--experiment_name", default=None, help="Folder under logs/finetune/ (default: the task's).")
parser.add_argument("--run_name", default=None, help="Suffix of the run folder.")
parser.add_argument("--resume", default=None, help="model_*.pt of an interrupted fine-tuning run to continue.")
add_run_args(parser)
args_cli = parse_args(parser)

from isaaclab.utils import to_dict  # noqa: E402
from isaaclab_rl.rsl_rl import check_rsl_rl_version, handle_deprecated_rsl_rl_cfg  # noqa: E402

from isaaclab_distill.distillation import load_checkpoint  # noqa: E402
from isaaclab_distill.distillation.teacher import agent_cfg_to_dict  # noqa: E402
from isaaclab_distill.rl import CURVE_FILE, LearningCurveEnv  # noqa: E402
from isaaclab_distill.rl.finetune_cfg import as_finetune_cfg, check_finetune_cfg, check_resume, runner_dict  # noqa: E402
from isaaclab_distill.rl.finetune_runner import FinetuneRunner  # noqa: E402
from isaaclab_distill.utils import UserError, hydra_task_config  # noqa: E402
from isaaclab_distill.utils.envs import make_env  # noqa: E402
from isaaclab_distill.utils.run_args import apply_ppo_args, write_manifest  # noqa: E402
from isaaclab_distill.utils.runs import dump_params, make_run_dir, teacher_agent_cfg  # noqa: E402

LIBRARY = "finetune"


def check_inputs(agent_cfg) -> tuple[list[str], dict | None]:
    """Every check that needs no simulator; the student's observation groups and the teacher's runner config."""
    if args_cli.multirun:
        raise UserError("finetune.py runs one job: drop -m (sweep with a shell loop over finetune.py runs)")
    check_finetune_cfg(agent_cfg)
    student = load_checkpoint(args_cli.student)  # readable, and a student
    teacher_cfg = None
    if args_cli.teacher_checkpoint:
        load_checkpoint(args_cli.teacher_checkpoint, kind="teacher")
        teacher_cfg = agent_cfg_to_dict(teacher_agent_cfg(args_cli.task, args_cli.teacher_checkpoint))
    elif agent_cfg.finetune.guidance.needs_teacher:
        raise UserError("agent.finetune.guidance uses a teacher (coef or beta > 0): pass --teacher_checkpoint")
    if args_cli.resume:
        check_resume(load_checkpoint(args_cli.resume, kind="teacher"), student, args_cli.resume)
    cfg = student["student_cfg"]
    old_group = (student.get("distillation_cfg") or {}).get("student_obs_group", "policy")  # before obs groups
    return list(cfg.get("obs_shapes") or {old_group: None}), teacher_cfg


@cli_main
@hydra_task_config(args_cli.task, "rsl_rl_cfg_entry_point", agent_cfg_adapter=lambda a, e: as_finetune_cfg(a))
def main(env_cfg, agent_cfg) -> None:
    """Resolved configs -> env -> rsl_rl wrapper -> PPO runner on the student -> learn -> final_student.pt."""
    # 1. flags, then every check before the simulator starts
    apply_ppo_args(args_cli, env_cfg, agent_cfg)
    student_groups, teacher_cfg = check_inputs(agent_cfg)
    ranks = apply_distributed(args_cli, env_cfg, agent_cfg)  # --distributed: cuda:<LOCAL_RANK>, seed + RANK
    agent_cfg = handle_deprecated_rsl_rl_cfg(agent_cfg, check_rsl_rl_version())

    # 2. run directory: logs/finetune/<experiment>/<timestamp>, named by rank 0 alone (rsl_rl writes only there)
    stamp, path, name = args_cli.run_timestamp, args_cli.run_dir, args_cli.run_name
    log_dir = ranks.from_main(lambda: make_run_dir(LIBRARY, agent_cfg.experiment_name, name, stamp=stamp, path=path))
    if ranks.is_main:
        write_manifest(log_dir, LIBRARY, args_cli.task, "rsl_rl_cfg_entry_point")
    env_cfg.log_dir = log_dir
    print(f"[INFO] logging to {log_dir}" + (f" (rank {ranks.rank} of {ranks.world_size})" if ranks.enabled else ""))
    if args_cli.video and ranks.is_main:
        from isaaclab_distill.utils.video import configure_video

        configure_video(env_cfg, args_cli, log_dir, "finetune")

    with launch(env_cfg, args_cli):
        # 3. environment, wrapped for rsl_rl (learning_curve.json after every iteration)
        env = LearningCurveEnv(
            make_env(args_cli.task, env_cfg),
            steps_per_iteration=agent_cfg.num_steps_per_env,
            path=os.path.join(log_dir, CURVE_FILE) if ranks.is_main else None,
            clip_actions=agent_cfg.clip_actions,
        )
        try:
            # 4. rsl_rl's runner on the student actor, a fresh critic and the guided PPO
            teacher = args_cli.teacher_checkpoint
            cfg = runner_dict(to_dict(agent_cfg), args_cli.student, student_groups, teacher, teacher_cfg)
            runner = FinetuneRunner(env, cfg, log_dir=log_dir, device=agent_cfg.device)
            if args_cli.resume:
                print(f"[INFO] resuming from {args_cli.resume}")
                runner.load(args_cli.resume, map_location=agent_cfg.device)
            if ranks.is_main:
                dump_params(log_dir, env_cfg, agent_cfg)
            start = time.time()
            runner.learn(agent_cfg.max_iterations)
            print(f"[INFO] fine-tuning took {time.time() - start:.1f} s; final_student.pt in {log_dir}")
            ranks.report_checksum("student", runner.alg.get_policy().student)  # the 2-rank test compares them
        finally:
            env.close()


if __name__ == "__main__":
    main()
