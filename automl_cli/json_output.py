"""`--json`: the documents `fit`, `info`, `meta list` and `meta show` print for scripts.

Each command prints one JSON document on stdout and nothing else; the shapes are listed in
docs/architecture.md (Scripting). Numbers JSON cannot hold (NaN, infinity) become null. While a
fit runs, file descriptor 1 itself points at stderr: the trial processes inherit it, so no
library's print, in any process, can slip into the document.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from automl_cli.meta.records import EvaluationRecord, TaskRecord

_FIT_FIELDS = (
    "task",
    "target",
    "metric",
    "classes",
    "algorithm",
    "validation_score",
    "validation_loss",
    "validation",
    "baseline",
    "trial_count",
    "failed_trials",
    "stopped_by",
    "training_rows",
    "refit_rows",
    "run_id",
    "best_config",
    "leaderboard",
)


def emit(document: dict[str, Any], stream: IO[str] | None = None) -> None:
    """Print `document` as the one JSON document on `stream` (stdout, or what `reserve_stdout`
    kept of it)."""
    stream = sys.stdout if stream is None else stream
    stream.write(json.dumps(_plain(document), allow_nan=False, indent=2) + "\n")
    stream.flush()


def reserve_stdout() -> IO[str]:
    """Keep stdout for the document alone: returned, while descriptor 1 points at stderr from
    now on, for this process and every process it starts."""
    sys.stdout.flush()
    kept = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    return kept


def fit_summary(
    out: Path, trial_log: Path | None, manifest: dict[str, Any], notices: list[str]
) -> dict[str, Any]:
    """What `automl fit` prints: where the model went, how good it is, and the leaderboard."""
    return {
        "model": str(out),
        "trial_log": None if trial_log is None else str(trial_log),
        **{key: manifest.get(key) for key in _FIT_FIELDS},
        "seconds": manifest.get("search", {}).get("seconds"),
        "notices": notices,
    }


def task_list(base: Path, records: list[TaskRecord]) -> dict[str, Any]:
    """What `automl meta list` prints: the knowledge base's path and its tasks."""
    from automl_cli.choices import DEFAULT_METRIC

    return {
        "metabase": str(base),
        "tasks": [
            {
                "name": r.task.name,
                "task": r.task.task_type,
                "target": r.task.target,
                "rows": r.task.n_rows,
                "features": r.task.n_features,
                "evaluations": r.n_evaluations,
                "metric": DEFAULT_METRIC[r.task.task_type],
                "best_loss": r.best_loss,
            }
            for r in records
        ],
    }


def task_detail(
    record: TaskRecord, metric: str, best: list[EvaluationRecord], base: Path
) -> dict[str, Any]:
    """What `automl meta show` prints: one task, its meta-features and its best configs."""
    task = record.task
    return {
        "metabase": str(base),
        "name": task.name,
        "task": task.task_type,
        "target": task.target,
        "rows": task.n_rows,
        "features": task.n_features,
        "evaluations": record.n_evaluations,
        "fingerprint": task.fingerprint,
        "meta_features": task.meta_features,
        "metric": metric,
        "best_configs": [
            {
                "loss": r.evaluation.loss,
                "budget": r.evaluation.budget,
                "algorithm": r.evaluation.algorithm,
                "config": r.evaluation.config,
            }
            for r in best
        ],
    }


def _plain(value: Any) -> Any:
    """`value` in JSON's types: non-finite floats as null, NumPy scalars and paths unwrapped."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # a NumPy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value
