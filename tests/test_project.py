"""Project invariants: README commands are what CI runs; extension.toml is the single version source."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib

from helpers import REPO


def readme_setup_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", (REPO / "README.md").read_text(), flags=re.S)
    return [block.strip() for block in blocks[:2]]


def test_ci_runs_exactly_the_readme_setup_commands():
    install_and_train, tests = readme_setup_commands()
    assert "install.sh" in install_and_train and "scripts/train.py" in install_and_train
    assert "pytest" in tests
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert install_and_train in ci_lines and tests in ci_lines


def test_version_comes_from_extension_toml():
    meta = tomllib.loads((REPO / "extension.toml").read_text())
    assert importlib.metadata.version("isaaclab_distill") == meta["package"]["version"]
    requires = importlib.metadata.requires("isaaclab_distill") or []
    assert any(r.replace(" ", "").startswith("isaaclab==3.0.0") for r in requires)


def test_logs_are_git_ignored():
    assert "logs/" in (REPO / ".gitignore").read_text().splitlines()
