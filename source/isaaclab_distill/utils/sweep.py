r"""``--multirun`` / ``-m``: sweeps over a script's overrides with Hydra's sweeper and launcher, one run per job.

    python scripts/distillation.py -m --task ... --teacher_checkpoint ... \\
        agent.algorithm.learning_rate=1e-3,3e-4 agent.algorithm.sequence_length=8,16

Hydra's sweeper (``hydra/sweeper``, default ``basic``) expands the comma lists (and ``range(...)``, ``choice(...)``)
into the jobs of their cartesian product; Hydra's launcher (``hydra/launcher``, default ``basic``: one job after
the other on this machine) runs them. ``hydra/launcher=submitit_slurm`` (the ``hydra-submitit-launcher`` plugin)
sends the same jobs to a SLURM cluster; ``hydra.*`` overrides (``hydra.launcher.gpus_per_node=1``) go to Hydra.

- Each job is a fresh process of the same script with its overrides: Isaac Lab's simulation context is one per
  process, and a job that fails must not end the sweep.
- The sweep directory is ``logs/<library>/<experiment>/sweep_<timestamp>/`` and job ``N``'s run directory is
  Hydra's job directory ``<sweep>/<N>/`` (``--run_dir``), with Hydra's ``.hydra/`` (the job's overrides) in it.
- Every job's overrides are resolved and checked before the first job starts (one ``error:`` line).
- At the end a table of the jobs' results (from each run's TensorBoard events or learning curve) is printed and
  written as ``<sweep>/summary.md`` and ``summary.json``.

How Hydra sees the overrides: the task configs are resolved, typed and checked by ``hydra_task_config`` in each
job, so Hydra composes only the job's description, with every task override given as ``++key=value`` (add or set);
the job gets them back as written. Preset selectors (``presets=a,b`` stays a list of presets, as without ``-m``) and
``~key`` deletions are passed to every job unchanged, not swept.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from .errors import UserError
from .io import atomic_write_text

MULTIRUN_FLAGS = ("-m", "--multirun")
CONFIG_NAME = "isaaclab_distill_sweep"
"""Name of the Hydra primary config (in Hydra's ConfigStore) that describes the jobs."""
JOB_FILE = "job.json"
"""Per job: its overrides, exit status and wall time."""
SUMMARY_FILES = ("summary.md", "summary.json")
FIXED_KEYS = ("presets", "physics", "renderer")
"""Isaac Lab's preset selectors: passed to every job as written (``presets=a,b`` is one list, not a sweep)."""

Validate = Callable[[list[str]], str]
"""``validate(job_overrides) -> experiment name``; raises :class:`UserError` for a bad override."""
ReadResults = Callable[[str], dict[str, float]]
"""``read_results(run_dir) -> {column: value}`` of a finished job."""


def wants_multirun(argv: Sequence[str]) -> bool:
    """``argv`` asks for a sweep."""
    return any(token in MULTIRUN_FLAGS for token in argv)


def split_overrides(tokens: Sequence[str]) -> tuple[list[str], list[str], list[tuple[str, str, str]]]:
    """Split the overrides into ``(hydra, fixed, task)``.

    ``hydra.*`` / ``hydra/...`` overrides go to Hydra; ``fixed`` tokens go to every job unchanged; the task
    overrides come as ``(prefix, key, value text)``, the value as written (sweep syntax included).
    """
    from .overrides import check_not_flag  # imports Hydra: only when sweeping

    hydra, fixed, task = [], [], []
    for token in tokens:
        check_not_flag(token)
        key, _, value = token.partition("=")
        bare = key.lstrip("+")
        if bare.startswith(("hydra.", "hydra/")) or bare == "hydra":
            hydra.append(token)
        elif token.startswith("~") or bare in FIXED_KEYS:
            fixed.append(token)
        elif not value and "=" not in token:
            raise UserError(f"cannot read override '{token}': expected key=value (a sweep: key=a,b)")
        else:
            task.append((key[: len(key) - len(bare)], bare, value))
    return hydra, fixed, task


def expand_jobs(task: Sequence[tuple[str, str, str]], sweeper: bool = False) -> list[list[str]] | None:
    """The jobs' override lists, as Hydra's basic sweeper forms them.

    ``sweeper``: another sweeper is selected (``hydra/sweeper=...``); then a sweep the basic one cannot expand (an
    interval) gives None, and those jobs are checked as they start.
    """
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    prefixes = {key: prefix for prefix, key, _ in task}
    try:
        parsed = OverridesParser.create().parse_overrides([f"++{key}={value}" for _, key, value in task])
        batches = BasicSweeper.split_arguments(parsed, None)
    except HydraException as err:
        if "does not support sweep type" not in str(err):
            raise UserError(f"cannot read the sweep: {str(err).strip().splitlines()[0]}") from None
        if sweeper:
            return None
        raise UserError(f"-m: {str(err).strip()}: select a sweeper that does (hydra/sweeper=...)") from None
    return [[restore(token, prefixes) for token in job] for job in batches[0]]


def restore(token: str, prefixes: dict[str, str]) -> str:
    """``++key=value`` as Hydra hands it to a job -> the override as the user wrote its key (``key=value``)."""
    key, _, value = token.removeprefix("++").partition("=")
    return f"{prefixes.get(key, '')}{key}={value}"


def sweep_cli(script: str, args: Any, library: str, validate: Validate, read_results: ReadResults) -> None:
    """A script's ``-m``: :func:`run_sweep` over ``sys.argv``'s overrides; ``--run_timestamp`` names the sweep.

    Raises:
        UserError: ``--distributed`` (a sweep's jobs are single processes).
    """
    if getattr(args, "distributed", False):
        raise UserError("-m runs each job as one process: drop --distributed (multi-GPU sweep jobs are not supported)")
    flags, skip = [], False
    for token in args.script_flags:
        drop = skip or token == "--run_timestamp" or token.startswith("--run_timestamp=")
        skip = token == "--run_timestamp"
        if not drop:
            flags.append(token)
    run_sweep(script, flags, sys.argv[1:], library, validate, read_results, stamp=args.run_timestamp)


def run_sweep(
    script: str,
    flags: Sequence[str],
    overrides: Sequence[str],
    library: str,
    validate: Validate,
    read_results: ReadResults,
    stamp: str | None = None,
) -> None:
    """Run ``script`` once per job of the sweep over ``overrides`` through Hydra, then print the summary table.

    Args:
        script: The script file (each job runs it in a new process).
        flags: Its ``--flags`` for every job (without ``-m``).
        overrides: The command line's overrides, sweeps included.
        library: ``distillation`` or ``rsl_rl`` (the folder under ``logs/``).
        validate: Checks one job's overrides and returns its experiment name, before any job starts.
        read_results: The summary table's columns of one finished run.
        stamp: Name of the sweep folder after ``sweep_`` (default: the current time).

    Raises:
        UserError: A bad override or sweep (before any job starts). ``SystemExit(1)``: a job failed.
    """
    from hydra import main as hydra_main

    from .runs import make_run_dir

    hydra_args, fixed, task = split_overrides(overrides)
    if any(token.split("=", 1)[0].lstrip("+") in ("hydra.sweep.dir", "hydra.sweep.subdir") for token in hydra_args):
        raise UserError(
            "-m: the sweep folder is logs/<library>/<experiment>/sweep_<--run_timestamp>: drop hydra.sweep.*"
        )
    jobs = expand_jobs(task, sweeper=any(token.startswith("hydra/sweeper=") for token in hydra_args))
    names = [validate(fixed + job) for job in jobs or [[]]]  # every job's configs resolve, before the first one runs
    job = {  # what a job needs, as JSON: OmegaConf would resolve a ${...} in a flag
        "command": [sys.executable, os.path.abspath(script), *flags],
        "fixed": fixed,
        "prefixes": {key: prefix for prefix, key, _ in task},
    }
    hydra_overrides = [*hydra_args, *[f"++{key}={value}" for _, key, value in task]]
    job_name = os.path.splitext(os.path.basename(script))[0]
    store(job, "sweep", job_name)  # a stand-in folder: the check must not create the real one
    check_hydra(hydra_overrides)  # a missing launcher plugin: one line, and no sweep folder
    sweep_dir = make_run_dir(library, names[0], stamp=f"sweep_{stamp or datetime.now().strftime('%Y-%m-%d_%H-%M-%S')}")
    store(job, sweep_dir, job_name)
    count = f"{len(jobs)} jobs" if jobs is not None else "the sweeper's jobs"
    print(f"[INFO] sweep of {count} in {sweep_dir}", flush=True)
    argv, sys.argv = sys.argv, [sys.argv[0], "--multirun", *hydra_overrides]
    try:
        hydra_main(config_path=None, config_name=CONFIG_NAME, version_base="1.3")(run_job)()
    except KeyboardInterrupt:
        summarize(sweep_dir, read_results)  # the jobs so far (the running one saved its interrupted checkpoint)
        raise
    finally:
        sys.argv = argv
    rows = summarize(sweep_dir, read_results)
    if not rows or any(row["status"] != "ok" for row in rows):
        raise SystemExit(1)


def store(job: dict[str, Any], sweep_dir: str, job_name: str) -> None:
    """Hydra's primary config: the job description and the sweep folder (as data, so no path is ever parsed)."""
    from hydra.core.config_store import ConfigStore

    text = json.dumps(job).replace("${", "\\${")  # escaped: OmegaConf reads it back verbatim
    hydra = {"sweep": {"dir": sweep_dir.replace("${", "\\${"), "subdir": "${hydra.job.num}"}, "job": {"name": job_name}}
    ConfigStore.instance().store(name=CONFIG_NAME, node={"sweep_job": text, "hydra": hydra})


def check_hydra(overrides: list[str]) -> None:
    """Compose Hydra's multirun config with ``overrides`` before any job runs.

    Catches a launcher or sweeper plugin that is not installed and a ``hydra.*`` key that does not exist.

    Raises:
        UserError: Hydra's first line (for a missing launcher plugin, with the package to install).
    """
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra._internal.utils import create_config_search_path
    from hydra.errors import HydraException
    from hydra.types import RunMode

    loader = ConfigLoaderImpl(config_search_path=create_config_search_path(None))
    try:
        loader.load_configuration(config_name=CONFIG_NAME, overrides=overrides, run_mode=RunMode.MULTIRUN)
    except HydraException as err:
        message = str(err).strip().splitlines()[0]
        launcher = next((o.split("=", 1)[1] for o in overrides if o.startswith("hydra/launcher=")), "")
        missing = launcher and "Could not find" in message
        hint = f": pip install hydra-{launcher.split('_')[0]}-launcher" if missing else ""
        raise UserError(f"-m: {message}{hint}") from None


def run_job(cfg: Any) -> int:
    """Hydra's task function: run one job's process into Hydra's job directory; its exit status is returned.

    Module-level and reading everything from ``cfg`` and Hydra's job config, so that launchers that pickle it
    (submitit) run it anywhere.
    """
    from hydra.core.hydra_config import HydraConfig

    hydra_cfg = HydraConfig.get()
    run_dir, description = hydra_cfg.runtime.output_dir, json.loads(cfg.sweep_job)
    job = [restore(token, description["prefixes"]) for token in hydra_cfg.overrides.task]
    command = [*description["command"], *description["fixed"], *job, "--run_dir", run_dir]
    print(f"[INFO] sweep job {hydra_cfg.job.num}: {' '.join(job) or '(no overrides)'}", flush=True)
    start, process = time.time(), subprocess.Popen(command)

    def record(status: int) -> None:
        done = {"job": int(hydra_cfg.job.num), "overrides": job, "returncode": status, "seconds": time.time() - start}
        atomic_write_text(os.path.join(run_dir, JOB_FILE), json.dumps(done, indent=2))

    try:
        status = process.wait()
    except KeyboardInterrupt:  # the job got the same Ctrl-C: it saves its interrupted checkpoint, then exits
        record(process.wait())
        raise
    record(status)
    return status


def summarize(sweep_dir: str, read_results: ReadResults) -> list[dict[str, Any]]:
    """Collect the jobs of ``sweep_dir``, print their table and write it as ``summary.md`` / ``summary.json``."""
    rows = []
    for name in sorted((n for n in os.listdir(sweep_dir) if n.isdigit()), key=int):
        run_dir = os.path.join(sweep_dir, name)
        path = os.path.join(run_dir, JOB_FILE)
        if not os.path.isfile(path):
            rows.append({"job": int(name), "overrides": [], "status": "not run", "seconds": float("nan")})
            continue
        with open(path) as f:
            record = json.load(f)
        ok = record["returncode"] == 0
        results = read_results(run_dir) if ok else {}
        status = "ok" if ok else f"failed ({record['returncode']})"
        row = {"job": record["job"], "overrides": record["overrides"], "status": status, **results}
        rows.append({**row, "seconds": record["seconds"], "run_dir": run_dir})
    table = format_table(rows)
    atomic_write_text(os.path.join(sweep_dir, SUMMARY_FILES[0]), table + "\n")
    strict = [{k: None if isinstance(v, float) and v != v else v for k, v in row.items()} for row in rows]
    atomic_write_text(os.path.join(sweep_dir, SUMMARY_FILES[1]), json.dumps(strict, indent=2))  # NaN -> null
    print(f"[INFO] sweep summary ({sweep_dir}/{SUMMARY_FILES[0]}):\n{table}", flush=True)
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    """A markdown table: job, the overrides that differ between jobs, status, the result columns, wall time."""
    if not rows:
        return "(no jobs)"
    common = set.intersection(*(set(row["overrides"]) for row in rows))
    reserved = {"job", "overrides", "status", "seconds", "run_dir"}
    results = list(dict.fromkeys(key for row in rows for key in row if key not in reserved))
    header = ["job", "overrides", "status", *results, "wall [s]"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        swept = " ".join(o for o in row["overrides"] if o not in common) or "-"
        values = [_cell(row.get(key)) for key in results]
        cells = [str(row["job"]), swept, row["status"], *values, f"{row['seconds']:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "-" if value != value else f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return "-" if value is None else str(value)
