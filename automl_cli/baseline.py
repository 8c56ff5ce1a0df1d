"""The trivial baseline every fit is measured against: the class shares, or the mean.

A search can hand back a model that knows less than no model at all: on 200 classes of 3 rows
each, the best model's log loss was 6.16 where predicting the class shares scores 5.30; on
10,000 columns of noise, a model's ROC AUC was 0.49. So every fit also scores a constant
predictor on the same validation rows with the same metric: the training class shares for
classification, the mean for regression (the median when the metric is MAE, which the median
minimizes). A model that is not better than it is replaced by it, with a notice.

The baseline is a one-step scikit-learn Pipeline around a DummyClassifier / DummyRegressor, so
it is saved, loaded (its types are trusted by skops.io) and applied at predict time like any
searched pipeline. It is fitted once, on all rows, and scored on the validation rows of every
split: fitted per fold, its constants would differ between folds, and pooled rank metrics (ROC
AUC) would then rank folds against each other instead of scoring no skill at all. What a
constant learns from the validation rows (one share per class, or one mean) is negligible.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from automl_cli.evaluate import Evaluator


@dataclass(frozen=True)
class Baseline:
    """The fitted constant predictor and its validation score and loss."""

    model: Any
    strategy: str  # "class shares", "mean" or "median"
    score: float
    loss: float

    def beaten_by(self, loss: float) -> bool:
        """Whether a model with this validation loss is strictly better than the baseline."""
        return loss < self.loss

    def to_manifest(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "score": self.score, "loss": self.loss}


def fit_baseline(evaluator: Evaluator) -> Baseline:
    """The baseline of the evaluator's task and metric, scored on its validation rows."""
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.pipeline import Pipeline

    from automl_cli.model import predict_scores

    if evaluator.n_classes:
        strategy, learner = "class shares", DummyClassifier(strategy="prior")
    elif evaluator.metric.name == "mae":
        strategy, learner = "median", DummyRegressor(strategy="median")
    else:
        strategy, learner = "mean", DummyRegressor(strategy="mean")
    model = Pipeline([("model", learner)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        evaluator.fit_rows(model, None)  # weighted shares or mean with --weight
    valid = evaluator.validation_rows
    predicted = predict_scores(model, evaluator.X.iloc[valid], evaluator.task, evaluator.n_classes)
    score = evaluator.metric.score(evaluator.y[valid], predicted, evaluator.weights_of(valid))
    return Baseline(model, strategy, score, evaluator.metric.loss(score))


def keep_better_than_baseline(
    evaluator: Evaluator,
    model: Any,
    manifest: dict[str, Any],
    on_notice: Callable[[str], None],
) -> Any:
    """The model to write: `model`, or the baseline when `model` is not better than it.

    The manifest gains "baseline" (its strategy, score and loss); when the baseline replaces
    the model, the manifest's algorithm, config and validation score become the baseline's and
    the notice gives both scores.
    """
    baseline = fit_baseline(evaluator)
    manifest["baseline"] = baseline.to_manifest()
    ensemble = manifest.get("ensemble", {})
    # a shipped ensemble's own validation loss is flattered by its selection on those rows; its
    # loss on the halves its selection did not see is the honest one (ensemble/selection.py)
    loss = ensemble.get("held_out_loss", manifest["validation_loss"])
    if math.isfinite(loss) and baseline.beaten_by(loss):
        return model
    if ensemble:
        manifest["ensemble"] = {"kind": "baseline", "size": ensemble["size"], "members": []}
    metric = manifest["metric"]
    on_notice(
        f"the best model ({manifest['algorithm']}, validation {metric} "
        f"{manifest['validation_score']:.4f}) is not better than predicting the "
        f"{baseline.strategy} ({metric} {baseline.score:.4f}); the baseline was written instead"
    )
    manifest.update(
        algorithm="baseline",
        best_config={"algorithm": "baseline", "strategy": baseline.strategy},
        validation_score=baseline.score,
        validation_loss=baseline.loss,
        budget=1.0,
        refit_rows=1.0,
    )
    return baseline.model
