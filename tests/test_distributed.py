"""Distributed training without the simulator: ranks, run directories, the torchrun launcher, 2-rank distillation.

The 2-rank tests start real ``gloo`` process groups (``torch.multiprocessing``); ``test_distributed_scripts.py``
runs the scripts under ``torchrun``.
"""

from __future__ import annotations

import os
import sys
import threading

import pytest
import torch
import torch.multiprocessing as mp
from helpers import REPO
from helpers.dist_worker import distil, run_rank

from isaaclab_distill.utils import UserError
from isaaclab_distill.utils.distributed import Distributed, from_environment
from isaaclab_distill.utils.launcher import launch_command, wants_launcher
from isaaclab_distill.utils.runs import make_run_dir


def test_single_process_is_the_default(monkeypatch):
    for key in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(key, raising=False)
    ranks = from_environment()
    assert ranks == Distributed() and not ranks.enabled and ranks.is_main
    x = torch.ones(3)
    assert ranks.all_reduce_sum(x) is x and ranks.from_main(lambda: "dir") == "dir"
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "2")
    with pytest.raises(UserError, match="do not fit WORLD_SIZE=2"):
        from_environment()


def test_runs_started_in_the_same_second_never_share_a_directory(tmp_path):
    dirs: list[str] = []
    threads = [
        threading.Thread(target=lambda: dirs.append(make_run_dir("rsl_rl", "exp", root=str(tmp_path))))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(dirs)) == 8 and all(os.path.isdir(d) for d in dirs)


def test_launcher_builds_the_torchrun_command():
    script = str(REPO / "scripts" / "distillation.py")
    argv = ["--num_gpus", "2", "--nnodes", "2", "--rdzv_backend", "c10d", "--rdzv_endpoint", "head:29400"]
    argv += ["--task", "T", "--device", "cpu", "agent.n_epochs=3"]
    assert wants_launcher(argv) and not wants_launcher(["--task", "T"])
    command = launch_command(script, argv)
    assert command[:5] == [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]
    tail = command[command.index(script) :]
    assert tail == [script, "--task", "T", "--device", "cpu", "agent.n_epochs=3", "--distributed"]
    head = " ".join(command[: command.index(script)])
    assert "--nnodes 2" in head and "--rdzv_backend c10d" in head and "--rdzv_endpoint head:29400" in head
    assert "--standalone" not in head
    one_node = launch_command(script, ["--num_gpus", "2", "--task", "T", "--device", "cpu"])
    assert one_node[3] == "--standalone", "a free port of its own: two jobs on one machine must not clash"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU refusal")
def test_launcher_refuses_gpus_this_machine_does_not_have(capsys):
    with pytest.raises(SystemExit):
        launch_command(str(REPO / "scripts" / "train.py"), ["--num_gpus", "2", "--task", "T"])
    assert "no CUDA devices are visible" in capsys.readouterr().err


def _two_ranks(tmp_path, same_data: bool) -> list[dict]:
    init_file = str(tmp_path / "init")
    mp.spawn(run_rank, args=(2, init_file, str(tmp_path), same_data), nprocs=2, join=True)
    return [torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in range(2)]


def test_two_ranks_on_the_same_data_equal_one_process(tmp_path):
    """Averaged gradients of identical minibatches are that minibatch's gradient: 2 ranks == 1 process."""
    ranks = _two_ranks(tmp_path, same_data=True)
    single = distil(str(tmp_path / "single"), seed=7)
    assert ranks[0]["checksum"] == ranks[1]["checksum"]
    for key, value in single["state"].items():
        if key.endswith("count"):  # the normaliser has seen the samples of both ranks
            assert int(ranks[0]["state"][key]) == 2 * int(value)
            continue
        torch.testing.assert_close(ranks[0]["state"][key].float(), value.float(), rtol=1e-5, atol=1e-6, msg=key)
    # the evaluation counts the episodes of both ranks: twice the single process's, same mean return
    assert ranks[0]["result"]["episodes"] == 2 * single["result"]["episodes"]
    assert ranks[0]["result"]["mean_return"] == pytest.approx(single["result"]["mean_return"], rel=1e-4)
    assert ranks[0]["result"]["best_return"] == ranks[1]["result"]["best_return"]
    assert ranks[0]["result"]["loss_weights"] == pytest.approx(single["result"]["loss_weights"], rel=1e-4)
    assert single["result"]["loss_weights"] != [1.0, 1.0]
    written = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert "final_student.pt" in written and not [p for p in written if ".tmp" in p]


def test_two_ranks_on_their_own_data_stay_in_sync(tmp_path):
    ranks = _two_ranks(tmp_path, same_data=False)
    assert ranks[0]["checksum"] == ranks[1]["checksum"], "every rank applies the same averaged step"
    assert ranks[0]["result"] == ranks[1]["result"], "reduced statistics: both ranks take the same decisions"
    single = distil(str(tmp_path / "single"), seed=7)
    assert ranks[0]["checksum"] != single["checksum"]
