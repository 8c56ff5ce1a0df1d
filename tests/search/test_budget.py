"""The budget arithmetic of a fit: the smallest fidelity, the time kept for the refit and the
finish, and when the search must stop. Pure arithmetic on a real evaluator; no clock is read."""

from __future__ import annotations

import math

import pytest

from automl_cli.data import load_training_data
from automl_cli.evaluate import Evaluator, TrialResult
from automl_cli.metrics import resolve_metric
from automl_cli.search.budget import (
    FINISH_SECONDS,
    MODEL_WRITE_BYTES_PER_SECOND,
    NO_RESULT_GRACE,
    REFIT_FLOOR_SECONDS,
    REFIT_RESERVE_CAP,
    REFIT_SAFETY,
    Finish,
    auto_min_budget,
    explanation_reserve,
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
    assert Finish(HARD_END).refit_end() == HARD_END - FINISH_SECONDS < HARD_END


def test_a_larger_model_to_write_ends_the_refit_earlier():
    finish = Finish(HARD_END)
    ends = [finish.refit_end(megabytes * 2**20) for megabytes in (0, 10, 300)]
    assert ends[0] > ends[1] > ends[2]
    assert ends[0] - ends[2] == pytest.approx(300 * 2**20 / MODEL_WRITE_BYTES_PER_SECOND)


@pytest.mark.parametrize("fit_seconds", [0.01, 2.0, 30.0])
def test_the_search_stops_early_enough_to_refit_the_best_and_finish(evaluator, fit_seconds):
    end = search_deadline(evaluator, HARD_END, 100.0, keep_for_refit=True)([trial(0, fit_seconds)])
    estimate = evaluator.refit_estimate(trial(0, fit_seconds))
    kept = refit_reserve(estimate, 100.0) + explanation_reserve(100.0)
    assert end == Finish(HARD_END).refit_end() - kept
    if estimate * REFIT_SAFETY < REFIT_RESERVE_CAP * 100.0:  # covered unless capped
        assert end + estimate * REFIT_SAFETY <= Finish(HARD_END).refit_end()


@pytest.mark.parametrize(
    ("n_train", "eta", "expected"),
    [
        (120, 3, 1.0),  # 120 / 3 = 40 rows: too few, no subsample at all
        (299, 3, 1.0),  # 99.7 rows at 1/3: still too few
        (300, 3, 1 / 3),  # exactly 100 rows at 1/3
        (900, 3, 1 / 9),  # 100 rows at 1/9
        (2700, 3, 1 / 27),  # 100 rows at 1/27
        (10**6, 3, 1 / 27),  # never deeper than 1/27, however many rows
        (455, 2, 1 / 4),  # 455 / 4 = 113.75 rows; 455 / 8 = 56.9 is too few
        (10**6, 2, 1 / 16),  # 1/32 would be deeper than 1/27
        (10**6, 4, 1 / 16),  # 1/64 would be deeper than 1/27
        (10**6, 27, 1 / 27),
        (10**6, 28, 1.0),  # one step of 28 already goes past 1/27
    ],
)
def test_auto_min_budget_is_the_deepest_power_of_eta_with_100_rows(n_train, eta, expected):
    budget = auto_min_budget(n_train, eta)
    assert budget == pytest.approx(expected, rel=1e-12)
    assert n_train * budget >= 100 or budget == 1.0


def test_refit_reserve_is_the_padded_estimate_between_its_floor_and_its_cap():
    # in between: estimate * REFIT_SAFETY + REFIT_FLOOR_SECONDS
    assert refit_reserve(4.0, 100.0) == pytest.approx(4.0 * 1.5 + 1.0)
    assert (REFIT_SAFETY, REFIT_FLOOR_SECONDS) == (1.5, 1.0)  # the numbers used above
    # a quick refit still keeps 5 % of the budget
    assert refit_reserve(0.0, 100.0) == pytest.approx(5.0)
    assert refit_reserve(0.1, 300.0) == pytest.approx(15.0)
    # a slow one never takes more than a third of it
    assert REFIT_RESERVE_CAP == 1 / 3
    assert refit_reserve(1000.0, 90.0) == pytest.approx(30.0)
    # the reserve grows with the estimate, never past the cap
    reserves = [refit_reserve(seconds, 60.0) for seconds in (0, 1, 2, 5, 10, 20, 40, 80)]
    assert reserves == sorted(reserves) and reserves[0] < reserves[-1] == pytest.approx(20.0)


def result(job_id: int, budget: float, loss: float, fit_seconds: float, status="ok") -> TrialResult:
    score = 1.0 - loss if math.isfinite(loss) else math.nan
    return TrialResult(job_id, {"algorithm": "knn"}, budget, loss, score, status, fit_seconds)


def test_the_search_stops_early_enough_to_refit_the_best_trial(evaluator):
    assert evaluator.n_train == 120 and len(evaluator.y) == 150
    hard_end, time_budget = 1000.0, 60.0
    search_end = search_deadline(evaluator, hard_end, time_budget, keep_for_refit=True)
    # the best trial is the one at the largest budget, not the lowest loss
    best = result(0, 1.0, 0.3, fit_seconds=8.0)
    cheaper = result(1, 1 / 3, 0.1, fit_seconds=0.1)
    # its refit: 8 s on 120 rows, so 10 s on 150; reserve 10 * 1.5 + 1 = 16 s, before the
    # FINISH_SECONDS kept for writing the model file
    assert FINISH_SECONDS == 1.0
    # and before that, 5 % of the budget (3 s) for the model's explanations
    refit_end = hard_end - FINISH_SECONDS - explanation_reserve(time_budget)
    assert explanation_reserve(time_budget) == pytest.approx(3.0)
    assert search_end([cheaper, best]) == pytest.approx(refit_end - 16.0)
    # a trial on a third of the rows (40) scales up by 150 / 40
    only_small = result(2, 1 / 3, 0.2, fit_seconds=2.0)
    assert search_end([only_small]) == pytest.approx(refit_end - (2.0 * 150 / 40 * 1.5 + 1.0))
    # failed trials are no candidate for the refit
    failed = result(3, 1.0, math.inf, fit_seconds=100.0, status="timeout")
    assert search_end([only_small, failed]) == search_end([only_small])


def test_without_a_result_the_search_waits_into_the_grace_period(evaluator):
    hard_end, time_budget = 1000.0, 60.0
    search_end = search_deadline(evaluator, hard_end, time_budget, keep_for_refit=True)
    expected = hard_end + NO_RESULT_GRACE * time_budget
    assert NO_RESULT_GRACE == 0.05 and expected == pytest.approx(1003.0)
    assert search_end([]) == pytest.approx(expected)
    assert search_end([result(0, 1.0, math.inf, 5.0, status="failed")]) == pytest.approx(expected)


def test_a_search_without_a_refit_keeps_no_reserve(evaluator):
    search_end = search_deadline(evaluator, 1000.0, 60.0, keep_for_refit=False)
    assert search_end([result(0, 1.0, 0.3, fit_seconds=8.0)]) == 1000.0
    assert search_end([]) == pytest.approx(1003.0)  # still the grace without any result
