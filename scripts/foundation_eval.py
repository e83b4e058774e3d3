"""Evaluate foundation-policy students on every training and held-out vehicle against each vehicle's own teacher.

Example:
    python scripts/foundation_eval.py --manifest logs/foundation/train/teachers.json \
        --held_out_manifest logs/foundation/held_out/teachers.json \
        --student logs/distillation/quadcopter_foundation/<gru run>/final_student.pt \
        --student logs/distillation/quadcopter_foundation/<mlp run>/final_student.pt --out logs/foundation/eval

One env flies all K + H vehicles, ``--envs_per_vehicle`` envs each; the teachers (teacher k on its own vehicle's
block) and each student fly every env's first episode from the same seeded synchronous reset. Writes
``foundation_eval.json`` (per vehicle: parameters, teacher return, each student's return and ratio; the min / mean
ratios per set), ``foundation_eval.md`` and ``foundation_eval.png`` to ``--out``.
"""

from __future__ import annotations

import argparse
import os

from isaaclab_distill.utils.cli import add_env_args, apply_env_args, cli_main, configure_threads, launch, parse_args

configure_threads()

parser = argparse.ArgumentParser(
    description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False
)
add_env_args(parser, default_task="")
parser.add_argument("--manifest", required=True, help="teachers.json of the training vehicles.")
parser.add_argument("--held_out_manifest", default=None, help="teachers.json of the held-out vehicles.")
parser.add_argument("--student", action="append", required=True, help="Student checkpoint (repeat for several).")
parser.add_argument("--envs_per_vehicle", type=int, default=64, help="Envs (= episodes) per vehicle and policy.")
parser.add_argument("--out", required=True, help="Directory of foundation_eval.{json,md,png}.")
args_cli = parse_args(parser, single_process=True)

import torch  # noqa: E402
from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper  # noqa: E402

from isaaclab_distill.distillation import Teacher  # noqa: E402
from isaaclab_distill.distillation.manifest import apply_variants, load_teacher_manifest  # noqa: E402
from isaaclab_distill.distillation.rollout import TeacherGroupsPolicy, rollout, synchronous_reset  # noqa: E402
from isaaclab_distill.evaluation import checkpoint_kind, load_policy  # noqa: E402
from isaaclab_distill.foundation import block_means, summarize, variant_parameters, vehicle_table, write_report  # noqa: E402
from isaaclab_distill.utils import UserError, load_task_configs  # noqa: E402
from isaaclab_distill.utils.envs import make_env  # noqa: E402
from isaaclab_distill.utils.runs import teacher_agent_cfg  # noqa: E402

THRESHOLDS = {"train": 0.95, "held_out": 0.90}
"""The issue's bars: a student at >= 95 % of each training vehicle's teacher, >= 90 % of the held-out ones'."""


def vehicles_of(manifests: dict[str, dict]) -> list[dict]:
    """Every teacher entry with its set, in block order (training vehicles first)."""
    return [{**entry, "set": name} for name, manifest in manifests.items() for entry in manifest["teachers"]]


def block_teachers(teachers: list[Teacher], num_envs: int) -> TeacherGroupsPolicy:
    """Teacher ``k`` acts on env block ``k`` (``num_envs // len(teachers)`` envs each)."""
    blocks = torch.arange(num_envs) * len(teachers) // num_envs
    ids = [torch.nonzero(blocks == k).flatten() for k in range(len(teachers))]

    def act(obs, dones):
        parts = [t.act(obs[i], None if dones is None else dones[i]) for t, i in zip(teachers, ids)]
        return torch.cat(parts)  # the blocks are contiguous and in order

    return TeacherGroupsPolicy(act)


@cli_main
def main() -> None:
    """Manifests + students checked -> one env of every vehicle -> teachers' and students' rollouts -> report."""
    # 1. inputs, checked before the simulator starts
    if args_cli.video:
        raise UserError("foundation_eval.py records no videos: watch one vehicle with scripts/play.py --video")
    manifests = {"train": load_teacher_manifest(args_cli.manifest)}
    if args_cli.held_out_manifest:
        manifests["held_out"] = load_teacher_manifest(args_cli.held_out_manifest)
    task = manifests["train"]["task"]
    if any(m["task"] != task for m in manifests.values()):
        raise UserError("the training and held-out manifests hold teachers of different tasks")
    for path in args_cli.student:
        if checkpoint_kind(path) != "student":
            raise UserError(f"--student '{path}' is a PPO checkpoint: pass a distilled student (final_student.pt)")
    if args_cli.envs_per_vehicle < 1:
        raise UserError(f"--envs_per_vehicle must be at least 1, got {args_cli.envs_per_vehicle}")
    vehicles = vehicles_of(manifests)
    env_cfg, _ = load_task_configs(task, None, [])
    apply_env_args(args_cli, env_cfg)
    apply_variants(env_cfg, [v["variant"] for v in vehicles])
    env_cfg.scene.num_envs = num_envs = len(vehicles) * args_cli.envs_per_vehicle
    steps = int(round(env_cfg.episode_length_s / (env_cfg.sim.dt * env_cfg.decimation))) + 1
    seed = env_cfg.seed if env_cfg.seed is not None else 0

    with launch(env_cfg, args_cli):
        # 2. one env of every vehicle, the teachers on their blocks, the students everywhere
        env = RslRlVecEnvWrapper(make_env(task, env_cfg))
        try:
            obs = env.get_observations()
            teachers = [
                Teacher.from_checkpoint(
                    v["checkpoint"], teacher_agent_cfg(task, v["checkpoint"]), obs, env.num_actions, device=env.device
                )
                for v in vehicles
            ]
            policies = {"teacher": block_teachers(teachers, num_envs)}
            for path in args_cli.student:
                student = load_policy(path, obs, env.num_actions, task, env.device)
                label = str(student.network.config.get("class_name", "student"))
                policies[label if label not in policies else f"{label}_{len(policies)}"] = student
            # 3. every env's first episode, from the same seeded reset for each policy
            returns = {}
            for label, policy in policies.items():
                torch.manual_seed(seed)
                obs = synchronous_reset(env)
                result, _ = rollout(env, policy, steps, obs=obs, first_episode_per_env=True)
                returns[label] = block_means(result, num_envs, len(vehicles))
                print(f"[foundation] {label}: mean return {sum(returns[label]) / len(vehicles):.2f}")
        finally:
            env.close()

    # 4. the table, JSON, Markdown and plot
    rows = [
        {"set": v["set"], "vehicle_id": v.get("vehicle_id", k), "parameters": variant_parameters(v["variant"])}
        for k, v in enumerate(vehicles)
    ]
    teacher = returns.pop("teacher")
    rows = vehicle_table(rows, teacher, returns)
    report = {
        "task": task,
        "envs_per_vehicle": args_cli.envs_per_vehicle,
        "students": dict(zip(returns, map(os.path.abspath, args_cli.student))),
        "manifests": {
            k: os.path.abspath(p) for k, p in zip(manifests, (args_cli.manifest, args_cli.held_out_manifest))
        },
        "thresholds": THRESHOLDS,
        "summary": summarize(rows),
        "vehicles": rows,
    }
    paths = write_report(args_cli.out, report)
    print(open(paths["foundation_eval.md"]).read())
    print(f"[foundation] wrote {', '.join(paths.values())}")


if __name__ == "__main__":
    main()
