"""``@hydra_task_config``: resolve a task's env and agent configs with command-line overrides.

Isaac Lab 3.0 removed ``isaaclab_tasks.utils.hydra_task_config``; this is its replacement on top of
:func:`isaaclab_tasks.utils.resolve_task_config` (preset selection: ``presets=``, ``physics=``, ``renderer=``)
and :func:`isaaclab_tasks.utils.setup_preset_cli` (argument split, done by the script).

Why not hand every override to ``resolve_task_config``: in 3.0 it ``setattr``s ``env.*``/``agent.*`` literals
without checks, so a typo (``env.scene.num_env=64``) silently adds an attribute and ``num_envs=abc`` silently
sets a string. Here every override is parsed by Hydra's own parser and checked against the resolved config (known
key, compatible type; :mod:`.overrides`), and rejected with one line naming the closest valid key. The short form of
the original docs (``scene.num_envs=64``) is accepted and routed to ``env.`` or ``agent.`` by which config has it.
"""

from __future__ import annotations

import difflib
import functools
import importlib.metadata
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import gymnasium as gym
from isaaclab_tasks.utils import PresetCfg, resolve_task_config
from isaaclab_tasks.utils.parse_cfg import load_cfg_from_registry

from .errors import UserError
from .experiments import GROUP, experiment_overrides
from .overrides import Override, apply, check_not_flag, field_names, lookup, parse, suggest

PRESET_SELECTORS = ("presets", "physics", "renderer")


AgentKeys = str | Sequence[str] | None
"""An agent config registry key, or several tried in order (the first one the task registers is used)."""

AgentAdapter = Callable[[Any, Any], Any]
"""``adapter(agent_cfg, env_cfg) -> agent_cfg``: turns the registered agent config into the one the script runs."""


def hydra_task_config(
    task_name: str,
    agent_cfg_entry_point: AgentKeys,
    play_mode: bool = False,
    agent_cfg_adapter: AgentAdapter | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate ``main(env_cfg, agent_cfg)`` so that it receives the resolved configs of ``task_name``.

    The overrides are read from ``sys.argv[1:]`` when the decorated function is called (scripts assign the
    remainder of ``setup_preset_cli`` to ``sys.argv`` first, as in Isaac Lab's own scripts).

    Args:
        task_name: Registered gym id, e.g. ``Isaac-Quadcopter-Point-Ctrl-v0``.
        agent_cfg_entry_point: Registry key of the agent config, e.g. ``rsl_rl_cfg_entry_point``, or several keys
            tried in order (:func:`select_agent_entry_point`); None for none.
        play_mode: Apply the env config's ``play_mode()`` settings.
        agent_cfg_adapter: Applied to the registered agent config before the ``agent.*`` overrides, which then
            address the adapted config (e.g. Isaac Lab's distillation config translated into this project's).

    Raises:
        UserError: Unknown task, unknown override key or ill-typed value.
    """

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            env_cfg, agent_cfg = load_task_configs(
                task_name, agent_cfg_entry_point, sys.argv[1:], play_mode, agent_cfg_adapter
            )
            return func(env_cfg, agent_cfg, *args, **kwargs)

        return wrapper

    return decorator


def select_agent_entry_point(task_name: str, agent_cfg_entry_point: AgentKeys) -> str | None:
    """The first of the given registry keys that ``task_name`` registers (the one key, checked, for a string).

    Raises:
        UserError: Unknown task, or the task registers none of the keys.
    """
    check_task_name(task_name)
    if agent_cfg_entry_point is None:
        return None
    keys = [agent_cfg_entry_point] if isinstance(agent_cfg_entry_point, str) else list(agent_cfg_entry_point)
    registered = gym.spec(task_name).kwargs
    for key in keys:
        if key in registered:
            return key
    if len(keys) == 1:
        raise UserError(f"task '{task_name}' has no agent config '{keys[0]}'")
    raise UserError(f"task '{task_name}' registers none of the agent configs {', '.join(keys)}: register one")


def describe_agent_cfg(task_name: str, agent_cfg_entry_point: AgentKeys) -> str:
    """``<key> (<module:Class>)`` of the agent config :func:`select_agent_entry_point` picks (an ``[INFO]`` line)."""
    key = select_agent_entry_point(task_name, agent_cfg_entry_point)
    if key is None:
        return "none"
    entry = gym.spec(task_name).kwargs[key]
    if not isinstance(entry, str):  # a class or an instance registered in place of a "module:Class" string
        cls = entry if isinstance(entry, type) else type(entry)
        entry = f"{cls.__module__}:{cls.__qualname__}"
    return f"{key} ({entry})"


def load_task_configs(
    task_name: str,
    agent_cfg_entry_point: AgentKeys,
    overrides: Sequence[str] = (),
    play_mode: bool = False,
    agent_cfg_adapter: AgentAdapter | None = None,
) -> tuple[Any, Any]:
    """Resolve ``(env_cfg, agent_cfg)`` of a task with presets, the adapter and validated scalar overrides applied.

    The ``env.*`` overrides are applied before the adapter (it may read the env config, e.g. its env count), the
    ``agent.*`` overrides after it.
    """
    key = select_agent_entry_point(task_name, agent_cfg_entry_point)
    # the raw configs route and check the overrides; a whole config given as presets is read in its default form
    raw_env = _preset_default(load_cfg_from_registry(task_name, "env_cfg_entry_point"))
    raw_agent = _preset_default(load_cfg_from_registry(task_name, key)) if key else None
    if agent_cfg_adapter is not None and raw_agent is not None:
        raw_agent = agent_cfg_adapter(raw_agent, raw_env)  # what the agent.* overrides address
    selectors, edits, experiments, command_line = [], [], [], []
    for token in overrides:
        check_not_flag(token)
        if "=" in token and token.split("=", 1)[0] in PRESET_SELECTORS:  # Isaac Lab's lists (presets=a,b): no sweep
            command_line.append(Override("=", *token.split("=", 1), token))
            continue
        override = parse(token)
        if override.key == GROUP and override.kind in ("+", "="):  # +experiment=NAME: before the command line's
            experiments += experiment_overrides(str(override.value), task_name, key)
        else:
            command_line.append(override)
    for override in experiments + command_line:
        if override.key in PRESET_SELECTORS and override.kind in ("=", "++"):  # an experiment's may be a list: a,b
            value = override.value
            selectors.append(f"{override.key}={','.join(value) if isinstance(value, list) else value}")
            continue
        path = _qualify(override.key, raw_env, raw_agent)
        # a string aimed at a PresetCfg node selects one of its alternatives (e.g. env.sim.physics=newton_featherstone)
        target = _raw_target({"env": raw_env, "agent": raw_agent}, path)
        if isinstance(target, PresetCfg) and override.kind in ("=", "++"):
            selectors.append(f"{path}={override.value}")
        else:
            edits.append((path, override))
    try:
        env_cfg, agent_cfg = resolve_task_config(task_name, key, play_mode, overrides=selectors)
    except ValueError as err:
        raise UserError(str(err).strip().splitlines()[0]) from None
    roots = {"env": env_cfg, "agent": agent_cfg}
    for path, override in edits:
        if path.startswith("env."):
            apply(roots, path, override)
    if agent_cfg_adapter is not None and agent_cfg is not None:
        agent_cfg = roots["agent"] = agent_cfg_adapter(agent_cfg, env_cfg)
    for path, override in edits:
        if path.startswith("agent."):
            apply(roots, path, override)
    return env_cfg, agent_cfg


def register_tasks() -> None:
    """Import every package that declares the ``isaaclab.tasks`` entry point (this extension among them)."""
    for entry_point in importlib.metadata.entry_points(group="isaaclab.tasks"):
        entry_point.load()


def check_task_name(task_name: str) -> None:
    """Raise a :class:`UserError` suggesting close matches when ``task_name`` is not registered."""
    register_tasks()
    if task_name in gym.registry:
        return
    close = difflib.get_close_matches(task_name, list(gym.registry), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else "; list them with scripts/list_envs.py"
    raise UserError(f"unknown task '{task_name}'{hint}")


# -- helpers


def _qualify(key: str, env_cfg: Any, agent_cfg: Any) -> str:
    """Route the short form ``scene.num_envs`` to ``env.scene.num_envs`` (or ``agent.``) by which config has it."""
    if key.split(".", 1)[0] in ("env", "agent"):
        return key
    head = key.split(".", 1)[0]
    for name, cfg in (("env", env_cfg), ("agent", agent_cfg)):
        if cfg is not None and head in field_names(cfg):
            return f"{name}.{key}"
    known = field_names(env_cfg) + (field_names(agent_cfg) if agent_cfg is not None else [])
    raise UserError(f"unknown override key '{key}'{suggest(head, known, '')}")


def _raw_target(roots: Mapping[str, Any], path: str) -> Any:
    """The raw config node at ``path``, to tell a preset selection from a value.

    ``None`` below a :class:`PresetCfg` (its fields name the alternatives: the resolved config checks such a key) and
    for a key that a dict node lacks (``+key``); an unknown key of a config class raises, naming the closest key.
    """
    parent, _, leaf = path.rpartition(".")
    node = lookup(roots, parent, stop_at=PresetCfg)
    if isinstance(node, PresetCfg):
        return None
    return node.get(leaf) if isinstance(node, Mapping) else getattr(node, leaf, None)  # apply() checks the leaf


def _preset_default(cfg: Any) -> Any:
    """The ``default`` alternative of a :class:`PresetCfg` (a task may register its whole config as presets)."""
    return getattr(cfg, "default", cfg) if isinstance(cfg, PresetCfg) else cfg
