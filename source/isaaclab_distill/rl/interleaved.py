"""PPO interleaved with distillation: the teacher trains and, every few iterations, teaches the student.

The design document's training loop (extreme-parkour trains its depth student the same way, in the PPO run)::

    for it in range(max_iterations):
        PPO iteration (rsl_rl's rollout, returns, update, log, checkpoint)
        if (it + 1) % depth_training_interval == 0:
            for _ in range(epochs):  # a distillation phase on the same env
                student-driven rollout, labelled by the current teacher -> DAgger dataset -> student update

The distillation is :class:`~..distillation.algorithm.DistillationAlgorithm` (teacher forcing, beta, dataset,
losses, latent term); its teacher is the live PPO actor (:class:`~..distillation.teacher.Teacher` with
``frozen=False``), so the labels follow the teacher as it improves.

Why a loop of our own: rsl_rl's ``OnPolicyRunner.learn`` keeps the observations in a local variable, so no hook can
let another policy drive the env between two iterations without PPO acting on stale observations. :meth:`_learn` is
rsl_rl's loop (5.x) with the phase after each iteration and fresh observations after it.

Bookkeeping: the student's steps are not PPO's. rsl_rl's episode statistics and ``learning_curve.json`` count the
teacher's steps only (an episode that spans a phase is counted from its teacher-driven steps). The student's
phase logs ``Distillation/loss`` (``loss_action``, ``loss_latent`` with a latent term), ``Distillation/beta`` and
``Distillation/mean_step_reward`` at the PPO iteration it follows. Every ``model_<it>.pt`` holds the distillation
state too (``--resume`` continues both; the dataset with ``checkpoint_dataset``), and ``student_<it>.pt`` /
``final_student.pt`` beside it are student checkpoints that ``play.py`` plays and exports. Under ``torchrun`` every
rank starts from rank 0's student and the update averages the gradients of all ranks, as in ``distillation.py``.
"""

from __future__ import annotations

import copy
import math
import os
import time

import torch
from rsl_rl.utils import check_nan

from ..distillation.algorithm import DistillationAlgorithm
from ..distillation.averaging import WeightAverage
from ..distillation.checkpoint import save_checkpoint
from ..distillation.teacher import Teacher
from ..models import build_student
from ..models.observations import obs_shapes_of
from ..utils.distributed import from_environment
from ..utils.errors import UserError, first_line
from .interleaved_cfg import InterleavedDistillationCfg
from .runner import TeacherRunner

FINAL_STUDENT = "final_student.pt"


class InterleavedRunner(TeacherRunner):
    """:class:`.runner.TeacherRunner` with distillation phases between PPO iterations (see the module docstring)."""

    def __init__(
        self, env, train_cfg: dict, interleaved: InterleavedDistillationCfg, log_dir: str | None = None, device="cpu"
    ) -> None:
        super().__init__(env, train_cfg, log_dir=log_dir, device=device)
        self.interval, self.epochs_per_phase = interleaved.depth_training_interval, interleaved.epochs
        cfg = interleaved.distillation.copy()
        obs = env.get_observations()
        student = build_student(cfg.student, obs_shapes_of(obs, cfg.student_obs_groups), env.num_actions)
        clip = train_cfg.get("clip_actions")
        teacher = Teacher(self.alg.get_policy(), cfg.algorithm.teacher_deterministic, clip_actions=clip, frozen=False)
        self.distiller = DistillationAlgorithm(
            student, teacher, cfg, env.num_envs, self.device, ranks=from_environment()
        )
        self.distill_epoch, self.last_phase = 0, -1  # epochs done; the PPO iteration the last phase followed
        self._plan_epochs(train_cfg["max_iterations"])
        if cfg.algorithm.init_student_from_teacher:  # a student that does not fit the teacher fails now, not later
            try:
                copy.deepcopy(student).init_from_teacher(teacher.model)
            except (RuntimeError, ValueError) as err:
                raise UserError(f"the student cannot start from the PPO actor: {first_line(err)}") from None
        print(f"[INFO] interleaved distillation every {self.interval} iterations; student: {student.config}")

    def _plan_epochs(self, total_iterations: int) -> None:
        """The distillation schedules (learning rate, weight average) span the run's phases: ``n_epochs``."""
        alg, cfg = self.distiller, self.distiller.cfg
        cfg.n_epochs = max(1, total_iterations // self.interval) * self.epochs_per_phase
        alg.average = WeightAverage(
            cfg.algorithm.average_last_epochs, cfg.n_epochs, cfg.algorithm.epoch_teacher_forcing
        )

    # ------------------------------------------------------------------ the loop
    def _learn(self, num_learning_iterations: int, init_at_random_ep_len: bool) -> None:
        """rsl_rl's ``OnPolicyRunner.learn`` (5.x) with a distillation phase after every ``interval`` iterations."""
        if init_at_random_ep_len:
            self.env.episode_length_buf = torch.randint_like(
                self.env.episode_length_buf, high=int(self.env.max_episode_length)
            )
        obs = self.env.get_observations().to(self.device)
        self.alg.train_mode()
        if self.is_distributed:
            self.alg.broadcast_parameters()
            for network in dict.fromkeys((self.distiller.student, self.distiller.final_student)):
                self.distiller.ranks.broadcast_module(network)  # every rank: rank 0's student
        self.logger.init_logging_writer()
        rnd = bool(self.cfg["algorithm"].get("rnd_cfg"))
        start_it = self.current_learning_iteration
        total_it = start_it + num_learning_iterations
        for it in range(start_it, total_it):
            start = time.time()
            with torch.inference_mode():  # 1. PPO rollout
                for _ in range(self.cfg["num_steps_per_env"]):
                    actions = self.alg.act(obs)
                    obs, rewards, dones, extras = self.env.step(actions.to(self.env.device))
                    if self.cfg.get("check_for_nan", True):
                        check_nan(obs, rewards, dones)
                    obs, rewards, dones = (obs.to(self.device), rewards.to(self.device), dones.to(self.device))
                    self.alg.process_env_step(obs, rewards, dones, extras)
                    self.logger.process_env_step(rewards, dones, extras, self.alg.intrinsic_rewards if rnd else None)
                collect_time = time.time() - start
                start = time.time()
                self.alg.compute_returns(obs)
            loss_dict = self.alg.update()  # 2. PPO update
            learn_time = time.time() - start
            self.current_learning_iteration = it
            self.logger.log(
                it=it,
                start_it=start_it,
                total_it=total_it,
                collect_time=collect_time,
                learn_time=learn_time,
                loss_dict=loss_dict,
                learning_rate=self.alg.learning_rate,
                action_std=self.alg.get_policy().output_std,
                rnd_weight=self.alg.rnd.weight if rnd else None,
            )
            if (it + 1) % self.interval == 0 and it > self.last_phase:  # 3. distillation, then PPO goes on
                self.distillation_phase(it)
                obs = self.env.get_observations().to(self.device)
            if self.logger.writer is not None and it % self.cfg["save_interval"] == 0:
                self.save(os.path.join(self.logger.log_dir, f"model_{it}.pt"))
        if self.logger.writer is not None:
            self.save(os.path.join(self.logger.log_dir, f"model_{self.current_learning_iteration}.pt"))
            self.save_student(os.path.join(self.logger.log_dir, FINAL_STUDENT))
            self.logger.stop_logging_writer()

    def distillation_phase(self, it: int) -> None:
        """``epochs`` distillation epochs on the env, driven by the student and labelled by the current teacher."""
        alg, cfg = self.distiller, self.distiller.cfg
        if self.distill_epoch == 0 and cfg.algorithm.init_student_from_teacher:
            report = alg.init_student_from_teacher()
            print(f"[distill] init from the teacher of iteration {it}: copied {report['copied']}")
        self.alg.eval_mode()
        recording, self.env.recording = getattr(self.env, "recording", None), False  # a LearningCurveEnv pauses
        obs, dones = self.env.get_observations().to(self.device), None
        alg.hidden = alg.student.initial_hidden(alg.num_envs)  # PPO drove the env since the last phase
        for _ in range(self.epochs_per_phase):
            beta, reward = alg.start_rollout(self.distill_epoch), 0.0
            for _ in range(cfg.num_steps_per_env):
                obs, rewards, dones, _ = self.env.step(alg.act(obs, dones).to(self.env.device))
                obs, dones = obs.to(self.device), dones.to(self.device).view(-1).bool()
                alg.process_env_step(dones)
                self._restart_episode_stats(dones)
                reward += float(rewards.mean()) / cfg.num_steps_per_env
            alg.end_rollout()
            loss = alg.update(self.distill_epoch)
            self.distill_epoch += 1
            terms = {f"loss_{k}": v for k, v in alg.loss_parts.items()}
            self._log(it, {"loss": loss, **terms, "beta": beta, "mean_step_reward": reward})
        if recording is not None:
            self.env.recording = recording
        self.alg.train_mode()
        self.alg.actor.reset()  # the env moved on without the PPO policy: a recurrent memory is stale (MLP: no-op)
        self.alg.critic.reset()
        self.last_phase = it

    def _restart_episode_stats(self, dones: torch.Tensor) -> None:
        """rsl_rl's running episode sums restart for the episodes that ended under the student (not PPO's steps)."""
        for name in ("cur_reward_sum", "cur_episode_length", "cur_ereward_sum", "cur_ireward_sum"):
            value = getattr(self.logger, name, None)
            if torch.is_tensor(value):
                value[dones] = 0

    def _log(self, it: int, scalars: dict[str, float]) -> None:
        if self.logger.writer is None:
            return
        for name, value in scalars.items():
            if math.isfinite(value):
                self.logger.writer.add_scalar(f"Distillation/{name}", value, it)
        print(f"[distill] after iteration {it}: " + ", ".join(f"{k} {v:.4g}" for k, v in scalars.items()), flush=True)

    # ------------------------------------------------------------------ checkpoints
    def save(self, path: str, infos: dict | None = None) -> None:
        """rsl_rl's checkpoint with the distillation state in its ``infos``, and ``student_<it>.pt`` beside it."""
        alg = self.distiller
        state = {
            "state": alg.state_dict(include_data=alg.cfg.checkpoint_dataset),
            "generators": {name: g.get_state() for name, g in alg.generators.items()},
            "epoch": self.distill_epoch,
            "last_phase": self.last_phase,
        }
        super().save(path, {**(infos or {}), "interleaved": state})
        self.save_student(os.path.join(os.path.dirname(path), f"student_{self.current_learning_iteration}.pt"))

    def load(self, path: str, load_cfg: dict | None = None, strict: bool = True, map_location=None) -> dict:
        """rsl_rl's load, then the distillation state (a checkpoint of a PPO-only run starts a new student)."""
        infos = super().load(path, load_cfg, strict, map_location)
        state = (infos or {}).get("interleaved")
        # the resumed run goes on for max_iterations more: its phases extend the schedules
        self._plan_epochs(self.current_learning_iteration + self.cfg["max_iterations"])
        if state is not None:
            try:
                self.distiller.load_state_dict(state["state"])
            except (RuntimeError, ValueError, KeyError) as err:
                raise UserError(f"'{path}' holds a student that does not fit this config: {first_line(err)}") from None
            for name, value in state.get("generators", {}).items():
                self.distiller.generators[name].set_state(value)
            self.distill_epoch, self.last_phase = int(state["epoch"]), int(state.get("last_phase", -1))
        return infos

    def save_student(self, path: str) -> str:
        """The student as a student checkpoint (atomic), with its distillation config."""
        alg = self.distiller
        return save_checkpoint(
            path,
            student=alg.final_student,
            optimizer=None,
            epoch=self.distill_epoch,
            best_return=-math.inf,
            distillation_cfg={**alg.cfg.to_dict(), "interleaved": {"ppo_iteration": self.current_learning_iteration}},
        )
