"""rsl_rl's :class:`OnPolicyRunner`, with checkpoints written atomically and a checkpoint on Ctrl-C.

rsl_rl writes ``model_*.pt`` with a plain ``torch.save``: a run killed mid-write leaves a truncated file that
``--resume`` then fails to load. Here every checkpoint goes to a temporary file in the same directory, is
fsynced, then renamed over the target (atomic on POSIX), so the previous checkpoint survives any crash.
rsl_rl also drops everything since the last ``save_interval`` on Ctrl-C; here SIGINT writes ``model_<it>.pt`` first.

Under ``torchrun`` the multi-GPU path is rsl_rl's own (parameter broadcast at ``learn``, gradient all-reduce in
``PPO.update``, normaliser statistics reduced, rank 0 alone logs and saves). rsl_rl hard-codes the ``nccl`` backend
and ``cuda:<LOCAL_RANK>``; here the process group comes from :func:`..utils.distributed.init_distributed`, ``gloo``
when the ranks run on the CPU.
"""

from __future__ import annotations

import os

from rsl_rl.runners import OnPolicyRunner

from ..utils.distributed import from_environment, init_distributed
from ..utils.errors import UserError
from ..utils.interrupt import GracefulInterrupt
from ..utils.io import atomic_torch_save


class TeacherRunner(OnPolicyRunner):
    """PPO runner for teachers; identical training, atomic checkpoint writes, a checkpoint on Ctrl-C."""

    def learn(self, num_learning_iterations: int, init_at_random_ep_len: bool = False) -> None:
        """rsl_rl's ``learn``; Ctrl-C stops at the next env step and saves the current policy before propagating."""
        step = self.env.step

        def checked_step(actions):  # the safe point where a pending Ctrl-C is raised (see utils/interrupt.py)
            interrupt.check()
            return step(actions)

        with GracefulInterrupt() as interrupt:
            self.env.step = checked_step
            try:
                self._learn(num_learning_iterations, init_at_random_ep_len)
            except KeyboardInterrupt:
                if self.logger.log_dir is not None and not self.logger.disable_logs:
                    path = os.path.join(self.logger.log_dir, f"model_{self.current_learning_iteration}.pt")
                    self.save(path)
                    print(f"[INFO] interrupted: saved {path}", flush=True)
                raise
            finally:
                del self.env.step  # back to the wrapper's own method

    def _learn(self, num_learning_iterations: int, init_at_random_ep_len: bool) -> None:
        """The training loop itself: rsl_rl's (a subclass with its own loop overrides this)."""
        OnPolicyRunner.learn(self, num_learning_iterations, init_at_random_ep_len)

    def _configure_multi_gpu(self) -> None:
        """rsl_rl's multi-GPU settings, on the CPU too: the ``gloo`` process group instead of ``nccl`` + CUDA."""
        if not from_environment().enabled:
            super()._configure_multi_gpu()
            return
        # joins the group unless the script already did; the device this rank must run on
        ranks, expected = init_distributed("cpu" if str(self.device) == "cpu" else None)
        if str(self.device) != expected:
            raise UserError(f"rank {ranks.rank} runs on '{self.device}', expected '{expected}' (one GPU per rank)")
        self.gpu_world_size, self.gpu_global_rank, self.gpu_local_rank = ranks.world_size, ranks.rank, ranks.local_rank
        self.is_distributed = True
        self.cfg["multi_gpu"] = dict(global_rank=ranks.rank, local_rank=ranks.local_rank, world_size=ranks.world_size)

    def save(self, path: str, infos: dict | None = None) -> None:
        saved = self.alg.save()
        saved["iter"] = self.current_learning_iteration
        saved["infos"] = infos
        atomic_torch_save(saved, path)
        self.logger.save_model(path, self.current_learning_iteration)
