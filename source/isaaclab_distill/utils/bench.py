"""Benchmark plumbing: every table row is measured in its own process (Isaac Lab runs one simulator per process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

ROW_PREFIX = "BENCH_ROW "


def emit_row(row: dict) -> None:
    """Print a worker's measured row on stdout (read back by :func:`run_row`)."""
    print(ROW_PREFIX + json.dumps(row), flush=True)


def run_row(script: str, args: list[str], label: str) -> dict | None:
    """Run ``python <script> <args>`` (a worker) with one intra-op thread and return the row it emitted.

    Returns ``None`` and prints the worker's stderr tail when it emitted no row (the table skips that row).
    """
    start = time.perf_counter()
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, env=env)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith(ROW_PREFIX)), None)
    if line is None:
        print(f"[{label}] failed:\n{proc.stderr[-1500:]}", file=sys.stderr)
        return None
    print(f"measured {label} in {time.perf_counter() - start:.0f}s", file=sys.stderr)
    return json.loads(line.removeprefix(ROW_PREFIX))
