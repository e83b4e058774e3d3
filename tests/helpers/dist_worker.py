"""One rank of a 2-process ``gloo`` job running the distillation runner on the point env (``torch.multiprocessing``)."""

from __future__ import annotations

import os

import torch
import torch.distributed as dist

from isaaclab_distill.distillation import DistillationRunner, Teacher
from isaaclab_distill.models import StudentCfg, build_student
from isaaclab_distill.utils.distributed import Distributed, parameter_checksum

from .toy import OffsetTeacherModel, PointEnv, small_cfg


def distil(out_dir: str, seed: int, ranks: Distributed | None = None) -> dict:
    """A GRU student of two teachers on a point env seeded ``seed``: weights, checksum, result."""
    torch.manual_seed(seed)
    env = PointEnv()
    student = build_student(StudentCfg(class_name="gru", hidden_dims=[16], rnn_hidden_dim=8), 2, 2)
    teachers = [Teacher(OffsetTeacherModel([0.1, -0.2])), Teacher(OffsetTeacherModel([0.6, 0.4]))]  # 3 envs each
    cfg = small_cfg(sequence_length=4)
    cfg.multi_teacher.group_loss_power = 1.0  # per-teacher loss weights, from the loss sums of all ranks
    runner = DistillationRunner(env, teachers, student, cfg, out_dir, None, ranks=ranks)
    result = {k: v for k, v in runner.learn().items() if not k.endswith("_s")}  # wall seconds differ between ranks
    result["loss_weights"] = runner.alg.balance.weights.tolist()
    return {"state": student.state_dict(), "checksum": parameter_checksum(student), "result": result}


def run_rank(rank: int, world: int, init_file: str, out_dir: str, same_data: bool) -> None:
    """Join the job, distil (the same env seed on every rank when ``same_data``), save this rank's outcome."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        outcome = distil(os.path.join(out_dir, "run"), 7 if same_data else 7 + rank, Distributed(world, rank, rank))
        torch.save(outcome, os.path.join(out_dir, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()
