"""The scripts under ``torchrun`` on the CPU (gloo): 2-rank training and distillation, concurrent runs, a killed rank.

Real processes, real process groups, the real quadcopter env: what a multi-GPU job does, with ``--device cpu``.
"""

from __future__ import annotations

import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
from helpers import QUAD_TASK, REPO, run_script

from isaaclab_distill.distillation import load_checkpoint

pytestmark = pytest.mark.sim


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1", **extra)
    for key in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    return env


def torchrun(script: str, *args: str, cwd: pathlib.Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """``torchrun --standalone --nproc_per_node=2 scripts/<script> --distributed --device cpu <args>``."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    cmd += [str(REPO / "scripts" / script), "--distributed", "--device", "cpu", *args]
    return subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout)


def checksums(output: str, name: str) -> dict[int, str]:
    return {int(r): c for r, c in re.findall(rf"rank (\d) of 2: {name} checksum ([0-9a-f]+)", output)}


def only_run_dir(root: pathlib.Path) -> pathlib.Path:
    runs = [p for p in root.iterdir() if p.is_dir()]
    assert len(runs) == 1, runs
    return runs[0]


def test_interleaved_distillation_on_two_ranks(tmp_path):
    # PPO with a depth-student phase after each iteration: both ranks end with the same teacher and the same student
    args = ("--task", "Isaac-Depth-Parkour-v0", "--num_envs", "4", "--max_iterations", "2")
    interleaved = (
        "agent.interleaved.depth_training_interval=1",
        "agent.interleaved.distillation.algorithm.batch_size=4",
    )
    proc = torchrun("train.py", *args, *interleaved, cwd=tmp_path)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    for name in ("actor", "student"):
        sums = checksums(output, name)
        assert set(sums) == {0, 1} and sums[0] == sums[1], (name, sums)
    run = only_run_dir(tmp_path / "logs" / "rsl_rl" / "depth_parkour_a1")
    assert {"model_1.pt", "student_1.pt", "final_student.pt"} <= {p.name for p in run.iterdir()}


def test_train_on_two_ranks(tmp_path):
    proc = torchrun("train.py", "--task", QUAD_TASK, "--num_envs", "32", "--max_iterations", "2", cwd=tmp_path)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    sums = checksums(output, "actor")
    assert set(sums) == {0, 1} and sums[0] == sums[1], sums
    run = only_run_dir(tmp_path / "logs" / "rsl_rl" / "quadcopter_point_ctrl")
    assert {"model_0.pt", "model_1.pt"} <= {p.name for p in run.iterdir()}
    assert len(list(run.glob("events.out.tfevents.*"))) == 1, "rank 0 alone writes TensorBoard events"


def test_distillation_on_two_ranks(teacher_run, tmp_path):
    teacher = ["--teacher_checkpoint", str(teacher_run / "model_149.pt")]
    args = ["--task", QUAD_TASK, "--num_envs", "16", "--batch_size", "16", *teacher]
    # behaviour cloning on every env: a stationary data distribution, so 3 epochs lower the loss (under the default
    # DAgger from the first epoch the student's new states raise it at first)
    bc = "agent.algorithm.teacher_forcing_share=1.0"
    proc = torchrun("distillation.py", *args, "--n_epochs", "3", bc, cwd=tmp_path)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    sums = checksums(output, "student")
    assert set(sums) == {0, 1} and sums[0] == sums[1], sums
    losses = [float(x) for x in re.findall(r"\[distill\] epoch \d/3 .*? loss ([0-9.e+-]+)", output)]
    assert len(losses) == 3, "rank 0 alone prints the epoch lines"
    assert all(x == x and x < 1e3 for x in losses) and losses[-1] < losses[0], losses
    run = only_run_dir(tmp_path / "logs" / "distillation" / "quadcopter_point_ctrl")
    names = {p.name for p in run.iterdir()}
    assert {"final_student.pt", "best_student.pt", "params"} <= names, names
    assert len(list(run.glob("events.out.tfevents.*"))) == 1
    episodes = re.search(r"'episodes': ([0-9.]+)", output)
    assert episodes and float(episodes.group(1)) >= 32, "the evaluation counts both ranks' 16 envs"
    # a 2-rank checkpoint resumes in one process (another rank count): rank 0's student, epoch and optimizer
    resumed = run_script(
        "distillation.py",
        *args,
        "--device",
        "cpu",
        "--n_epochs",
        "4",
        "--resume",
        str(run / "final_student.pt"),
        cwd=tmp_path,
    )
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert "at epoch 3" in resumed.stdout and "epoch 4/4" in resumed.stdout


def test_two_runs_started_together_get_their_own_directories(tmp_path):
    cmd = [sys.executable, str(REPO / "scripts" / "train.py"), "--task", QUAD_TASK, "--device", "cpu"]
    cmd += ["--num_envs", "16", "--max_iterations", "1", "--experiment_name", "collide"]
    procs = [
        subprocess.Popen(cmd, cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs[0][-3000:] + outputs[1][-3000:]
    runs = sorted(p for p in (tmp_path / "logs" / "rsl_rl" / "collide").iterdir())
    assert len(runs) == 2, runs
    for run in runs:
        assert (run / "model_0.pt").is_file() and (run / "params" / "agent.yaml").is_file()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_killed_rank_stops_the_other_with_one_line(teacher_run, tmp_path):
    """Rank 1 is SIGKILLed after rank 0's first checkpoint: rank 0 exits with one error line; the checkpoint loads."""
    port, procs, logs = str(_free_port()), [], []
    args = [str(REPO / "scripts" / "distillation.py"), "--distributed", "--device", "cpu", "--task", QUAD_TASK]
    args += ["--num_envs", "16", "--n_epochs", "200", "--batch_size", "16", "agent.save_interval=1"]
    args += ["--teacher_checkpoint", str(teacher_run / "model_149.pt")]
    for rank in range(2):  # what torchrun does, without its agent (which would SIGTERM the survivor itself)
        env = _env(ISAACLAB_DISTILL_DIST_TIMEOUT="60")
        env.update(WORLD_SIZE="2", RANK=str(rank), LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1", MASTER_PORT=port)
        logs.append(open(tmp_path / f"rank{rank}.log", "w"))  # noqa: SIM115 (closed below)
        procs.append(
            subprocess.Popen([sys.executable, *args], cwd=tmp_path, env=env, stdout=logs[-1], stderr=subprocess.STDOUT)
        )
    root = tmp_path / "logs" / "distillation" / "quadcopter_point_ctrl"
    deadline = time.monotonic() + 600
    while not list(root.glob("*/checkpoint_epoch_1.pt")):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), (
            tmp_path / "rank0.log"
        ).read_text()[-3000:]
        time.sleep(0.5)
    procs[1].send_signal(signal.SIGKILL)
    killed = time.monotonic()
    code = procs[0].wait(timeout=120)
    elapsed = time.monotonic() - killed
    for log in logs:
        log.close()
    output = (tmp_path / "rank0.log").read_text()
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert code != 0 and len(errors) == 1 and "lost the other ranks" in errors[0], output[-3000:]
    assert "Traceback" not in output
    assert elapsed < 90, f"rank 0 took {elapsed:.0f} s to notice"
    newest = max(root.glob("*/checkpoint_epoch_*.pt"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
    assert load_checkpoint(str(newest))["epoch"] >= 1
