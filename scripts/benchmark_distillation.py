"""Distillation benchmark: our ``DistillationRunner`` vs rsl_rl 5.5.1's ``Distillation``, same env, same process.

One env, one PPO teacher checkpoint. Each method starts from a seeded env reset, distils the teacher into the same
student architecture (``--student``) with the same learning rate, the same env steps per iteration
(``num_envs x num_steps_per_env`` of the task's distillation config) and the same env-step budget (``--env_steps``):

- ``rsl_rl Distillation``: rsl_rl's ``DistillationRunner`` built from an rsl_rl 5 config (``student``/``teacher``
  models, ``obs_groups`` with ``student``/``teacher`` sets); the teacher gets the checkpoint's ``actor_state_dict``
  through ``runner.load`` and ``gradient_length`` = our ``sequence_length``. It always lets the (sampled) student act
  and trains on the last rollout only.
- ``ours``: :class:`DistillationRunner` with the task's distillation config (teacher forcing for the same share of
  the iterations as in that config, then DAgger with beta mixing, aggregated dataset, shuffled TBPTT segments),
  driven phase by phase (``collect`` / ``update``) so that no in-training evaluation or checkpoint is timed.

Ours runs first: rsl_rl's rollouts run under ``torch.inference_mode``, after which the env's buffers can only be
updated in inference mode, which our trainer (autograd in ``update``) cannot use.

Columns: ``update samples/s`` = transitions consumed by the gradient update (rsl_rl: the rollout x learning epochs;
ours: the whole aggregated dataset x passes) per second of update time, timed apart from collection; ``x baseline``
= that rate over rsl_rl's, measured in the same process. ``wall s`` = training time (collection + update),
evaluation excluded. ``last loss`` = mean per-step MSE of the last update (rsl_rl: on its last rollout; ours: on
the aggregated dataset). ``eval return`` = mean return of the first episode of every env, all envs starting together
from the same seeded reset, deterministic actions; the same function evaluates the teacher and both students.

Example:
    python scripts/benchmark_distillation.py \
        --teacher_checkpoint logs/rsl_rl/quadcopter_point_ctrl/<run>/model_149.pt --num_envs 256 --student gru
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import tempfile
import time
from typing import Any

from isaaclab_distill.utils.cli import check_device, cli_main, configure_threads, launch

configure_threads()

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--teacher_checkpoint", required=True, help="rsl_rl PPO model_*.pt of the teacher.")
parser.add_argument("--task", default="Isaac-Quadcopter-Point-Ctrl-v0")
parser.add_argument("--num_envs", type=int, default=256)
parser.add_argument("--env_steps", type=int, default=500_000, help="Env-step budget of each method (rounded up).")
parser.add_argument("--student", choices=["mlp", "gru", "lstm"], default=None, help="Default: the task's config.")
parser.add_argument("--seed", type=int, default=42)
parser.add_argument("--device", default="cpu")
parser.add_argument("--student_std", type=float, default=0.1, help="Action noise of rsl_rl's sampled student.")


def reset_env(env: Any, seed: int, synchronous: bool = False) -> None:
    """Reseed every generator and reset all envs (``synchronous``: every episode starts at step 0)."""
    env.seed(seed)
    env.reset()
    if synchronous:
        env.unwrapped.episode_length_buf.zero_()


def evaluate(env: Any, policy: Any, seed: int, inference_mode: bool = False) -> tuple[float, float]:
    """Mean and std of the return of every env's first episode, all envs starting from one seeded reset.

    ``inference_mode`` is needed once rsl_rl has stepped the env: its rollouts run under ``torch.inference_mode``,
    which turns the env's buffers into inference tensors that cannot be updated in place outside that mode.
    """
    import torch

    from isaaclab_distill.distillation import rollout

    with torch.inference_mode() if inference_mode else torch.no_grad():
        reset_env(env, seed, synchronous=True)
        steps = int(env.unwrapped.max_episode_length) + 1
        result, _ = rollout(env, policy, steps, fresh_start=True, first_episode_per_env=True)
    summary = result.summary()
    return summary["mean_return"], summary["std_return"]


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


def run_rsl_rl(env: Any, train_cfg: dict, teacher: Any, teacher_path: str, iterations: int, seed: int) -> dict:
    """Train rsl_rl's ``DistillationRunner`` for ``iterations``; returns timings and its deterministic student."""
    import torch
    from rsl_rl.runners import DistillationRunner

    from isaaclab_distill.distillation import Teacher

    reset_env(env, seed)
    with contextlib.redirect_stdout(io.StringIO()):  # it prints both models
        runner = DistillationRunner(env, train_cfg, log_dir=None, device=str(env.device))
    runner.load(teacher_path, map_location=str(env.device))  # PPO checkpoint: loads actor_state_dict -> teacher
    obs = env.get_observations()
    with torch.no_grad():
        if not torch.allclose(runner.alg.teacher(obs), teacher.act(obs), atol=1e-5):
            raise RuntimeError("rsl_rl's teacher and ours disagree on the same observations")
    update_s, losses = [0.0], []
    update = runner.alg.update

    def timed_update() -> dict:
        start = time.perf_counter()
        out = update()
        update_s[0] += time.perf_counter() - start
        losses.append(out["behavior"])
        return out

    runner.alg.update = timed_update
    start = time.perf_counter()
    runner.learn(iterations, init_at_random_ep_len=False)  # the seeded reset already spreads the episodes
    wall_s = time.perf_counter() - start
    samples = iterations * env.num_envs * train_cfg["num_steps_per_env"] * train_cfg["algorithm"]["num_learning_epochs"]
    policy = Teacher(runner.alg.student, deterministic=True)  # a frozen rsl_rl model acting, as a teacher does
    return {"update_s": update_s[0], "wall_s": wall_s, "samples": samples, "loss": losses[-1], "policy": policy}


def run_ours(env: Any, cfg: Any, teacher: Any, iterations: int, seed: int) -> dict:
    """Train our :class:`DistillationRunner` for ``iterations`` epochs; returns timings and its student."""
    from isaaclab_distill.distillation import DistillationRunner, StudentPolicy
    from isaaclab_distill.models import build_student
    from isaaclab_distill.models.observations import obs_shapes_of

    reset_env(env, seed)
    obs = env.get_observations()
    student = build_student(cfg.student, obs_shapes_of(obs, cfg.student_obs_groups), env.num_actions)
    samples, update_s = 0, 0.0
    with tempfile.TemporaryDirectory() as log_dir:  # nothing is saved: checkpoints are not part of the benchmark
        runner = DistillationRunner(env, teacher, student, cfg, log_dir)
        start = time.perf_counter()
        for epoch in range(iterations):
            runner.collect(epoch)
            samples += cfg.algorithm.num_learning_passes * runner.alg.dataset.num_transitions
            t0 = time.perf_counter()
            loss = runner.update(epoch)
            update_s += time.perf_counter() - t0
            runner.epoch = epoch + 1
        wall_s = time.perf_counter() - start
    return {
        "update_s": update_s,
        "wall_s": wall_s,
        "samples": samples,
        "loss": loss,
        "policy": StudentPolicy(student),
    }


@cli_main
def main() -> None:
    """Parse -> configs -> env -> teacher -> (rsl_rl, ours) -> table."""
    from isaaclab_distill.utils import UserError

    args = parser.parse_args()
    for name in ("num_envs", "env_steps"):
        if getattr(args, name) <= 0:
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
    iterations = max(1, math.ceil(args.env_steps / (args.num_envs * cfg.num_steps_per_env)))
    # our config, scaled to the budget: the teacher-forcing share of the registered schedule is kept
    cfg.algorithm.epoch_teacher_forcing = round(cfg.algorithm.epoch_teacher_forcing * iterations / cfg.n_epochs)
    cfg.n_epochs, cfg.seed, cfg.save_interval = iterations, args.seed, 0
    if args.student:
        cfg.student.class_name = args.student
    cfg.algorithm.batch_size = min(
        cfg.algorithm.batch_size, args.num_envs * math.ceil(cfg.num_steps_per_env / cfg.algorithm.sequence_length)
    )
    cfg.storage.max_dataset_steps = max(cfg.storage.max_dataset_steps, args.num_envs * cfg.num_steps_per_env)
    teacher_agent = teacher_agent_cfg(args.task, teacher_path)

    rows: list[dict] = []
    with launch(env_cfg, args):
        start = time.perf_counter()
        env = RslRlVecEnvWrapper(gym.make(args.task, cfg=env_cfg))
        print(f"[bench] env of {args.num_envs} built in {time.perf_counter() - start:.1f} s", flush=True)
        try:
            teacher = Teacher.from_checkpoint(
                teacher_path, teacher_agent, env.get_observations(), env.num_actions, device=env.device
            )
            t_return, t_std = evaluate(env, teacher, args.seed)
            rows.append({"method": "teacher (PPO)", "eval": t_return, "eval_std": t_std})
            print(f"[bench] teacher return {t_return:.3f} +- {t_std:.3f}", flush=True)
            train_cfg = rsl_rl_train_cfg(
                cfg, actor_cfg_from_agent_cfg(teacher_agent), teacher.obs_groups, args.student_std
            )
            # ours first: after rsl_rl's inference-mode rollouts the env can only be stepped in inference mode
            runs = [
                ("ours", lambda: run_ours(env, cfg, teacher, iterations, args.seed)),
                (
                    "rsl_rl Distillation",
                    lambda: run_rsl_rl(env, train_cfg, teacher, teacher_path, iterations, args.seed),
                ),
            ]
            for method, run in runs:
                row = run()
                after_rsl_rl = method.startswith("rsl_rl")
                row["eval"], row["eval_std"] = evaluate(env, row.pop("policy"), args.seed, inference_mode=after_rsl_rl)
                row.update(method=method, env_steps=iterations * args.num_envs * cfg.num_steps_per_env)
                rows.insert(1 if after_rsl_rl else len(rows), row)  # table order: teacher, rsl_rl, ours
                print(f"[bench] {method}: {row['wall_s']:.1f} s, return {row['eval']:.3f}", flush=True)
        finally:
            env.close()
    print_table(rows, args, cfg, iterations)


def print_table(rows: list[dict], args: argparse.Namespace, cfg: Any, iterations: int) -> None:
    """One line per method; rates are compared to the rsl_rl row, returns to the teacher row."""
    teacher, base = rows[0], next((r for r in rows if r["method"].startswith("rsl_rl")), None)
    print(
        f"\n{args.task} on {args.device}: {args.num_envs} envs, {cfg.student.class_name} student,"
        f" {iterations} iterations x {cfg.num_steps_per_env} steps/env, lr {cfg.algorithm.learning_rate:g},"
        f" TBPTT {cfg.algorithm.sequence_length} (rsl_rl gradient_length), seed {args.seed}"
    )
    columns = [
        ("method", "<", 22),
        ("env steps", ">", 11),
        ("update samples/s", ">", 18),
        ("x baseline", ">", 12),
        ("update s", ">", 10),
        ("wall s", ">", 9),
        ("last loss", ">", 11),
        ("eval return", ">", 18),
        ("student/teacher", ">", 17),
    ]
    header = "".join(f"{name:{align}{width}}" for name, align, width in columns)
    print(header + "\n" + "-" * len(header))
    for r in rows:
        ret = f"{r['eval']:.2f} +- {r['eval_std']:.2f}"
        ratio = r["eval"] / teacher["eval"] if teacher["eval"] != 0 else math.nan
        if "samples" not in r:  # the teacher row
            print(f"{r['method']:<22}{'-':>11}{'-':>18}{'-':>12}{'-':>10}{'-':>9}{'-':>11}{ret:>18}{ratio:>17.3f}")
            continue
        rate = r["samples"] / r["update_s"]
        speed = rate / (base["samples"] / base["update_s"]) if base else math.nan
        print(
            f"{r['method']:<22}{r['env_steps']:>11,}{rate:>18,.0f}{speed:>12.2f}{r['update_s']:>10.1f}"
            f"{r['wall_s']:>9.1f}{r['loss']:>11.4f}{ret:>18}{ratio:>17.3f}"
        )


if __name__ == "__main__":
    main()
