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
from typing import Any

from ..models.cfg import StudentCfg
from ..utils.errors import UserError
from .cfg import DistillationAlgorithmCfg, DistillationCfg, DistillationStorageCfg

ENTRY_POINTS = ("distillation_cfg_entry_point", "rsl_rl_distillation_cfg_entry_point", "rsl_rl_cfg_entry_point")
"""Registry keys of the agent configs ``scripts/distillation.py`` can run, in the order it tries them."""


def to_distillation_cfg(cfg: Any, num_envs: int | None = None) -> DistillationCfg:
    """The :class:`DistillationCfg` of a registered agent config (returned as is when it already is one).

    Args:
        cfg: A :class:`DistillationCfg`, an rsl_rl distillation runner config or an rsl_rl PPO runner config.
        num_envs: Env count of the run; a translated rsl_rl distillation config updates on all of them per step.

    Raises:
        UserError: Any other config.
    """
    if isinstance(cfg, DistillationCfg):
        return cfg
    runner = _get(cfg, "class_name")
    if runner == "DistillationRunner":
        return from_rsl_rl_distillation(cfg, num_envs)
    if runner == "OnPolicyRunner":
        return from_ppo(cfg)
    raise UserError(
        f"cannot distil with a {type(cfg).__name__} (runner '{runner}'): expected a DistillationCfg, an rsl_rl"
        " RslRlDistillationRunnerCfg or an rsl_rl RslRlOnPolicyRunnerCfg"
    )


def from_ppo(cfg: Any) -> DistillationCfg:
    """Defaults for a task that only has a PPO config: an MLP student on the ``policy`` group, the run's names.

    The teacher needs nothing from here: it is rebuilt from its own checkpoint's PPO config (actor network and
    ``obs_groups``). ``--student`` and ``--student_obs_group`` change the student.
    """
    return DistillationCfg(
        experiment_name=_get(cfg, "experiment_name") or "distillation",
        run_name=_get(cfg, "run_name") or "",
        seed=_get(cfg, "seed", 42),
    )


def from_rsl_rl_distillation(cfg: Any, num_envs: int | None = None) -> DistillationCfg:
    """Translate rsl_rl's ``DistillationRunner`` config (Isaac Lab's ``RslRlDistillationRunnerCfg``) field by field.

    ============================================  =============================================================
    rsl_rl                                        here
    ============================================  =============================================================
    ``student`` (``MLPModel`` / ``RNNModel``)     ``student``: ``mlp`` / ``rnn_type``, hidden dims, activation,
                                                  normalisation, RNN size and layers
    ``obs_groups["student"]``                     ``student_obs_groups``
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
    """
    student = _student_cfg(cfg)
    algorithm = _get(cfg, "algorithm")
    gradient_length = int(_get(algorithm, "gradient_length", 1))
    steps = int(_get(cfg, "num_steps_per_env"))
    save_interval = int(_get(cfg, "save_interval", 10))
    obs_groups = _get(cfg, "obs_groups") or {}
    return DistillationCfg(
        experiment_name=_get(cfg, "experiment_name") or "distillation",
        run_name=_get(cfg, "run_name") or "",
        seed=_get(cfg, "seed", 42),
        n_epochs=int(_get(cfg, "max_iterations")),
        num_steps_per_env=steps,
        student_obs_groups=list(obs_groups.get("student", ["policy"])),
        init_at_random_ep_len=bool(_get(cfg, "init_at_random_ep_len", True)),
        save_interval=save_interval,
        eval_interval=save_interval,
        algorithm=DistillationAlgorithmCfg(
            learning_rate=float(_get(algorithm, "learning_rate")),
            max_grad_norm=_get(algorithm, "max_grad_norm"),
            loss=_get(algorithm, "loss_type", "mse"),
            optimizer=_get(algorithm, "optimizer", "adam"),
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
    model = _get(cfg, "student")
    if model is not None and _get(model, "hidden_dims") is not None:
        dims, activation = _get(model, "hidden_dims"), _get(model, "activation", "elu")
        normalize, recurrent = _get(model, "obs_normalization", False), _get(model, "class_name") == "RNNModel"
    else:  # rsl_rl < 4: one StudentTeacher(Recurrent) policy config
        model = _get(cfg, "policy")
        if model is None:
            raise UserError("the rsl_rl distillation config has neither a 'student' nor a 'policy' model config")
        dims, activation = _get(model, "student_hidden_dims"), _get(model, "activation", "elu")
        normalize = _get(model, "student_obs_normalization", False)
        recurrent = _get(model, "class_name") == "StudentTeacherRecurrent"
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


def _get(cfg: Any, name: str, default: Any = None) -> Any:
    """Field ``name`` of a config object or dict (``default`` when absent or Isaac Lab's ``MISSING``)."""
    value = cfg.get(name, default) if isinstance(cfg, dict) else getattr(cfg, name, default)
    return default if value is None or isinstance(value, type(dataclasses.MISSING)) else value  # configclass copies it
