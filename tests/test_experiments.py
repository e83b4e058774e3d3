"""``+experiment=NAME``: the shipped ``config/experiment/*.yaml`` files and user ones (Hydra composes; no simulator)."""

from __future__ import annotations

import pathlib

import pytest

from isaaclab_distill.rl.finetune_cfg import as_finetune_cfg
from isaaclab_distill.utils import UserError
from isaaclab_distill.utils.experiments import available, compose_experiment, leaves
from isaaclab_distill.utils.hydra import load_task_configs
from isaaclab_distill.utils.overrides import lookup

SHIPPED = sorted(p.stem for p in (pathlib.Path(__file__).parents[1] / "config" / "experiment").glob("*.yaml"))


def test_the_readme_experiments_ship():
    assert {"quadcopter_gru", "quadcopter_lstm_long", "parkour_depth_student", "quadcopter_teacher"} <= set(SHIPPED)
    assert set(SHIPPED) <= set(available())


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_experiment_resolves_for_its_task_and_sets_its_values(name):
    data = compose_experiment(name)
    # a recipe for any task (finetune_*: no task key) is checked on the quadcopter, through finetune.py's adapter
    task = data.get("task", "Isaac-Quadcopter-Point-Ctrl-v0")
    adapter = (lambda a, e: as_finetune_cfg(a)) if "finetune" in data.get("agent", {}) else None
    overrides = [f"+experiment={name}"]
    env_cfg, agent_cfg = load_task_configs(task, data["agent_cfg_entry_point"], overrides, agent_cfg_adapter=adapter)
    values = {k: v for k, v in data.items() if k not in ("task", "agent_cfg_entry_point")}
    found_leaves = list(leaves(values))
    assert found_leaves, name
    for key, value in found_leaves:
        found = lookup({"env": env_cfg, "agent": agent_cfg}, key)
        assert list(found) == value if isinstance(value, list) else found == value, key


def test_composition_and_the_command_line_wins():
    # quadcopter_lstm_long lists quadcopter_gru in its defaults: both files' values, the command line last
    overrides = ["+experiment=quadcopter_lstm_long", "agent.n_epochs=5"]
    env_cfg, cfg = load_task_configs("Isaac-Quadcopter-Point-Ctrl-v0", "distillation_cfg_entry_point", overrides)
    assert env_cfg.scene.num_envs == 256 and cfg.student.class_name == "lstm" and cfg.n_epochs == 5
    assert cfg.algorithm.sequence_length == 32 and cfg.algorithm.num_updates_per_epoch == 40  # the task's value kept


@pytest.mark.parametrize(
    "task,entry,override,message",
    [
        (
            "Isaac-Quadcopter-Point-Ctrl-v0",
            "distillation_cfg_entry_point",
            "+experiment=nope",
            "unknown experiment 'nope': config/experiment/nope.yaml not found (available: ",
        ),
        (
            "Isaac-Quadcopter-Point-Ctrl-v0",
            "distillation_cfg_entry_point",
            "+experiment=quadcopter_teacher",
            "sets the agent config 'rsl_rl_cfg_entry_point': run it with scripts/train.py",
        ),
        (
            "Isaac-Quadcopter-Point-Ctrl-v0",
            "distillation_cfg_entry_point",
            "+experiment=parkour_depth_student",
            "is for task 'Isaac-Depth-Parkour-v0', not 'Isaac-Quadcopter-Point-Ctrl-v0': pass --task",
        ),
    ],
)
def test_an_experiment_for_something_else_is_one_line(task, entry, override, message):
    with pytest.raises(UserError) as info:
        load_task_configs(task, entry, [override])
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_user_experiment_directory(tmp_path, monkeypatch):
    folder = tmp_path / "experiment"
    folder.mkdir()
    (folder / "mine.yaml").write_text(
        "# @package _global_\nagent:\n  seed: 3\n  run_name: seed_${agent.seed}\n  obs_groups:\n    extra: [policy]\n"
    )
    (folder / "typo.yaml").write_text("# @package _global_\nagent:\n  max_iteration: 3\n")
    monkeypatch.setenv("ISAACLAB_DISTILL_CONFIG", str(tmp_path))
    _, cfg = load_task_configs("Isaac-Quadcopter-Point-Ctrl-v0", "rsl_rl_cfg_entry_point", ["+experiment=mine"])
    assert (cfg.seed, cfg.run_name, cfg.obs_groups["extra"]) == (3, "seed_3", ["policy"])  # a dict node gains a key
    with pytest.raises(UserError, match=r"unknown override key 'agent.max_iteration'; did you mean 'agent.max_itera"):
        load_task_configs("Isaac-Quadcopter-Point-Ctrl-v0", "rsl_rl_cfg_entry_point", ["+experiment=typo"])
