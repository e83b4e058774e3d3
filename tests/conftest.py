"""Shared test setup: one CPU thread, the simulator-free/simulator split, one trained teacher per session."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

REPO = pathlib.Path(__file__).resolve().parents[1]
QUAD_TASK = "Isaac-Quadcopter-Point-Ctrl-v0"
DISTILLATION_TAGS = {
    "data_collection/mean_return",
    "data_collection/std_return",
    "training/loss",
    "evaluation/mean_return",
    "evaluation/std_return",
    "evaluation/mean_length",
    "evaluation/student_teacher_return_ratio",
}
"""The TensorBoard scalars every distillation run writes (the documented set)."""


def run_script(script: str, *args: str, cwd: pathlib.Path, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run ``scripts/<script>`` with this interpreter in ``cwd``; output captured as text."""
    cmd = [sys.executable, str(REPO / "scripts" / script), *args]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def start_script(script: str, *args: str, cwd: pathlib.Path) -> subprocess.Popen:
    """Start ``scripts/<script>`` in the background (stdout and stderr to ``cwd/out.log``) to signal it later."""
    cmd = [sys.executable, str(REPO / "scripts" / script), *args]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    log = open(cwd / "out.log", "w")  # noqa: SIM115 (closed with the process by wait_for)
    return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)


def wait_for(proc: subprocess.Popen, cwd: pathlib.Path, condition, timeout: float = 600) -> str:
    """Poll until ``condition(output_so_far)`` holds; returns the output. Fails if the process ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output = (cwd / "out.log").read_text()
        if condition(output):
            return output
        assert proc.poll() is None, f"exited {proc.returncode} early:\n{output[-3000:]}"
        time.sleep(0.5)
    proc.kill()
    raise AssertionError(f"timed out:\n{(cwd / 'out.log').read_text()[-3000:]}")


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """The CLI contract for bad input: exit code 2, no traceback, one ``error:`` line naming the problem."""
    output = f"stdout:\n{proc.stdout[-2000:]}\nstderr:\n{proc.stderr[-3000:]}"
    assert proc.returncode == 2, f"exit {proc.returncode}\n{output}"
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


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
