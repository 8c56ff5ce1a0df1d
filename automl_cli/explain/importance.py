"""Permutation importance of the final model on validation rows, within a hard time limit.

A feature's importance is how much the validation loss grows when its column is shuffled
(the mean over a few seeded shuffles). scikit-learn's `permutation_importance` has no clock, so
the loop is ours: it checks the deadline before each prediction and gives up, saying why,
when not even one shuffle of every feature fits.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from automl_cli.metrics import Metric
from automl_cli.model import predict_scores

IMPORTANCE_ROWS = 2_000
REPEATS = 3


def permutation_importance(
    estimator: Any,
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    task: str,
    n_classes: int,
    metric: Metric,
    deadline: float,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """The importance record of the manifest: per feature the mean and spread of the loss
    increase, most important first; or {"status": "skipped", "reason": ...}."""
    if len(X) > IMPORTANCE_ROWS:
        kept = np.sort(rng.choice(len(X), IMPORTANCE_ROWS, replace=False))
        X, y = X.iloc[kept], y[kept]
    X = X.reset_index(drop=True)

    def loss(rows: pd.DataFrame) -> float:
        return metric.loss(metric.score(y, predict_scores(estimator, rows, task, n_classes)))

    started = time.monotonic()
    base = loss(X)
    one_pass = (time.monotonic() - started) * len(X.columns)
    if time.monotonic() + one_pass > deadline:
        return _skipped(f"one pass needs about {one_pass:.1f} s, more than the time left")
    increases: dict[str, list[float]] = {name: [] for name in X.columns}
    for repeat in range(REPEATS):
        for name in X.columns:
            if time.monotonic() > deadline:
                if repeat == 0:
                    return _skipped("the time budget ran out before every feature was shuffled")
                return _record(increases, repeat, len(X), metric)
            shuffled = X.copy()
            shuffled[name] = X[name].to_numpy()[rng.permutation(len(X))]
            increases[name].append(loss(shuffled) - base)
    return _record(increases, REPEATS, len(X), metric)


def _record(
    increases: dict[str, list[float]], repeats: int, rows: int, metric: Metric
) -> dict[str, Any]:
    features = [
        {
            "name": name,
            "mean": float(f"{np.mean(values[:repeats]):.4g}"),
            "std": float(f"{np.std(values[:repeats]):.3g}"),
        }
        for name, values in increases.items()
    ]
    features.sort(key=lambda f: -f["mean"])
    return {
        "status": "done",
        "rows": rows,
        "repeats": repeats,
        "measure": f"growth of the validation loss ({metric.name}) when the feature is shuffled",
        "features": features,
    }


def _skipped(reason: str) -> dict[str, Any]:
    return {"status": "skipped", "reason": reason, "features": []}
