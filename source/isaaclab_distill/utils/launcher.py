"""``--num_gpus N``: one command that starts ``torchrun`` with N ranks of the same script, as Isaac Lab's launcher does.

``isaaclab train_multigpu`` (``isaaclab.cli.multigpu``) builds the ``torchrun`` command, forwards the rendezvous
flags (``--nnodes``, ``--node_rank``, ``--rdzv_backend``, ``--rdzv_endpoint``, ``--master_addr``, ...), adds
``--distributed`` to every rank and supervises the worker group (Ctrl-C, stragglers). Its helpers are reused here
unchanged for ``train.py`` and ``distillation.py``; the one difference is that ``--device cpu`` skips its "no CUDA
device" check, so N CPU processes (``gloo``) can be launched the same way, and a one-node job without rendezvous
flags gets ``--standalone`` (its own free port: two jobs on one machine would otherwise both take 29500).
"""

from __future__ import annotations

import os
import shlex
import sys

LAUNCH_FLAGS = ("--num_gpus", "--nproc_per_node")


def wants_launcher(argv: list[str]) -> bool:
    """``argv`` asks for a multi-process launch (``--num_gpus`` / ``--nproc_per_node``)."""
    return any(a in LAUNCH_FLAGS or a.startswith(tuple(f"{f}=" for f in LAUNCH_FLAGS)) for a in argv)


def launch_command(script: str, argv: list[str]) -> list[str]:
    """The ``torchrun`` command that runs ``script`` with ``argv`` (minus the launcher flags) on every rank.

    Raises:
        SystemExit: Bad launcher flags (argparse's usage line), e.g. more GPUs than this node has.
    """
    from isaaclab.cli.multigpu import MultiGpuLauncherCfg, build_launch_command, build_parser
    from isaaclab.cli.multigpu import _forwarded_arg_value as flag_value  # the launcher's own forwarded-flag reader

    cfg = MultiGpuLauncherCfg(
        prog=os.path.basename(script),
        description=f"Run {os.path.basename(script)} on N processes with torchrun (one per GPU).",
        worker_script=os.path.abspath(script),
        supports_jax=False,
    )
    parser = build_parser(cfg)
    args, worker_args = parser.parse_known_args(argv)
    on_cpu = "cpu" in (flag_value(worker_args, "--device") or "")
    if not on_cpu:
        from isaaclab.cli.multigpu import _validate_num_gpus  # the "fewer GPUs than ranks" check of the launcher

        _validate_num_gpus(parser, args)
    command = build_launch_command(args, worker_args, cfg)
    if not any(getattr(args, k) for k in ("nnodes", "rdzv_endpoint", "rdzv_backend", "master_addr", "master_port")):
        command.insert(3, "--standalone")  # one node: a free port of its own, so two jobs on one machine do not clash
    return command


def launch_if_requested(script: str) -> None:
    """With ``--num_gpus N`` in ``sys.argv``: run ``script`` under ``torchrun`` and exit with its status."""
    argv = sys.argv[1:]
    if not wants_launcher(argv):
        return
    from isaaclab.cli.multigpu import run_launch_command

    command = launch_command(script, argv)
    if "--dry_run" in argv:
        print(shlex.join(command))
        raise SystemExit(0)
    print(f"[INFO] launching: {shlex.join(command)}", flush=True)
    raise SystemExit(run_launch_command(command))
