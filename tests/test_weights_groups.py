"""Sample weights (`--weight`) and groups (`--group`): through the real CLI, and the splits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl_cli.data import load_training_data
from automl_cli.ensemble.selection import choose, loss_of
from automl_cli.errors import DataError
from automl_cli.evaluate import CV_BELOW_ROWS, CV_FOLDS, Evaluator, make_splits
from automl_cli.metrics import METRICS, resolve_metric

QUICK = ("--max-trials", "3", "--time-budget", "40", "--n-jobs", "1", "--no-warm-start")


def two_populations(path: Path, n: int = 300, seed: int = 0) -> Path:
    """Rows where y = (x > 0) (weight 1) and as many where y = (x <= 0) (weight 0): only the
    weights say which rule to learn. `g` holds 30 groups, `noise` is a plain feature."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    first = np.arange(n) < n // 2
    frame = pd.DataFrame(
        {
            "x": x.round(4),
            "noise": rng.normal(size=n).round(4),
            "w": np.where(first, 1.0, 0.0),
            "g": [f"team{i % 30}" for i in range(n)],
            "y": np.where(first, x > 0, x <= 0).astype(int),
        }
    )
    frame.to_csv(path, index=False)
    return path


def manifest_of(cli, model: Path) -> dict:
    shown = cli("info", model, "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def test_weights_decide_what_is_learned_and_how_it_is_scored(cli, tmp_path):
    data = two_populations(tmp_path / "train.csv")
    weighted, plain = tmp_path / "weighted.automl", tmp_path / "plain.automl"
    args = ("fit", data, "--target", "y", *QUICK, "--ensemble-size", "0")
    done = cli(*args, "--out", weighted, "--weight", "w", "--group", "g")
    assert done.returncode == 0, done.stderr
    assert "knn left out of the search" in done.stderr
    bare = tmp_path / "bare_train.csv"
    pd.read_csv(data)[["x", "noise", "y"]].to_csv(bare, index=False)  # w would tell the rules apart
    plain_args = ("fit", bare, *args[2:])
    assert cli(*plain_args, "--out", plain).returncode == 0

    with_weights, without = manifest_of(cli, weighted), manifest_of(cli, plain)
    assert with_weights["validation_score"] > 0.95  # the weight-1 rule, scored on its rows
    assert without["validation_score"] < 0.7  # the two rules cancel out
    assert (with_weights["weight"], with_weights["group"]) == ("w", "g")
    assert (without["weight"], without["group"]) == (None, None)
    features = [column["name"] for column in with_weights["schema"]["columns"]]
    assert "w" not in features and "g" not in features and "x" in features
    assert all(t["algorithm"] != "knn" for t in with_weights["leaderboard"])
    assert "weight column" in cli("info", weighted).stdout

    rows = pd.DataFrame({"x": [0.8, -0.8, 0.5], "noise": [0.0, 0.1, -0.2]})
    rows.to_csv(tmp_path / "rows.csv", index=False)
    predicted = cli("predict", weighted, tmp_path / "rows.csv", "--out", tmp_path / "p.csv")
    assert predicted.returncode == 0, predicted.stderr
    labels = pd.read_csv(tmp_path / "p.csv")["prediction"].tolist()
    assert labels == [1, 0, 1]  # the rule of the weighted rows, not its mirror image

    # the weight and group columns in the input are ignored, not required
    assert cli("predict", weighted, data, "--out", tmp_path / "all.csv").returncode == 0
    beside = pd.read_csv(tmp_path / "all.csv")
    train = pd.read_csv(data)
    train[["x", "noise"]].to_csv(tmp_path / "bare.csv", index=False)
    assert (
        cli("predict", weighted, tmp_path / "bare.csv", "--out", tmp_path / "b.csv").returncode == 0
    )
    pd.testing.assert_frame_equal(beside, pd.read_csv(tmp_path / "b.csv"))


@pytest.mark.parametrize("n", [300, 3_000])
@pytest.mark.parametrize("task", ["binary", "regression"])
def test_no_group_is_ever_on_both_sides_of_a_split(n, task):
    rng = np.random.default_rng(1)
    groups = rng.integers(0, 40, n)
    y = rng.integers(0, 2, n) if task == "binary" else rng.normal(size=n)
    splits = make_splits(y, task, seed=3, groups=groups)
    assert len(splits) == (CV_FOLDS if n < CV_BELOW_ROWS else 1)
    for split in splits:
        assert not set(groups[split.train]) & set(groups[split.valid])
        assert len(split.train) + len(split.valid) == n
        small, large = split.train_rows(1 / 9), split.train_rows(1 / 3)
        assert set(small) <= set(large)  # budgets stay nested inside the training rows
    if n < CV_BELOW_ROWS:  # every row is validated once
        assert sorted(np.concatenate([s.valid for s in splits])) == list(range(n))
    else:
        assert 0.15 * n <= len(splits[0].valid) <= 0.3 * n


def test_too_few_groups_are_refused_with_the_count():
    y = np.arange(60) % 2
    with pytest.raises(DataError, match="3 group.*needs at least 5"):
        make_splits(y, "binary", 0, groups=np.arange(60) % 3)
    with pytest.raises(DataError, match="1 group.*needs at least 2"):
        make_splits(np.arange(2000) % 2, "binary", 0, groups=np.zeros(2000, dtype=int))


def test_the_evaluator_splits_by_the_group_column_and_never_uses_it(tmp_path):
    dataset = load_training_data(two_populations(tmp_path / "d.csv"), "y", weight="w", group="g")
    assert list(dataset.X.columns) == ["x", "noise"]
    evaluator = Evaluator(dataset, resolve_metric(None, dataset.task))
    teams = pd.read_csv(tmp_path / "d.csv")["g"].to_numpy()
    for split in evaluator.splits:
        assert not set(teams[split.train]) & set(teams[split.valid])
    assert evaluator.weights_of(np.array([0, 299])).tolist() == [1.0, 0.0]


@pytest.mark.parametrize("name", ["log_loss", "roc_auc", "accuracy"])
def test_selection_losses_are_the_weighted_metric(name):
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 200)
    p = rng.uniform(size=200)
    proba = np.column_stack([1 - p, p])
    weights = rng.uniform(0, 3, 200)
    metric = METRICS[name]
    weighted = loss_of(metric, y, proba, weights)
    assert weighted == pytest.approx(metric.loss(metric.score(y, proba, weights)))
    assert weighted != pytest.approx(loss_of(metric, y, proba))


def test_selection_picks_the_model_right_on_the_heavy_rows():
    """Model 0 is exact on the first half of the rows, model 1 on the second: the weights
    decide which one ships."""
    y = np.linspace(0, 10, 200)
    second = np.arange(200) >= 100
    library = np.stack([np.where(second, y + 1, y), np.where(second, y, y + 1)])
    metric = METRICS["rmse"]
    heavy_second = choose(library, y, metric, "regression", 5, 0, np.where(second, 10.0, 0.1))
    heavy_first = choose(library, y, metric, "regression", 5, 0, np.where(second, 0.1, 10.0))
    assert heavy_second.weights.tolist() == [0.0, 1.0]
    assert heavy_first.weights.tolist() == [1.0, 0.0]


@pytest.mark.parametrize("name", ["rmse", "mae", "r2"])
def test_regression_metrics_weigh_each_row(name):
    y = np.array([0.0, 1.0, 2.0, 3.0])
    predicted = np.array([0.0, 1.0, 2.0, 7.0])  # one bad row
    metric = METRICS[name]
    ignored = metric.score(y, predicted, np.array([1.0, 1.0, 1.0, 0.0]))
    assert ignored == (1.0 if name == "r2" else 0.0)
    assert metric.score(y, predicted, np.ones(4)) == pytest.approx(metric.score(y, predicted))
    assert loss_of(metric, y, predicted, np.zeros(4)) == loss_of(metric, y, predicted)


def test_grouped_validation_does_not_score_memorized_groups(cli, tmp_path):
    """Each of 40 groups (patients) sits at its own point with its own label: a model that
    remembers the points scores ~1 on rows of groups it has seen, and nothing on new groups.
    Validation with --group scores the second (honest) number, without it the first."""
    rng = np.random.default_rng(0)
    patient = np.arange(400) % 40
    points = rng.normal(size=(40, 2)) * 3
    spread = points[patient] + rng.normal(size=(400, 2)) * 0.1
    frame = pd.DataFrame({"u": spread[:, 0], "v": spread[:, 1], "patient": patient})
    frame["y"] = rng.integers(0, 2, 40)[patient]
    frame.to_csv(tmp_path / "grouped.csv", index=False)
    frame.drop(columns="patient").to_csv(tmp_path / "rows.csv", index=False)
    quick = ("--target", "y", *QUICK, "--ensemble-size", "0")
    by_group, by_row = tmp_path / "by_group.automl", tmp_path / "by_row.automl"
    done = cli("fit", tmp_path / "grouped.csv", *quick, "--group", "patient", "--out", by_group)
    assert done.returncode == 0, done.stderr
    assert cli("fit", tmp_path / "rows.csv", *quick, "--out", by_row).returncode == 0
    honest = manifest_of(cli, by_group)["leaderboard"][0]["score"]
    leaked = manifest_of(cli, by_row)["leaderboard"][0]["score"]
    assert honest < 0.8 < 0.95 < leaked
