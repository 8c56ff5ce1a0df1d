"""The fitted model as a model file holds it: rows as read from a CSV in, predictions out.

A `Model` keeps beside its fitted estimator everything predicting needs: the input schema
(the typing of raw cells, unseen levels), the task and the class labels, and it mixes in the
probability floor. So `automl predict` and Python code (`automl_cli.load(path).predict(df)`)
run the same code on the same rows and give the same numbers.

The estimator slot is generic: anything with `predict`, and for classification
`predict_proba` and `classes_` (the class codes 0..k-1 it saw), such as a fitted scikit-learn
Pipeline or an ensemble of them. Rows are converted and predicted in batches of BATCH_ROWS,
so the memory a prediction needs beyond the rows themselves does not grow with the file.

This module imports only numpy, pandas and the data layer; the estimator's own libraries are
imported by the model file's loader, as the stored types require (no XGBoost for a LightGBM
model, no ConfigSpace, no Dask).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl_cli.data.schema import Schema
from automl_cli.errors import BundleError, DataError, UsageError

PROBABILITY_FLOOR = 1e-3  # weight of the uniform distribution in every predicted probability
BATCH_ROWS = 50_000
ONE_THREAD_ROWS = 10_000  # batches up to this size are predicted on one OpenMP / BLAS thread


def predict_scores(estimator: Any, X: pd.DataFrame, task: str, n_classes: int) -> np.ndarray:
    """Probabilities over all n_classes codes (classification) or predictions (regression).

    Probabilities are mixed with the uniform distribution at weight PROBABILITY_FLOOR, so no
    class is ever ruled out: a forest with pure leaves, or a booster that saw no row of a class,
    says 0 or 1e-6, and one such row of that class then costs up to 34.5 in log loss, enough to
    sink a model better on every other row. The mix leaves every argmax and ranking (so
    accuracy, F1, ROC AUC) as it was and adds at most about PROBABILITY_FLOOR to log loss
    (benchmarks/results/probability_floor.md).
    """
    if task == "regression":
        return np.asarray(estimator.predict(X), dtype=float)
    proba = np.zeros((len(X), n_classes))
    proba[:, np.asarray(estimator.classes_, dtype=int)] = estimator.predict_proba(X)
    return (1 - PROBABILITY_FLOOR) * proba + PROBABILITY_FLOOR / n_classes


class Model:
    """A fitted estimator with the schema, task and classes it was trained with.

    `manifest` is the model file's manifest (what `automl info` shows); it lives in the file
    beside the model, not in the stored object.
    """

    def __init__(
        self,
        estimator: Any,
        schema: Schema,
        task: str,
        classes: Sequence[Any] = (),
        manifest: dict[str, Any] | None = None,
    ) -> None:
        self.estimator = estimator
        self.schema = schema
        self.task = task
        self.classes = [c.item() if isinstance(c, np.generic) else c for c in classes]
        self.manifest = dict(manifest or {})

    def predictions(
        self, rows: pd.DataFrame, *, strict: bool = False
    ) -> tuple[pd.DataFrame, dict[str, int]]:
        """The predictions file's columns (contract 2) for `rows`, index 0..n-1, and per
        column the count of present cells that could not be read as its trained type and
        were read as missing; with `strict` such cells are a DataError instead."""
        if rows.empty:
            raise DataError("there are no rows to predict; give at least one row")
        scores, unreadable = [], {}
        for start in range(0, len(rows), BATCH_ROWS):
            X, found = self.schema.read(rows.iloc[start : start + BATCH_ROWS])
            if found and strict:
                raise DataError(
                    f"{self.schema.describe_unreadable(found)}; fix those values, or drop "
                    "--strict (strict=True in Python)"
                )
            for name, count in found.items():
                unreadable[name] = unreadable.get(name, 0) + count
            scores.append(self._scores(X))
        scores = np.concatenate(scores)
        if self.task == "regression":
            return pd.DataFrame({"prediction": scores}), unreadable
        columns: dict[str, Any] = {
            "prediction": np.asarray(self.classes, dtype=object)[scores.argmax(1)]
        }
        for k, label in enumerate(self.classes):
            columns[f"proba_{label}"] = scores[:, k]
        return pd.DataFrame(columns), unreadable

    def predict(self, rows: pd.DataFrame, *, strict: bool = False) -> pd.Series:
        """The predicted label (classification) or value (regression) of every row, indexed
        like `rows`."""
        predicted = self._predictions(rows, strict)["prediction"]
        return predicted.set_axis(rows.index)

    def predict_proba(self, rows: pd.DataFrame, *, strict: bool = False) -> pd.DataFrame:
        """One column per class (named by its label), one row per row of `rows`."""
        if self.task == "regression":
            raise UsageError("predict_proba is for classification; this model is a regressor")
        proba = self._predictions(rows, strict).iloc[:, 1:]
        return proba.set_axis(self.classes, axis=1).set_axis(rows.index)

    def save(self, path: str | Path) -> None:
        """Write the model file (contract 5) at `path`; `manifest` gains the file's own keys."""
        from automl_cli import bundle

        if hasattr(self.estimator, "to_parts"):  # a network of `automl nas`: no pickle-like part
            self.manifest = bundle.save_parts(path, self.estimator.to_parts(), self.manifest)
        else:
            self.manifest = bundle.save(path, self, self.manifest)

    def _predictions(self, rows: pd.DataFrame, strict: bool) -> pd.DataFrame:
        if not isinstance(rows, pd.DataFrame):
            raise UsageError("give the rows as a pandas DataFrame with the training columns")
        predicted, unreadable = self.predictions(rows, strict=strict)
        if unreadable:
            problem = self.schema.describe_unreadable(unreadable)
            warnings.warn(f"{problem}; they were read as missing", stacklevel=3)
        return predicted

    def _scores(self, X: pd.DataFrame) -> np.ndarray:
        with _threads_for(len(X)):
            scores = predict_scores(self.estimator, X, self.task, len(self.classes))
        if self.task == "regression":
            return scores
        return scores / scores.sum(axis=1, keepdims=True)

    def __getstate__(self) -> dict[str, Any]:
        """What the model file stores: plain values and the estimator (the manifest is
        stored beside it), so skops.io needs to trust only this class for it."""
        return {
            "estimator": self.estimator,
            "schema": self.schema.to_dict(),
            "task": self.task,
            "classes": self.classes,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(
            state["estimator"], Schema.from_dict(state["schema"]), state["task"], state["classes"]
        )


def _threads_for(n_rows: int) -> contextlib.AbstractContextManager:
    """One thread for a small batch: HistGradientBoosting opens an OpenMP parallel region per
    tree, and on a busy machine each waits for a descheduled thread; 1.2 s of a 1,000-row
    predict of a 10-member ensemble went there (benchmarks/results/predict_speed.md)."""
    if n_rows > ONE_THREAD_ROWS:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def load(path: str | Path) -> Model:
    """The model in a file written by `automl fit` (or `Model.save`), its manifest attached.

    Notes on library versions that differ from the ones it was written with are warnings.
    """
    model, notes = read(path)
    for note in notes:
        warnings.warn(note, stacklevel=2)
    return model


def read(path: str | Path) -> tuple[Model, list[str]]:
    """The model in the file at `path`, and notes on library versions that differ from the
    ones it was written with. A file of format 1 holds a bare pipeline: it is wrapped with
    the schema, task and classes of its manifest."""
    from automl_cli import bundle

    if bundle.read_manifest(path).get("kind") == "network":
        return _read_network(path)
    loaded = bundle.load(path)
    manifest = loaded.manifest
    schema = Schema.from_dict(manifest["schema"])  # what `automl info` shows must be right too
    if manifest["format_version"] == 1:
        stored = Model(loaded.model, schema, manifest["task"], manifest["classes"])
    elif isinstance(loaded.model, Model):
        stored = loaded.model
    else:
        raise BundleError(f"{path}: the model part is not a model; retrain with `automl fit`")
    described = (schema, manifest["task"], manifest["classes"])
    if (stored.schema, stored.task, stored.classes) != described:
        raise BundleError(
            f"{path}: the manifest describes another model than the one it holds (the file "
            "was altered); retrain with `automl fit`"
        )
    stored.manifest = manifest
    return stored, loaded.warnings


def _read_network(path: str | Path) -> tuple[Model, list[str]]:
    """A network of `automl nas`: torch is imported here, for such a file only."""
    from automl_cli import bundle

    loaded = bundle.load_parts(path)
    manifest = loaded.manifest
    try:
        from automl_cli.nas.estimator import NetworkEstimator
    except ImportError:
        raise BundleError(
            f'{path} holds a neural network, which needs PyTorch: pip install "automl-cli[nas]"'
        ) from None
    try:
        estimator = NetworkEstimator.from_parts(loaded.model)
    except ValueError as error:
        raise BundleError(f"{path}: {error}; retrain with `automl nas`") from None
    schema = Schema.from_dict(manifest["schema"])
    model = Model(estimator, schema, manifest["task"], manifest["classes"], manifest)
    return model, loaded.warnings
