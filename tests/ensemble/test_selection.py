"""Ensemble selection on hand-made predictions whose best ensemble is known: what ships, and
the held-out losses that measure what the ensemble buys."""

from __future__ import annotations

import numpy as np
import pytest

from automl_cli.ensemble.selection import choose, greedy_selection, loss_of
from automl_cli.metrics import METRICS


def test_two_opposite_errors_cancel_and_a_worse_model_is_left_out():
    y = np.zeros(100)
    library = np.stack([np.full(100, 1.0), np.full(100, -1.0), np.full(100, 3.0)])
    counts = greedy_selection(library, y, METRICS["rmse"], size=10)
    assert counts.tolist() == [1, 1, 0]  # their mean is exact; any further pick is worse


def test_a_perfect_model_is_picked_alone():
    rng = np.random.default_rng(0)
    y = rng.normal(size=200)
    library = np.stack([y + rng.normal(size=200), y.copy(), y + rng.normal(size=200)])
    counts = greedy_selection(library, y, METRICS["rmse"], size=10)
    assert counts.tolist() == [0, 1, 0]


def test_weights_follow_the_known_best_mix_with_replacement():
    # y = 0; a predicts 2, b predicts -1: the best mix puts weight 1/3 on a and 2/3 on b
    y = np.zeros(50)
    library = np.stack([np.full(50, -1.0), np.full(50, 2.0)])
    counts = greedy_selection(library, y, METRICS["rmse"], size=9)
    assert counts.tolist() == [2, 1]
    mix = counts @ library / counts.sum()
    assert loss_of(METRICS["rmse"], y, mix) == pytest.approx(0.0)


def complementary_classifiers(n: int = 400, seed: int = 0):
    """Two classifiers, each sure and right on a random half of the rows and unsure on the rest:
    their mean is right everywhere, either alone is half guessing."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    sure = np.where(y == 1, 0.95, 0.05)
    first_knows = rng.random(n) < 0.5
    a = np.where(first_knows, sure, 0.5)
    b = np.where(first_knows, 0.5, sure)
    to_proba = lambda p: np.column_stack([1 - p, p])  # noqa: E731
    return y, np.stack([to_proba(a), to_proba(b)])


def test_complementary_classifiers_never_ship_alone():
    y, library = complementary_classifiers()
    choice = choose(library, y, METRICS["log_loss"], "binary", size=10, seed=0)
    assert choice.kind == "ensemble"
    assert choice.held_out["ensemble"] < choice.held_out["single"]
    assert choice.loss < min(loss_of(METRICS["log_loss"], y, p) for p in library)


def test_opposite_errors_ship_as_an_ensemble_of_equal_weights():
    rng = np.random.default_rng(3)
    y = rng.normal(size=300)
    library = np.stack([y + 1.0, y - 1.0, y + rng.normal(0, 2, 300)])
    choice = choose(library, y, METRICS["rmse"], "regression", size=10, seed=0)
    assert choice.kind == "ensemble"
    assert choice.weights.tolist() == [0.5, 0.5, 0.0]
    assert choice.loss == pytest.approx(0.0, abs=1e-12)
    assert set(choice.held_out) == {"single", "ensemble"}


def test_a_model_no_mix_can_improve_ships_alone():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    perfect = np.eye(2)[y] * 0.98 + 0.01
    noise = rng.dirichlet([1, 1], size=(3, 300))
    library = np.concatenate([perfect[None], noise])
    choice = choose(library, y, METRICS["roc_auc"], "binary", size=10, seed=0)
    assert choice.held_out["single"] == 0.0  # on unseen rows too
    assert choice.kind == "single"
    assert choice.weights.tolist() == [1.0, 0.0, 0.0, 0.0]


def test_what_ships_is_the_selection_on_every_validation_row():
    # noisy views of one signal: the halves measure it, they do not decide it
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 400)
    signal = np.where(y == 1, 0.7, 0.3)
    views = np.clip(signal + rng.normal(0, 0.25, (4, 400)), 0.01, 0.99)
    library = np.stack([np.column_stack([1 - v, v]) for v in views])
    metric = METRICS["log_loss"]
    choice = choose(library, y, metric, "binary", size=10, seed=0)
    counts = greedy_selection(library, y, metric, size=10)
    assert choice.weights.tolist() == (counts / counts.sum()).tolist()
    assert choice.kind == ("ensemble" if np.count_nonzero(counts) > 1 else "single")
    assert choice.loss == pytest.approx(
        loss_of(metric, y, np.tensordot(choice.weights, library, 1))
    )
    assert choice.held_out["single"] > 0 and choice.held_out["ensemble"] > 0


def test_two_identical_models_ship_as_one():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 400)
    timid = np.where(y == 1, 0.55, 0.45) + rng.normal(0, 0.005, 400)
    library = np.stack([np.column_stack([1 - timid, timid])] * 2)
    choice = choose(library, y, METRICS["log_loss"], "binary", size=10, seed=0)
    assert choice.kind == "single" and choice.weights.tolist() == [1.0, 0.0]


@pytest.mark.parametrize(
    ("name", "k"),
    [("log_loss", 2), ("log_loss", 5), ("roc_auc", 2), ("roc_auc", 3), ("accuracy", 3)],
)
def test_the_fast_losses_equal_the_metrics(name, k):
    rng = np.random.default_rng(k)
    y = rng.integers(0, k, 500)
    proba = rng.dirichlet(np.ones(k), size=500)
    proba[:20] = proba[20:40]  # ties, for the rank metrics
    metric = METRICS[name]
    assert loss_of(metric, y, proba) == pytest.approx(metric.loss(metric.score(y, proba)), 1e-12)
