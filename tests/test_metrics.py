"""Every metric: its value on a case small enough to work out by hand, and the direction of its
loss (the search minimizes the loss, so a better prediction must have a lower one)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from automl_cli.errors import UsageError
from automl_cli.metrics import DEFAULT_METRIC, METRICS, resolve_metric

# Binary: labels 0, 0, 1, 1; the columns are P(class 0), P(class 1).
BINARY_Y = np.array([0, 0, 1, 1])
# P(1) = 0.1, 0.6, 0.4, 0.8: argmax labels 0, 1, 0, 1 (one error in each class)
BINARY_P = np.array([[0.9, 0.1], [0.4, 0.6], [0.6, 0.4], [0.2, 0.8]])
# Multiclass: one row per class, the last one wrong (argmax 0 for class 2).
MULTI_Y = np.array([0, 1, 2])
MULTI_P = np.array([[0.5, 0.2, 0.3], [0.1, 0.8, 0.1], [0.6, 0.2, 0.2]])
# Regression: errors -1, 0, +3.
REG_Y = np.array([1.0, 2.0, 3.0])
REG_P = np.array([2.0, 2.0, 0.0])

TASK_OF = {id(BINARY_Y): "binary", id(MULTI_Y): "multiclass", id(REG_Y): "regression"}

HAND_MADE = [
    # ROC AUC: of the 4 (positive, negative) pairs, P(1) ranks the positive higher in 3
    # (0.4 > 0.1, 0.8 > 0.1, 0.8 > 0.6; not 0.4 < 0.6).
    ("roc_auc", BINARY_Y, BINARY_P, 3 / 4),
    # log loss: mean of -ln(probability of the true class)
    ("log_loss", BINARY_Y, BINARY_P, -math.log(0.9 * 0.4 * 0.4 * 0.8) / 4),
    ("accuracy", BINARY_Y, BINARY_P, 2 / 4),
    ("balanced_accuracy", BINARY_Y, BINARY_P, (1 / 2 + 1 / 2) / 2),
    # F1 of class 1: precision 1/2 (predicted rows 2 and 4), recall 1/2 -> 1/2
    ("f1", BINARY_Y, BINARY_P, 1 / 2),
    # one-vs-rest AUC, averaged over classes: class 0's row (0.5) beats 0.1 but not 0.6: 1/2;
    # class 1's row (0.8) beats 0.2 and 0.2: 1; class 2's row (0.2) beats 0.1 but not 0.3: 1/2
    ("roc_auc", MULTI_Y, MULTI_P, (1 / 2 + 1 + 1 / 2) / 3),
    ("log_loss", MULTI_Y, MULTI_P, -math.log(0.5 * 0.8 * 0.2) / 3),
    ("accuracy", MULTI_Y, MULTI_P, 2 / 3),
    # recalls 1, 1, 0
    ("balanced_accuracy", MULTI_Y, MULTI_P, 2 / 3),
    # macro F1: class 0 precision 1/2 recall 1 -> 2/3; class 1 -> 1; class 2 -> 0
    ("f1", MULTI_Y, MULTI_P, (2 / 3 + 1 + 0) / 3),
    ("rmse", REG_Y, REG_P, math.sqrt((1 + 0 + 9) / 3)),
    ("mae", REG_Y, REG_P, (1 + 0 + 3) / 3),
    # 1 - SSE / SST = 1 - 10 / 2
    ("r2", REG_Y, REG_P, 1 - 10 / 2),
]


@pytest.mark.parametrize(
    ("name", "y", "predicted", "expected"),
    HAND_MADE,
    ids=[f"{case[0]}-{TASK_OF[id(case[1])]}" for case in HAND_MADE],
)
def test_value_on_a_hand_made_case(name, y, predicted, expected):
    assert METRICS[name].score(y, predicted) == pytest.approx(expected, rel=1e-12)


def test_every_metric_has_a_hand_made_case():
    assert {case[0] for case in HAND_MADE} == set(METRICS)


# For each metric: (y, worse prediction, better prediction), the better one closer to y.
BETTER = {
    "binary": (
        BINARY_Y,
        BINARY_P,
        np.array([[0.8, 0.2], [0.7, 0.3], [0.4, 0.6], [0.1, 0.9]]),  # every row right
    ),
    "multiclass": (
        MULTI_Y,
        MULTI_P,
        np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.2, 0.1, 0.7]]),  # every row right
    ),
    "regression": (REG_Y, REG_P, np.array([1.5, 2.0, 2.5])),  # errors -0.5, 0, +0.5
}


@pytest.mark.parametrize("name", sorted(METRICS))
def test_a_better_prediction_has_a_lower_loss(name):
    metric = METRICS[name]
    for task in sorted(metric.tasks):
        y, worse, better = BETTER[task]
        worse_loss = metric.loss(metric.score(y, worse))
        better_loss = metric.loss(metric.score(y, better))
        assert better_loss < worse_loss, (task, worse_loss, better_loss)


@pytest.mark.parametrize("name", sorted(METRICS))
def test_a_perfect_prediction_has_the_lowest_loss_and_the_loss_maps_back(name):
    metric = METRICS[name]
    task = sorted(metric.tasks)[0]
    y, worse, _ = BETTER[task]
    perfect = y.astype(float) if task == "regression" else np.eye(worse.shape[1])[y]
    perfect_loss = metric.loss(metric.score(y, perfect))
    assert perfect_loss == pytest.approx(0.0, abs=1e-9)
    worse_score = metric.score(y, worse)
    assert metric.loss(worse_score) > perfect_loss
    assert metric.score_of_loss(metric.loss(worse_score)) == pytest.approx(worse_score)


def test_log_loss_survives_a_zero_probability_for_the_true_class():
    certain_and_wrong = np.array([[1.0, 0.0], [0.0, 1.0]])
    value = METRICS["log_loss"].score(np.array([1, 1]), certain_and_wrong)
    assert math.isfinite(value) and value > 10  # clipped at 1e-15: about 17.3 / 2


def test_defaults_and_refusals():
    assert {task: resolve_metric(None, task).name for task in DEFAULT_METRIC} == {
        "binary": "roc_auc",
        "multiclass": "log_loss",
        "regression": "rmse",
    }
    assert resolve_metric("mae", "regression") is METRICS["mae"]
    with pytest.raises(UsageError, match=r"not defined for a regression task: 'f1'.*mae"):
        resolve_metric("f1", "regression")
    with pytest.raises(UsageError, match=r"unknown metric 'auc'; use --metric with one of"):
        resolve_metric("auc", "binary")
