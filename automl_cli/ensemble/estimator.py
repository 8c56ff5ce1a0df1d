"""The fitted ensemble a model file holds: a plain estimator over the typed X, like a pipeline.

Weighted mean of its members' class probabilities (or predictions). It has what
`evaluate.predict_scores` needs: `predict`, `predict_proba` and `classes_`. A stacker (the
stacker's output on the members' log probabilities) is no longer built (ensemble/selection.py
says why), but model files written while it was still a candidate hold one, and still predict.
"""

from __future__ import annotations

import os
import threading
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

LOG_FLOOR = 1e-6  # probabilities are clipped here before the stacker takes their log
SIDE_BY_SIDE_ROWS = 10_000  # above this many rows, the members predict side by side
# BLAS's thread limit is the process's: one side-by-side prediction at a time sets and restores
# it, so that two callers in threads cannot restore each other's limit out of order
_BLAS_LIMIT = threading.Lock()


def stack_features(probabilities: list[np.ndarray]) -> np.ndarray:
    """The stacker's input: every member's log probabilities, side by side."""
    return np.hstack([np.log(np.clip(p, LOG_FLOOR, 1.0)) for p in probabilities])


class Ensemble:
    """Members (fitted pipelines over the same X) combined by weights or by a fitted stacker."""

    def __init__(
        self,
        members: list[Any],
        weights: list[float],
        task: str,
        n_classes: int,
        stacker: Any = None,
    ) -> None:
        self.members = list(members)
        self.weights = np.asarray(weights, dtype=float) / np.sum(weights)
        self.task = task
        self.n_classes = n_classes
        self.stacker = stacker
        if n_classes:
            self.classes_ = np.arange(n_classes)

    def member_scores(self, X: pd.DataFrame) -> list[np.ndarray]:
        """Each member's probabilities over all classes (or its predictions).

        On many rows the members run side by side in threads, with BLAS and OpenMP's default
        at one thread (members built with their own thread count, the boosters and forests,
        keep it): the libraries release the GIL, so members that use one core anyway (an SVM,
        a ColumnTransformer's encoders) no longer leave the others idle."""
        if len(X) <= SIDE_BY_SIDE_ROWS or len(self.members) < 2:
            return [self._member_score(member, X) for member in self.members]
        from concurrent.futures import ThreadPoolExecutor

        from threadpoolctl import threadpool_limits

        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        threads = max(1, min(len(self.members), cores or 1))
        # OpenMP's limit is each thread's own, so each worker thread sets it
        one_openmp_thread = partial(threadpool_limits, limits=1, user_api="openmp")
        with (
            _BLAS_LIMIT,
            threadpool_limits(limits=1, user_api="blas"),
            ThreadPoolExecutor(threads, initializer=one_openmp_thread) as pool,
        ):
            # a shallow copy each: pandas does not promise that concurrent reads are safe
            futures = [pool.submit(self._member_score, m, X.copy(deep=False)) for m in self.members]
            return [future.result() for future in futures]

    def _member_score(self, member: Any, X: pd.DataFrame) -> np.ndarray:
        if self.task == "regression":
            return np.asarray(member.predict(X), dtype=float)
        proba = np.zeros((len(X), self.n_classes))
        proba[:, np.asarray(member.classes_, dtype=int)] = member.predict_proba(X)
        return proba

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        scores = self.member_scores(X)
        if self.stacker is None:
            return sum(w * s for w, s in zip(self.weights, scores, strict=True))
        proba = np.zeros((len(X), self.n_classes))
        columns = np.asarray(self.stacker.classes_, dtype=int)
        proba[:, columns] = self.stacker.predict_proba(stack_features(scores))
        return proba

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        if self.task != "regression":
            return self.classes_[self.predict_proba(X).argmax(axis=1)]
        scores = self.member_scores(X)
        return sum(w * s for w, s in zip(self.weights, scores, strict=True))
