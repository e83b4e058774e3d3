"""Shared test helpers: the scripts as subprocesses, the CLI error contract, constants (imported as ``helpers``)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
QUAD_TASK = "Isaac-Quadcopter-Point-Ctrl-v0"
DISTILLATION_TAGS = {
    "data_collection/mean_return",
    "data_collection/std_return",
    "training/loss",
    "training/beta",
    "training/learning_rate",
    "evaluation/mean_return",
    "evaluation/std_return",
    "evaluation/mean_length",
    "evaluation/student_teacher_return_ratio",
}
"""The TensorBoard scalars every distillation run writes (the documented set)."""


def run_script(
    script: str, *args: str, cwd: pathlib.Path, timeout: float = 900, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run ``scripts/<script>`` with this interpreter in ``cwd``; output captured as text; ``env``: extra variables."""
    cmd = [sys.executable, str(REPO / "scripts" / script), *args]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1", **(env or {}))
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
