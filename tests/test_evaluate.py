"""The validation split and the nested, stratified budget subsamples (contract 4)."""

from __future__ import annotations

import numpy as np
import pytest

from automl_cli.evaluate import CV_BELOW_ROWS, CV_FOLDS, make_splits, nested_order


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


def test_small_data_is_cross_validated_with_each_row_scored_once():
    y = imbalanced_labels(CV_BELOW_ROWS - 1)
    splits = make_splits(y, "multiclass", seed=0)
    assert len(splits) == CV_FOLDS
    scored = np.concatenate([s.valid for s in splits])
    assert sorted(scored) == list(range(len(y)))
    for split in splits:
        assert not set(split.train) & set(split.valid)
        # stratified folds: the rare class appears in every fold
        assert 2 in set(y[split.valid])


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
