"""What the report needs that the model itself does not hold, computed at the end of a fit.

`explain` gives the manifest's `explanations` record (docs/architecture.md, contracts 5 and 8):
the data's meta-features, the permutation importance of the final model, and the comparison of
predictions with the truth on validation rows. Those predictions are out of sample where the
search kept them: the shipped trial's, or the ensemble's weighted mean of its members'. Where
it did not (the baseline, a best trial below the full budget), the shipped model predicts the
validation rows itself, which it saw in its refit, and the record says so. Everything runs
before `deadline`; what does not fit is skipped and the record says why.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from automl_cli.explain.diagnostics import classification_diagnostics, regression_diagnostics
from automl_cli.explain.importance import permutation_importance
from automl_cli.model import predict_scores

if TYPE_CHECKING:
    from automl_cli.evaluate import Evaluator, TrialResult

META_FEATURE_SECONDS = 1.0  # their expected cost when the warm start did not time them
META_FEATURE_SAFETY = 2.0  # ...and the margin on the warm start's timing (it read the base too)
IMPORTANCE_SHARE = 0.1  # of the time budget, at most, for permutation importance
IMPORTANCE_MIN_SECONDS = 2.0


def explain(
    evaluator: Evaluator,
    estimator: Any,
    manifest: dict[str, Any],
    shipped: TrialResult,
    trials: list[TrialResult],
    stored_predictions: Callable[[list[TrialResult]], dict[int, np.ndarray]],
    deadline: float,
) -> dict[str, Any]:
    """The `explanations` record of the model `estimator` that `manifest` describes; `shipped`
    is its trial (the best), `trials` the search's, `stored_predictions` reads their kept
    validation predictions (`TrialLog.predictions`)."""
    started = time.monotonic()
    rng = np.random.default_rng(evaluator.seed)
    rows = evaluator.validation_rows
    y = evaluator.y[rows]
    predictions, source = _validation_predictions(
        evaluator, estimator, manifest, shipped, trials, stored_predictions
    )
    if evaluator.task == "regression":
        diagnostics = regression_diagnostics(y, predictions, rng)
    else:
        diagnostics = classification_diagnostics(y, predictions, manifest["classes"])
    record: dict[str, Any] = {"diagnostics": {"source": source, "rows": len(rows), **diagnostics}}
    record["meta_features"] = _meta_features(evaluator, manifest, deadline)
    budget = manifest["search"]["time_budget"]
    importance_end = min(
        deadline, time.monotonic() + max(IMPORTANCE_MIN_SECONDS, IMPORTANCE_SHARE * budget)
    )
    record["importance"] = permutation_importance(
        estimator,
        evaluator.X.iloc[rows],
        y,
        task=evaluator.task,
        n_classes=evaluator.n_classes,
        metric=evaluator.metric,
        deadline=importance_end,
        rng=rng,
    )
    record["seconds"] = round(time.monotonic() - started, 2)
    return record


def _validation_predictions(evaluator, estimator, manifest, shipped, trials, stored_predictions):
    """Predictions of the validation rows, out of sample where kept, and where they came from."""
    members = (manifest.get("ensemble") or {}).get("members") or []
    if manifest["algorithm"] == "baseline":
        pass  # the constant predictor: nothing was kept for it
    elif members:
        by_id = {t.job_id: t for t in trials}
        kept = stored_predictions([by_id[m["job_id"]] for m in members if m["job_id"] in by_id])
        if len(kept) == len(members):
            return _combined(estimator, [kept[m["job_id"]].astype(float) for m in members])
    elif manifest["algorithm"] != "baseline":
        kept = stored_predictions([shipped])
        if shipped.job_id in kept:
            source = f"out of sample: trial {shipped.job_id}'s predictions"
            return kept[shipped.job_id].astype(float), source
    X = evaluator.X.iloc[evaluator.validation_rows]
    predicted = predict_scores(estimator, X, evaluator.task, evaluator.n_classes)
    return predicted, "in sample: the shipped model, refitted on these rows too, predicts them"


def _combined(ensemble: Any, members: list[np.ndarray]) -> tuple[np.ndarray, str]:
    """The ensemble's weighted mean of its members' out-of-sample predictions (members in its
    own order)."""
    mean = np.tensordot(ensemble.weights, np.stack(members), axes=1)
    return mean, f"out of sample: the weighted mean of the {len(members)} members' predictions"


def _meta_features(
    evaluator: Evaluator, manifest: dict[str, Any], deadline: float
) -> dict[str, float | None]:
    """The data's meta-features (automl_cli/meta/features.py), or none when they might not
    end before `deadline`: the warm start computed them once already, and its time (with a
    margin) is the estimate."""
    from automl_cli.meta.features import compute_meta_features

    planned = (manifest.get("warm_start") or {}).get("seconds")
    expected = META_FEATURE_SECONDS if planned is None else META_FEATURE_SAFETY * planned
    if deadline - time.monotonic() < max(expected, 0.1):
        return {}
    values = compute_meta_features(evaluator.X, evaluator.y, evaluator.task, seed=evaluator.seed)
    return {name: (float(f"{v:.5g}") if math.isfinite(v) else None) for name, v in values.items()}
