"""scikit-learn estimators around `automl_cli.fit`, for Pipelines, clone and cross-validation.

`__init__` stores the options of `automl fit` unchanged, as scikit-learn requires of
`get_params` / `set_params` / `clone`; `fit(X, y)` runs the search on X (a DataFrame, or an
array whose columns are named x0, x1, ...) with y as one more column, and keeps the fitted
Model as `model_`. The classifier hands the search y's class codes with the task set, so
that any labels (numbers, text, booleans) come back as they were given, in `classes_` order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from automl_cli.search.options import DEFAULT_ENSEMBLE_SIZE, DEFAULT_TIME_BUDGET


class _AutoMLEstimator(BaseEstimator):
    """What the classifier and the regressor share: the options, X's columns, the fit."""

    def __init__(
        self,
        *,
        time_budget: float = DEFAULT_TIME_BUDGET,
        max_trials: int | None = None,
        optimizer: str = "bohb",
        seed: int = 0,
        n_jobs: int | None = None,
        metric: str | None = None,
        min_budget: float | None = None,
        eta: int = 3,
        trial_time_limit: float | None = None,
        trial_memory_limit: float | None = None,
        cluster: str | None = None,
        metabase: str | Path | None = None,
        warm_start: bool = True,
        early_stopping: bool = False,
        ensemble_size: int = DEFAULT_ENSEMBLE_SIZE,
    ) -> None:
        self.time_budget = time_budget
        self.max_trials = max_trials
        self.optimizer = optimizer
        self.seed = seed
        self.n_jobs = n_jobs
        self.metric = metric
        self.min_budget = min_budget
        self.eta = eta
        self.trial_time_limit = trial_time_limit
        self.trial_memory_limit = trial_memory_limit
        self.cluster = cluster
        self.metabase = metabase
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.ensemble_size = ensemble_size

    def _fit_model(self, X: Any, y: np.ndarray, task: str) -> None:
        from automl_cli.fitting import fit

        rows = self._rows(X, fitting=True)
        if len(y) != len(rows):
            raise ValueError(f"X has {len(rows)} rows but y has {len(y)}; give one y per row")
        target = _free_name("target", rows.columns)
        rows[target] = y
        self.model_ = fit(rows, target=target, task=task, **self.get_params())

    def _rows(self, X: Any, *, fitting: bool = False) -> pd.DataFrame:
        """X as a DataFrame of its own (the caller's X is left alone), its columns named."""
        if isinstance(X, pd.DataFrame):
            rows = X.reset_index(drop=True)
        else:
            values = np.asarray(X)
            if values.ndim != 2:
                raise ValueError(f"X must be 2-dimensional (rows, features); got {values.ndim}")
            names = getattr(self, "feature_names_in_", None)
            if fitting or names is None:
                names = [f"x{i}" for i in range(values.shape[1])]
            rows = pd.DataFrame(values, columns=list(names))
        if fitting:
            self.n_features_in_ = rows.shape[1]
            if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
                self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        elif rows.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {rows.shape[1]} features, but this estimator was fitted with "
                f"{self.n_features_in_}"
            )
        return rows

    def _predicted(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        return self.model_.predict(self._rows(X)).to_numpy()


class AutoMLClassifier(ClassifierMixin, _AutoMLEstimator):
    """The best classifier `automl fit` finds for X and y, within the options' budget."""

    def fit(self, X: Any, y: Any) -> AutoMLClassifier:
        self.classes_, codes = np.unique(np.asarray(y).ravel(), return_inverse=True)
        task = "binary" if len(self.classes_) == 2 else "multiclass"
        self._fit_model(X, codes, task)
        return self

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[self._predicted(X).astype(int)]

    def predict_proba(self, X: Any) -> np.ndarray:
        """One column per class, in `classes_` order."""
        check_is_fitted(self, "model_")
        return self.model_.predict_proba(self._rows(X)).to_numpy(dtype=float)


class AutoMLRegressor(RegressorMixin, _AutoMLEstimator):
    """The best regressor `automl fit` finds for X and y, within the options' budget."""

    def fit(self, X: Any, y: Any) -> AutoMLRegressor:
        self._fit_model(X, np.asarray(y, dtype=float).ravel(), "regression")
        return self

    def predict(self, X: Any) -> np.ndarray:
        return self._predicted(X).astype(float)


def _free_name(name: str, taken: pd.Index) -> str:
    """`name`, or `name_1`, `name_2`, ... : the first that is not a column already."""
    names, k = {str(c) for c in taken}, 0
    candidate = name
    while candidate in names:
        k += 1
        candidate = f"{name}_{k}"
    return candidate
