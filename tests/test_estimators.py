"""AutoMLClassifier / AutoMLRegressor with scikit-learn's own clone, Pipeline and
cross_val_score.

scikit-learn's `check_estimator` is not run: it makes 54 checks (51 for the regressor), most
of them fitting, many on data the search refuses by design (a class with one row, a constant
target, 1-row tables), and every fit here is a search of a few seconds; a passing run would
take minutes for little more than what these tests check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from automl_cli import AutoMLClassifier, AutoMLRegressor, Model
from tests.conftest import child_processes

QUICK = {"time_budget": 30, "max_trials": 3, "n_jobs": 1, "ensemble_size": 0}


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, np.array(["setosa", "versicolor", "virginica"])[y]


@pytest.fixture(scope="module")
def fitted(iris):
    X, labels = iris
    before = child_processes()
    estimator = AutoMLClassifier(**QUICK).fit(X, labels)
    assert child_processes() <= before  # its trial processes ended with the fit
    return estimator


def test_clone_and_params_keep_the_options_unchanged():
    estimator = AutoMLClassifier(time_budget=12.5, optimizer="random", metabase="base.db")
    copy = clone(estimator)
    assert copy is not estimator
    assert copy.get_params() == estimator.get_params()
    assert copy.get_params()["metabase"] == "base.db"
    copy.set_params(max_trials=4, warm_start=False)
    assert (copy.max_trials, copy.warm_start, estimator.max_trials) == (4, False, None)
    assert not hasattr(copy, "model_")


def test_the_classifier_predicts_its_labels_in_classes_order(iris, fitted):
    X, labels = iris
    assert list(fitted.classes_) == ["setosa", "versicolor", "virginica"]
    assert isinstance(fitted.model_, Model)
    assert fitted.n_features_in_ == 4
    assert not hasattr(fitted, "feature_names_in_")  # arrays have no column names
    proba = fitted.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    predicted = fitted.predict(X)
    assert (fitted.classes_[proba.argmax(axis=1)] == predicted).all()
    assert fitted.score(X, labels) == np.mean(predicted == labels) > 0.9
    with pytest.raises(ValueError, match="X has 3 features"):
        fitted.predict(X[:, :3])


def test_the_classifier_works_inside_a_pipeline(iris, fitted):
    X, labels = iris
    pipeline = make_pipeline(StandardScaler(), clone(fitted)).fit(X, labels)
    assert pipeline.score(X, labels) > 0.9
    assert pipeline.predict_proba(X[:5]).shape == (5, 3)


def test_cross_val_score_fits_a_clone_per_fold(iris):
    X, labels = iris
    scores = cross_val_score(AutoMLClassifier(**QUICK), X, labels, cv=2)
    assert scores.shape == (2,)
    assert (scores > 0.8).all()


def test_the_regressor_takes_a_dataframe_and_keeps_its_column_names():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    untouched = X.copy()
    regressor = AutoMLRegressor(**QUICK).fit(X, y)
    assert X.equals(untouched)
    assert list(regressor.feature_names_in_) == list(X.columns)
    predicted = regressor.predict(X.head(10))
    assert predicted.dtype == float and predicted.shape == (10,)
    assert regressor.score(X, y) > 0.3  # R2 on its training rows
    assert regressor.model_.manifest["task"] == "regression"
    frame_rows = pd.DataFrame(X.to_numpy()[:10], columns=X.columns)
    np.testing.assert_allclose(regressor.predict(X.to_numpy()[:10]), predicted)
    np.testing.assert_allclose(regressor.predict(frame_rows), predicted)
