"""Installation script for the ``isaaclab_distill`` extension; metadata comes from ``extension.toml``."""

from __future__ import annotations

import pathlib
import tomllib

from setuptools import find_packages, setup

ROOT = pathlib.Path(__file__).parent
META = tomllib.loads((ROOT / "extension.toml").read_text())
PKG, DEPS = META["package"], META["dependencies"]

setup(
    name=PKG["name"],
    version=PKG["version"],
    description=PKG["description"],
    long_description=(ROOT / PKG["readme"]).read_text(),
    long_description_content_type="text/markdown",
    license=PKG["license"],
    keywords=PKG["keywords"],
    python_requires=PKG["python"],
    package_dir={"": "source"},
    packages=find_packages("source"),
    include_package_data=True,
    install_requires=DEPS["install_requires"],
    extras_require=DEPS["extras"],
    entry_points=META["entry_points"],
    zip_safe=False,
)
