"""Metrics, their defaults per task, and the loss every optimizer minimizes.

A metric scores predictions on the validation rows; its loss is what the search minimizes:
`1 - score` for the bounded higher-is-better metrics (all of which top out at 1), the score
itself for the errors. Classification metrics take class probabilities with one column per
class, in the order of the dataset's class codes 0..k-1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn import metrics as skm

from automl_cli.choices import CLASSIFICATION as CLASSIFICATION_TASKS
from automl_cli.choices import DEFAULT_METRIC
from automl_cli.errors import UsageError

CLASSIFICATION = frozenset(CLASSIFICATION_TASKS)
REGRESSION = frozenset({"regression"})


@dataclass(frozen=True)
class Metric:
    """`score(y, predictions, weights=None)`: `weights` (one per row, `--weight`) weigh each
    row's part in the score; None weighs every row alike."""

    name: str
    tasks: frozenset[str]
    greater_is_better: bool
    score: Callable[..., float]

    def loss(self, score: float) -> float:
        """The value to minimize: 1 - score for the bounded ones, else the error itself."""
        return 1.0 - score if self.greater_is_better else score

    def score_of_loss(self, loss: float) -> float:
        return 1.0 - loss if self.greater_is_better else loss


Weights = np.ndarray | None


def _labels(proba: np.ndarray) -> np.ndarray:
    return np.argmax(proba, axis=1)


def _roc_auc(y: np.ndarray, proba: np.ndarray, weights: Weights = None) -> float:
    if proba.shape[1] == 2:
        return float(skm.roc_auc_score(y, proba[:, 1], sample_weight=weights))
    labels = np.arange(proba.shape[1])
    return float(
        skm.roc_auc_score(y, proba, multi_class="ovr", labels=labels, sample_weight=weights)
    )


def _log_loss(y: np.ndarray, proba: np.ndarray, weights: Weights = None) -> float:
    clipped = np.clip(proba, 1e-15, 1.0)
    clipped = clipped / clipped.sum(axis=1, keepdims=True)
    labels = np.arange(proba.shape[1])
    return float(skm.log_loss(y, clipped, labels=labels, sample_weight=weights))


def _f1(y: np.ndarray, proba: np.ndarray, weights: Weights = None) -> float:
    average = "binary" if proba.shape[1] == 2 else "macro"
    return float(
        skm.f1_score(y, _labels(proba), average=average, zero_division=0.0, sample_weight=weights)
    )


def _accuracy(y: np.ndarray, proba: np.ndarray, weights: Weights = None) -> float:
    return float(np.average(_labels(proba) == y, weights=weights))


def _balanced_accuracy(y: np.ndarray, proba: np.ndarray, weights: Weights = None) -> float:
    return float(skm.balanced_accuracy_score(y, _labels(proba), sample_weight=weights))


def _rmse(y: np.ndarray, prediction: np.ndarray, weights: Weights = None) -> float:
    return float(np.sqrt(np.average((y - prediction) ** 2, weights=weights)))


def _mae(y: np.ndarray, prediction: np.ndarray, weights: Weights = None) -> float:
    return float(np.average(np.abs(y - prediction), weights=weights))


def _r2(y: np.ndarray, prediction: np.ndarray, weights: Weights = None) -> float:
    return float(skm.r2_score(y, prediction, sample_weight=weights))


# module-level functions, not lambdas: metrics travel to worker processes by pickle
METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("roc_auc", CLASSIFICATION, True, _roc_auc),
        Metric("log_loss", CLASSIFICATION, False, _log_loss),
        Metric("accuracy", CLASSIFICATION, True, _accuracy),
        Metric("balanced_accuracy", CLASSIFICATION, True, _balanced_accuracy),
        Metric("f1", CLASSIFICATION, True, _f1),
        Metric("rmse", REGRESSION, False, _rmse),
        Metric("mae", REGRESSION, False, _mae),
        Metric("r2", REGRESSION, True, _r2),
    )
}


def resolve_metric(name: str | None, task: str) -> Metric:
    """The metric called `name` (or the task's default), checked against the task."""
    if name is None:
        return METRICS[DEFAULT_METRIC[task]]
    metric = METRICS.get(name)
    fitting = sorted(n for n, m in METRICS.items() if task in m.tasks)
    if metric is None or task not in metric.tasks:
        problem = "unknown metric" if metric is None else f"metric not defined for a {task} task:"
        raise UsageError(f"{problem} {name!r}; use --metric with one of: {', '.join(fitting)}")
    return metric
