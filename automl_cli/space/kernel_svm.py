"""SVC and SVR whose RBF decision values are computed as matrix products, in blocks of rows.

libsvm evaluates the kernel one row and one support vector at a time, on one thread: in a
10-member ensemble's predict of 100,000 rows, its calibrated SVM took 13 of the 24 seconds
(benchmarks/results/predict_speed.md). The same sums written as BLAS products give libsvm's
values to float64 rounding, many times faster. Fitting stays libsvm's; only the dense RBF
decision values are replaced, so every other kernel and sparse input take libsvm's path.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
from sklearn.svm import SVC, SVR

BLOCK_ENTRIES = 1 << 22  # kernel entries per block of rows: 32 MB of float64


def rbf_decision_values(
    X: np.ndarray, vectors: np.ndarray, gamma: float, coefs: np.ndarray, intercepts: np.ndarray
) -> np.ndarray:
    """exp(-gamma |x - v|^2) summed over the support vectors v with `coefs` (n_vectors, m),
    plus `intercepts` (m,): the (n_rows, m) decision values."""
    # |x - v|^2 = |x|^2 + |v|^2 - 2 x.v cancels badly when the norms dwarf the distance (raw
    # values far from zero, e.g. timestamps): both sides are centred on the vectors' mean first
    centre = vectors.mean(axis=0)
    X = np.asarray(X, dtype=np.float64) - centre
    vectors = vectors - centre
    vector_norms = np.einsum("ij,ij->i", vectors, vectors)
    rows = max(1, BLOCK_ENTRIES // max(len(vectors), 1))
    values = np.empty((len(X), coefs.shape[1]))
    for start in range(0, len(X), rows):
        block = X[start : start + rows]
        kernel = block @ vectors.T
        kernel *= -2.0
        kernel += np.einsum("ij,ij->i", block, block)[:, None]
        kernel += vector_norms
        np.maximum(kernel, 0.0, out=kernel)  # rounding can take a tiny distance below zero
        kernel *= -gamma
        np.exp(kernel, out=kernel)
        values[start : start + rows] = kernel @ coefs
    return values + intercepts


def _one_vs_one_coefs(dual_coef: np.ndarray, n_support: np.ndarray) -> np.ndarray:
    """libsvm's (n_classes - 1, n_vectors) dual coefficients as one column per class pair
    (0, 1), (0, 2), ..., (1, 2), ...: the vectors of class i weigh in with row j - 1 and
    those of class j with row i, as libsvm's own prediction reads them."""
    starts = np.concatenate([[0], np.cumsum(n_support)])
    pairs = list(combinations(range(len(n_support)), 2))
    coefs = np.zeros((dual_coef.shape[1], len(pairs)))
    for p, (i, j) in enumerate(pairs):
        coefs[starts[i] : starts[i + 1], p] = dual_coef[j - 1, starts[i] : starts[i + 1]]
        coefs[starts[j] : starts[j + 1], p] = dual_coef[i, starts[j] : starts[j + 1]]
    return coefs


class RBFSVC(SVC):
    """scikit-learn's SVC, its dense RBF decision values computed by `rbf_decision_values`."""

    def _dense_decision_function(self, X: np.ndarray) -> np.ndarray:
        if self.kernel != "rbf":
            return super()._dense_decision_function(X)
        coefs = _one_vs_one_coefs(self._dual_coef_, self._n_support)
        return rbf_decision_values(X, self.support_vectors_, self._gamma, coefs, self._intercept_)


class RBFSVR(SVR):
    """scikit-learn's SVR, its dense RBF predictions computed by `rbf_decision_values`."""

    def _dense_predict(self, X: np.ndarray) -> np.ndarray:
        if self.kernel != "rbf":
            return super()._dense_predict(X)
        values = rbf_decision_values(
            X, self.support_vectors_, self._gamma, self._dual_coef_.T, self._intercept_
        )
        return values.ravel()
