"""What a person sees: the live progress line, the leaderboard and the model summary."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

if TYPE_CHECKING:  # the search's modules load scikit-learn; `automl fit` reads its data first
    from automl_cli.search.loop import SearchState


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, float):
        return (
            f"{value:.{digits}g}"
            if abs(value) >= 1e4 or abs(value) < 1e-3
            else f"{value:.{digits}f}"
        )
    return str(value)


def config_summary(config: dict[str, Any], limit: int = 4) -> str:
    """The algorithm's own hyperparameters, shortest first, for one table cell."""
    algorithm = config.get("algorithm", "")
    own = [
        (k.split(":", 1)[-1], v)
        for k, v in config.items()
        if k != "algorithm" and k.startswith(f"{algorithm}:")
    ]
    shown = ", ".join(f"{k}={_fmt(v, 3)}" for k, v in own[:limit])
    return shown + (", …" if len(own) > limit else "")


def leaderboard(
    rows: list[dict[str, Any]], metric: str, title: str = "Leaderboard", width: int | None = None
) -> Table:
    """The best trials (as trial dicts), best first; hyperparameters get the width left over."""
    cells = [
        [
            str(rank),
            str(row["job_id"]),
            row["algorithm"],
            f"{row['budget']:.3g}",
            _fmt(row["score"]),
            f"{row['fit_seconds']:.2f}",
        ]
        for rank, row in enumerate(rows, start=1)
    ]
    table = Table(title=title, title_justify="left")
    headers = ("#", "trial", "algorithm", "budget", metric, "fit s")
    left = (width or Console().width) - 3 * len(headers) - 4  # borders and padding
    for position, header in enumerate(headers):
        column_width = max([len(header)] + [len(cell[position]) for cell in cells])
        left -= column_width
        justify = "left" if header == "algorithm" else "right"
        table.add_column(header, justify=justify, no_wrap=True, min_width=column_width)
    table.add_column("hyperparameters", no_wrap=True, overflow="ellipsis", max_width=max(12, left))
    for cell, row in zip(cells, rows, strict=True):
        table.add_row(*cell, config_summary(row["config"]))
    return table


def manifest_table(manifest: dict[str, Any]) -> Table:
    """The model file's manifest as two columns."""
    table = Table(show_header=False, title="Model", title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    search = manifest.get("search", {})
    rows = [
        ("task", manifest["task"]),
        ("target", manifest["target"]),
        *((f"{key} column", manifest[key]) for key in ("weight", "group") if manifest.get(key)),
        ("classes", ", ".join(map(str, manifest["classes"])) or "-"),
        ("features", str(len(manifest["schema"]["columns"]))),
        ("training rows", _training_rows(manifest)),
        ("algorithm", manifest["algorithm"]),
        (
            f"validation {manifest['metric']}",
            f"{_fmt(manifest['validation_score'])} ({manifest.get('validation', '')})",
        ),
        *_baseline_row(manifest),
        *_ensemble_row(manifest),
        ("trials", f"{manifest['trial_count']} ({manifest['failed_trials']} failed)"),
        (
            "search",
            f"{search.get('optimizer')} seed {search.get('seed')}, "
            f"{search.get('seconds')} s of {search.get('time_budget')} s",
        ),
        ("created", manifest["created"]),
        ("libraries", ", ".join(f"{k} {v}" for k, v in manifest["libraries"].items())),
    ]
    for field, value in rows:
        table.add_row(field, value)
    return table


def _training_rows(manifest: dict[str, Any]) -> str:
    """The rows the model was fitted on: all of them, or the fraction a late refit used."""
    rows = str(manifest.get("training_rows", "-"))
    fraction = manifest.get("refit_rows", 1.0)
    return rows if fraction >= 1.0 else f"{rows} (the model fitted on {fraction:.0%} of them)"


def _baseline_row(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """The constant predictor's validation score, beside the model's (none in older files)."""
    baseline = manifest.get("baseline")
    if baseline is None:
        return []
    written = ", written: no model beat it" if manifest["algorithm"] == "baseline" else ""
    return [
        (
            f"baseline {manifest['metric']}",
            f"{_fmt(baseline['score'])} (predicting the {baseline['strategy']}{written})",
        )
    ]


# why a fit with --ensemble-size > 0 shipped one model (the record does not say which held)
SINGLE_WHY = "no mix of models beat it on the validation rows, or no time was left to refit one"


def _ensemble_row(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """What shipped: an ensemble (its score beside the best single model's) or one model."""
    ensemble = manifest.get("ensemble")
    if ensemble is None:
        return []
    if not ensemble["members"]:
        why = "--ensemble-size 0" if ensemble["size"] == 0 else SINGLE_WHY
        shipped = "the baseline" if ensemble["kind"] == "baseline" else "the best single model"
        return [("ensemble", f"none: {shipped} ships ({why})")]
    return [
        (
            ensemble["kind"],
            f"{len(ensemble['members'])} members, validation {manifest['metric']} "
            f"{_fmt(ensemble['validation_score'])} (best single model "
            f"{_fmt(ensemble['single_validation_score'])})",
        )
    ]


def ensemble_table(manifest: dict[str, Any]) -> Table:
    """The members of the model file's ensemble, heaviest first."""
    ensemble = manifest["ensemble"]
    table = Table(title=f"Members ({ensemble['kind']})", title_justify="left")
    for header in ("trial", "algorithm", "weight", f"validation {manifest['metric']}"):
        table.add_column(header, justify="left" if header == "algorithm" else "right")
    for member in ensemble["members"]:
        table.add_row(
            str(member["job_id"]),
            member["algorithm"],
            f"{member['weight']:.3f}",
            _fmt(member["validation_score"]),
        )
    return table


def top_features(manifest: dict[str, Any], count: int = 5) -> list[str]:
    """The most important features of a model file, by permutation importance (none in files
    written before explanations, or when importance was skipped)."""
    importance = manifest.get("explanations", {}).get("importance", {})
    return [f["name"] for f in importance.get("features", [])[:count]]


class LiveProgress:
    """A one-line live display of a search, on stderr; silent when `quiet`."""

    def __init__(self, metric: str | None, quiet: bool) -> None:
        self.metric = metric
        self.quiet = quiet
        self._progress = Progress(
            SpinnerColumn(),
            BarColumn(bar_width=24),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = None

    def __enter__(self) -> LiveProgress:
        if not self.quiet:
            self._progress.start()
            self._task = self._progress.add_task("starting", total=1.0)
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.quiet:
            self._progress.stop()

    def update(self, state: SearchState) -> None:
        if self.quiet or self._task is None:
            return
        elapsed = time.monotonic() - state.started
        best = state.best
        best_text = (
            f"best {self.metric or 'score'} {_fmt(best.score)} ({best.algorithm})"
            if best
            else "no result yet"
        )
        running = ", ".join(sorted({j.config.get("algorithm", "?") for j in state.running}))
        text = (
            f"{elapsed:5.1f}/{state.time_budget:g} s | trials {len(state.trials)} "
            f"({state.failed} failed) | {best_text} | running: {running or '-'}"
        )
        self._progress.update(
            self._task, completed=min(1.0, elapsed / state.time_budget), description=text
        )
