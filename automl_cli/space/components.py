"""Two small transformers the scikit-learn toolbox lacks for our categorical columns.

Both are plain estimators (parameters in __init__, learned state in attributes ending in "_"),
so skops.io can store them; their type names are in TRUSTED_TYPES.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

MISSING_LEVEL = "__missing__"


class CategoricalImputer(TransformerMixin, BaseEstimator):
    """Fill missing categorical values with the most frequent level or a "missing" level.

    Unlike SimpleImputer, a column that is empty at fit time (possible on a small budget) is
    filled with the missing level rather than the number 0, so the output is always strings
    and the encoders never see mixed types. Values are returned as str in an object array,
    whatever the input dtype (object or pandas' string dtype).
    """

    def __init__(self, strategy: str = "most_frequent") -> None:
        self.strategy = strategy

    def fit(self, X: Any, y: Any = None) -> CategoricalImputer:
        if self.strategy not in ("most_frequent", "missing_level"):
            raise ValueError(f"unknown strategy {self.strategy!r}")
        frame = _as_frame(X)
        self.n_features_in_ = frame.shape[1]
        self.fill_ = [self._fill(frame.iloc[:, j]) for j in range(frame.shape[1])]
        return self

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "fill_")
        frame = _as_frame(X)
        if frame.shape[1] != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} columns, got {frame.shape[1]}")
        out = np.empty(frame.shape, dtype=object)
        for j, fill in enumerate(self.fill_):
            column = frame.iloc[:, j]
            filled = column.astype(object).where(column.notna(), fill)
            out[:, j] = filled.astype(str).to_numpy(dtype=object)
        return out

    def _fill(self, column: pd.Series) -> str:
        present = column.dropna()
        if self.strategy == "missing_level" or present.empty:
            return MISSING_LEVEL
        counts = present.astype(str).value_counts()
        # Ties go to the alphabetically first level, so the result never depends on row order.
        return min(counts.index[counts == counts.max()])


class CategoryFrame(TransformerMixin, BaseEstimator):
    """Integer-coded columns -> pandas category dtype, so boosters split on them natively.

    Input: a float array whose `categorical` columns hold codes 0..k-1 from an OrdinalEncoder
    (NaN for unknown). Output: a DataFrame with neutral column names (LightGBM rejects some
    characters in feature names) whose categorical columns have the categories 0..k-1 learned
    at fit, so LightGBM, XGBoost and HistGradientBoosting read them as categories and a code
    outside the training range becomes missing.
    """

    def __init__(self, categorical: Sequence[int] = ()) -> None:
        self.categorical = categorical

    def fit(self, X: Any, y: Any = None) -> CategoryFrame:
        X = np.asarray(X, dtype=float)
        self.n_features_in_ = X.shape[1]
        self.n_levels_ = []
        for j in self.categorical:
            codes = X[:, j][~np.isnan(X[:, j])]
            self.n_levels_.append(int(codes.max()) + 1 if codes.size else 1)
        return self

    def transform(self, X: Any) -> pd.DataFrame:
        check_is_fitted(self, "n_levels_")
        X = np.asarray(X, dtype=float)
        frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
        for j, n_levels in zip(self.categorical, self.n_levels_, strict=True):
            codes = X[:, j]
            known = (codes >= 0) & (codes < n_levels)  # False for NaN as well
            frame[f"f{j}"] = pd.Categorical.from_codes(
                np.where(known, codes, -1).astype(np.int64), categories=range(n_levels)
            )
        return frame


def _as_frame(X: Any) -> pd.DataFrame:
    return X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X, dtype=object))
