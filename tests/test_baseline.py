"""The trivial baseline: its validation score, the model file it makes, and when it is written."""

from __future__ import annotations

import json
import math
import zipfile

import numpy as np
import pandas as pd
import pytest

from automl_cli import api, bundle
from automl_cli.baseline import fit_baseline
from automl_cli.data import load_training_data
from automl_cli.evaluate import Evaluator
from automl_cli.metrics import resolve_metric
from automl_cli.model import Model
from tests.conftest import run_cli


def _manifest(path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json"))


def _evaluator(path, target, metric=None):
    dataset = load_training_data(path, target)
    return Evaluator(dataset, resolve_metric(metric, dataset.task), seed=0)


@pytest.fixture
def regression_csv(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.exponential(10.0, 150)  # skewed, so that the mean and the median differ
    path = tmp_path / "regression.csv"
    pd.DataFrame({"x": rng.normal(size=150), "y": y}).to_csv(path, index=False)
    return path


@pytest.fixture
def classes_csv(tmp_path):
    rng = np.random.default_rng(0)
    labels = ["a"] * 90 + ["b"] * 40 + ["c"] * 20  # shares 0.6, 0.27, 0.13
    path = tmp_path / "classes.csv"
    pd.DataFrame({"x": rng.normal(size=150), "y": labels}).to_csv(path, index=False)
    return path


def test_class_shares_score_as_the_shares_do(classes_csv):
    shares = np.array([90, 40, 20]) / 150
    baseline = fit_baseline(_evaluator(classes_csv, "y"))  # 5-fold CV: every row is scored
    assert baseline.strategy == "class shares"
    floored = 0.999 * shares + 0.001 / 3  # the probability floor of every model
    assert baseline.score == pytest.approx(-np.sum(shares * np.log(floored)), rel=1e-9)
    accuracy = fit_baseline(_evaluator(classes_csv, "y", "accuracy"))
    assert accuracy.score == pytest.approx(0.6) and accuracy.loss == pytest.approx(0.4)


def test_a_constant_has_no_ranking_skill(tmp_path):
    path = tmp_path / "binary.csv"
    rng = np.random.default_rng(1)
    labels = ["p"] * 70 + ["q"] * 47  # folds of uneven shares
    pd.DataFrame({"x": rng.normal(size=117), "y": labels}).to_csv(path, index=False)
    assert fit_baseline(_evaluator(path, "y")).score == 0.5  # roc_auc


def test_the_mean_for_rmse_and_the_median_for_mae(regression_csv):
    y = pd.read_csv(regression_csv)["y"].to_numpy()
    rmse = fit_baseline(_evaluator(regression_csv, "y"))
    assert rmse.strategy == "mean" and rmse.score == pytest.approx(np.std(y))
    mae = fit_baseline(_evaluator(regression_csv, "y", "mae"))
    assert mae.strategy == "median"
    assert mae.score == pytest.approx(np.mean(np.abs(y - np.median(y))))


def test_the_baseline_model_file_loads_with_the_trusted_types_and_predicts(
    regression_csv, classes_csv, tmp_path
):
    for csv, expected in ((regression_csv, None), (classes_csv, ["a", "b", "c"])):
        evaluator = _evaluator(csv, "y")
        dataset = load_training_data(csv, "y")
        baseline = fit_baseline(evaluator)
        manifest = {
            "task": dataset.task,
            "metric": evaluator.metric.name,
            "target": "y",
            "schema": dataset.schema.to_dict(),
            "classes": list(dataset.classes),
            "algorithm": "baseline",
            "validation_score": baseline.score,
            "trial_count": 0,
            "failed_trials": 0,
            "leaderboard": [],
            "created": "2026-01-01T00:00:00+00:00",
        }
        path = tmp_path / f"{csv.stem}.automl"
        Model(baseline.model, dataset.schema, dataset.task, dataset.classes, manifest).save(path)
        assert bundle.load(path).model is not None  # refused if it held an untrusted type
        predictions, _ = api.predict(path, csv)
        assert len(predictions) == 150
        if expected is None:
            y = pd.read_csv(csv)["y"]
            assert np.allclose(predictions["prediction"], y.mean())
            continue
        proba = predictions[[f"proba_{label}" for label in expected]].to_numpy()
        assert np.allclose(proba.sum(axis=1), 1.0)
        assert np.allclose(proba[0], 0.999 * np.array([90, 40, 20]) / 150 + 0.001 / 3)
        assert set(predictions["prediction"]) == {"a"}


def test_200_classes_of_5_rows_write_the_class_shares(tmp_path):
    # the issue's case: the best model's log loss is worse than the class shares' log(200);
    # 1,000 rows, so a holdout and one fit a trial (under 1,000, 15 fits of 200 classes each)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(1000, 5)), columns=[f"x{i}" for i in range(5)])
    frame["y"] = [f"c{i % 200:03d}" for i in range(1000)]
    frame.to_csv(tmp_path / "many.csv", index=False)
    out = tmp_path / "model.automl"
    done = run_cli(
        "fit", tmp_path / "many.csv", "--target", "y", "--out", out,
        "--max-trials", "1", "--n-jobs", "1", "--no-warm-start",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    manifest = _manifest(out)
    shares = math.log(200)  # uniform shares, floored: still exactly uniform
    assert manifest["baseline"]["score"] == pytest.approx(shares)
    assert manifest["algorithm"] == "baseline"
    assert manifest["validation_score"] == pytest.approx(shares)
    best_trial = manifest["leaderboard"][0]["score"]
    assert best_trial > shares
    notice = " ".join(done.stderr.split())
    assert (
        f"validation log_loss {best_trial:.4f}) is not better than predicting the class "
        f"shares (log_loss {shares:.4f}); the baseline was written instead"
    ) in notice
    assert "model written to" in done.stdout and "(baseline," in done.stdout

    predictions = tmp_path / "predictions.csv"
    done = run_cli("predict", out, tmp_path / "many.csv", "--out", predictions)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(predictions)
    assert list(table.columns) == ["prediction"] + [f"proba_c{k:03d}" for k in range(200)]
    assert np.allclose(table.iloc[:, 1:].sum(axis=1), 1.0)
    assert np.allclose(table.iloc[:, 1:], 1 / 200)

    info = run_cli("info", out)
    assert info.returncode == 0, info.stderr
    assert "baseline log_loss" in info.stdout and "5.2983" in info.stdout


def test_a_wide_noise_table_never_returns_a_model_worse_than_the_baseline(tmp_path):
    # the case at small scale: many noise columns, few rows, a coin-flip target. Which
    # branch runs depends on the learners' luck; with the libraries of this writing the three
    # default configs score ROC AUC 0.515, 0.514 and 0.491 in repeated cross-validation, the
    # ensemble's held-out halves see no better than a coin, and the baseline is written
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(200, 500)).round(3))
    frame.columns = [f"x{i}" for i in range(500)]
    frame["y"] = np.where(rng.normal(size=200) > 0, "pos", "neg")
    frame.to_csv(tmp_path / "wide.csv", index=False)
    out = tmp_path / "model.automl"
    done = run_cli(
        "fit", tmp_path / "wide.csv", "--target", "y", "--out", out,
        "--max-trials", "1", "--n-jobs", "1", "--no-warm-start",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    manifest = _manifest(out)
    assert manifest["baseline"] == {"strategy": "class shares", "score": 0.5, "loss": 0.5}
    if manifest["algorithm"] == "baseline":
        assert manifest["validation_score"] == 0.5
        assert "is not better than predicting the class shares" in " ".join(done.stderr.split())
    else:  # judged on the rows that did not choose it: an ensemble's held-out halves
        ensemble = manifest.get("ensemble", {})
        assert ensemble.get("held_out_loss", manifest["validation_loss"]) < 0.5


def test_info_shows_the_baseline_beside_the_model_and_older_files_without_it():
    from rich.console import Console

    from automl_cli.report import manifest_table

    manifest = {
        "task": "binary",
        "target": "y",
        "classes": ["n", "p"],
        "schema": {"columns": []},
        "algorithm": "lightgbm",
        "metric": "roc_auc",
        "validation_score": 0.91,
        "validation": "holdout of 200 rows",
        "trial_count": 5,
        "failed_trials": 0,
        "created": "2026-01-01T00:00:00+00:00",
        "libraries": {},
        "baseline": {"strategy": "class shares", "score": 0.5, "loss": 0.5},
    }

    def shown(manifest):
        console = Console(width=200, record=True)
        console.print(manifest_table(manifest))
        return " ".join(console.export_text().split())

    text = shown(manifest)
    assert "validation roc_auc" in text and "0.9100" in text
    assert "baseline roc_auc │ 0.5000 (predicting the class shares)" in text
    written = shown({**manifest, "algorithm": "baseline", "validation_score": 0.5})
    assert "0.5000 (predicting the class shares, written: no model beat it)" in written
    older = {k: v for k, v in manifest.items() if k != "baseline"}
    assert "baseline" not in shown(older)
