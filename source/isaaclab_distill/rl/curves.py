"""Learning curves of a PPO run, one row per iteration, measured on every env step (``learning_curve.json``).

rsl_rl logs per-iteration means of what the env reports at episode ends (``Episode_Termination/*`` counts,
``Metrics/*`` episode means), which weighs short failed episodes and long successful ones alike and cannot say
whether a policy learns to walk or to fall. :class:`LearningCurveEnv` wraps the env for rsl_rl exactly like
:class:`~isaaclab_rl.rsl_rl.RslRlVecEnvWrapper` and adds, per iteration of ``steps_per_iteration`` env steps:

- ``mean_step_reward``, ``min_step_reward``: the reward PPO optimised, averaged over envs and steps, and its minimum;
- ``episodes``, ``mean_episode_length`` [steps], ``mean_episode_return``: over the episodes that ended in it;
- ``termination_share``: per termination term, the share of those episodes it ended (several terms can fire at
  once), and ``success_share``: the share ended by a time-out-type term (``time_out=True``: time-out, off the tile);
  a direct env (no termination manager) reports its two signals, ``terminated`` and ``time_out``;
- ``tracking_error``: mean ``|v_cmd_xy - v_xy|`` [m/s] in the base frame over all steps (not the steps that reset),
  when the env has a velocity command named ``velocity_command``;
- ``terrain_level``: mean terrain level when the terrain has a curriculum.

The rows are rewritten atomically to ``path`` after every iteration, so a killed run keeps its curve. While
``recording`` is False (another policy drives the env between PPO iterations, :mod:`.interleaved`) steps count in no
row; an episode that ends then is dropped, and one running through it counts its recorded steps only.
"""

from __future__ import annotations

import json
import math
import os

import torch
from isaaclab_rl.rsl_rl import RslRlVecEnvWrapper

from ..utils.io import atomic_write_text

CURVE_FILE = "learning_curve.json"


class LearningCurveEnv(RslRlVecEnvWrapper):
    """rsl_rl vec-env wrapper that records a learning curve (see the module docstring)."""

    def __init__(
        self,
        env,
        steps_per_iteration: int,
        path: str | None = None,
        velocity_command: str = "base_velocity",
        clip_actions: float | None = None,
    ) -> None:
        super().__init__(env, clip_actions=clip_actions)
        self.rows: list[dict] = []
        self._steps_per_iteration = steps_per_iteration
        self._path = path
        base = self.unwrapped
        self._manager = getattr(base, "termination_manager", None)  # manager-based envs; direct envs have none
        if self._manager is not None:
            self._terms = list(self._manager.active_terms)
            time_outs = [bool(self._manager.get_term_cfg(t).time_out) for t in self._terms]
        else:
            self._terms, time_outs = ["terminated", "time_out"], [False, True]
        self._is_time_out = torch.tensor(time_outs, device=self.device)
        names = base.command_manager.active_terms if hasattr(base, "command_manager") else []
        self._command = base.command_manager.get_term(velocity_command) if velocity_command in names else None
        terrain = getattr(base.scene, "terrain", None)
        self._terrain = terrain if getattr(terrain, "terrain_levels", None) is not None else None
        self._return = torch.zeros(self.num_envs, device=self.device)
        self._unrecorded = torch.zeros(self.num_envs, device=self.device)  # steps of the episode while not recording
        self.recording = True
        self._new_iteration()

    def _new_iteration(self) -> None:
        # device-side sums (no host sync per step): reward, |v error| and its count, and over ended episodes their
        # count, lengths, returns, successes and per-term firings
        zeros = torch.zeros(6, device=self.device)
        self._reward_sum, self._error_sum, self._error_count, self._episodes, self._length_sum, self._return_sum = zeros
        self._successes = torch.zeros((), device=self.device)
        self._min_reward = torch.full((), math.inf, device=self.device)
        self._fired = torch.zeros(len(self._terms), device=self.device)
        self._step = 0

    def step(self, actions: torch.Tensor):
        base = self.unwrapped
        lengths = base.episode_length_buf + 1 - self._unrecorded  # its recorded length if it ends at this step
        obs, rewards, dones, extras = super().step(actions)
        done = dones.bool()
        if not self.recording:
            self._return *= ~done
            self._unrecorded = (self._unrecorded + 1) * ~done
            return obs, rewards, dones, extras
        self._reward_sum += rewards.mean()
        torch.minimum(self._min_reward, rewards.min(), out=self._min_reward)
        self._return += rewards
        if self._command is not None:
            error = torch.linalg.norm(
                self._command.vel_command_b[:, :2] - self._command.robot.data.root_lin_vel_b.torch[:, :2], dim=-1
            )
            self._error_sum += (error * ~done).sum()  # reset envs already hold their next episode's state
            self._error_count += (~done).sum()
        fired = self._term_flags(extras) & done.unsqueeze(-1)  # [N, T]
        self._fired += fired.sum(dim=0)
        self._successes += fired[:, self._is_time_out].any(dim=-1).sum()
        self._episodes += done.sum()
        self._length_sum += (lengths * done).sum()
        self._return_sum += (self._return * done).sum()
        self._return *= ~done
        self._unrecorded *= ~done
        self._step += 1
        if self._step == self._steps_per_iteration:
            self._close_iteration()
        return obs, rewards, dones, extras

    def _term_flags(self, extras: dict) -> torch.Tensor:
        """Which termination fired at this step, per env and term, shape ``(N, T)`` (AND it with ``dones``).

        A direct env (or a converted multi-agent one) has two terms: terminated, and the wrapper's ``time_outs``
        (absent for a finite-horizon env, where every end counts as terminated).
        """
        if self._manager is not None:
            return torch.stack([self._manager.get_term(t) for t in self._terms], dim=-1)
        time_outs = extras["time_outs"].bool() if "time_outs" in extras else torch.zeros_like(self._return).bool()
        return torch.stack([~time_outs, time_outs], dim=-1)

    def _close_iteration(self) -> None:
        episodes = int(self._episodes)
        per_episode = 1.0 / episodes if episodes else math.nan  # NaN for an iteration in which no episode ended
        row = {
            "iteration": len(self.rows),
            "mean_step_reward": float(self._reward_sum) / self._steps_per_iteration,
            "min_step_reward": float(self._min_reward),
            "episodes": episodes,
            "mean_episode_length": float(self._length_sum) * per_episode,
            "mean_episode_return": float(self._return_sum) * per_episode,
            "termination_share": {t: n * per_episode for t, n in zip(self._terms, self._fired.tolist())},
            "success_share": float(self._successes) * per_episode,
            "tracking_error": float(self._error_sum / self._error_count) if self._error_count else math.nan,
            "terrain_level": float(self._terrain.terrain_levels.float().mean()) if self._terrain else math.nan,
        }
        self.rows.append(row)
        if self._path:
            atomic_write_text(self._path, json.dumps(self.rows, indent=1))
        self._new_iteration()


def final_results(log_dir: str) -> dict[str, float]:
    """A finished PPO run's row of a sweep table (``learning_curve.json``).

    Its last iteration in which episodes ended; NaN without one.
    """
    path = os.path.join(log_dir, CURVE_FILE)
    rows = []
    if os.path.isfile(path):
        with open(path) as f:
            rows = [row for row in json.load(f) if row["episodes"]]
    last = rows[-1] if rows else {}
    return {
        "iteration": last.get("iteration", math.nan),
        "episode return": last.get("mean_episode_return", math.nan),
        "episode length": last.get("mean_episode_length", math.nan),
        "success share": last.get("success_share", math.nan),
    }
