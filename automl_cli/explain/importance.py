"""Permutation importance of the final model on validation rows, within a hard time limit.

A feature's importance is how much the validation loss grows when its column is shuffled
(the mean over a few seeded shuffles). scikit-learn's `permutation_importance` has no clock and
predicts once per feature and shuffle; here the shuffled copies of several features are
predicted in one call of up to BATCH_ROWS rows, which saves the per-call cost of a pipeline
(on a 5-member ensemble, most of the cost). Each call takes as many shuffles as the
measured cost per row says fit before the deadline (a pessimistic guess while small calls are
dominated by their fixed cost, so the calls grow as the guess improves); when not even one
shuffle of every feature fits, the record says importance was skipped, and why.
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
BATCH_ROWS = 40_000


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
    n = len(X)

    def timed_scores(rows: pd.DataFrame) -> tuple[np.ndarray, float]:
        started = time.monotonic()
        scores = predict_scores(estimator, rows, task, n_classes)
        return scores, (time.monotonic() - started) / len(rows)

    def loss(scores: np.ndarray) -> float:
        return metric.loss(metric.score(y, scores))

    scores, per_row = timed_scores(X)
    base = loss(scores)
    jobs = [(repeat, name) for repeat in range(REPEATS) for name in X.columns]
    per_batch = max(1, BATCH_ROWS // n)
    increases: dict[str, list[float]] = {name: [] for name in X.columns}
    done = 0
    while done < len(jobs):
        fit_in_time = int((deadline - time.monotonic()) / (per_row * n))
        if fit_in_time < 1:
            break
        batch = jobs[done : done + min(fit_in_time, per_batch)]
        copies = []
        for _, name in batch:
            shuffled = X.copy()
            shuffled[name] = X[name].to_numpy()[rng.permutation(n)]
            copies.append(shuffled)
        scores, per_row = timed_scores(pd.concat(copies, ignore_index=True))
        for k, (_, name) in enumerate(batch):
            increases[name].append(loss(scores[k * n : (k + 1) * n]) - base)
        done += len(batch)
    repeats = done // len(X.columns)
    if repeats == 0:
        return {
            "status": "skipped",
            "reason": f"{done} of {len(X.columns)} features were shuffled before the time "
            "budget ran out",
            "features": [],
        }
    return _record(increases, repeats, n, metric)


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
