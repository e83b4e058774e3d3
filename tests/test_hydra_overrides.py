"""``@hydra_task_config`` and its override validation (no simulator)."""

from __future__ import annotations

import argparse
import sys

import pytest

from isaaclab_distill.utils import UserError, hydra_task_config
from isaaclab_distill.utils.hydra import load_task_configs

TASK = "Isaac-Quadcopter-Point-Ctrl-v0"
AGENT = "rsl_rl_cfg_entry_point"


def test_decorator_passes_resolved_configs(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["train.py", "env.scene.num_envs=64", "agent.max_iterations=5"])

    @hydra_task_config(TASK, AGENT)
    def main(env_cfg, agent_cfg, extra):
        return env_cfg.scene.num_envs, agent_cfg.max_iterations, extra

    assert main("x") == (64, 5, "x")


@pytest.mark.parametrize(
    "override,getter,expected",
    [
        ("env.scene.num_envs=64", lambda e, a: e.scene.num_envs, 64),
        ("scene.num_envs=32", lambda e, a: e.scene.num_envs, 32),  # short form of the original docs
        ("agent.max_iterations=5", lambda e, a: a.max_iterations, 5),
        ("max_iterations=7", lambda e, a: a.max_iterations, 7),
        ("env.sim.device=cpu", lambda e, a: e.sim.device, "cpu"),
        ("env.lin_vel_reward_scale=-1", lambda e, a: e.lin_vel_reward_scale, -1.0),  # int widened to float
        ("agent.actor.hidden_dims=[32,32]", lambda e, a: a.actor.hidden_dims, [32, 32]),
        ("env.goal_z_range=[1.0,1.2]", lambda e, a: e.goal_z_range, (1.0, 1.2)),
    ],
)
def test_overrides_apply(override, getter, expected):
    env_cfg, agent_cfg = load_task_configs(TASK, AGENT, [override])
    value = getter(env_cfg, agent_cfg)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    "overrides,getter,expected",
    [
        (["+agent.obs_groups.extra=[policy]"], lambda e, a: a.obs_groups["extra"], ["policy"]),  # + on a dict node
        (["++agent.obs_groups.extra=[teacher]"], lambda e, a: a.obs_groups["extra"], ["teacher"]),  # ++ adds
        (["++agent.obs_groups.actor=[policy]"], lambda e, a: a.obs_groups["actor"], ["policy"]),  # ++ sets
        (["~agent.obs_groups.critic"], lambda e, a: sorted(a.obs_groups), ["actor"]),  # ~ deletes a dict key
        (["~agent.obs_groups.critic=[teacher]"], lambda e, a: sorted(a.obs_groups), ["actor"]),  # if the value matches
        (["agent.obs_groups={actor:[policy],critic:[teacher]}"], lambda e, a: a.obs_groups["actor"], ["policy"]),
        (["agent.run_name='my run'"], lambda e, a: a.run_name, "my run"),  # quoted string with a space
        (["agent.run_name='42'"], lambda e, a: a.run_name, "42"),
        (["env.seed=7", "agent.seed=${env.seed}"], lambda e, a: a.seed, 7),  # a whole interpolation keeps its type
        (["agent.run_name=seed_${agent.seed}"], lambda e, a: a.run_name, "seed_42"),  # inside a string
        (["agent.run_name=${oc.env:ISAACLAB_DISTILL_TEST_NAME}"], lambda e, a: a.run_name, "from_env"),  # a resolver
        (["agent.run_name='None'", "agent.run_name=None"], lambda e, a: a.run_name, None),  # unquoted None: null
        (["env.goal_z_range=[1.0,1.2]"], lambda e, a: e.goal_z_range, (1.0, 1.2)),  # a tuple field, written as a list
        (
            ["physics=newton_featherstone", "env.sim.physics.solver_cfg.angular_damping=0.1"],
            lambda e, a: e.sim.physics.solver_cfg.angular_damping,
            0.1,
        ),
    ],
)
def test_hydra_grammar(overrides, getter, expected, monkeypatch):
    monkeypatch.setenv("ISAACLAB_DISTILL_TEST_NAME", "from_env")
    env_cfg, agent_cfg = load_task_configs(TASK, AGENT, overrides)
    assert getter(env_cfg, agent_cfg) == expected


@pytest.mark.parametrize("token", ["physics=newton_featherstone", "env.sim.physics=newton_featherstone"])
def test_physics_preset_selection(token):
    env_cfg, _ = load_task_configs(TASK, AGENT, [token])
    assert type(env_cfg.sim.physics.solver_cfg).__name__ == "FeatherstoneSolverCfg"


@pytest.mark.parametrize(
    "override,message",
    [
        ("env.scene.num_env=64", "did you mean 'env.scene.num_envs'"),
        ("scene.num_envs=abc", "expected an integer"),
        ("env.scene.num_envs=1.5", "expected an integer"),
        ("agent.actor=3", "one of its fields"),
        ("nonexistent=1", "unknown override key 'nonexistent'"),
        ("physics=warp_magic", "Unknown preset"),
        ("+env.foo=1", "unknown override key 'env.foo' ('env' has no field 'foo') ('+' adds keys to dicts only)"),
        ("+agent.seed=3", "'agent.seed' exists already: set it with 'agent.seed=...'"),
        ("~agent.seed", "'agent' is a config class with fixed fields, not a dict: set it to null with 'agent.seed"),
        ("+agent.obs_groups.actor=[policy]", "'agent.obs_groups.actor' exists already"),
        ("~agent.obs_groups.critic=[policy]", "is ['teacher'], not ['policy']: nothing deleted"),
        ("~agent.obs_groups.nothing", "unknown override key 'agent.obs_groups.nothing'"),
        ("agent.max_iterations='5'", "expected an integer"),  # quoted: a string, as in Hydra
        ("agent.max_iterations=5,6", "is a sweep (several values): add -m"),
        ("agent.actor.hidden_dims=[32,", "cannot read override 'agent.actor.hidden_dims=[32,'"),
        ("agent.obs_groups=3", "expected a dict like {key:value}"),
        ("agent.run_name=${agent.nothing}", "unknown override key 'agent.nothing'"),
        ("agent.run_name=${seed}", "interpolate a full path"),
        ("--bogus_flag", "expected a Hydra override 'key=value' or a known --flag"),
        ("agent.multi_teacher=(6,9)", "write a tuple as a list: key=[6,9]"),
        ("agent.run_name=a=b", "quote it: key='...'"),
        ("agent.seed@pkg=3", "packages (@...) select config groups"),
        ("agent.run_name=${oc.env:ISAACLAB_DISTILL_UNSET_VARIABLE}", "cannot resolve '${oc.env:ISAACLAB_DISTILL_UNSET"),
        ("physics", "cannot read override 'physics'"),
    ],
)
def test_bad_overrides_raise_one_clear_error(override, message):
    with pytest.raises(UserError) as info:
        load_task_configs(TASK, AGENT, [override])
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_task_suggests_close_match():
    with pytest.raises(UserError, match="did you mean Isaac-Quadcopter-Point-Ctrl-v0"):
        load_task_configs("Isaac-Quadcopter-Point-Ctl-v0", AGENT)


def test_nested_distillation_config_takes_overrides_and_the_seed_flags():
    from isaaclab_distill.distillation.script_args import FLAGS, apply_distillation_args, get_field

    overrides = ["agent.algorithm.learning_rate=3e-4", "agent.storage.on_policy=true", "agent.n_epochs=7"]
    _, cfg = load_task_configs(TASK, "distillation_cfg_entry_point", overrides)
    assert (cfg.algorithm.learning_rate, cfg.storage.on_policy, cfg.n_epochs) == (3e-4, True, 7)
    with pytest.raises(UserError, match="did you mean 'agent.algorithm.learning_rate'"):
        load_task_configs(TASK, "distillation_cfg_entry_point", ["agent.algorithm.learning_rat=1"])
    # every seed flag lands in its nested field; the rest of the config keeps the task's values
    flags = {"n_epochs": 3, "batch_size": 32, "sequence_length": 4, "learning_rate": 1e-3, "epoch_teacher_forcing": 2}
    flags |= {"shuffle": False, "on_policy": True, "teacher_deterministic": False, "student": "lstm", "seed": 5}
    args = argparse.Namespace(**{flag: None for flag in FLAGS}, num_episodes=None)
    vars(args).update(flags)
    apply_distillation_args(args, cfg, num_envs=16, max_episode_steps=500)
    for flag, value in flags.items():
        assert get_field(cfg, FLAGS[flag]) == value, flag
    assert cfg.algorithm.num_updates_per_epoch == 40 and cfg.student.rnn_hidden_dim == 64  # untouched task values


def test_an_unregistered_student_is_one_error_naming_the_registered_ones():
    from isaaclab_distill.distillation.script_args import FLAGS, apply_distillation_args

    _, cfg = load_task_configs(TASK, "distillation_cfg_entry_point", ["agent.student.class_name=transformer"])
    args = argparse.Namespace(**{flag: None for flag in FLAGS}, num_episodes=None)
    with pytest.raises(UserError, match="must be one of mlp, gru, lstm, depth_cnn_gru, got 'transformer'"):
        apply_distillation_args(args, cfg, num_envs=16, max_episode_steps=500)
