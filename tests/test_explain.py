"""The explanations a fit stores for its report: permutation importance within its deadline,
the confusion matrix and calibration bins, the residual sample."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression, LogisticRegression

from automl_cli.explain.diagnostics import (
    RESIDUAL_POINTS,
    classification_diagnostics,
    regression_diagnostics,
)
from automl_cli.explain.importance import permutation_importance
from automl_cli.metrics import resolve_metric


def signal_and_noise(rows: int = 600) -> tuple[pd.DataFrame, np.ndarray]:
    """y depends strongly on `signal`, weakly on `weak`, not at all on `noise`."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"noise": rng.normal(size=rows), "signal": rng.normal(size=rows),
                      "weak": rng.normal(size=rows)})  # fmt: skip
    y = (3 * X.signal + 0.7 * X.weak + rng.normal(size=rows) > 0).astype(int).to_numpy()
    return X, y


def test_importance_ranks_the_features_the_target_depends_on():
    X, y = signal_and_noise()
    model = LogisticRegression().fit(X, y)
    record = permutation_importance(
        model, X, y, task="binary", n_classes=2, metric=resolve_metric("log_loss", "binary"),
        deadline=time.monotonic() + 60, rng=np.random.default_rng(1),
    )  # fmt: skip
    assert record["status"] == "done" and record["repeats"] == 3 and record["rows"] == len(X)
    assert [f["name"] for f in record["features"]] == ["signal", "weak", "noise"]
    assert record["features"][0]["mean"] > 0.5 > abs(record["features"][2]["mean"])
    json.dumps(record)  # it goes into the manifest as it is


def test_importance_is_skipped_with_its_reason_when_there_is_no_time():
    X, y = signal_and_noise()
    model = LogisticRegression().fit(X, y)
    record = permutation_importance(
        model, X, y, task="binary", n_classes=2, metric=resolve_metric("log_loss", "binary"),
        deadline=time.monotonic(), rng=np.random.default_rng(1),
    )  # fmt: skip
    assert record == {
        "status": "skipped",
        "reason": "0 of 3 features were shuffled before the time budget ran out",
        "features": [],
    }


def test_confusion_matrix_and_calibration_of_known_probabilities():
    y = np.array([0, 0, 1, 1, 1])
    proba = np.array([[0.9, 0.1], [0.35, 0.65], [0.2, 0.8], [0.25, 0.75], [0.6, 0.4]])
    found = classification_diagnostics(y, proba, ["no", "yes"])
    assert found["confusion"] == {"labels": ["no", "yes"], "matrix": [[1, 1], [1, 2]]}
    assert found["accuracy"] == 0.6
    assert found["calibration"]["predicted"] == "probability of yes"
    assert found["calibration"]["bins"] == [
        {"predicted": 0.1, "observed": 0.0, "count": 1},
        {"predicted": 0.4, "observed": 1.0, "count": 1},
        {"predicted": 0.65, "observed": 0.0, "count": 1},
        {"predicted": 0.75, "observed": 1.0, "count": 1},
        {"predicted": 0.8, "observed": 1.0, "count": 1},
    ]


def test_multiclass_calibration_is_of_the_predicted_class():
    y = np.array([0, 1, 2, 2])
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4], [0.3, 0.3, 0.4], [0.1, 0.8, 0.1]])
    found = classification_diagnostics(y, proba, [1, 2, 3])
    assert found["confusion"]["matrix"] == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]
    assert found["calibration"]["predicted"] == "confidence in the predicted class"
    assert sum(b["count"] for b in found["calibration"]["bins"]) == 4


def test_the_residual_sample_is_bounded_and_the_summary_uses_every_row():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 2))
    y = X @ [2.0, -1.0] + rng.normal(size=3000)
    predicted = LinearRegression().fit(X, y).predict(X)
    found = regression_diagnostics(y, predicted, np.random.default_rng(0))
    assert len(found["residuals"]["predicted"]) == len(found["residuals"]["actual"])
    assert len(found["residuals"]["actual"]) == RESIDUAL_POINTS
    assert found["rmse"] == float(f"{np.sqrt(np.mean((y - predicted) ** 2)):.5g}")
    assert abs(found["bias"]) < 1e-6 and 0.7 < found["mae"] < 0.9
