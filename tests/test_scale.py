"""Large-data rules, checked on small data: compact types, cheap first trials, shared data."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from automl_cli.data import load_training_data, read_csv
from automl_cli.data.size import LARGE_CELLS, is_large
from automl_cli.evaluate import Evaluator
from automl_cli.metrics import resolve_metric
from automl_cli.optimize import create_optimizer
from automl_cli.scale import REFIT_GROWTH, cheap_first, optimizer_options, refit_rows
from tests.optimize.conftest import build_tiny_space


def test_large_is_rows_times_columns():
    assert is_large(LARGE_CELLS // 30 + 1, 30)
    assert is_large(200_000, 500) and is_large(1_000_000, 30)
    assert not is_large(100_000, 50)  # larger than any task of the shipped knowledge base


@pytest.mark.parametrize("strategy", ["bohb", "hyperband"])
def test_warm_configs_start_on_the_smallest_subsample_on_large_data(strategy):
    assert optimizer_options(strategy, 2_000, 20) == {}
    options = optimizer_options(strategy, 1_000_000, 30)
    assert options == {"warm_full_budget": False}
    for extra, first_budget in (({}, 1.0), (options, 1 / 27)):
        optimizer = create_optimizer(
            strategy, build_tiny_space(), min_budget=1 / 27, max_budget=1.0, eta=3, **extra
        )
        warm = [{"x": 0.5, "kind": "a"}, {"x": -0.5, "kind": "b"}]
        optimizer.warm_start(warm)
        jobs = [optimizer.ask() for _ in range(3)]
        assert [job.config for job in jobs[:2]] == warm
        assert [job.budget for job in jobs] == pytest.approx([first_budget] * 3)


def test_strategies_that_start_small_anyway_get_no_option():
    for strategy in ("asha", "sha", "random", "grid", "evolution", "bo"):
        assert optimizer_options(strategy, 1_000_000, 30) == {}


def _customers(tmp_path):
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 12, n).round(3),
            "income": rng.lognormal(10, 1, n).round(2),
            "city": rng.choice(["Oslo", "Lima", "Pune", "Kyiv"], n),
            "plan": rng.choice(["basic", "pro"], n),
        }
    )
    frame["bought"] = np.where((frame.age > 38) ^ (frame.city == "Lima"), "yes", "no")
    path = tmp_path / "customers.csv"
    frame.to_csv(path, index=False)
    return path


def test_compact_types_keep_values_and_levels(tmp_path):
    path = _customers(tmp_path)
    dataset = load_training_data(path, "bought")
    raw = read_csv(path)
    full = dataset.schema.features(raw)
    compact = dataset.schema.features(raw, compact=True)
    assert full["age"].dtype == np.float64 and full["city"].dtype == object
    assert compact["age"].dtype == np.float32 and compact["income"].dtype == np.float32
    assert isinstance(compact["city"].dtype, pd.CategoricalDtype)
    assert list(compact["city"].cat.categories) == sorted(full["city"].unique())
    assert (compact["city"].astype(object) == full["city"]).all()
    np.testing.assert_allclose(compact["income"], full["income"], rtol=1e-6)
    assert compact.memory_usage(deep=True).sum() < full.memory_usage(deep=True).sum() / 2


@pytest.mark.parametrize("algorithm", ["lightgbm", "random_forest", "linear"])
def test_a_model_fitted_on_compact_types_predicts_the_same(tmp_path, algorithm):
    """Fitted on float32 and categoricals, predicting from the float64 and text columns that
    `automl predict` reads: the same classes as the model fitted on the full types."""
    path = _customers(tmp_path)
    dataset = load_training_data(path, "bought")
    features = dataset.schema.features(read_csv(path))
    compact = dataclasses.replace(dataset, X=dataset.schema.features(read_csv(path), compact=True))
    metric = resolve_metric(None, dataset.task)
    config = {"algorithm": algorithm}
    from automl_cli.space import space_for
    from automl_cli.space.adapt import adapt_config

    config = adapt_config(config, space_for(dataset))
    models = [Evaluator(d, metric, seed=0).fit_final(config) for d in (dataset, compact)]
    full_proba, compact_proba = (model.predict_proba(features) for model in models)
    assert (full_proba.argmax(1) == compact_proba.argmax(1)).mean() >= 0.99
    np.testing.assert_allclose(full_proba, compact_proba, atol=0.05)


def test_fit_leaves_no_shared_data_behind(tmp_path, cli, datasets, monkeypatch):
    """The folder the workers map the data from goes with the fit, also when the fit fails;
    one left by a run that was killed outright goes with the next run, a live run's stays."""
    import os

    temporary = tmp_path / "tmp"
    temporary.mkdir()
    orphan = temporary / "automl-data-999999999-x1"  # beyond any process id: a dead run
    live = temporary / f"automl-data-{os.getpid()}-x2"
    for folder in (orphan, live):
        folder.mkdir()
        (folder / "evaluator.joblib").write_bytes(b"data")
    monkeypatch.setenv("TMPDIR", str(temporary))
    data = datasets / "iris.csv"
    quick = ("--target", "species", "--time-budget", "90", "--max-trials", "2", "--n-jobs", "1",
             "--no-warm-start", "--quiet")  # fmt: skip
    done = cli("fit", data, *quick, "--out", tmp_path / "m.automl")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "m.automl").exists()
    failed = cli("fit", data, *quick, "--trial-memory-limit", "0.001", "--out", tmp_path / "n")
    assert failed.returncode == 2 and "memory limit" in failed.stderr
    assert list(temporary.glob("automl-data-*")) == [live]


def test_fast_learners_go_first_on_large_data_only():
    configs = [{"algorithm": a} for a in ("lightgbm", "random_forest", "linear", "knn", "xgboost")]
    assert cheap_first(configs, 1_000, 10) == configs
    ordered = [c["algorithm"] for c in cheap_first(configs, 1_000_000, 30)]
    assert ordered == ["lightgbm", "linear", "xgboost", "random_forest", "knn"]


def test_a_refit_on_a_large_table_uses_at_most_three_times_its_trials_rows():
    assert REFIT_GROWTH == 3
    assert refit_rows(1 / 27, 2_000, 500) == 1.0  # a small table: always all rows
    assert refit_rows(1 / 27, 200_000, 500) == pytest.approx(1 / 9)
    assert refit_rows(1 / 3, 200_000, 500) == 1.0
    assert refit_rows(1 / 81, 1_000_000, 30) == pytest.approx(1 / 27)


def test_one_large_trial_at_a_time_on_a_large_table_only():
    from automl_cli.scale import LARGE_TRIAL_BUDGET, may_start

    large = (1_000_000, 30)
    assert may_start(1.0, [], *large)
    assert not may_start(LARGE_TRIAL_BUDGET, [1.0], *large)
    assert not may_start(1.0, [1 / 27, 1 / 3], *large)
    assert may_start(1 / 9, [1.0], *large)  # small trials run beside a large one
    assert may_start(1.0, [1 / 9, 1 / 27], *large)
    assert may_start(1.0, [1.0], 40_000, 14)  # a small table keeps every worker busy


def test_the_searching_process_reads_the_data_from_the_workers_map(tmp_path):
    """Once the pool exists the parent's evaluator holds the mapped copy, not its own (the
    same values, its strings stored by Python), and scores and refits from it exactly as from
    the copy it had."""
    from automl_cli.execute import ProcessExecutor
    from automl_cli.execute.shared import python_strings
    from automl_cli.space import space_for
    from automl_cli.space.adapt import adapt_config

    dataset = load_training_data(_customers(tmp_path), "bought")
    metric = resolve_metric(None, dataset.task)
    config = adapt_config({"algorithm": "lightgbm"}, space_for(dataset))
    own = Evaluator(dataset, metric, seed=0)
    before = own.evaluate(0, config, 1.0).loss
    with ProcessExecutor(own, 1) as pool:
        assert own.X is not dataset.X
        assert _mapped(own.X["age"].to_numpy())
        pd.testing.assert_frame_equal(own.X, python_strings(dataset.X))
        assert own.evaluate(1, config, 1.0).loss == before
        refitted = pool.refit(config, time_limit=60)
        assert own.refit_is_sound(refitted, before)


def _mapped(array) -> bool:
    """Whether `array` is a view of a memory-mapped file."""
    import mmap

    while array is not None:
        if isinstance(array, np.memmap | mmap.mmap):
            return True
        array = getattr(array, "base", None)
    return False
