"""The report's charts, drawn with matplotlib as inline SVG text (no files, no network).

Figures are made with `matplotlib.figure.Figure`, never pyplot, so no global state or GUI
backend is touched; text stays text in the SVG (`svg.fonttype: none`) and takes the page's
fonts. matplotlib is imported here only, when a report is drawn.
"""

from __future__ import annotations

import functools
import io
import math
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

INK = "#1f2933"
MUTED = "#7b8794"
GRID = "#e4e7eb"
ACCENT = "#2563eb"
BEST = "#e8590c"  # the best-so-far line, apart from the blues of the budgets
BUDGET_COLORS = ("#c7d2fe", "#93a5f8", "#6378ef", "#3b4fd8", "#1e2a8a")  # low to full budget
STYLE = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 10,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": GRID,
    "xtick.color": INK,
    "ytick.color": INK,
    "legend.frameon": False,
    "axes.axisbelow": True,
}


def _styled(chart: Callable[..., str]) -> Callable[..., str]:
    """Draw `chart` under the report's style, leaving matplotlib's global settings as they were."""

    @functools.wraps(chart)
    def drawn(*args: Any, **kwargs: Any) -> str:
        import matplotlib

        with matplotlib.rc_context(STYLE):
            return chart(*args, **kwargs)

    return drawn


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _svg(figure: Any, title: str) -> str:
    """The figure as an <svg> element, labelled for screen readers."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    label = title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return re.sub(r"<svg ", f'<svg role="img" aria-label="{label}" ', svg, count=1)


def budget_colors(budgets: list[float]) -> dict[float, str]:
    """One colour per budget, darker for larger ones, the full budget darkest."""
    ordered = sorted(set(budgets))
    palette = BUDGET_COLORS[-len(ordered) :] if len(ordered) <= len(BUDGET_COLORS) else None
    if palette is None:
        step = (len(BUDGET_COLORS) - 1) / (len(ordered) - 1)
        palette = [BUDGET_COLORS[round(i * step)] for i in range(len(ordered))]
    return dict(zip(ordered, palette, strict=True))


def budget_label(budget: float) -> str:
    return "all rows" if budget >= 1 - 1e-9 else f"{100 * budget:.2g}% of rows"


@_styled
def anytime_curve(trials: list[dict[str, Any]], metric: str) -> str:
    """Every successful trial's validation score at its finish time, coloured by budget, and
    the best score so far as a step line."""
    figure = _figure(8.6, 3.6)
    axes = figure.add_subplot()
    ok = sorted((t for t in trials if t["status"] == "ok"), key=lambda t: t["elapsed"])
    colors = budget_colors([t["budget"] for t in ok])
    for budget, color in colors.items():
        points = [t for t in ok if t["budget"] == budget]
        axes.scatter(
            [t["elapsed"] for t in points],
            [t["score"] for t in points],
            s=22,
            color=color,
            edgecolors="white",
            linewidths=0.5,
            label=budget_label(budget),
            zorder=3,
        )
    best_x, best_y, best_loss = [], [], math.inf
    for trial in ok:
        if trial["loss"] < best_loss:
            best_loss = trial["loss"]
            best_x.append(trial["elapsed"])
            best_y.append(trial["score"])
    if best_x:
        best_x.append(max(t["elapsed"] for t in ok))
        best_y.append(best_y[-1])
        axes.step(best_x, best_y, where="post", color=BEST, lw=2, label="best so far", zorder=2)
    axes.set_xlabel("seconds since the search started")
    axes.set_ylabel(f"validation {metric}")
    _clip_to_best(axes, ok)
    axes.legend(title="trial budget", loc="center left", bbox_to_anchor=(1.0, 0.5))
    return _svg(figure, f"Best validation {metric} over time")


def _clip_to_best(axes: Any, ok: list[dict[str, Any]]) -> None:
    """Keep the interesting range in view: a few awful trials must not flatten the curve."""
    scores = sorted(t["score"] for t in ok)
    if len(scores) < 5:
        return
    losses = sorted(t["loss"] for t in ok)
    best_loss, median_loss = losses[0], losses[len(losses) // 2]
    by_loss = {t["loss"]: t["score"] for t in ok}
    span = abs(by_loss[median_loss] - by_loss[best_loss]) * 3 or 1e-3
    best = by_loss[best_loss]
    low, high = min(scores), max(scores)
    if by_loss[best_loss] >= by_loss[median_loss]:  # greater is better
        axes.set_ylim(max(low, best - span) - span * 0.05, high + span * 0.05)
    else:
        axes.set_ylim(low - span * 0.05, min(high, best + span) + span * 0.05)


@_styled
def trials_per_algorithm(trials: list[dict[str, Any]]) -> str:
    """Trials of each algorithm as horizontal bars, stacked by budget; failures hatched."""
    figure = _figure(8.6, 0.42 * len({t["algorithm"] for t in trials}) + 1.2)
    axes = figure.add_subplot()
    counts = Counter((t["algorithm"], t["budget"], t["status"] == "ok") for t in trials)
    algorithms = sorted({t["algorithm"] for t in trials}, key=lambda a: -_total(counts, a))
    colors = budget_colors([t["budget"] for t in trials])
    left = [0] * len(algorithms)
    for budget, color in colors.items():
        for ok in (True, False):
            widths = [counts[(a, budget, ok)] for a in algorithms]
            if not any(widths):
                continue
            axes.barh(
                algorithms,
                widths,
                left=left,
                color=color if ok else "white",
                edgecolor=color if ok else "#d64545",
                hatch=None if ok else "///",
                label=budget_label(budget) if ok else f"failed at {budget_label(budget)}",
            )
            left = [a + b for a, b in zip(left, widths, strict=True)]
    axes.invert_yaxis()
    axes.grid(axis="y", visible=False)
    axes.set_xlabel("trials")
    axes.legend(title="budget", loc="center left", bbox_to_anchor=(1.0, 0.5))
    return _svg(figure, "Trials per algorithm and budget")


def _total(counts: Counter, algorithm: str) -> int:
    return sum(n for (a, _, _), n in counts.items() if a == algorithm)


@_styled
def importance_bars(features: list[dict[str, Any]], limit: int = 15) -> str:
    """The most important features, the spread over shuffles as error bars."""
    shown = features[:limit]
    figure = _figure(8.6, 0.34 * len(shown) + 1.1)
    axes = figure.add_subplot()
    names = [f["name"] for f in shown]
    axes.barh(
        names,
        [f["mean"] for f in shown],
        xerr=[f["std"] for f in shown],
        color=ACCENT,
        ecolor=MUTED,
        capsize=2,
    )
    axes.invert_yaxis()
    axes.grid(axis="y", visible=False)
    axes.axvline(0, color=MUTED, lw=0.8)
    axes.set_xlabel("growth of the validation loss when the feature is shuffled")
    return _svg(figure, "Permutation importance")


@_styled
def confusion_matrix(labels: list[str], matrix: list[list[int]]) -> str:
    """Counts in each cell, shaded by the share of the true class's rows."""
    import numpy as np

    counts = np.asarray(matrix, dtype=float)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = min(6.0, 2.2 + 0.45 * len(labels))
    figure = _figure(size + 0.8, size)
    axes = figure.add_subplot()
    axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    axes.grid(False)
    for (i, j), count in np.ndenumerate(counts):
        color = "white" if shares[i, j] > 0.55 else INK
        axes.text(j, i, f"{int(count)}", ha="center", va="center", color=color, fontsize=9)
    ticks = range(len(labels))
    axes.set_xticks(ticks, labels, rotation=30 if len(labels) > 3 else 0, ha="right")
    axes.set_yticks(ticks, labels)
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    return _svg(figure, "Confusion matrix")


@_styled
def calibration_curve(bins: list[dict[str, float]], predicted: str) -> str:
    """Observed frequency against predicted probability, point size by rows in the bin."""
    figure = _figure(5.2, 4.2)
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], ls="--", color=MUTED, lw=1, label="perfectly calibrated")
    largest = max(b["count"] for b in bins)
    axes.plot([b["predicted"] for b in bins], [b["observed"] for b in bins], color=ACCENT, lw=1.5)
    axes.scatter(
        [b["predicted"] for b in bins],
        [b["observed"] for b in bins],
        s=[20 + 180 * b["count"] / largest for b in bins],
        color=ACCENT,
        edgecolors="white",
        zorder=3,
        label="model (size: rows)",
    )
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.02)
    axes.set_xlabel(f"predicted {predicted}")
    axes.set_ylabel("observed frequency")
    axes.legend(loc="upper left")
    return _svg(figure, "Calibration curve")


@_styled
def residual_plot(predicted: list[float], actual: list[float], target: str) -> str:
    """Predicted against actual, and the residual against the prediction."""
    figure = _figure(8.6, 3.8)
    left, right = figure.subplots(1, 2)
    low, high = min(predicted + actual), max(predicted + actual)
    left.plot([low, high], [low, high], ls="--", color=MUTED, lw=1)
    left.scatter(predicted, actual, s=12, color=ACCENT, alpha=0.6, edgecolors="none")
    left.set_xlabel(f"predicted {target}")
    left.set_ylabel(f"actual {target}")
    residuals = [a - p for a, p in zip(actual, predicted, strict=True)]
    right.axhline(0, color=MUTED, ls="--", lw=1)
    right.scatter(predicted, residuals, s=12, color=ACCENT, alpha=0.6, edgecolors="none")
    right.set_xlabel(f"predicted {target}")
    right.set_ylabel("residual (actual − predicted)")
    return _svg(figure, "Residual plot")
