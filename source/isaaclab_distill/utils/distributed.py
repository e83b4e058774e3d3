"""One process per GPU under ``torchrun``: the process group, the rank's device and seed, and sums across ranks.

``torchrun`` (or any launcher that sets ``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``)
starts one copy of a script per rank. With ``--distributed`` the script calls :func:`init_distributed` before it
builds anything: the process group uses ``nccl`` on CUDA and ``gloo`` on the CPU (rsl_rl and Isaac Lab only offer
``nccl``; ``gloo`` is what makes a 2-process run on a laptop or a CI box real distributed code). Every collective
has a timeout, so a rank whose peer died or hung fails within it instead of waiting forever. With ``gloo`` the
failure is a Python exception that :func:`collective_failure` turns into one ``error:`` line; with ``nccl`` the
NCCL watchdog aborts the process itself at the timeout (non-zero exit, its own message).
"""

from __future__ import annotations

import datetime
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.distributed as dist
import torch.nn as nn

from .errors import UserError

T = TypeVar("T")
DEFAULT_TIMEOUT_S = 300.0
"""Seconds a collective waits for the other ranks (``ISAACLAB_DISTILL_DIST_TIMEOUT`` overrides it)."""


@dataclass(frozen=True)
class Distributed:
    """Where this process sits in the job; ``Distributed()`` is the single-process default (every method a no-op)."""

    world_size: int = 1
    rank: int = 0
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        """More than one process."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the one process that writes files, TensorBoard events and the console lines."""
        return self.rank == 0

    def all_reduce_sum(self, tensor: torch.Tensor) -> torch.Tensor:
        """Sum ``tensor`` over the ranks, in place; returns it."""
        if self.enabled:
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor

    def broadcast_module(self, module: nn.Module) -> None:
        """Copy rank 0's parameters and buffers (e.g. normaliser statistics) into every rank's ``module``."""
        if self.enabled:
            for tensor in module.state_dict().values():
                dist.broadcast(tensor, src=0)

    def report_checksum(self, name: str, module: nn.Module) -> None:
        """Print ``rank R of W: <name> checksum <hex>`` on every rank (a distributed run's ranks must agree)."""
        if self.enabled:
            print(f"[INFO] rank {self.rank} of {self.world_size}: {name} checksum {parameter_checksum(module)}")

    def from_main(self, make: Callable[[], T]) -> T:
        """``make()`` run on rank 0 alone, its (picklable) result sent to every rank, e.g. the run directory."""
        if not self.enabled:
            return make()
        box = [make() if self.is_main else None]
        dist.broadcast_object_list(box, src=0)
        return box[0]


def from_environment() -> Distributed:
    """The ranks ``torchrun`` set in the environment (single process when ``WORLD_SIZE`` is unset or 1)."""
    try:
        world, rank, local = (int(os.environ.get(k, d)) for k, d in (("WORLD_SIZE", 1), ("RANK", 0), ("LOCAL_RANK", 0)))
    except ValueError as err:
        raise UserError(f"WORLD_SIZE / RANK / LOCAL_RANK must be integers ({err})") from None
    if not (0 <= rank < world and 0 <= local < world):
        raise UserError(f"RANK={rank} / LOCAL_RANK={local} do not fit WORLD_SIZE={world}")
    return Distributed(world, rank, local)


def rank_device(device: str | None, local_rank: int) -> str:
    """The device of one rank: ``cuda:<LOCAL_RANK>`` unless the command asked for the CPU.

    Raises:
        UserError: CUDA requested and not available.
    """
    if device == "cpu":
        return "cpu"
    if not torch.cuda.is_available():
        raise UserError("--distributed needs one GPU per process, and CUDA is not available: add --device cpu")
    # as Isaac Lab's launcher: a rank that sees fewer GPUs than its local rank (CUDA_VISIBLE_DEVICES per process)
    # uses the one it sees
    return f"cuda:{local_rank}" if local_rank < torch.cuda.device_count() else "cuda:0"


def init_distributed(device: str | None) -> tuple[Distributed, str]:
    """Join the process group of this ``torchrun`` job; returns the ranks and this rank's device.

    Args:
        device: The ``--device`` flag (``cpu``, ``cuda...`` or ``None``): ``cpu`` keeps every rank on the CPU
            (``gloo``), anything else puts rank ``LOCAL_RANK`` on ``cuda:<LOCAL_RANK>`` (``nccl``).

    Raises:
        UserError: Not started by a launcher, inconsistent ranks, or no GPU for this rank.
    """
    ranks = from_environment()
    if "WORLD_SIZE" not in os.environ:
        raise UserError(
            "--distributed expects to be started by torchrun: torchrun --nproc_per_node=N <script> --distributed ..."
            " (or pass --num_gpus N instead of --distributed)"
        )
    rank_dev = rank_device(device, ranks.local_rank)
    if not ranks.enabled:
        return ranks, rank_dev
    try:
        timeout = float(os.environ.get("ISAACLAB_DISTILL_DIST_TIMEOUT", DEFAULT_TIMEOUT_S))
    except ValueError:
        raise UserError("ISAACLAB_DISTILL_DIST_TIMEOUT must be a number of seconds") from None
    backend = "gloo" if rank_dev == "cpu" else "nccl"
    if rank_dev != "cpu":
        torch.cuda.set_device(rank_dev)
    if not dist.is_initialized():
        dist.init_process_group(
            backend, rank=ranks.rank, world_size=ranks.world_size, timeout=datetime.timedelta(seconds=timeout)
        )
    return ranks, rank_dev


def collective_failure(err: BaseException) -> str | None:
    """A one-line description when ``err`` is a failed collective (a peer died, hung or lost its connection)."""
    if not (dist.is_available() and dist.is_initialized()):
        return None
    backend_error = isinstance(err, getattr(dist, "DistError", ())) or (
        isinstance(err, RuntimeError) and any(k in str(err) for k in ("gloo", "NCCL", "Timed out", "Connection"))
    )
    if not backend_error:
        return None
    first = next((line for line in str(err).splitlines() if line.strip()), type(err).__name__)
    return (
        f"rank {dist.get_rank()} of {dist.get_world_size()} lost the other ranks ({first.strip()[:160]}): a rank died"
        " or hung; rank 0's newest checkpoint is complete (checkpoints are written atomically): --resume it"
    )


def parameter_checksum(module: nn.Module) -> str:
    """SHA-256 (16 hex digits) of ``module``'s parameters and buffers: equal on every rank of a job in sync."""
    digest = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:16]
