"""A surrogate of the CASH space per knowledge-base task, fitted on its stored evaluations.

The shipped knowledge base holds hundreds of evaluations per task (config, budget, loss) from
`automl meta add`'s searches. Per task, one LightGBM regressor maps the shared
`SpaceEncoding` features of a config plus its log budget to its loss, so a move inside an
algorithm (a hyperparameter change) changes the answer, which a nearest-neighbour table of a
dozen configs per algorithm could not do (benchmarks/results/optimizers_real.md).

Losses are normalized per task and budget before fitting: 0 = the best stored loss at that
budget, 1 = the median one, clipped to [-1, 3] so a few diverged log losses do not decide the
fit. Per budget, because on the smallest budgets most losses lie beyond 3 full-budget spreads
(phoneme at 1/27: all of them), so a full-budget scale would clip them all alike and leave the
low rungs nothing to rank. Optimizers compare losses only within a budget, and the score of
an incumbent is its full-budget answer, so nothing compares across budgets. Failed or
timed-out evaluations are left out (the surrogate never fails).

Trust: `held_out` gives 5-fold out-of-fold rank correlations (Spearman) at the full budget,
over all configs and inside each algorithm.
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
METABASE = ROOT / "metabase" / "metabase.sqlite"
MIN_PER_BUDGET = 50  # ok evaluations a task needs at every budget to be benchmarked
MIN_BUDGETS = 3  # a Hyperband schedule with fewer rungs hardly differs from random search
CLIP = (-1.0, 3.0)
LGBM = {
    "n_estimators": 300,
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_child_samples": 5,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "verbose": -1,
    "n_jobs": 1,
}


@dataclass
class TaskData:
    """One stored task: what builds its space, and its successful evaluations."""

    name: str
    task_type: str
    n_rows: int
    n_features: int
    n_categorical: int
    meta_features: dict[str, float]
    fingerprint: str
    configs: list[dict[str, Any]] = field(default_factory=list)
    budgets: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)

    def space(self):
        from automl_cli.space import build_space

        return build_space(self.task_type, self.n_rows, self.n_features, self.n_categorical)

    def counts(self) -> dict[float, int]:
        values, counts = np.unique(np.round(self.budgets, 9), return_counts=True)
        return dict(zip(values.tolist(), counts.tolist(), strict=True))

    def eligible(self) -> bool:
        """Enough evaluations at each of at least MIN_BUDGETS budgets, and not solved outright."""
        counts = self.counts()
        full = np.array(self.losses)[np.isclose(self.budgets, 1.0)]
        return (
            len(counts) >= MIN_BUDGETS
            and min(counts.values()) >= MIN_PER_BUDGET
            and full.size > 0
            and float(full.min()) > 0
        )


def load_tasks(path: Path = METABASE) -> list[TaskData]:
    """Every task of the base with its successful evaluations in this space version."""
    from automl_cli.space import SPACE_VERSION

    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tasks = {}
        for row in db.execute(
            "select id, name, task_type, n_rows, n_features, meta_features, fingerprint "
            "from tasks order by name"
        ):
            features = {k: math.nan if v is None else v for k, v in json.loads(row[5]).items()}
            categorical = int(features.get("categorical_features") or 0)
            tasks[row[0]] = TaskData(row[1], row[2], row[3], row[4], categorical, features, row[6])
        for task_id, config, budget, loss in db.execute(
            "select task_id, config, budget, loss from evaluations "
            "where status = 'ok' and loss is not null and space_version = ?",
            (SPACE_VERSION,),
        ):
            if math.isfinite(loss):
                task = tasks[task_id]
                task.configs.append(json.loads(config))
                task.budgets.append(float(budget))
                task.losses.append(float(loss))
    return list(tasks.values())


class Surrogate:
    """Normalized loss of (config, budget) on one task, answered in batches."""

    def __init__(self, task: TaskData, space) -> None:
        from automl_cli.optimize.base import is_valid
        from automl_cli.optimize.encoding import SpaceEncoding

        self.task = task
        self.encoding = SpaceEncoding(space)
        keep = [i for i, c in enumerate(task.configs) if is_valid(c, space)]
        self.n_dropped = len(task.configs) - len(keep)
        self.budgets = np.array(task.budgets)[keep]
        self.min_budget = float(self.budgets.min())
        losses = np.array(task.losses)[keep]
        best, scale = np.empty(len(losses)), np.empty(len(losses))
        for budget in np.unique(self.budgets):
            at = self.budgets == budget
            low, median = losses[at].min(), np.median(losses[at])
            best[at], scale[at] = low, median - low if median > low else 1.0
        self.target = np.clip((losses - best) / scale, *CLIP)
        self.configs = [task.configs[i] for i in keep]
        self.X = self._features(self.configs, self.budgets)
        self.algorithms = np.array([c["algorithm"] for c in self.configs])
        self.model = self._fit(self.X, self.target)

    def _features(self, configs: list[dict[str, Any]], budgets: np.ndarray) -> np.ndarray:
        encoded = self.encoding.features(self.encoding.encode(configs))
        return np.hstack([encoded, np.log(np.asarray(budgets, dtype=float))[:, None]])

    @staticmethod
    def _fit(X: np.ndarray, y: np.ndarray):
        from lightgbm import LGBMRegressor

        return LGBMRegressor(random_state=0, **LGBM).fit(X, y)

    def predict(self, configs: list[dict[str, Any]], budgets: list[float]) -> np.ndarray:
        """Normalized losses of the configs at their budgets, one model call."""
        if not configs:
            return np.zeros(0)
        return self.model.predict(self._features(configs, np.array(budgets)))

    def held_out(self, folds: int = 5) -> dict[str, float]:
        """Out-of-fold Spearman correlations at the full budget: over all configs, and the
        mean inside algorithms with at least 8 full-budget evaluations."""
        from scipy.stats import spearmanr

        rng = np.random.default_rng(0)
        fold = rng.integers(folds, size=len(self.target))
        predicted = np.empty(len(self.target))
        for k in range(folds):
            test = fold == k
            predicted[test] = self._fit(self.X[~test], self.target[~test]).predict(self.X[test])
        full = np.isclose(self.budgets, 1.0)
        overall = spearmanr(predicted[full], self.target[full]).statistic
        inside = []
        for algorithm in np.unique(self.algorithms[full]):
            mask = full & (self.algorithms == algorithm)
            if mask.sum() >= 8 and np.ptp(self.target[mask]) > 0:
                inside.append(spearmanr(predicted[mask], self.target[mask]).statistic)
        low = np.isclose(self.budgets, self.min_budget)
        return {
            "full": float(overall),
            "within": float(np.mean(inside)) if inside else math.nan,
            "n_algorithms": len(inside),
            "lowest": float(spearmanr(predicted[low], self.target[low]).statistic),
        }
