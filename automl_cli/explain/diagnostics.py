"""How the model's predictions compare with the truth on validation rows, stored compactly.

Classification: the confusion matrix and a calibration curve (the positive class's probability
for two classes, the top class's confidence otherwise). Regression: a sample of (predicted,
actual) pairs for the residual plot, and the error's summary. The numbers come from the
predictions the caller hands in, best out of sample (see automl_cli/explain/__init__.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

CALIBRATION_BINS = 10
RESIDUAL_POINTS = 400  # enough to see the shape of the errors, small enough for the manifest


def classification_diagnostics(
    y: np.ndarray, proba: np.ndarray, classes: list[Any]
) -> dict[str, Any]:
    """Confusion matrix (rows: true class, columns: predicted) and calibration bins."""
    k = len(classes)
    predicted = proba.argmax(axis=1)
    matrix = np.zeros((k, k), dtype=int)
    np.add.at(matrix, (y.astype(int), predicted), 1)
    if k == 2:
        confidence, hit = proba[:, 1], y == 1
        what = f"probability of {classes[1]}"
    else:
        confidence, hit = proba.max(axis=1), predicted == y
        what = "confidence in the predicted class"
    return {
        "confusion": {"labels": [str(c) for c in classes], "matrix": matrix.tolist()},
        "calibration": {"predicted": what, "bins": _calibration_bins(confidence, hit)},
        "accuracy": round(float(np.mean(predicted == y)), 4),
    }


def _calibration_bins(confidence: np.ndarray, hit: np.ndarray) -> list[dict[str, float]]:
    """Equal-width bins of the predicted probability: its mean and how often it came true."""
    edges = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, CALIBRATION_BINS - 1)
    bins = []
    for b in range(CALIBRATION_BINS):
        inside = which == b
        if inside.any():
            bins.append(
                {
                    "predicted": round(float(confidence[inside].mean()), 4),
                    "observed": round(float(hit[inside].mean()), 4),
                    "count": int(inside.sum()),
                }
            )
    return bins


def regression_diagnostics(
    y: np.ndarray, predicted: np.ndarray, rng: np.random.Generator
) -> dict[str, Any]:
    """A seeded sample of (predicted, actual) pairs and the error's summary on every row."""
    residual = y - predicted
    shown = np.arange(len(y))
    if len(y) > RESIDUAL_POINTS:
        shown = np.sort(rng.choice(len(y), RESIDUAL_POINTS, replace=False))
    return {
        "residuals": {
            "predicted": [_round(v) for v in predicted[shown]],
            "actual": [_round(v) for v in y[shown]],
        },
        "rmse": _round(float(np.sqrt(np.mean(residual**2)))),
        "mae": _round(float(np.mean(np.abs(residual)))),
        "bias": _round(float(np.mean(residual))),
    }


def _round(value: float) -> float:
    return float(f"{float(value):.5g}")
