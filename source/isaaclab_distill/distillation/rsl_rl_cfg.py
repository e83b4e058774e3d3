"""A :class:`DistillationCfg` from an rsl_rl runner config, so any Isaac Lab task can be distilled as registered.

``scripts/distillation.py`` takes the first agent config a task registers, in :data:`ENTRY_POINTS` order:

1. ``distillation_cfg_entry_point``: this project's :class:`DistillationCfg`, used as is;
2. ``rsl_rl_distillation_cfg_entry_point``: Isaac Lab's ``RslRlDistillationRunnerCfg``, translated by
   :func:`from_rsl_rl_distillation` so that a task written for rsl_rl's ``DistillationRunner`` runs unchanged;
3. ``rsl_rl_cfg_entry_point``: the PPO config every Isaac Lab task has; :func:`from_ppo` derives a default.

The configs are read by their fields (``class_name`` says which runner), not by their Python class: Isaac Lab's
``@configclass`` objects and rsl_rl's plain dicts are both accepted, and no simulator module is imported.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from ..models.cfg import StudentCfg
from ..utils.errors import UserError
from .cfg import DistillationAlgorithmCfg, DistillationCfg, DistillationStorageCfg

_STUDENT_MODELS = {"student": ("MLPModel", "RNNModel"), "policy": ("StudentTeacher", "StudentTeacherRecurrent")}
"""rsl_rl model classes that translate into a :class:`StudentCfg`, (feed-forward, recurrent) per config field
(``student``; the deprecated ``policy``)."""

ENTRY_POINTS = ("distillation_cfg_entry_point", "rsl_rl_distillation_cfg_entry_point", "rsl_rl_cfg_entry_point")
"""Registry keys of the agent configs ``scripts/distillation.py`` can run, in the order it tries them."""


def to_distillation_cfg(cfg: Any, num_envs: int | None = None, env_groups: Sequence[str] = ()) -> DistillationCfg:
    """The :class:`DistillationCfg` of a registered agent config (returned as is when it already is one).

    Args:
        cfg: A :class:`DistillationCfg`, an rsl_rl distillation runner config or an rsl_rl PPO runner config.
        num_envs: Env count of the run; a translated rsl_rl distillation config updates on all of them per step.
        env_groups: Observation groups the env defines (:func:`env_obs_groups`): the student reads ``student``
            when there is one and the config names none, else ``policy`` (rsl_rl's ``resolve_obs_groups``).

    Raises:
        UserError: Any other config.
    """
    if isinstance(cfg, DistillationCfg):
        return cfg
    runner = _get(cfg, "class_name")
    if runner == "DistillationRunner":
        return from_rsl_rl_distillation(cfg, num_envs, env_groups)
    if runner == "OnPolicyRunner":
        return from_ppo(cfg, env_groups)
    raise UserError(
        f"cannot distil with a {type(cfg).__name__} (runner '{runner}'): expected a DistillationCfg, an rsl_rl"
        " RslRlDistillationRunnerCfg or an rsl_rl RslRlOnPolicyRunnerCfg"
    )


def env_obs_groups(env_cfg: Any) -> list[str]:
    """Observation groups an env config defines.

    The fields of a manager-based ``observations`` config, else the ``policy`` group of a direct env.
    """
    observations = getattr(env_cfg, "observations", None)
    if observations is not None and hasattr(observations, "__dataclass_fields__"):
        return [name for name in observations.__dataclass_fields__ if getattr(observations, name, None) is not None]
    return ["policy"]


def from_ppo(cfg: Any, env_groups: Sequence[str] = ()) -> DistillationCfg:
    """Defaults for a task that only has a PPO config: an MLP student, the run's names.

    The student reads the env's ``student`` group when there is one, else ``policy``.

    The teacher needs nothing from here: it is rebuilt from its own checkpoint's PPO config (actor network and
    ``obs_groups``). ``--student`` and ``--student_obs_group`` change the student.
    """
    return DistillationCfg(
        experiment_name=_get(cfg, "experiment_name") or "distillation",
        run_name=_get(cfg, "run_name") or "",
        seed=_get(cfg, "seed", 42),
        student_obs_groups=[_default_student_group(env_groups)],
    )


def from_rsl_rl_distillation(cfg: Any, num_envs: int | None = None, env_groups: Sequence[str] = ()) -> DistillationCfg:
    """Translate rsl_rl's ``DistillationRunner`` config (Isaac Lab's ``RslRlDistillationRunnerCfg``) field by field.

    ============================================  =============================================================
    rsl_rl                                        here
    ============================================  =============================================================
    ``student`` (``MLPModel`` / ``RNNModel``)     ``student``: ``mlp`` / ``rnn_type``, hidden dims, activation,
                                                  normalisation, RNN size and layers
    ``obs_groups["student"]``                     ``student_obs_groups`` (default: ``student``, else ``policy``)
    ``num_steps_per_env``, ``max_iterations``     ``num_steps_per_env``, ``n_epochs``
    ``algorithm.gradient_length``                 ``algorithm.sequence_length``
    ``learning_rate``, ``max_grad_norm``,         ``algorithm.learning_rate``, ``max_grad_norm``, ``loss``,
    ``loss_type``, ``optimizer``,                 ``optimizer``, ``num_learning_passes``
    ``num_learning_epochs``
    ``save_interval``                             ``save_interval`` and ``eval_interval``
    ============================================  =============================================================

    rsl_rl lets the student act from the first step and trains on the last rollout only: here that is DAgger from
    epoch 0 (``epoch_teacher_forcing=0``, ``beta_start=0``) with ``storage.on_policy=True``, and one minibatch
    holds the segments of all ``num_envs`` envs, as rsl_rl's update does. ``teacher`` and ``obs_groups["teacher"]``
    are not read: the teacher is rebuilt from its checkpoint's own PPO config.

    rsl_rl sums the per-step losses of ``gradient_length`` steps before one gradient step; here the loss is their
    mean, so the gradient is ``gradient_length`` times smaller. ``max_grad_norm`` is divided by ``gradient_length``
    (the clipped step is then the same), and for ``sgd`` the learning rate is multiplied by it (Adam, AdamW and
    RMSprop do not depend on the gradient's scale).

    Raises:
        UserError: A required field is unset, or a student model this project cannot build (e.g. ``CNNModel``).
    """
    student = _student_cfg(cfg)
    algorithm = _required(cfg, "algorithm")
    gradient_length = max(1, int(_get(algorithm, "gradient_length", 1)))
    steps = int(_required(cfg, "num_steps_per_env"))
    optimizer = str(_get(algorithm, "optimizer", "adam")).lower()
    learning_rate = float(_required(algorithm, "learning_rate", "algorithm."))
    max_grad_norm = _get(algorithm, "max_grad_norm")
    save_interval = int(_get(cfg, "save_interval", 10))
    obs_groups = _get(cfg, "obs_groups") or {}
    return DistillationCfg(
        experiment_name=_get(cfg, "experiment_name") or "distillation",
        run_name=_get(cfg, "run_name") or "",
        seed=_get(cfg, "seed", 42),
        n_epochs=int(_required(cfg, "max_iterations")),
        num_steps_per_env=steps,
        student_obs_groups=list(obs_groups.get("student", [_default_student_group(env_groups)])),
        init_at_random_ep_len=bool(_get(cfg, "init_at_random_ep_len", True)),
        save_interval=save_interval,
        eval_interval=save_interval,
        algorithm=DistillationAlgorithmCfg(
            learning_rate=learning_rate * (gradient_length if optimizer == "sgd" else 1),
            max_grad_norm=None if max_grad_norm is None else float(max_grad_norm) / gradient_length,
            loss=_get(algorithm, "loss_type", "mse"),
            optimizer=optimizer,
            num_learning_passes=int(_get(algorithm, "num_learning_epochs", 1)),
            sequence_length=gradient_length,
            batch_size=num_envs or 256,  # rsl_rl: one gradient step per gradient_length steps of every env
            epoch_teacher_forcing=0,
            beta_start=0.0,
        ),
        storage=DistillationStorageCfg(on_policy=True, max_dataset_steps=(num_envs or 256) * steps),
        student=student,
    )


def _student_cfg(cfg: Any) -> StudentCfg:
    """The student network of an rsl_rl distillation config (``student`` model cfg, or the deprecated ``policy``)."""
    model, prefix = _get(cfg, "student"), "student"
    if model is None:  # rsl_rl < 4: one StudentTeacher(Recurrent) policy config
        model, prefix = _get(cfg, "policy"), "policy"
        if model is None:
            raise UserError("the rsl_rl distillation config has neither a 'student' nor a 'policy' model config")
    name = str(_get(model, "class_name", "MLPModel")).replace(":", ".").rpartition(".")[2]
    if name not in _STUDENT_MODELS[prefix]:
        raise UserError(
            f"the rsl_rl {prefix} model '{name}' has no counterpart here ({' or '.join(_STUDENT_MODELS[prefix])}):"
            " register a DistillationCfg for this task (an image student: see the depth parkour task's config)"
        )
    recurrent = name == _STUDENT_MODELS[prefix][1]  # RNNModel / StudentTeacherRecurrent
    if prefix == "student":
        dims, normalize = _required(model, "hidden_dims", "student."), _get(model, "obs_normalization", False)
    else:
        dims = _required(model, "student_hidden_dims", "policy.")
        normalize = _get(model, "student_obs_normalization", False)
    activation = _get(model, "activation", "elu")
    student = StudentCfg(
        class_name="mlp", hidden_dims=list(dims), activation=activation, obs_normalization=bool(normalize)
    )
    if recurrent:
        student.class_name = str(_get(model, "rnn_type", "gru")).lower()
        student.rnn_hidden_dim = int(_get(model, "rnn_hidden_dim", student.rnn_hidden_dim))
        student.rnn_num_layers = int(_get(model, "rnn_num_layers", student.rnn_num_layers))
        if student.class_name not in ("gru", "lstm"):
            raise UserError(f"rnn_type must be 'gru' or 'lstm', got '{student.class_name}'")
    return student


def _default_student_group(env_groups: Sequence[str]) -> str:
    return "student" if "student" in env_groups else "policy"


def _required(cfg: Any, name: str, where: str = "") -> Any:
    """Field ``name`` of an rsl_rl config that has no default, or a :class:`UserError` naming it."""
    value = _get(cfg, name)
    if value is None:
        raise UserError(f"the rsl_rl distillation config leaves agent.{where}{name} unset: set it in the config")
    return value


def _get(cfg: Any, name: str, default: Any = None) -> Any:
    """Field ``name`` of a config object or dict (``default`` when absent or Isaac Lab's ``MISSING``)."""
    value = cfg.get(name, default) if isinstance(cfg, dict) else getattr(cfg, name, default)
    return default if value is None or isinstance(value, type(dataclasses.MISSING)) else value  # configclass copies it
