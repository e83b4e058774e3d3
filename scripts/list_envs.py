"""List the registered Isaac Lab task ids with their env and agent config entry points.

Example:
    python scripts/list_envs.py                 # every task this extension registers
    python scripts/list_envs.py --all Velocity  # every registered task (Isaac Lab's too) whose id contains "Velocity"
"""

from __future__ import annotations

import argparse

from isaaclab_distill.utils.cli import cli_main, configure_threads

configure_threads()

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("filter", nargs="?", default="", help="Only ids containing this text (case-insensitive).")
parser.add_argument("--all", action="store_true", help="Also Isaac Lab's and other packages' tasks.")


@cli_main
def main() -> None:
    """Registry -> table: id, env config, agent config keys (the ``--agent`` values the scripts accept)."""
    args = parser.parse_args()
    import gymnasium as gym

    from isaaclab_distill.utils.hydra import register_tasks

    register_tasks()
    rows = []
    for task_id, spec in sorted(gym.registry.items()):
        kwargs = spec.kwargs or {}
        env_cfg = str(kwargs.get("env_cfg_entry_point", ""))
        ours = env_cfg.startswith("isaaclab_distill") or str(spec.entry_point).startswith("isaaclab_distill")
        if "env_cfg_entry_point" not in kwargs or (not args.all and not ours):
            continue
        if args.filter.lower() not in task_id.lower():
            continue
        agents = sorted(k for k in kwargs if k.endswith("_cfg_entry_point") and k != "env_cfg_entry_point")
        rows.append((task_id, env_cfg.rsplit(".", 1)[-1], ", ".join(agents)))
    if not rows:
        print(f"no registered task matches '{args.filter}'" + ("" if args.all else " (try --all)"))
        return
    width = max(len(r[0]) for r in rows)
    for task_id, env_cfg, agents in rows:
        print(f"{task_id:<{width}}  {env_cfg}  [{agents}]")
    print(f"{len(rows)} tasks")


if __name__ == "__main__":
    main()
