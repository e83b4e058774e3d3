"""Distillation benchmark: our ``DistillationRunner`` vs rsl_rl 5.5.1's ``Distillation``, same env, same process.

One env, one PPO teacher checkpoint, the same student architecture (``--student``), learning rate, rollout length
and TBPTT length (rsl_rl's ``gradient_length``). Each method starts from a seeded env reset:

- ``ours``: :class:`DistillationRunner.learn` with the task's distillation config as ``scripts/distillation.py`` runs
  it (teacher forcing, DAgger, bounded update, its own free evaluation), for the config's epochs or ``--env_steps``;
- ``rsl_rl Distillation``: rsl_rl's ``DistillationRunner`` from an rsl_rl 5 config (the sampled student always acts,
  it trains on the last rollout), given ``--rsl_rl_budget`` (4) times our env steps. Its teacher is the checkpoint's
  actor; ours clips the labels to the PPO action range (``clip_actions``), so the two teachers are compared on the
  clipped actions, where they must agree.

Both are timed while they train and snapshot their student; every snapshot is evaluated after both runs by one
function (every env's first episode from a seeded synchronous reset, deterministic actions; the teacher too), so
the curves (``--plot`` PNG) and the times to ``--target`` (95 %) of the teacher's return compare like with like.
Ours runs first: after rsl_rl's inference-mode rollouts the env can only be stepped in inference mode.

Columns: ``collect steps/s`` = env steps per second of collection (ours: ``collect`` time; rsl_rl: wall minus
update), ``overhead`` (ours) = the rate of ``env.step`` alone replaying the actions of our first two collection epochs
from the same seeded reset and episode timers (the same resets, crashes, contacts) / our collection rate on those
very steps - 1: the cost of the teacher, the student and the storage;
``update samples/s`` = transitions per second of update time; ``eval share`` = the run's own evaluation env steps
/ all its env steps; ``wall s`` = training wall time (snapshots excluded); ``s to target`` = wall time of the first
snapshot at the target (NaN: not within the budget).

Example:
    python scripts/benchmark_distillation.py \
        --teacher_checkpoint logs/rsl_rl/quadcopter_point_ctrl/<run>/model_149.pt --num_envs 256
"""

from __future__ import annotations

import argparse
import math
import os
import time
from typing import Any

from isaaclab_distill.utils.cli import check_device, cli_main, configure_threads, launch

configure_threads()

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--teacher_checkpoint", required=True, help="rsl_rl PPO model_*.pt of the teacher.")
parser.add_argument("--task", default="Isaac-Quadcopter-Point-Ctrl-v0")
parser.add_argument("--num_envs", type=int, default=256)
parser.add_argument("--env_steps", type=int, default=None, help="Our env-step budget (default: the config's epochs).")
parser.add_argument("--student", choices=["mlp", "gru", "lstm"], default=None, help="Default: the task's config.")
parser.add_argument("--seed", type=int, default=42)
parser.add_argument("--device", default="cpu")
parser.add_argument("--student_std", type=float, default=0.1, help="Action noise of rsl_rl's sampled student.")
parser.add_argument("--rsl_rl_budget", type=int, default=4, help="rsl_rl's env steps as a multiple of ours.")
parser.add_argument("--snapshots", type=int, default=5, help="Evaluated snapshots of our run (rsl_rl: 2x as many).")
parser.add_argument("--target", type=float, default=0.95, help="Return / teacher return that the times refer to.")
parser.add_argument("--plot", default="logs/benchmarks/distillation_curves.png", help="PNG of the curves ('' none).")


def rsl_rl_train_cfg(cfg: Any, teacher_actor_cfg: dict, teacher_obs_groups: list[str], student_std: float) -> dict:
    """rsl_rl 5 ``DistillationRunner`` config matching our distillation config (student, lr, rollout, TBPTT)."""
    s = cfg.student
    student = {
        "class_name": "rsl_rl.models:MLPModel",
        "hidden_dims": list(s.hidden_dims),
        "activation": s.activation,
        "obs_normalization": s.obs_normalization,
        "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": student_std, "std_type": "scalar"},
    }
    if s.class_name != "mlp":
        student.update(
            class_name="rsl_rl.models:RNNModel",
            rnn_type=s.class_name,
            rnn_hidden_dim=s.rnn_hidden_dim,
            rnn_num_layers=s.rnn_num_layers,
        )
    return {
        "class_name": "DistillationRunner",
        "num_steps_per_env": cfg.num_steps_per_env,
        "save_interval": 1_000_000,
        "check_for_nan": True,
        "logger": "tensorboard",  # no writer is created without a log_dir
        "obs_groups": {"student": list(cfg.student_obs_groups), "teacher": teacher_obs_groups},
        "student": student,
        "teacher": teacher_actor_cfg,  # the PPO actor, so that its actor_state_dict loads strictly
        "algorithm": {
            "class_name": "rsl_rl.algorithms:Distillation",
            "num_learning_epochs": cfg.algorithm.num_learning_passes,
            "gradient_length": cfg.algorithm.sequence_length,
            "learning_rate": cfg.algorithm.learning_rate,
            "max_grad_norm": cfg.algorithm.max_grad_norm,
            "loss_type": cfg.algorithm.loss,
            "optimizer": "adam",
        },
    }


@cli_main
def main() -> None:
    """Parse -> configs -> env -> teacher -> (rsl_rl, ours) -> table."""
    from isaaclab_distill.utils import UserError

    args = parser.parse_args()
    for name in ("num_envs", "env_steps", "rsl_rl_budget", "snapshots"):
        if getattr(args, name) is not None and getattr(args, name) <= 0:
            raise UserError(f"--{name} must be positive, got {getattr(args, name)}")
    check_device(args.device)
    from isaaclab_distill.distillation.script_args import expand_teacher_paths
    from isaaclab_distill.utils.runs import teacher_agent_cfg

    teacher_path = expand_teacher_paths([args.teacher_checkpoint])[0]  # missing / not a PPO checkpoint -> error:

    import gymnasium as gym
    from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper

    from isaaclab_distill.distillation import Teacher
    from isaaclab_distill.distillation.teacher import actor_cfg_from_agent_cfg
    from isaaclab_distill.utils.hydra import load_task_configs

    overrides = [f"env.scene.num_envs={args.num_envs}", f"env.sim.device={args.device}"]
    env_cfg, cfg = load_task_configs(args.task, "distillation_cfg_entry_point", overrides)
    env_cfg.seed = args.seed
    iterations = cfg.n_epochs
    if args.env_steps is not None:  # our config, scaled to the budget: the teacher-forcing and averaged shares kept
        iterations = max(1, math.ceil(args.env_steps / (args.num_envs * cfg.num_steps_per_env)))
        cfg.algorithm.epoch_teacher_forcing = round(cfg.algorithm.epoch_teacher_forcing * iterations / cfg.n_epochs)
        cfg.algorithm.average_last_epochs = round(cfg.algorithm.average_last_epochs * iterations / cfg.n_epochs)
    cfg.n_epochs, cfg.seed, cfg.save_interval = iterations, args.seed, 0
    if args.student:
        cfg.student.class_name = args.student
    cfg.algorithm.batch_size = min(
        cfg.algorithm.batch_size, args.num_envs * math.ceil(cfg.num_steps_per_env / cfg.algorithm.sequence_length)
    )
    cfg.storage.max_dataset_steps = max(cfg.storage.max_dataset_steps, args.num_envs * cfg.num_steps_per_env)
    teacher_agent = teacher_agent_cfg(args.task, teacher_path)

    from isaaclab_distill.distillation import benchmark as bench
    from isaaclab_distill.models import build_student
    from isaaclab_distill.models.observations import obs_shapes_of

    with launch(env_cfg, args):
        start = time.perf_counter()
        env = RslRlVecEnvWrapper(gym.make(args.task, cfg=env_cfg))
        print(f"[bench] env of {args.num_envs} built in {time.perf_counter() - start:.1f} s", flush=True)
        try:
            obs = env.get_observations()
            teacher = Teacher.from_checkpoint(teacher_path, teacher_agent, obs, env.num_actions, device=env.device)
            teacher_return = bench.evaluate(env, teacher, args.seed)
            raw_rate = bench.raw_step_rate(env, 2 * cfg.num_steps_per_env, args.seed)
            print(f"[bench] teacher return {teacher_return:.3f}; raw env {raw_rate:,.0f} steps/s", flush=True)
            student = build_student(cfg.student, obs_shapes_of(obs, cfg.student_obs_groups), env.num_actions)
            ours = bench.run_ours(env, cfg, teacher, student, max(1, iterations // args.snapshots), args.seed)
            print(f"[bench] ours: {ours['wall_s']:.1f} s, own last evaluation {ours['own_ratio']:.3f} of the teacher")
            train_cfg = rsl_rl_train_cfg(
                cfg, actor_cfg_from_agent_cfg(teacher_agent), teacher.obs_groups, args.student_std
            )
            rsl_iterations = args.rsl_rl_budget * iterations
            chunk = max(1, rsl_iterations // (2 * args.snapshots))
            theirs = bench.run_rsl_rl(env, train_cfg, teacher, teacher_path, rsl_iterations, chunk, args.seed)
            print(f"[bench] rsl_rl Distillation: {theirs['wall_s']:.1f} s", flush=True)
            # the snapshots, evaluated after both runs (rsl_rl's env buffers now need inference mode)
            rows = {"ours": ours, "rsl_rl Distillation": theirs}
            for row in rows.values():
                row["curve"] = row.pop("snapshots").curve(env, row.pop("make_policy"), args.seed, inference_mode=True)
        finally:
            env.close()
    target = args.target * teacher_return
    print_table(rows, raw_rate, teacher_return, target, args, cfg, iterations)
    curves = {method: row["curve"] for method, row in rows.items()}
    if args.plot:
        os.makedirs(os.path.dirname(os.path.abspath(args.plot)), exist_ok=True)
        print(f"[bench] curves: {bench.plot_curves(curves, teacher_return, args.target, args.plot)}")


def print_table(
    rows: dict, raw_rate: float, teacher_return: float, target: float, args: Any, cfg: Any, iterations: int
) -> None:
    """One line per method (rates, evaluation share, final return, time to the target) and the ratio of the times."""
    from isaaclab_distill.distillation.benchmark import time_to

    print(
        f"\n{args.task} on {args.device}: {args.num_envs} envs, {cfg.student.class_name} student, ours {iterations}"
        f" epochs x {cfg.num_steps_per_env} steps/env, rsl_rl up to {args.rsl_rl_budget}x its env steps, lr"
        f" {cfg.algorithm.learning_rate:g}, seed {args.seed}; env.step alone: {raw_rate:,.0f} env steps/s with random"
        f" actions, {rows['ours']['replay_rate']:,.0f} replaying our collection's; teacher return"
        f" {teacher_return:.2f}; target {args.target:.0%} = {target:.2f}"
    )
    header = (
        f"{'method':<22}{'env steps':>11}{'collect steps/s':>17}{'overhead':>10}{'update samples/s':>18}"
        f"{'eval share':>12}{'wall s':>9}{'final / teacher':>17}{'s to target':>13}"
    )
    print(header + "\n" + "-" * len(header))
    times = {}
    for method, r in rows.items():
        times[method] = time_to(r["curve"], target)
        overhead = f"{r['overhead']:.1%}" if "overhead" in r else "-"
        final = r["curve"][-1]["return"] / teacher_return
        print(
            f"{method:<22}{r['env_steps']:>11,.0f}{r['collection_rate']:>17,.0f}"
            f"{overhead:>10}{r['update_rate']:>18,.0f}{r['evaluation_share']:>12.1%}"
            f"{r['wall_s']:>9.1f}{final:>17.3f}{times[method]:>13.1f}"
        )
    ours, theirs = times["ours"], times["rsl_rl Distillation"]
    if math.isnan(theirs):
        print(f"rsl_rl Distillation does not reach {args.target:.0%} of the teacher within its budget.")
    else:
        print(f"time to {args.target:.0%} of the teacher, ours / rsl_rl: {ours / theirs:.2f}")
    for method, r in rows.items():
        points = ", ".join(f"{p['wall_s']:.0f} s: {p['return'] / teacher_return:.3f}" for p in r["curve"])
        print(f"  {method} curve (wall time: return / teacher): {points}")


if __name__ == "__main__":
    main()
