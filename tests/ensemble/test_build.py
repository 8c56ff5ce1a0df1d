"""The ensemble of a finished search on real trials: its members refitted on all rows within
the time left and written in time (dropped, and the weights renormalized, when it is short),
and the search's reserve for those refits."""

from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import pytest

from automl_cli.bundle import serialized_bytes
from automl_cli.data import load_training_data
from automl_cli.ensemble.build import fit_ensemble
from automl_cli.ensemble.estimator import Ensemble
from automl_cli.evaluate import Evaluator, predict_scores
from automl_cli.execute import InProcessExecutor
from automl_cli.metrics import resolve_metric
from automl_cli.model import Model
from automl_cli.search.budget import (
    ENSEMBLE_PLANNED_MEMBERS,
    ENSEMBLE_SELECTION_SECONDS,
    FINISH_SECONDS,
    Finish,
    explanation_reserve,
    refit_reserve,
    search_deadline,
)
from automl_cli.search.loop import rank_trials
from automl_cli.space import default_configs, space_for
from tests.conftest import DATASETS

ALGORITHMS = ("linear", "lightgbm", "extra_trees")


@pytest.fixture(scope="module")
def searched():
    """An evaluator on real data and one real full-budget trial of each of ALGORITHMS."""
    dataset = load_training_data(DATASETS / "breast_cancer.csv", "diagnosis", "auto")
    evaluator = Evaluator(
        dataset, resolve_metric(None, dataset.task), seed=0, keep_predictions=True
    )
    configs = {c["algorithm"]: c for c in default_configs(space_for(dataset))}
    trials = [evaluator.evaluate(i, configs[a], 1.0) for i, a in enumerate(ALGORITHMS)]
    assert all(t.ok and t.predictions is not None for t in trials)
    return evaluator, rank_trials(trials)


def complementary(evaluator, ranked):
    """Predictions for the real trials that make the best two an ensemble: each is sure and
    right on its own half of the validation rows, unsure on the other; the third knows nothing.
    """
    y = evaluator.y[evaluator.validation_rows]
    sure = np.where(y == 1, 0.9, 0.1)
    first_half = np.arange(len(y)) % 2 == 0
    columns = [
        np.where(first_half, sure, 0.5),
        np.where(first_half, 0.5, sure),
        np.full(len(y), 0.5),
    ]
    by_id = {t.job_id: np.column_stack([1 - p, p]) for t, p in zip(ranked, columns, strict=True)}
    return lambda trials: {t.job_id: by_id[t.job_id] for t in trials}


def build(evaluator, ranked, predictions, seconds_left, notices, write_bytes_per_second=None):
    """The ensemble, with `seconds_left` for the refits before the model must be written."""
    finish = Finish(time.monotonic() + seconds_left + FINISH_SECONDS)
    if write_bytes_per_second is not None:
        finish = Finish(finish.hard_end, write_bytes_per_second)
    return fit_ensemble(
        InProcessExecutor(evaluator),
        evaluator,
        ranked,
        predictions,
        size=10,
        finish=finish,
        n_threads=1,
        on_notice=notices.append,
    )


def test_the_members_are_refitted_on_all_rows_and_predict(searched):
    evaluator, ranked = searched
    notices = []
    fitted = build(evaluator, ranked, complementary(evaluator, ranked), 600, notices)
    assert isinstance(fitted.model, Ensemble) and notices == []
    record = fitted.record
    assert record["kind"] == "ensemble"
    assert [m["job_id"] for m in record["members"]] == [ranked[0].job_id, ranked[1].job_id]
    assert sum(m["weight"] for m in record["members"]) == pytest.approx(1.0)
    assert record["validation_score"] > record["single_validation_score"]
    json.dumps(record)  # goes into the manifest as it is
    proba = predict_scores(fitted.model, evaluator.X, "binary", 2)
    assert proba.shape == (len(evaluator.y), 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert np.mean(proba.argmax(axis=1) == evaluator.y) > 0.9


def test_a_member_that_cannot_be_refitted_in_time_is_dropped_and_weights_renormalized(searched):
    evaluator, ranked = searched
    slow = dataclasses.replace(ranked[1], fit_seconds=1e6)  # its refit would take forever
    notices = []
    fitted = build(
        evaluator, [ranked[0], slow, ranked[2]], complementary(evaluator, ranked), 600, notices
    )
    assert [m["job_id"] for m in fitted.record["members"]] == [ranked[0].job_id]
    assert fitted.record["members"][0]["weight"] == 1.0
    assert fitted.model.weights.tolist() == [1.0]
    assert any("no time to refit" in n and f"trial {slow.job_id}" in n for n in notices)


def test_a_member_too_large_to_write_in_time_is_dropped(searched):
    """Of the best two (linear, 5 kB, and LightGBM, 400 kB), at a write speed that needs 900 s
    for both, the one that leaves no time to write itself goes, whichever comes first."""
    evaluator, ranked = searched
    executor = InProcessExecutor(evaluator)
    sizes = {t.job_id: serialized_bytes(executor.refit(t.config, 600)) for t in ranked[:2]}
    small, large = sorted(ranked[:2], key=lambda t: sizes[t.job_id])
    assert sizes[large.job_id] > 2 * sizes[small.job_id]  # so: small in 300 s, both past 600 s
    notices = []
    fitted = build(
        evaluator,
        ranked,
        complementary(evaluator, ranked),
        600,
        notices,
        write_bytes_per_second=sum(sizes.values()) / 900,
    )
    assert [m["job_id"] for m in fitted.record["members"]] == [small.job_id]
    assert fitted.model.weights.tolist() == [1.0]
    dropped = f"member trial {large.job_id} ({large.algorithm}) dropped: no time to write its"
    assert any(n.startswith(dropped) for n in notices)


def test_no_time_left_ships_the_best_single_model(searched):
    evaluator, ranked = searched
    notices = []
    fitted = build(evaluator, ranked, complementary(evaluator, ranked), -1, notices)
    assert fitted.model is None and fitted.record["members"] == []
    assert any("best single model" in n for n in notices)


def test_real_predictions_of_one_trial_give_no_ensemble(searched):
    evaluator, ranked = searched
    fitted = build(evaluator, ranked[:1], lambda trials: {}, 600, [])
    assert fitted.model is None and fitted.record["kind"] == "single"


def test_the_search_keeps_time_for_the_members_refits(searched):
    evaluator, ranked = searched
    trials = [
        dataclasses.replace(t, job_id=i, fit_seconds=0.5 + i) for i, t in enumerate(ranked * 3)
    ]
    hard_end, budget = 1000.0, 600.0
    single = search_deadline(evaluator, hard_end, budget, keep_for_refit=True)(trials)
    end = search_deadline(evaluator, hard_end, budget, keep_for_refit=True, ensemble=True)(trials)
    best = rank_trials(trials)[:ENSEMBLE_PLANNED_MEMBERS]
    estimate = sum(evaluator.refit_estimate(t) for t in best) + ENSEMBLE_SELECTION_SECONDS
    kept = refit_reserve(estimate, budget) + explanation_reserve(budget)
    assert end == Finish(hard_end).refit_end() - kept < single


def test_a_stacked_ensemble_of_an_older_file_survives_the_model_file(searched, tmp_path):
    """Files written while stacking was a candidate hold a stacker: they still predict."""
    from sklearn.linear_model import LogisticRegression

    from automl_cli import bundle
    from automl_cli.ensemble.estimator import stack_features

    evaluator, ranked = searched
    executor = InProcessExecutor(evaluator)
    members = [executor.refit(t.config, 600) for t in ranked[:2]]
    plain = Ensemble(members, [1, 1], "binary", 2)
    stacker = LogisticRegression().fit(
        stack_features(plain.member_scores(evaluator.X)), evaluator.y
    )
    stacked = Ensemble(members, [1, 1], "binary", 2, stacker=stacker)
    dataset = load_training_data(DATASETS / "breast_cancer.csv", "diagnosis", "auto")
    keys = {k: None for k in bundle.MANIFEST_KEYS if k not in ("model_sha256", "libraries")}
    manifest = keys | {"task": "binary", "schema": dataset.schema.to_dict()}
    manifest["classes"] = list(dataset.classes)
    Model(stacked, dataset.schema, "binary", dataset.classes, manifest).save(tmp_path / "m.automl")
    loaded = bundle.load(tmp_path / "m.automl").model.estimator
    expected = predict_scores(stacked, evaluator.X, "binary", 2)
    assert np.array_equal(predict_scores(loaded, evaluator.X, "binary", 2), expected)
    assert not np.allclose(expected, predict_scores(plain, evaluator.X, "binary", 2))
