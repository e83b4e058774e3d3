"""Play a distilled student or a PPO teacher checkpoint: deterministic rollout, summary, ONNX/TorchScript export.

Example:
    python scripts/play.py --task Isaac-Quadcopter-Point-Ctrl-v0 \
        --checkpoint logs/rsl_rl/quadcopter_point_ctrl/<run>/model_149.pt --num_envs 16
    python scripts/play.py --task Isaac-Quadcopter-Point-Ctrl-v0 \
        --checkpoint logs/distillation/quadcopter_point_ctrl/<run>/final_student.pt --video --video_length 300
    python scripts/play.py --task Isaac-Quadcopter-Point-Ctrl-v0 --checkpoint latest  # the newest run's student

Writes ``<checkpoint_stem>_play.json`` next to the checkpoint and ``exported/policy.onnx`` + ``exported/policy.pt``
in the checkpoint's directory (videos, with ``--video``, under ``<checkpoint dir>/videos/play``). A depth student is
also exported split, as robots run it: ``exported/depth_encoder.pt`` + ``exported/student_actor.pt``, checked on the
first 50 steps of the rollout (``exported/depth_student_reference.pt``; see :mod:`isaaclab_distill.export_depth`).
"""

from __future__ import annotations

import argparse

from isaaclab_distill.utils.cli import add_env_args, apply_env_args, cli_main, configure_threads, launch, parse_args

configure_threads()

parser = argparse.ArgumentParser(
    description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False
)
add_env_args(parser)
parser.add_argument(
    "--checkpoint",
    default="latest",
    help="Student checkpoint, PPO model_*.pt, a run directory, or latest (default) / best: the newest run's, by its"
    " run.json (a distillation run's final / best student, else a PPO run's last model).",
)
parser.add_argument("--steps", type=int, default=None, help="Env steps to run (default: two episodes' worth).")
parser.add_argument("--no_export", action="store_true", help="Skip the ONNX/TorchScript export.")
args_cli = parse_args(parser, single_process=True)  # --distributed: one error line

import os  # noqa: E402

from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper  # noqa: E402

from isaaclab_distill.evaluation import (  # noqa: E402
    action_clip,
    checkpoint_kind,
    evaluate_policy,
    format_summary,
    load_policy,
    resolve_policy_checkpoint,
    save_summary,
)
from isaaclab_distill.export import export_policy  # noqa: E402
from isaaclab_distill.export_depth import InputRecorder, export_depth_student  # noqa: E402
from isaaclab_distill.models import DepthStudent  # noqa: E402
from isaaclab_distill.utils import UserError, hydra_task_config  # noqa: E402
from isaaclab_distill.utils.envs import make_env  # noqa: E402
from isaaclab_distill.utils.run_args import SELECTORS, select_play_checkpoint  # noqa: E402


@cli_main
@hydra_task_config(args_cli.task, "rsl_rl_cfg_entry_point", play_mode=True)
def main(env_cfg, agent_cfg) -> None:
    """Resolved configs -> checkpoint checks -> env -> rsl_rl wrapper -> policy -> rollout -> summary -> export."""
    # 1. flags and the checkpoint, checked before the simulator starts
    apply_env_args(args_cli, env_cfg, agent_cfg)
    checkpoint = args_cli.checkpoint
    if checkpoint in SELECTORS:  # Isaac Lab's selectors: the newest distillation run, else the newest PPO run
        checkpoint = select_play_checkpoint(checkpoint, args_cli.task, agent_cfg.experiment_name)
    checkpoint = resolve_policy_checkpoint(checkpoint)
    kind = checkpoint_kind(checkpoint)
    episode_steps = int(round(env_cfg.episode_length_s / (env_cfg.sim.dt * env_cfg.decimation)))
    steps = args_cli.steps if args_cli.steps is not None else 2 * episode_steps
    if steps <= 0:
        raise UserError(f"--steps must be positive, got {steps}")
    run_dir = os.path.dirname(checkpoint)
    if not os.access(run_dir, os.W_OK):
        raise UserError(f"'{run_dir}' is not writable: play writes its summary and export next to the checkpoint")
    clip = action_clip(checkpoint, kind, args_cli.task)
    stem = os.path.splitext(os.path.basename(checkpoint))[0]
    print(f"[INFO] playing {kind} checkpoint {checkpoint} for {steps} steps on {env_cfg.scene.num_envs} envs")
    if args_cli.video:
        from isaaclab_distill.utils.video import configure_video

        configure_video(env_cfg, args_cli, run_dir, "play", checkpoint_path=checkpoint)

    with launch(env_cfg, args_cli):
        # 2. environment, wrapped for rsl_rl; a teacher acts with the clipping it was trained with
        env = RslRlVecEnvWrapper(make_env(args_cli.task, env_cfg), clip_actions=clip)
        try:
            # 3. policy, rollout, summary
            policy = load_policy(checkpoint, env.get_observations(), env.num_actions, args_cli.task, env.device)
            print(f"[INFO] policy: {policy.describe()}")
            split = isinstance(policy.network, DepthStudent) and not args_cli.no_export
            recorder = InputRecorder(policy.network) if split else None  # inputs to check the split export on
            result = evaluate_policy(env, policy, steps, progress=True, before_step=recorder)  # a bar, or 10 % lines
            summary = {"task": args_cli.task, "checkpoint": checkpoint, **result}
        finally:
            env.close()

    # 4. export and report
    if not args_cli.no_export:
        export = export_policy(policy.network, os.path.join(run_dir, "exported"))
        summary["export"] = {k: export[k] for k in ("onnx", "jit", "exporter", "inputs", "outputs", "max_abs_error")}
        print(f"[INFO] exported {export['onnx']} and {export['jit']} ({' + '.join(export['inputs'])} -> actions)")
        if recorder is not None:
            parts = export_depth_student(policy.network, os.path.join(run_dir, "exported"), recorder.tensors())
            summary["export"]["split"] = {k: parts[k] for k in ("encoder", "actor", "reference", "max_abs_error")}
            print(f"[INFO] exported {parts['encoder']} + {parts['actor']} (max error {parts['max_abs_error']:.1e})")
    if summary["episodes"] == 0:
        print(f"[WARN] no episode ended within {steps} steps: returns are undefined; raise --steps")
    path = save_summary(summary, os.path.join(run_dir, f"{stem}_play.json"))
    print(f"[INFO] summary ({summary['episodes']} episodes):\n{format_summary(summary)}")
    print(f"[INFO] wrote {path}")


if __name__ == "__main__":
    main()
