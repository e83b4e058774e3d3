"""Shared test setup: one CPU thread and one trained teacher per session (helpers live in the ``helpers`` package)."""

from __future__ import annotations

import os
import pathlib

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

from helpers import QUAD_TASK, run_script  # noqa: E402


@pytest.fixture(scope="session")
def teacher_run(tmp_path_factory) -> pathlib.Path:
    """Train the quadcopter PPO teacher once (real rsl_rl PPO, 256 envs on CPU) and return its run directory.

    Developers may set ``ISAACLAB_DISTILL_TEACHER_RUN`` to the run directory of such a training (same command) to
    skip it while iterating; CI never sets it.
    """
    if os.environ.get("ISAACLAB_DISTILL_TEACHER_RUN"):
        return pathlib.Path(os.environ["ISAACLAB_DISTILL_TEACHER_RUN"])
    work = tmp_path_factory.mktemp("teacher")
    proc = run_script(
        "train.py",
        "--task",
        QUAD_TASK,
        "--num_envs",
        "256",
        "--max_iterations",
        "150",
        "--seed",
        "1",
        "--device",
        "cpu",
        cwd=work,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    runs = sorted((work / "logs" / "rsl_rl" / "quadcopter_point_ctrl").iterdir())
    assert len(runs) == 1
    return runs[0]
