"""Measurements of ``scripts/benchmark_distillation.py``: env rates, training runs with snapshots, learning curves.

Every method is timed while it trains (its own evaluation included, as a user's run pays for it) and snapshots its
student every so many env steps; the snapshots are evaluated afterwards, all by the same function
(:func:`evaluate`: every env's first episode from one seeded, synchronous reset, deterministic actions), so the
curves of return vs training wall time are comparable and the timed runs are not disturbed by the benchmark.
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import tempfile
import time
from collections.abc import Callable
from typing import Any

import torch

from .rollout import StudentPolicy, rollout, synchronous_reset
from .runner import DistillationRunner
from .teacher import Teacher


def reset_env(env: Any, seed: int, synchronous: bool = False) -> None:
    """Reseed every generator and reset all envs (``synchronous``: every episode starts at step 0)."""
    env.seed(seed)
    if synchronous:
        synchronous_reset(env)
    else:
        env.reset()


def evaluate(env: Any, policy: Any, seed: int, inference_mode: bool = False) -> float:
    """Mean return of every env's first episode, all envs starting from one seeded reset.

    ``inference_mode`` is needed once rsl_rl has stepped the env: its rollouts run under ``torch.inference_mode``,
    which turns the env's buffers into inference tensors that cannot be updated in place outside that mode.
    """
    with torch.inference_mode() if inference_mode else torch.no_grad():
        reset_env(env, seed, synchronous=True)
        steps = int(env.unwrapped.max_episode_length) + 1
        result, _ = rollout(env, policy, steps, fresh_start=True, first_episode_per_env=True)
    return float(result.summary()["mean_return"])


def raw_step_rate(env: Any, steps: int, seed: int) -> float:
    """Env steps per second of ``env.step`` alone, with uniform random actions in [-1, 1] (the cost floor)."""
    reset_env(env, seed)
    actions = torch.empty(env.num_envs, env.num_actions, device=env.device)
    with torch.no_grad():
        env.step(actions.uniform_(-1, 1))  # first step outside the clock
        start = time.perf_counter()
        for _ in range(steps):
            env.step(actions.uniform_(-1, 1))
    return steps * env.num_envs / (time.perf_counter() - start)


def replay_step_rate(env: Any, actions: list[torch.Tensor], seed: int, timers: torch.Tensor | None) -> float:
    """Env steps per second of ``env.step`` alone, replaying recorded ``actions`` (``[N, A]`` each) from ``seed``.

    The reference of the collection overhead: the same seeded reset, episode timers (``timers``: the
    ``episode_length_buf`` at the first recorded step) and actions as the collection that recorded them (the same
    resets, crashes and contacts), without the teacher, the student and the storage.
    """
    reset_env(env, seed)
    if timers is not None:
        env.episode_length_buf = timers.clone()
    with torch.no_grad():
        env.step(actions[0])  # first step outside the clock
        synchronize(env)
        start = time.perf_counter()
        for step_actions in actions[1:]:
            env.step(step_actions)
        synchronize(env)
    return (len(actions) - 1) * env.num_envs / (time.perf_counter() - start)


def synchronize(env: Any) -> None:
    """Wait for the env device's queued work (a no-op on CPU), so that a clock reads finished steps."""
    if torch.device(env.device).type == "cuda":
        torch.cuda.synchronize(env.device)


class Snapshots:
    """Students copied during a timed run, each with the training wall time and env steps at that moment."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.start, self.paused = time.perf_counter(), 0.0

    def take(self, model: torch.nn.Module, env_steps: int) -> None:
        """Copy ``model`` (outside the clock)."""
        t0 = time.perf_counter()
        wall = t0 - self.start - self.paused
        self.rows.append({"wall_s": wall, "env_steps": env_steps, "model": copy.deepcopy(model).cpu()})
        self.paused += time.perf_counter() - t0

    def curve(self, env: Any, make_policy: Callable[[Any], Any], seed: int, inference_mode: bool) -> list[dict]:
        """Evaluate every snapshot: ``[{wall_s, env_steps, return}]``."""
        return [
            {
                "wall_s": row["wall_s"],
                "env_steps": row["env_steps"],
                "return": evaluate(env, make_policy(row["model"].to(env.device)), seed, inference_mode),
            }
            for row in self.rows
        ]


def run_ours(env: Any, cfg: Any, teacher: Teacher, student: Any, snapshot_epochs: int, seed: int) -> dict:
    """``DistillationRunner.learn`` as ``scripts/distillation.py`` runs it, a snapshot every ``snapshot_epochs``.

    Returns wall time, env steps, collection and update rates, the rate of ``env.step`` alone replaying the actions of
    the first two epochs (:func:`replay_step_rate`) and the collection's overhead over it on those very steps, the
    evaluation's share of env steps and the snapshots.
    """
    reset_env(env, seed)
    per_epoch = env.num_envs * cfg.num_steps_per_env
    with tempfile.TemporaryDirectory() as log_dir, contextlib.redirect_stdout(io.StringIO()):
        runner = DistillationRunner(env, teacher, student, cfg, log_dir)
        minibatches, step = [0], runner.alg.optimizer.step

        def counted_step(*args: Any, **kwargs: Any) -> Any:
            minibatches[0] += 1
            return step(*args, **kwargs)

        runner.alg.optimizer.step = counted_step
        # the first two collection epochs' actions and the episode timers they started from, for replay_step_rate
        recorded: list[torch.Tensor] = []
        timers: list[torch.Tensor] = []
        env_step, collect, own_step = env.step, runner.collect, vars(env).get("step")

        first_collect_s = [0.0, 0]  # seconds and count of the recorded collection rollouts

        def recording_collect(epoch: int) -> dict:
            env.step = recording_step  # only collection steps are recorded, not an evaluation rollout's
            start = time.perf_counter()
            try:
                return collect(epoch)
            finally:
                env.step = env_step
                if first_collect_s[1] < 2:
                    first_collect_s[0] += time.perf_counter() - start
                    first_collect_s[1] += 1

        def recording_step(actions: torch.Tensor) -> Any:
            if not recorded and hasattr(env, "episode_length_buf"):
                timers.append(env.episode_length_buf.clone())
            if len(recorded) < 2 * cfg.num_steps_per_env:
                recorded.append(actions.clone())
            return env_step(actions)

        runner.collect = recording_collect
        snaps = Snapshots()

        def on_epoch(epoch: int) -> None:
            if epoch % snapshot_epochs == 0 or epoch == cfg.n_epochs:  # the last: the run's final student
                snaps.take(runner.alg.final_student if epoch == cfg.n_epochs else student, epoch * per_epoch)

        try:
            result = runner.learn(on_epoch)
        finally:
            if own_step is None:
                vars(env).pop("step", None)  # the class's method again
        wall_s = time.perf_counter() - snaps.start - snaps.paused
        collect_rate = result["collection_env_steps"] / result["collect_s"]
        replay_rate = replay_step_rate(env, recorded, seed, timers[0] if timers else None)
        recorded_rate = len(recorded) * env.num_envs / first_collect_s[0]  # the same steps, collected
    transitions = cfg.algorithm.batch_size * cfg.algorithm.sequence_length  # per minibatch (before padding)
    return {
        "wall_s": wall_s,
        "env_steps": result["collection_env_steps"] + result["evaluation_env_steps"],
        "collection_rate": collect_rate,
        "replay_rate": replay_rate,  # env.step alone, the same actions
        "overhead": replay_rate / recorded_rate - 1,  # of the collection over env.step, on the same steps
        "update_rate": minibatches[0] * transitions / result["update_s"],
        "evaluation_share": result["evaluation_share"],
        "own_ratio": result.get("mean_return", math.nan) / result["teacher_return"],  # its last own evaluation
        "snapshots": snaps,
        "make_policy": StudentPolicy,
    }


def run_rsl_rl(
    env: Any, train_cfg: dict, teacher: Teacher, teacher_path: str, iterations: int, chunk: int, seed: int
) -> dict:
    """rsl_rl's ``DistillationRunner.learn`` for ``iterations``, in chunks of ``chunk`` with a snapshot after each.

    Raises:
        RuntimeError: rsl_rl's teacher and ours disagree where they must agree (on the clipped actions).
    """
    from rsl_rl.runners import DistillationRunner as RslRlDistillationRunner

    reset_env(env, seed)
    with contextlib.redirect_stdout(io.StringIO()):  # it prints both models
        runner = RslRlDistillationRunner(env, train_cfg, log_dir=None, device=str(env.device))
    runner.load(teacher_path, map_location=str(env.device))  # PPO checkpoint: loads actor_state_dict -> teacher
    obs = env.get_observations()
    with torch.no_grad():
        theirs = runner.alg.teacher(obs)
        if teacher.clip_actions is not None:  # ours clips its labels to the range PPO trained in; rsl_rl does not
            theirs = theirs.clamp(-teacher.clip_actions, teacher.clip_actions)
        if not torch.allclose(theirs, teacher.act(obs), atol=1e-5):
            raise RuntimeError("rsl_rl's teacher and ours disagree on the same observations (clipped actions)")
    update_s, update = [0.0], runner.alg.update

    def timed_update() -> dict:
        start = time.perf_counter()
        out = update()
        update_s[0] += time.perf_counter() - start
        return out

    runner.alg.update = timed_update
    snaps, per_iteration, done = Snapshots(), env.num_envs * train_cfg["num_steps_per_env"], 0
    while done < iterations:
        step = min(chunk, iterations - done)
        with contextlib.redirect_stdout(io.StringIO()):
            runner.learn(step, init_at_random_ep_len=False)  # the seeded reset already spreads the episodes
        done += step
        snaps.take(runner.alg.student, done * per_iteration)
    wall_s = time.perf_counter() - snaps.start - snaps.paused
    transitions = iterations * per_iteration * train_cfg["algorithm"]["num_learning_epochs"]
    return {
        "wall_s": wall_s,
        "env_steps": iterations * per_iteration,
        "collection_rate": iterations * per_iteration / max(wall_s - update_s[0], 1e-9),
        "update_rate": transitions / update_s[0],
        "evaluation_share": 0.0,  # it does not evaluate
        "snapshots": snaps,
        "make_policy": lambda model: Teacher(model, deterministic=True),  # a frozen rsl_rl model acting
    }


def time_to(curve: list[dict], target: float) -> float:
    """Training wall time of the first snapshot whose return reaches ``target`` (NaN: never)."""
    return next((row["wall_s"] for row in curve if row["return"] >= target), math.nan)


def plot_curves(curves: dict[str, list[dict]], teacher_return: float, target: float, path: str) -> str:
    """PNG of return / teacher vs training wall time, one line per method; returns ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for method, curve in curves.items():
        ax.plot([r["wall_s"] for r in curve], [r["return"] / teacher_return for r in curve], "o-", label=method)
    ax.axhline(target, color="grey", linestyle="--", linewidth=1, label=f"{target:.0%} of the teacher")
    ax.set(
        xlabel="training wall time [s]",
        ylabel="student return / teacher return",
        ylim=(min(0.0, ax.get_ylim()[0]), 1.1),
    )
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
