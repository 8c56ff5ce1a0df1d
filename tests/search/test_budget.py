"""The time budget's arithmetic: the search leaves room for the refit and the finish."""

from __future__ import annotations

import math

import pytest

from automl_cli.data import load_training_data
from automl_cli.evaluate import Evaluator, TrialResult
from automl_cli.metrics import resolve_metric
from automl_cli.search.budget import (
    FINISH_SECONDS,
    NO_RESULT_GRACE,
    REFIT_RESERVE_CAP,
    REFIT_SAFETY,
    refit_deadline,
    refit_reserve,
    search_deadline,
)
from tests.conftest import DATASETS

HARD_END = 1000.0


@pytest.fixture(scope="module")
def evaluator():
    dataset = load_training_data(DATASETS / "iris.csv", "species", "multiclass")
    return Evaluator(dataset, resolve_metric(None, dataset.task), seed=0)


def trial(job_id: int, fit_seconds: float, status: str = "ok") -> TrialResult:
    loss = 0.1 if status == "ok" else math.inf
    return TrialResult(job_id, {"algorithm": "lightgbm"}, 1.0, loss, 0.9, status, fit_seconds)


def test_the_refit_ends_before_the_budget_by_the_finish_margin():
    assert refit_deadline(HARD_END) == HARD_END - FINISH_SECONDS < HARD_END


@pytest.mark.parametrize("fit_seconds", [0.01, 2.0, 30.0])
def test_the_search_stops_early_enough_to_refit_the_best_and_finish(evaluator, fit_seconds):
    end = search_deadline(evaluator, HARD_END, 100.0, keep_for_refit=True)([trial(0, fit_seconds)])
    estimate = evaluator.refit_estimate(trial(0, fit_seconds))
    assert end == refit_deadline(HARD_END) - refit_reserve(estimate, 100.0)
    if estimate * REFIT_SAFETY < REFIT_RESERVE_CAP * 100.0:  # covered unless capped
        assert end + estimate * REFIT_SAFETY <= refit_deadline(HARD_END)


def test_the_reserve_grows_with_the_estimate_within_its_bounds():
    assert refit_reserve(0.0, 100.0) == 5.0  # 5 % of the budget at least
    assert refit_reserve(10.0, 100.0) == 10.0 * REFIT_SAFETY + 1.0
    assert refit_reserve(1000.0, 100.0) == REFIT_RESERVE_CAP * 100.0  # a third at most


def test_without_a_success_the_search_may_run_into_the_grace(evaluator):
    deadline = search_deadline(evaluator, HARD_END, 100.0, keep_for_refit=True)
    assert deadline([]) == deadline([trial(0, 1.0, "failed")]) == HARD_END + NO_RESULT_GRACE * 100
    searching_only = search_deadline(evaluator, HARD_END, 100.0, keep_for_refit=False)
    assert searching_only([trial(0, 1.0)]) == HARD_END
