"""Foundation-policy evaluation: per-vehicle returns of students against each vehicle's own teacher.

One env flies every vehicle, training and held-out, in blocks of ``envs_per_vehicle`` envs (block ``k`` vehicle
``k``); each policy flies every env's first episode from the same seeded synchronous reset (the same goals), and
its return on a vehicle is the mean over that vehicle's block. The reference on vehicle ``k`` is the teacher trained
on ``k`` alone, flying its own block. ``scripts/foundation_eval.py`` runs the rollouts; this module turns per-block
returns into the table, ``foundation_eval.json``, ``.md`` and ``.png`` (no simulator needed).
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import torch

from .distillation.rollout import RolloutResult
from .utils.io import atomic_write_text

JSON_FILE, MARKDOWN_FILE, PLOT_FILE = "foundation_eval.json", "foundation_eval.md", "foundation_eval.png"
SETS = ("train", "held_out")


def block_means(result: RolloutResult, num_envs: int, num_blocks: int) -> list[float]:
    """Mean episode return of each of ``num_blocks`` contiguous env blocks (NaN for a block without an episode)."""
    blocks = result.env_ids.cpu() * num_blocks // num_envs
    sums = torch.zeros(num_blocks, dtype=torch.float64).index_add_(0, blocks, result.returns.cpu().double())
    counts = torch.zeros(num_blocks, dtype=torch.float64).index_add_(0, blocks, torch.ones_like(sums[blocks]))
    return [float(s / c) if c > 0 else math.nan for s, c in zip(sums.tolist(), counts.tolist())]


def variant_parameters(variant: dict[str, Any]) -> dict[str, float]:
    """A fixed vehicle's parameters from its manifest variant: the middle of each ``<name>_range``."""
    return {k.removesuffix("_range"): sum(v) / 2 for k, v in variant.items() if k.endswith("_range")}


def vehicle_table(
    vehicles: list[dict[str, Any]], teacher_returns: list[float], student_returns: dict[str, list[float]]
) -> list[dict[str, Any]]:
    """One row per vehicle: its set, id, parameters, the teacher's return, each student's return and ratio.

    Args:
        vehicles: ``{"set": "train" | "held_out", "vehicle_id": k, "parameters": {name: value}}`` per block.
        teacher_returns: The own teacher's return per block.
        student_returns: ``{label: [return per block]}``.
    """
    rows = []
    for k, vehicle in enumerate(vehicles):
        teacher = teacher_returns[k]
        row = {**vehicle, "teacher_return": teacher, "returns": {}, "ratios": {}}
        for label, returns in student_returns.items():
            row["returns"][label] = returns[k]
            row["ratios"][label] = returns[k] / teacher if teacher and math.isfinite(teacher) else math.nan
        rows.append(row)
    return rows


def summarize(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """``{label: {"train_min", "train_mean", "held_out_min", "held_out_mean"}}`` of the student/teacher ratios."""
    labels = list(rows[0]["ratios"]) if rows else []
    summary: dict[str, dict[str, float]] = {}
    for label in labels:
        summary[label] = {}
        for name in SETS:
            ratios = [row["ratios"][label] for row in rows if row["set"] == name]
            summary[label][f"{name}_min"] = min(ratios) if ratios else math.nan
            summary[label][f"{name}_mean"] = sum(ratios) / len(ratios) if ratios else math.nan
    return summary


def markdown_table(rows: list[dict[str, Any]], summary: dict[str, dict[str, float]]) -> str:
    """The per-vehicle table and the summary as Markdown."""
    labels = list(summary)
    params = list(rows[0]["parameters"]) if rows else []
    head = ["set", "vehicle", *params, "teacher", *(f"{x} return" for x in labels), *(f"{x} / teacher" for x in labels)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [row["set"], str(row["vehicle_id"]), *(f"{row['parameters'][p]:.3g}" for p in params)]
        cells += [f"{row['teacher_return']:.2f}", *(f"{row['returns'][x]:.2f}" for x in labels)]
        cells += [f"{row['ratios'][x]:.3f}" for x in labels]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| student | train min | train mean | held-out min | held-out mean |", "|---|---|---|---|---|"]
    for label, s in summary.items():
        values = (s["train_min"], s["train_mean"], s["held_out_min"], s["held_out_mean"])
        lines.append(f"| {label} | " + " | ".join(f"{v:.3f}" for v in values) + " |")
    return "\n".join(lines) + "\n"


def write_report(out_dir: str, report: dict[str, Any]) -> dict[str, str]:
    """Write ``foundation_eval.json`` (atomically, NaN as null), ``.md`` and ``.png`` to ``out_dir``; their paths."""
    from .evaluation import save_summary

    os.makedirs(out_dir, exist_ok=True)
    paths = {name: os.path.join(out_dir, name) for name in (JSON_FILE, MARKDOWN_FILE, PLOT_FILE)}
    save_summary(report, paths[JSON_FILE])
    atomic_write_text(paths[MARKDOWN_FILE], markdown_table(report["vehicles"], report["summary"]))
    plot_ratios(report["vehicles"], report.get("thresholds", {}), paths[PLOT_FILE])
    return paths


def plot_ratios(rows: list[dict[str, Any]], thresholds: dict[str, float], path: str) -> None:
    """Bars of each student's return over the vehicle's own teacher's, per vehicle (training, then held-out).

    ``thresholds``: ``{"train" | "held_out": ratio}``, drawn as a dashed line over that set's vehicles.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(rows[0]["ratios"]) if rows else []
    names = [f"{'T' if row['set'] == 'train' else 'H'}{row['vehicle_id']}" for row in rows]
    width = 0.8 / max(1, len(labels))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.6 * len(rows) + 2.0), 4.0), constrained_layout=True)
    for i, label in enumerate(labels):
        xs = [k + (i - (len(labels) - 1) / 2) * width for k in range(len(rows))]
        ax.bar(xs, [row["ratios"][label] for row in rows], width=width, label=label)
    split = sum(row["set"] == "train" for row in rows) - 0.5
    spans = {"train": (-0.5, split), "held_out": (split, len(rows) - 0.5)}
    for name, value in thresholds.items():  # each set's bar over its own vehicles
        low, high = spans[name]
        ax.hlines(value, low, high, linestyles="--", colors="gray", linewidth=1)
        ax.text(high, value, f"{value:.2f} ", va="bottom", ha="right", fontsize=8, color="gray")
    ax.axvline(split, color="black", linewidth=0.8)
    ax.set_xticks(range(len(rows)), names)
    ax.set_ylabel("student return / own teacher's return")
    ax.set_xlabel("vehicle (T: training, H: held out)")
    finite = [row["ratios"][x] for row in rows for x in labels if math.isfinite(row["ratios"][x])]
    ax.set_ylim(min(0.0, *finite), 1.2 * max(1.0, *finite))
    ax.legend(loc="upper left", ncol=max(1, len(labels)))
    ax.grid(True, axis="y", alpha=0.3)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def load_report(out_dir: str) -> dict[str, Any]:
    """Read ``foundation_eval.json`` back."""
    with open(os.path.join(out_dir, JSON_FILE), encoding="utf-8") as f:
        return json.load(f)


__all__ = [
    "block_means",
    "load_report",
    "markdown_table",
    "summarize",
    "variant_parameters",
    "vehicle_table",
    "write_report",
]
