"""Configs of the fine-tuning run: PPO on a distilled student, with an optional scheduled distillation term.

``scripts/finetune.py`` adapts the task's registered rsl_rl PPO config (:func:`as_finetune_cfg`) into a
:class:`FinetuneRunnerCfg`, so the task's own PPO settings (rollout length, learning rate, critic, obs groups) apply
and every field here is a Hydra override: ``agent.finetune.critic_warmup_iterations=0``,
``agent.finetune.guidance.coef=1.0``. :func:`runner_dict` then turns it into the plain dict rsl_rl's
``OnPolicyRunner`` builds from: the actor is the student (:class:`.student_actor.StudentActor`), the critic the
task's (on the task's critic group: it may read privileged observations), the algorithm :class:`.guided_ppo.GuidedPPO`.

One mechanism, several recipes (as rl_games' DAgger variants), all settings of :class:`GuidanceCfg`:

- PPO fine-tune (default): ``coef=0``, ``beta=0``;
- DAgger -> fine-tune: ``coef=1, coef_end=0, coef_iterations=N``: the behaviour loss fades out over N iterations;
- teacher-guided RL: a constant small ``coef``;
- pure DAgger: ``rl_coef=0, coef=1, beta=1, beta_end=0``: no PPO actor term, the teacher drives a decaying share.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from isaaclab.utils import configclass
from isaaclab_rl.rsl_rl import RslRlOnPolicyRunnerCfg

from ..utils.errors import UserError

STUDENT_ACTOR = "isaaclab_distill.rl.student_actor:StudentActor"
GUIDED_PPO = "isaaclab_distill.rl.guided_ppo:GuidedPPO"


def linear(start: float, end: float | None, iterations: int, iteration: int) -> float:
    """``start`` -> ``end`` linearly over ``iterations`` iterations, then ``end``.

    ``end=None`` or no iterations: ``start`` throughout.
    """
    if end is None or iterations <= 0:
        return start
    return start + (end - start) * min(1.0, iteration / iterations)


@configclass
class GuidanceCfg:
    """The distillation term inside PPO: ``loss = value + rl_coef * ppo_actor + coef(t) * behaviour_loss``."""

    coef: float = 0.0
    """Weight of the behaviour loss (student mean vs the teacher's action) at iteration 0."""
    coef_end: float | None = None
    """Weight after ``coef_iterations`` (linear in between); ``None``: ``coef`` throughout."""
    coef_iterations: int = 0
    """Iterations of the linear change of the weight."""
    beta: float = 0.0
    """Share of the envs the teacher drives at iteration 0 (drawn per env at each episode start). Their steps enter
    the behaviour loss and the critic's targets, never the PPO surrogate (their actions are not the student's)."""
    beta_end: float | None = None
    """Share after ``beta_iterations``; ``None``: ``beta`` throughout."""
    beta_iterations: int = 0
    """Iterations of the linear change of the share."""
    rl_coef: float = 1.0
    """Weight of PPO's actor terms (surrogate and entropy); 0 with ``coef > 0`` is DAgger with a critic."""
    loss: Literal["mse", "huber", "l1"] = "mse"
    """Behaviour loss."""

    def at(self, iteration: int) -> tuple[float, float]:
        """``(coef, beta)`` of ``iteration``."""
        coef = linear(self.coef, self.coef_end, self.coef_iterations, iteration)
        return coef, linear(self.beta, self.beta_end, self.beta_iterations, iteration)

    @property
    def needs_teacher(self) -> bool:
        """Whether any iteration uses the teacher."""
        return any(v not in (None, 0.0) for v in (self.coef, self.coef_end, self.beta, self.beta_end))


@configclass
class FinetuneCfg:
    """What fine-tuning adds to the task's PPO config."""

    init_std: float = 0.1
    """Initial action std: the distilled mean is good already, so exploration starts narrow."""
    learn_std: bool = True
    """Learn the action std (or keep ``init_std``)."""
    train_memory: bool = False
    """Let PPO change a recurrent student's GRU/LSTM and its input normaliser too; off: only the MLP head and the std
    learn. Measured on the quadcopter GRU student (critic from the teacher, 300 iterations): training the GRU too
    dropped the step reward from 0.245 to 0.165 within 30 iterations of the warm-up's end and ended at 0.83 of the
    teacher's return; the head alone with the normaliser still moving, 0.92; the head alone, 1.00 (1.02 at 200)."""
    critic_warmup_iterations: int = 10
    """PPO iterations with the actor frozen (weights and normaliser): the fresh critic learns the student's values
    first, so its first, wrong advantages cannot wreck the distilled behaviour."""
    critic_from_teacher: bool = True
    """With ``--teacher_checkpoint``: start the critic from the teacher's (same critic config and groups) instead of
    a fresh one; the warm-up then calibrates it to the student."""
    guidance: GuidanceCfg = GuidanceCfg()
    """The optional distillation term and teacher share."""


@configclass
class FinetuneRunnerCfg(RslRlOnPolicyRunnerCfg):
    """The task's PPO runner config plus :class:`FinetuneCfg`."""

    finetune: FinetuneCfg = FinetuneCfg()


def as_finetune_cfg(agent_cfg: Any, env_cfg: Any = None) -> FinetuneRunnerCfg:
    """The registered rsl_rl runner config of a task as a :class:`FinetuneRunnerCfg` (the ``agent_cfg_adapter``)."""
    if isinstance(agent_cfg, FinetuneRunnerCfg):
        return agent_cfg
    known = {f.name for f in dataclasses.fields(FinetuneRunnerCfg)}
    values = {f.name: getattr(agent_cfg, f.name) for f in dataclasses.fields(agent_cfg) if f.name in known}
    return FinetuneRunnerCfg(**values)


def check_finetune_cfg(cfg: FinetuneRunnerCfg) -> None:
    """Every ``agent.finetune`` value in range and a PPO without RND or symmetry (before the simulator starts).

    Raises:
        UserError: The first bad value, named with its fix.
    """
    f, g = cfg.finetune, cfg.finetune.guidance
    checks = [
        (f.init_std > 0, f"agent.finetune.init_std must be > 0, got {f.init_std}"),
        (f.critic_warmup_iterations >= 0, "agent.finetune.critic_warmup_iterations must be >= 0"),
        (g.loss in ("mse", "huber", "l1"), f"agent.finetune.guidance.loss must be mse, huber or l1, got '{g.loss}'"),
        (
            min(g.coef, g.coef_end or 0.0, g.rl_coef) >= 0,
            "agent.finetune.guidance coef, coef_end, rl_coef must be >= 0",
        ),
        (all(0 <= b <= 1 for b in (g.beta, g.beta_end or 0.0)), "agent.finetune.guidance.beta(_end) must be in [0, 1]"),
        (min(g.coef_iterations, g.beta_iterations) >= 0, "agent.finetune.guidance.*_iterations must be >= 0"),
        (not getattr(cfg.algorithm, "rnd_cfg", None), "fine-tuning does not support RND: agent.algorithm.rnd_cfg=null"),
        (
            not getattr(cfg.algorithm, "symmetry_cfg", None),
            "fine-tuning does not support symmetry augmentation: agent.algorithm.symmetry_cfg=null",
        ),
    ]
    for ok, message in checks:
        if not ok:
            raise UserError(message)


def check_resume(resume: dict, student: dict, path: str) -> None:
    """A fine-tuning ``model_*.pt`` to resume must hold an actor of ``student``'s network (keys and shapes).

    Raises:
        UserError: Another student's run, or a plain PPO checkpoint (e.g. the teacher's).
    """
    actor = resume["actor_state_dict"]
    expected = {f"student.{k}": tuple(v.shape) for k, v in student["model_state_dict"].items()}
    found = {k: tuple(v.shape) for k, v in actor.items() if k.startswith("student.")}
    if found != expected:
        raise UserError(
            f"--resume '{path}' is not a fine-tuning run of this --student (its actor differs): pass a model_*.pt"
            " written by finetune.py from the same student"
        )


def runner_dict(
    cfg: dict, student: str, student_groups: list[str], teacher: str | None, teacher_cfg: dict | None = None
) -> dict:
    """rsl_rl's runner dict of a fine-tuning run from ``to_dict(FinetuneRunnerCfg)`` (after rsl_rl's migration).

    Args:
        cfg: The runner config as a dict; its ``actor`` / ``obs_groups["actor"]`` describe the task's PPO teacher.
        student: Student checkpoint (the actor's start).
        student_groups: Observation groups the student reads (its actor set).
        teacher: PPO teacher checkpoint for the guidance term and the critic's start (``None``: none).
        teacher_cfg: The runner config the teacher was trained with (its run's ``params/agent.yaml``); ``None``:
            ``cfg``'s own actor and groups.
    """
    cfg = dict(cfg)
    finetune = cfg.pop("finetune")
    teacher_actor, teacher_groups = cfg["actor"], dict(cfg["obs_groups"])
    cfg["actor"] = {
        "class_name": STUDENT_ACTOR,
        "checkpoint": student,
        "init_std": finetune["init_std"],
        "learn_std": finetune["learn_std"],
        "train_memory": finetune["train_memory"],
    }
    cfg["obs_groups"] = {"actor": list(student_groups), "critic": list(teacher_groups.get("critic", student_groups))}
    guide = None
    if teacher is not None:
        source = teacher_cfg or {
            "actor": teacher_actor,
            "obs_groups": teacher_groups,
            "clip_actions": cfg.get("clip_actions"),
        }
        guide = {"checkpoint": teacher, "actor": source["actor"], "obs_groups": dict(source.get("obs_groups") or {})}
        guide["clip_actions"] = source.get("clip_actions")
    cfg["algorithm"] = dict(cfg["algorithm"], class_name=GUIDED_PPO, teacher=guide, guidance=finetune["guidance"])
    cfg["algorithm"]["critic_warmup_iterations"] = finetune["critic_warmup_iterations"]
    cfg["algorithm"]["critic_from_teacher"] = finetune["critic_from_teacher"]
    return cfg
