"""Command-line plumbing shared by the scripts: common flags, early validation, one-line errors."""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

from .errors import UserError


def configure_threads() -> None:
    """Use one intra-op thread: on small CPU boxes the simulator and torch otherwise fight over cores."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


def start_script(script: str) -> None:
    """The first call of ``train.py`` / ``distillation.py``, before the heavy imports.

    ``--num_gpus N`` runs ``script`` under ``torchrun`` and exits with its status; otherwise one intra-op thread.
    """
    from .launcher import launch_if_requested, wants_launcher
    from .sweep import wants_multirun

    if wants_multirun(sys.argv[1:]) and wants_launcher(sys.argv[1:]):
        exit_with_error("-m runs each job as one process: drop --num_gpus (multi-GPU sweep jobs are not supported)")
    launch_if_requested(script)
    configure_threads()


def add_env_args(parser: argparse.ArgumentParser, default_task: str | None = None) -> None:
    """Flags every script takes: task, env count, seed, device, video."""
    parser.add_argument("--task", type=str, default=default_task, required=default_task is None, help="Gym task id.")
    parser.add_argument("--num_envs", type=int, default=None, help="Number of parallel environments.")
    parser.add_argument("--seed", type=int, default=None, help="Random seed of the env and the agent.")
    parser.add_argument("--device", type=str, default=None, help="Simulation and training device: cpu or cuda:0.")
    parser.add_argument("--video", action="store_true", default=False, help="Record mp4 videos.")
    parser.add_argument("--video_length", type=int, default=200, help="Length of each recorded video [steps].")
    parser.add_argument("--video_interval", type=int, default=2000, help="Steps between recordings.")
    parser.add_argument(
        "--distributed",
        action="store_true",
        default=False,
        help="One rank of a torchrun job (or pass --num_gpus N to launch one): env on cuda:<LOCAL_RANK>, seed + RANK.",
    )


def parse_args(
    parser: argparse.ArgumentParser, argv: list[str] | None = None, single_process: bool = False
) -> argparse.Namespace:
    """Parse known flags; the remainder (Hydra overrides, preset selectors) is left in ``sys.argv``.

    ``args.script_flags`` keeps the flags as given (without the overrides and ``-m``): a sweep's jobs get them.
    ``single_process``: the script refuses ``--distributed`` and ``torchrun`` (``play.py``).
    """
    from isaaclab_tasks.utils import setup_preset_cli

    from .sweep import MULTIRUN_FLAGS

    given = list(sys.argv[1:] if argv is None else argv)
    args, remaining = setup_preset_cli(parser, argv)
    # a multi-value flag (nargs="+") swallows the overrides that follow it: hand those back
    for name, value in vars(args).items():
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            setattr(args, name, [v for v in value if not _is_override(v)])
            remaining += [v for v in value if _is_override(v)]
    sys.argv = [sys.argv[0]] + remaining
    args.script_flags = [t for t in given if t not in remaining and t not in MULTIRUN_FLAGS]
    try:
        validate_env_args(args)
        if single_process and (args.distributed or _started_by_torchrun()):
            script = os.path.basename(sys.argv[0])
            raise UserError(f"{script} runs in one process: drop --distributed and run it without torchrun")
    except UserError as err:
        exit_with_error(err)
    return args


def _started_by_torchrun() -> bool:
    from .distributed import from_environment

    return from_environment().enabled


def _is_override(token: str) -> bool:
    """``key=value``, ``~key``, ``+key=value`` that is not an existing file (file names may contain ``=``)."""
    looks = "=" in token or token.startswith(("~", "+"))
    return looks and not token.startswith("-") and not os.path.exists(token)


def exit_with_error(err: BaseException | str) -> None:
    """Print ``error: <message>`` on stderr and exit with status 2 (no traceback)."""
    print(f"error: {err}", file=sys.stderr)
    raise SystemExit(2)


def validate_env_args(args: argparse.Namespace) -> None:
    """Reject bad flag values before anything heavy starts."""
    if getattr(args, "num_envs", None) is not None and args.num_envs <= 0:
        raise UserError(f"--num_envs must be a positive integer, got {args.num_envs}")
    if getattr(args, "video_length", 1) <= 0:
        raise UserError(f"--video_length must be positive, got {args.video_length}")
    if getattr(args, "device", None):
        check_device(args.device)


def check_device(device: str) -> None:
    """Fail early with a hint when a CUDA device is requested on a machine without one."""
    import torch

    if device == "cpu":
        return
    if not device.startswith("cuda"):
        raise UserError(f"unknown device '{device}': use cpu or cuda:<index>")
    if not torch.cuda.is_available():
        raise UserError(f"device '{device}' requested but CUDA is not available here: use --device cpu")
    index = int(device.split(":", 1)[1]) if ":" in device else 0
    if index >= torch.cuda.device_count():
        raise UserError(f"device '{device}' does not exist: this machine has {torch.cuda.device_count()} GPU(s)")


def apply_env_args(args: argparse.Namespace, env_cfg: Any, agent_cfg: Any | None = None) -> None:
    """Write the common flags into the resolved configs (flags win over the config defaults)."""
    if args.num_envs is not None:
        env_cfg.scene.num_envs = args.num_envs
    if args.device is not None:
        env_cfg.sim.device = args.device
    if agent_cfg is not None and hasattr(agent_cfg, "device"):
        agent_cfg.device = env_cfg.sim.device
    if args.seed is not None:
        if agent_cfg is not None and hasattr(agent_cfg, "seed"):
            agent_cfg.seed = args.seed
        env_cfg.seed = args.seed
    elif agent_cfg is not None and hasattr(agent_cfg, "seed"):
        env_cfg.seed = agent_cfg.seed
    check_device(env_cfg.sim.device)
    check_env_cfg(env_cfg)


def check_env_cfg(env_cfg: Any) -> None:
    """Reject timing settings no env can run with (Isaac Lab fails on them deep inside a reset, with a traceback)."""
    for path, value, minimum in (
        ("env.sim.dt", env_cfg.sim.dt, "a positive number"),
        ("env.decimation", env_cfg.decimation, "an integer >= 1"),
        ("env.episode_length_s", env_cfg.episode_length_s, "a positive number"),
    ):
        integer = path == "env.decimation"
        if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)) or not value > 0:
            raise UserError(f"{path}={value} cannot run: it must be {minimum}")
    vehicle_variants = getattr(env_cfg, "vehicle_variants", None)
    if callable(vehicle_variants):
        vehicle_variants()  # a vehicle family checks its selection (env.vehicle_id, env.num_vehicles) here


def apply_distributed(args: argparse.Namespace, env_cfg: Any, agent_cfg: Any | None = None) -> Any:
    """Join the ``torchrun`` job for ``--distributed``: this rank's device and ``seed + RANK`` in both configs.

    Call after :func:`apply_env_args`. Returns the :class:`~.distributed.Distributed` ranks (single process without
    ``--distributed``).

    Raises:
        UserError: Started by ``torchrun`` with several ranks but without ``--distributed`` (every rank would train
            alone and write its own run), or ``--distributed`` without a launcher / a GPU per rank.
    """
    from .distributed import Distributed, from_environment, init_distributed

    if not args.distributed:
        if from_environment().enabled:
            raise UserError("started with several ranks (WORLD_SIZE > 1) but without --distributed: add it")
        return Distributed()
    ranks, device = init_distributed(args.device)
    env_cfg.sim.device = device
    env_cfg.seed = (env_cfg.seed or 0) + ranks.rank
    if agent_cfg is not None and hasattr(agent_cfg, "device"):
        agent_cfg.device = device
    if agent_cfg is not None and getattr(agent_cfg, "seed", None) is not None:
        agent_cfg.seed += ranks.rank
    return ranks


@contextlib.contextmanager
def launch(env_cfg: Any, args: argparse.Namespace) -> Iterator[Any]:
    """Isaac Lab's ``launch_simulation``, with :class:`UserError` reported as one line inside it.

    ``launch_simulation`` prints a traceback for any exception leaving its block; the one-line exit (``SystemExit``)
    is raised inside the block instead, which it passes through silently with the exit code kept.
    """
    from isaaclab.app import launch_simulation

    # apply_distributed chose this rank's device; Isaac Lab's own resolution (same cuda:<LOCAL_RANK>, Warp's default
    # device) would force cuda, so it is skipped for CPU ranks
    on_gpu = getattr(args, "distributed", False) and env_cfg.sim.device != "cpu"
    args = argparse.Namespace(**{**vars(args), "distributed": on_gpu})
    with launch_simulation(env_cfg, args) as physics_cfg:
        try:
            yield physics_cfg
        except UserError as err:
            exit_with_error(err)
        except RuntimeError as err:
            _exit_on_collective_failure(err)
            raise


def _exit_on_collective_failure(err: RuntimeError) -> None:
    """One ``error:`` line (no traceback) when ``err`` is a failed collective of a distributed run."""
    from .distributed import collective_failure

    message = collective_failure(err)
    if message is not None:
        exit_with_error(message)


def cli_main(func: Callable[..., Any]) -> Callable[..., None]:
    """Run a script's ``main`` turning :class:`UserError` into one ``error:`` line and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs) -> None:
        try:
            func(*args, **kwargs)
        except UserError as err:
            exit_with_error(err)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            raise SystemExit(130) from None
        except RuntimeError as err:
            _exit_on_collective_failure(err)
            raise

    return wrapper
