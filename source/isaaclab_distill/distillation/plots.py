"""Summary figure of a distillation run, read back from its TensorBoard events (no simulator needed)."""

from __future__ import annotations

import glob
import math
import os

EVAL_MEAN = "evaluation/mean_return"
EVAL_STD = "evaluation/std_return"
RATIO = "evaluation/student_teacher_return_ratio"
TEACHER_RETURN = "evaluation/teacher_return"
LOSS = "training/loss"
SUMMARY_FILE = "summary.png"


def read_scalars(log_dir: str) -> dict[str, dict[int, float]]:
    """All scalar series of the event files in ``log_dir`` (not below it), as ``{tag: {step: value}}``.

    Later files win on equal steps (a resumed run rewrites the steps after its checkpoint); non-finite values are
    dropped.
    """
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    series: dict[str, dict[int, float]] = {}
    for path in sorted(glob.glob(os.path.join(log_dir, "events.out.tfevents.*")), key=os.path.getmtime):
        acc = EventAccumulator(path, size_guidance={"scalars": 0})
        acc.Reload()
        for tag in acc.Tags().get("scalars", []):
            values = series.setdefault(tag, {})
            for event in acc.Scalars(tag):
                if math.isfinite(event.value):
                    values[int(event.step)] = float(event.value)
    return series


def teacher_return(series: dict[str, dict[int, float]]) -> float | None:
    """The teacher's evaluation return: the ``evaluation/teacher_return`` scalar, else ``mean / ratio``."""
    if series.get(TEACHER_RETURN):
        return series[TEACHER_RETURN][max(series[TEACHER_RETURN])]
    mean, ratio = series.get(EVAL_MEAN, {}), series.get(RATIO, {})
    # the trainer logs ratio = student mean / teacher return; any step with both gives the (constant) teacher return
    for step in sorted(set(mean) & set(ratio), reverse=True):
        if ratio[step] != 0.0:
            return mean[step] / ratio[step]
    return None


def final_results(log_dir: str) -> dict[str, float]:
    """A finished run's row of a sweep table: its last evaluation, over the teacher's return, and both returns."""
    series = read_scalars(log_dir)

    def last(tag: str) -> float:
        values = series.get(tag, {})
        return values[max(values)] if values else math.nan

    teacher = teacher_return(series)
    return {
        "final / teacher": last(RATIO),
        "student return": last(EVAL_MEAN),
        "teacher return": math.nan if teacher is None else teacher,
    }


def plot_distillation_summary(log_dir: str) -> str:
    """Write ``<log_dir>/summary.png``: student return vs epoch with the teacher's, and the training loss.

    Top panel: student evaluation return (± std band) per epoch and the teacher's return as a horizontal line; bottom
    panel: ``training/loss``. Missing series are left out (a panel without data says so); the file is always written.

    Args:
        log_dir: Run directory holding the TensorBoard event file(s).

    Returns:
        Path of the written PNG.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = read_scalars(log_dir)
    fig, (ax_ret, ax_loss) = plt.subplots(2, 1, figsize=(7.0, 6.0), sharex=True, constrained_layout=True)

    mean = series.get(EVAL_MEAN, {})
    if mean:
        steps = sorted(mean)
        values = [mean[s] for s in steps]
        ax_ret.plot(steps, values, "o-", color="tab:blue", label="student (evaluation)")
        std = series.get(EVAL_STD, {})
        if all(s in std for s in steps):
            low = [v - std[s] for v, s in zip(values, steps)]
            high = [v + std[s] for v, s in zip(values, steps)]
            ax_ret.fill_between(steps, low, high, color="tab:blue", alpha=0.2, label="student ± std")
    teacher = teacher_return(series)
    if teacher is not None:
        ax_ret.axhline(teacher, color="tab:red", linestyle="--", label=f"teacher ({teacher:.2f})")
    _finish(ax_ret, "episode return", "no evaluation scalars", bool(mean) or teacher is not None)
    ax_ret.set_title(f"Distillation: {os.path.basename(os.path.normpath(log_dir))}")

    loss = series.get(LOSS, {})
    if loss:
        steps = sorted(loss)
        ax_loss.plot(steps, [loss[s] for s in steps], color="tab:green", label="training loss")
        if min(loss.values()) > 0.0:
            ax_loss.set_yscale("log")
    _finish(ax_loss, "loss", f"no '{LOSS}' scalars", bool(loss))
    ax_loss.set_xlabel("epoch")

    path = os.path.join(log_dir, SUMMARY_FILE)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _finish(ax, ylabel: str, empty_text: str, has_data: bool) -> None:
    """Label a panel; a panel without data gets a centred note instead of a legend."""
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if has_data:
        ax.legend(loc="best")
    else:
        ax.text(0.5, 0.5, empty_text, ha="center", va="center", transform=ax.transAxes, color="gray")
