"""Members predicting side by side on many rows give exactly what they give one after another."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from threadpoolctl import threadpool_info

from automl_cli.ensemble import estimator
from automl_cli.ensemble.estimator import SIDE_BY_SIDE_ROWS, Ensemble


@pytest.fixture(scope="module")
def rows():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(SIDE_BY_SIDE_ROWS + 500, 4)), columns=list("abcd"))
    return X, rng


def _threads(api: str) -> int:
    return max(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == api)


class ThreadsSeen:
    """A member that notes the thread it ran on and its BLAS and OpenMP thread counts."""

    classes_ = np.array([0, 1])

    def __init__(self) -> None:
        self.seen: list[tuple[int, int, int]] = []

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        self.seen.append((threading.get_ident(), _threads("blas"), _threads("openmp")))
        return np.full((len(X), 2), 0.5)


def test_classifiers_side_by_side_equal_one_after_another(rows, monkeypatch):
    X, rng = rows
    y = np.digitize(X.a + X.b + rng.normal(size=len(X)), [-1, 1])
    members = [
        LogisticRegression().fit(X, y),
        HistGradientBoostingClassifier(max_iter=20).fit(X, y),
    ]
    ensemble = Ensemble(members, [1, 2], "multiclass", 3)
    side_by_side = ensemble.predict_proba(X)
    monkeypatch.setattr(estimator, "SIDE_BY_SIDE_ROWS", len(X) + 1)
    np.testing.assert_array_equal(ensemble.predict_proba(X), side_by_side)


def test_regressors_side_by_side_equal_one_after_another(rows, monkeypatch):
    X, rng = rows
    y = X.a - X.c + rng.normal(size=len(X))
    members = [Ridge().fit(X, y), RandomForestRegressor(n_estimators=5, random_state=0).fit(X, y)]
    ensemble = Ensemble(members, [1, 1], "regression", 0)
    side_by_side = ensemble.predict(X)
    monkeypatch.setattr(estimator, "SIDE_BY_SIDE_ROWS", len(X) + 1)
    np.testing.assert_array_equal(ensemble.predict(X), side_by_side)


def test_each_member_runs_on_one_thread_of_each_library_and_the_limits_come_back(rows):
    X, _ = rows
    import sklearn.ensemble  # noqa: F401  (loads the OpenMP runtime threadpoolctl reports)

    before = (_threads("blas"), _threads("openmp"))
    members = [ThreadsSeen(), ThreadsSeen()]
    Ensemble(members, [1, 1], "binary", 2).predict_proba(X)
    seen = [record for member in members for record in member.seen]
    assert [(blas, openmp) for _, blas, openmp in seen] == [(1, 1), (1, 1)]
    assert threading.get_ident() not in {ident for ident, _, _ in seen}
    assert (_threads("blas"), _threads("openmp")) == before


def test_few_rows_stay_on_the_calling_thread(rows):
    X, _ = rows
    members = [ThreadsSeen(), ThreadsSeen()]
    Ensemble(members, [1, 1], "binary", 2).predict_proba(X.iloc[:100])
    assert {ident for m in members for ident, _, _ in m.seen} == {threading.get_ident()}
