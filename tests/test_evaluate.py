"""The validation split and the nested, stratified budget subsamples (contract 4)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl_cli.api import _refit_best
from automl_cli.data import load_training_data
from automl_cli.evaluate import (
    CV_BELOW_ROWS,
    CV_FOLDS,
    CV_REPEATS,
    Evaluator,
    TrialResult,
    make_splits,
    nested_order,
    predict_scores,
)
from automl_cli.execute.inprocess import InProcessExecutor
from automl_cli.metrics import resolve_metric
from automl_cli.model import PROBABILITY_FLOOR
from automl_cli.search.budget import QUICK_REFIT_SECONDS
from automl_cli.space import build_space, default_configs, trial_parts
from automl_cli.space.learners import FOREST_PARTS, FOREST_PARTS_FROM_ROWS, FOREST_TREES


def imbalanced_labels(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.choice(3, size=n, p=[0.7, 0.25, 0.05])


def test_every_prefix_of_the_nested_order_holds_every_class_in_proportion():
    y = imbalanced_labels(3000)
    order = nested_order(y, stratified=True, rng=np.random.default_rng(1))
    assert sorted(order) == list(range(len(y)))
    assert set(y[order[:3]]) == {0, 1, 2}
    for size in (100, 300, 1000):
        shares = np.bincount(y[order[:size]], minlength=3) / size
        assert np.allclose(shares, np.bincount(y) / len(y), atol=0.02)


def test_budgets_are_nested_and_scored_on_the_same_validation_rows():
    y = imbalanced_labels(2500)
    (split,) = make_splits(y, "multiclass", seed=3)
    small, medium, full = (set(split.train_rows(b)) for b in (1 / 27, 1 / 9, 1.0))
    assert small < medium < full
    assert len(full) == len(split.train)
    assert not full & set(split.valid)
    assert len(split.train) + len(split.valid) == len(y)


def test_small_data_is_cross_validated_with_each_row_scored_once_per_repeat():
    y = imbalanced_labels(CV_BELOW_ROWS - 1)
    splits = make_splits(y, "multiclass", seed=0)
    assert len(splits) == CV_FOLDS * CV_REPEATS
    for repeat in range(CV_REPEATS):
        scored = np.concatenate([s.valid for s in splits if s.repeat == repeat])
        assert sorted(scored) == list(range(len(y)))
    for split in splits:
        assert not set(split.train) & set(split.valid)
        # stratified folds: the rare class appears in every fold
        assert 2 in set(y[split.valid])
    # each repeat deals the rows to fresh folds
    first_folds = {tuple(sorted(s.valid)) for s in splits if s.repeat == 0}
    assert not first_folds & {tuple(sorted(s.valid)) for s in splits if s.repeat == 1}


def test_a_repeated_score_is_the_mean_of_the_repeats_and_kept_predictions_their_row_mean():
    dataset = load_training_data(DATASETS / "breast_cancer.csv", "diagnosis", "binary")
    metric = resolve_metric(None, "binary")
    evaluator = Evaluator(dataset, metric, seed=0, keep_predictions=True)
    assert evaluator.validation == f"{CV_FOLDS}-fold cross-validation, repeated {CV_REPEATS} times"
    assert sorted(evaluator.validation_rows) == list(range(len(dataset.y)))
    config = portfolio_config(evaluator, "linear")
    trial = evaluator.evaluate(0, config, 1.0)
    per_repeat = np.zeros((CV_REPEATS, len(dataset.y), 2))
    for split in evaluator.splits:
        model = evaluator.fit_rows(evaluator.pipeline(config), split.train)
        per_repeat[split.repeat, split.valid] = predict_scores(
            model, dataset.X.iloc[split.valid], "binary", 2
        )
    scores = [metric.score(dataset.y, predicted) for predicted in per_repeat]
    assert len(set(np.round(scores, 6))) == CV_REPEATS  # the repeats do differ
    assert trial.score == pytest.approx(np.mean(scores))
    kept = per_repeat.mean(axis=0)[evaluator.validation_rows]
    np.testing.assert_allclose(trial.predictions, kept, atol=1e-6)


def test_large_data_gets_one_holdout_capped_in_size():
    y = np.random.default_rng(0).normal(size=80_000)
    (split,) = make_splits(y, "regression", seed=0)
    assert len(split.valid) == 10_000


@pytest.mark.parametrize("seed", [0, 1])
def test_splits_depend_only_on_the_seed(seed):
    y = imbalanced_labels(1500)
    first, second = make_splits(y, "binary", seed), make_splits(y, "binary", seed)
    other = make_splits(y, "binary", seed + 10)
    assert np.array_equal(first[0].train, second[0].train)
    assert not np.array_equal(first[0].train, other[0].train)


DATASETS = Path(__file__).resolve().parent.parent / "datasets"


def portfolio_config(evaluator: Evaluator, algorithm: str, **values) -> dict:
    """The default portfolio's config for `algorithm` on this data, with `values` changed."""
    n_rows, n_features = evaluator.X.shape
    space = build_space(evaluator.task, n_rows, n_features, len(evaluator.categorical))
    config = next(c for c in default_configs(space) if c["algorithm"] == algorithm)
    return {**config, **{k.replace("__", ":"): v for k, v in values.items()}}


def noisy_csv(folder: Path, rows: int, task: str) -> Path:
    """A table of numbers whose target is a noisy function of them (labels for "binary")."""
    rng = np.random.default_rng(0)
    frame = {f"x{j}": rng.normal(size=rows).round(4) for j in range(6)}
    signal = frame["x0"] - frame["x1"] * frame["x2"] + rng.logistic(size=rows)
    frame["y"] = np.where(signal > 0, "yes", "no") if task == "binary" else signal.round(4)
    csv = folder / f"noisy_{task}_{rows}.csv"
    pd.DataFrame(frame).to_csv(csv, index=False)
    return csv


@pytest.mark.parametrize(
    ("task", "algorithm"), [("binary", "random_forest"), ("regression", "extra_trees")]
)
def test_a_large_forest_trial_predicts_as_one_forest_of_all_its_parts_trees(
    tmp_path, task, algorithm
):
    dataset = load_training_data(noisy_csv(tmp_path, 13_000, task), "y", task)
    evaluator = Evaluator(dataset, resolve_metric(None, task), seed=4, keep_predictions=True)
    config = portfolio_config(evaluator, algorithm, **{f"{algorithm}__min_samples_leaf": 20})
    (split,) = evaluator.splits
    assert len(split.train) >= FOREST_PARTS_FROM_ROWS
    parts = trial_parts(config, len(split.train), evaluator.seed)
    assert len(parts) == FOREST_PARTS
    assert trial_parts(config, FOREST_PARTS_FROM_ROWS - 1, evaluator.seed) == [{}]
    trial = evaluator.evaluate(0, config, 1.0)
    fitted = [
        evaluator.fit_rows(
            evaluator.pipeline(config).set_params(**{f"model__{k}": v for k, v in part.items()}),
            split.train,
        )
        for part in parts
    ]
    whole = fitted[0]  # the first part's preparation, every part's trees
    whole[-1].estimators_ = [tree for model in fitted for tree in model[-1].estimators_]
    whole[-1].n_estimators = len(whole[-1].estimators_)
    assert len({tree.random_state for tree in whole[-1].estimators_}) == FOREST_TREES
    expected = predict_scores(whole, dataset.X.iloc[split.valid], task, evaluator.n_classes)
    np.testing.assert_allclose(trial.predictions, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self")
def test_a_large_forest_trial_holds_a_part_of_the_forest_not_all_of_it(tmp_path):
    """How far a fresh process's resident memory rises over one trial, against how far it
    rises growing the whole forest once on the same rows (the final refit). The high-water
    mark is reset after a first small trial (/proc/self/clear_refs), so imports do not count."""
    csv = noisy_csv(tmp_path, 15_000, "binary")
    script = """
import json, sys
from automl_cli.data import load_training_data
from automl_cli.evaluate import Evaluator
from automl_cli.metrics import resolve_metric
from automl_cli.space import build_space, default_configs
def status_mb(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith(field))
dataset = load_training_data(sys.argv[1], "y", "binary")
evaluator = Evaluator(dataset, resolve_metric(None, "binary"), seed=0)
space = build_space("binary", len(dataset.y), 6, 0)
config = {**next(c for c in default_configs(space) if c["algorithm"] == "extra_trees"),
          "extra_trees:min_samples_leaf": 1, "extra_trees:bootstrap": False}
evaluator.evaluate(0, config, 1 / 9)
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # the high-water mark starts again from here
before = status_mb("VmRSS:")
if sys.argv[2] == "trial":
    result = evaluator.evaluate(1, config, 1.0)
    assert result.ok, result.error
else:
    evaluator.fit_final(config, rows=len(evaluator.splits[0].train) / len(dataset.y))
print(json.dumps(status_mb("VmHWM:") - before))
"""
    growth = {}
    for what in ("trial", "whole"):
        done = subprocess.run(
            [sys.executable, "-c", script, str(csv), what],
            capture_output=True, text=True, timeout=240, check=True,
        )  # fmt: skip
        growth[what] = json.loads(done.stdout)
    assert growth["whole"] > 40  # MB: a forest worth holding in parts
    assert growth["trial"] < 0.5 * growth["whole"], growth


def test_no_class_is_ever_given_probability_zero_and_no_prediction_changes():
    dataset = load_training_data(DATASETS / "iris.csv", "species", "multiclass")
    evaluator = Evaluator(dataset, resolve_metric("log_loss", "multiclass"), seed=0)
    model = evaluator.fit_final(portfolio_config(evaluator, "extra_trees"))
    raw = model.predict_proba(dataset.X)
    assert raw.min() == 0  # pure leaves rule classes out
    scores = predict_scores(model, dataset.X, "multiclass", 3)
    assert scores.min() == pytest.approx(PROBABILITY_FLOOR / 3)
    np.testing.assert_allclose(scores.sum(axis=1), 1.0)
    assert np.array_equal(scores.argmax(axis=1), raw.argmax(axis=1))
    # the worst a surprise can cost in log loss, against log(1e15) = 34.5 unfloored
    assert -np.log(scores.min()) < 8.1


@pytest.mark.parametrize(
    ("csv", "target", "task"),
    [("breast_cancer.csv", "diagnosis", "binary"), ("diabetes.csv", "progression", "regression")],
)
def test_a_refit_that_does_not_fit_its_own_rows_is_not_sound(csv, target, task):
    dataset = load_training_data(DATASETS / csv, target, task)
    evaluator = Evaluator(dataset, resolve_metric(None, task), seed=0)
    config = portfolio_config(evaluator, "random_forest")
    trial = evaluator.evaluate(0, config, 1.0)
    assert evaluator.refit_is_sound(evaluator.fit_final(config), trial.loss)
    # the same learner fitted to shuffled targets: a real model that has learned nothing true
    scrambled = evaluator.pipeline(config)
    scrambled.fit(dataset.X, np.random.default_rng(0).permutation(dataset.y))
    assert not evaluator.refit_is_sound(scrambled, trial.loss)
    assert not evaluator.refit_is_sound(evaluator.pipeline(config), trial.loss)  # never fitted


def test_fit_falls_back_to_the_next_trial_when_a_refit_is_not_sound():
    dataset = load_training_data(DATASETS / "diabetes.csv", "progression", "regression")
    evaluator = Evaluator(dataset, resolve_metric(None, "regression"), seed=0)
    # A trial that promised a perfect fit, for a ridge so strong that it predicts about the
    # mean: its refit cannot keep that promise, so the next trial's config is refitted.
    weak = portfolio_config(evaluator, "linear", linear__ridge_alpha=1000.0)
    ranked = [
        TrialResult(0, weak, 1.0, 0.0, 0.0, "ok", 0.01, 0.01),
        evaluator.evaluate(1, portfolio_config(evaluator, "random_forest"), 1.0),
    ]
    notices = []
    with InProcessExecutor(evaluator) as executor:
        model, best, rows = _refit_best(
            executor, evaluator, ranked, time.monotonic() + 60, 1, notices.append
        )
    assert best.job_id == 1
    assert "fits its own rows far worse" in notices[0]


def test_a_lone_refused_refit_is_kept_rather_than_no_model():
    dataset = load_training_data(DATASETS / "diabetes.csv", "progression", "regression")
    evaluator = Evaluator(dataset, resolve_metric(None, "regression"), seed=0)
    weak = portfolio_config(evaluator, "linear", linear__ridge_alpha=1000.0)
    notices = []
    with InProcessExecutor(evaluator) as executor:
        model, best, rows = _refit_best(
            executor,
            evaluator,
            [TrialResult(0, weak, 1.0, 0.0, 0.0, "ok", 0.01, 0.01)],
            time.monotonic() + 60,
            1,
            notices.append,
        )
    assert best.job_id == 0 and model is not None
    assert len(notices) == 2 and "keeping trial 0's" in notices[1]  # refitted once, not twice


def test_with_no_time_left_the_best_quick_trial_is_refitted_not_merely_the_cheapest():
    dataset = load_training_data(DATASETS / "diabetes.csv", "progression", "regression")
    evaluator = Evaluator(dataset, resolve_metric(None, "regression"), seed=0)
    forest = evaluator.evaluate(1, portfolio_config(evaluator, "random_forest"), 1.0)
    ranked = [
        TrialResult(0, portfolio_config(evaluator, "hist_gb"), 1.0, 50.0, 50.0, "ok", 90.0, 90.0),
        *(
            TrialResult(k, forest.config, 1.0, forest.loss, forest.score, "ok", 0.5, 0.5)
            for k in range(2, 7)
        ),
        TrialResult(7, portfolio_config(evaluator, "linear"), 1.0, 80.0, 80.0, "ok", 1e-3, 1e-3),
    ]
    assert evaluator.refit_estimate(ranked[1]) <= QUICK_REFIT_SECONDS
    notices = []
    with InProcessExecutor(evaluator) as executor:
        model, best, rows = _refit_best(
            executor, evaluator, ranked, time.monotonic() - 1, 1, notices.append
        )
    # every candidate is skipped for time but the last resort: the best quick one (trial 2),
    # not the cheapest (the linear model, ranked last)
    assert best.job_id == 2 and model is not None and not notices and rows == 1.0


def test_a_best_trial_too_slow_for_all_rows_is_refitted_on_the_fraction_that_fits():
    """A large table's search ends with trials on subsamples only: the best is refitted on the
    largest fraction of the rows whose expected time fits, not swapped for a worse config."""
    dataset = load_training_data(DATASETS / "breast_cancer.csv", "diagnosis", "binary")
    evaluator = Evaluator(dataset, resolve_metric(None, "binary"), seed=0)
    config = portfolio_config(evaluator, "random_forest")
    # 20 s to fit its 1/9 of the rows: all of them would take about 9 x 20 s, a third 3 x 20 s
    slow = TrialResult(0, config, 1 / 9, 0.01, 0.99, "ok", 20.0, 20.0)
    notices = []
    with InProcessExecutor(evaluator) as executor:
        model, best, rows = _refit_best(
            executor, evaluator, [slow], time.monotonic() + 120, 1, notices.append
        )
    assert best.job_id == 0 and rows == pytest.approx(1 / 3)
    # the forest's first tree saw at most a third of the rows (all of them: about 360 distinct)
    assert model[-1].estimators_[0].tree_.n_node_samples[0] <= math.ceil(len(dataset.y) / 3)
    assert "fitted on 33% of the rows" in notices[0] and "raise --time-budget" in notices[0]
