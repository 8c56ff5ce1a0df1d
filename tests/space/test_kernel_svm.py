"""The matrix-product RBF decision values equal libsvm's, for every shape of SVM we fit."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.svm import SVC, SVR

from automl_cli.space import kernel_svm
from automl_cli.space.kernel_svm import RBFSVC, RBFSVR


@pytest.fixture
def rows():
    rng = np.random.default_rng(0)
    return rng.normal(size=(400, 6)), rng.normal(size=(1500, 6)), rng


@pytest.mark.parametrize("n_classes", [2, 3, 5])
@pytest.mark.parametrize("shape", ["ovr", "ovo"])
def test_classifier_decision_values_equal_libsvm(rows, n_classes, shape):
    X, X_new, rng = rows
    y = np.floor(3 * X[:, 0] + X[:, 1] + rng.normal(size=len(X))).astype(int) % n_classes
    options = {"C": 3.0, "gamma": 0.4, "decision_function_shape": shape}
    libsvm = SVC(**options).fit(X, y)
    blocked = RBFSVC(**options).fit(X, y)
    assert blocked.n_support_.tolist() == libsvm.n_support_.tolist()
    np.testing.assert_allclose(
        blocked.decision_function(X_new), libsvm.decision_function(X_new), rtol=0, atol=1e-10
    )


@pytest.mark.parametrize("offset", [1e6, 1.7e9])
def test_values_far_from_zero_keep_their_precision(rows, offset):
    """Unscaled columns (the space may leave the SVM's input unscaled): timestamps, say."""
    X, X_new, rng = rows
    X, X_new = offset + 1e3 * X, offset + 1e3 * X_new
    y = (X[:, 0] > offset).astype(int)
    libsvm = SVC(gamma=1e-6).fit(X, y)
    blocked = RBFSVC(gamma=1e-6).fit(X, y)
    np.testing.assert_allclose(
        blocked.decision_function(X_new), libsvm.decision_function(X_new), rtol=0, atol=1e-8
    )


def test_regressor_predictions_equal_libsvm(rows):
    X, X_new, rng = rows
    y = X[:, 0] - 2 * X[:, 2] ** 2 + rng.normal(size=len(X))
    libsvm = SVR(C=3.0, gamma=0.4, epsilon=0.05).fit(X, y)
    blocked = RBFSVR(C=3.0, gamma=0.4, epsilon=0.05).fit(X, y)
    np.testing.assert_allclose(blocked.predict(X_new), libsvm.predict(X_new), rtol=0, atol=1e-10)


def test_rows_are_summed_the_same_in_small_blocks(rows, monkeypatch):
    X, X_new, rng = rows
    y = (X[:, 0] > 0).astype(int)
    model = RBFSVC(gamma=0.4).fit(X, y)
    whole = model.decision_function(X_new)
    monkeypatch.setattr(kernel_svm, "BLOCK_ENTRIES", 7 * len(model.support_vectors_))
    np.testing.assert_allclose(model.decision_function(X_new), whole, rtol=0, atol=1e-12)


def test_rbf_models_take_the_matrix_path(rows, monkeypatch):
    X, X_new, rng = rows
    calls, original = [], kernel_svm.rbf_decision_values

    def counted(*args):
        calls.append(len(args[0]))
        return original(*args)

    monkeypatch.setattr(kernel_svm, "rbf_decision_values", counted)
    RBFSVC(gamma=0.4).fit(X, X[:, 0] > 0).decision_function(X_new)
    RBFSVR(gamma=0.4).fit(X, X[:, 0]).predict(X_new)
    assert calls == [len(X_new), len(X_new)]


def test_other_kernels_keep_libsvm(rows):
    X, X_new, rng = rows
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    libsvm = SVC(kernel="poly", degree=2).fit(X, y)
    blocked = RBFSVC(kernel="poly", degree=2).fit(X, y)
    np.testing.assert_array_equal(blocked.decision_function(X_new), libsvm.decision_function(X_new))
