"""Meta-features on small frames shaped like the ingestion's output, with known answers."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_iris

from automl_cli.meta.features import (
    GROUPS,
    META_FEATURES,
    STATS_ROWS,
    compute_meta_features,
)
from automl_cli.meta.similarity import SIMILARITY, similarity_distance, similarity_vector


def compute(X: pd.DataFrame, y: np.ndarray, task: str, seed: int = 0) -> dict[str, float]:
    """compute_meta_features, failing on any warning (NaN must come quietly, never inf)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = compute_meta_features(X, y, task, seed=seed)
    assert list(values) == [f.name for f in META_FEATURES]
    assert all(isinstance(v, float) and not math.isinf(v) for v in values.values())
    return values


def mixed_frame(rows: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    X = pd.DataFrame(
        {
            "x": x,
            "noise": rng.normal(size=rows),
            "colour": pd.Series(rng.choice(["red", "green", "blue"], size=rows), dtype=object),
        }
    )
    X.loc[rng.random(rows) < 0.1, "noise"] = np.nan
    X.loc[rng.random(rows) < 0.1, "colour"] = np.nan
    return X, (x > 0).astype(np.int64)


def test_registry_documents_every_feature_once() -> None:
    names = [f.name for f in META_FEATURES]
    assert len(names) == len(set(names))
    assert {f.group for f in META_FEATURES} == set(GROUPS)
    assert all(len(f.definition) > 10 for f in META_FEATURES)
    assert set(SIMILARITY) <= set(names)


def test_simple_features_count_the_whole_table() -> None:
    X = pd.DataFrame(
        {
            "a": [1.0, np.nan, 3.0, 4.0, 5.0, 6.0],
            "b": [0.0, 1.0, 0.0, 1.0, 0.0, 1.0],
            "c": pd.Series(["u", "v", np.nan, "u", "w", "u"], dtype=object),
        }
    )
    y = np.array([0, 0, 0, 0, 1, 2])
    values = compute(X, y, "multiclass")
    assert values["rows"] == 6 and values["features"] == 3
    assert values["dimensionality"] == pytest.approx(0.5)
    assert (values["numeric_features"], values["categorical_features"]) == (2, 1)
    assert values["categorical_ratio"] == pytest.approx(1 / 3)
    assert values["categorical_levels_mean"] == values["categorical_levels_max"] == 3
    assert values["missing_ratio"] == pytest.approx(2 / 18)
    assert values["rows_with_missing_ratio"] == pytest.approx(2 / 6)
    assert values["classes"] == 3
    assert values["class_min_share"] == pytest.approx(1 / 6)
    assert values["class_max_share"] == pytest.approx(4 / 6)
    assert values["class_balance"] == pytest.approx(0.25)


def test_statistical_features_match_known_distributions() -> None:
    rng = np.random.default_rng(3)
    rows = 8000
    base = rng.normal(size=rows)
    X = pd.DataFrame(
        {
            "normal": base,
            "scaled": 3 * base + 10,  # perfectly correlated with `normal`
            "expo": rng.exponential(size=rows),  # skewness 2, excess kurtosis 6
        }
    )
    values = compute(X, rng.normal(size=rows), "regression")
    assert values["skewness_max"] == pytest.approx(2.0, abs=0.3)
    assert values["skewness_min"] == pytest.approx(0.0, abs=0.1)
    assert values["kurtosis_max"] == pytest.approx(6.0, abs=1.5)
    assert values["correlation_max"] == pytest.approx(1.0)
    assert values["correlation_min"] < 0.05
    assert values["dispersion_min"] == pytest.approx(0.3, abs=0.01)  # std 3 / mean|x| 10


def test_information_features_see_an_informative_feature() -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, size=4000)
    X = pd.DataFrame(
        {
            "copy": pd.Series(np.where(y == 1, "yes", "no"), dtype=object),
            "noise": pd.Series(rng.choice(["a", "b"], size=4000), dtype=object),
        }
    )
    values = compute(X, y, "binary")
    assert values["class_entropy"] == pytest.approx(1.0, abs=0.01)
    assert values["mutual_info_max"] == pytest.approx(1.0, abs=0.01)
    assert values["mutual_info_mean"] == pytest.approx(0.5, abs=0.01)
    assert values["attribute_entropy_mean"] == pytest.approx(1.0, abs=0.01)
    assert values["equivalent_attributes"] == pytest.approx(2.0, abs=0.05)
    assert values["noise_signal_ratio"] == pytest.approx(1.0, abs=0.05)
    assert values["landmark_stump"] == pytest.approx(1.0)
    assert values["landmark_1nn"] == pytest.approx(1.0)


def test_landmarkers_on_real_classification_and_regression_data() -> None:
    iris = load_iris(as_frame=True)
    values = compute(iris.data, iris.target.to_numpy(), "multiclass")
    for name in ("landmark_1nn", "landmark_naive_bayes", "landmark_linear"):
        assert 0.85 < values[name] <= 1.0
    assert 0.5 < values["landmark_stump"] < 0.8  # one split separates one class of three

    diabetes = load_diabetes(as_frame=True)
    values = compute(diabetes.data, diabetes.target.to_numpy(), "regression")
    assert 0.3 < values["landmark_linear"] < 0.6
    assert values["landmark_linear"] > values["landmark_1nn"]
    assert math.isnan(values["landmark_naive_bayes"])
    assert math.isnan(values["classes"]) and math.isnan(values["class_balance"])
    assert 3.0 < values["class_entropy"] <= math.log2(10)  # binned target


def test_degenerate_inputs_give_nan_not_inf() -> None:
    X = pd.DataFrame(
        {
            "constant": np.ones(30),
            "empty": np.full(30, np.nan),
            "wild": np.r_[np.inf, -np.inf, np.arange(28.0)],
            "all_missing_text": pd.Series([np.nan] * 30, dtype=object),
        }
    )
    values = compute(X, np.zeros(30, dtype=np.int64), "binary")  # a single class
    assert values["classes"] == 1 and values["class_entropy"] == 0.0
    assert math.isnan(values["landmark_1nn"]) and math.isnan(values["equivalent_attributes"])
    assert math.isnan(values["correlation_mean"])  # only one varying numeric feature
    assert values["skewness_mean"] == pytest.approx(0.0, abs=1e-9)  # inf treated as missing
    assert values["categorical_levels_max"] == 0

    only_text = pd.DataFrame({"t": pd.Series(list("abcabcabca") * 3, dtype="str")})
    values = compute(only_text, np.arange(30) % 2, "binary")
    assert values["categorical_features"] == 1 and math.isnan(values["skewness_mean"])
    assert not math.isnan(values["landmark_naive_bayes"])


def test_same_seed_same_values_and_rows_always_counted_in_full() -> None:
    X, y = mixed_frame(3 * STATS_ROWS)
    first, again = compute(X, y, "binary", seed=1), compute(X, y, "binary", seed=1)
    other = compute(X, y, "binary", seed=2)
    assert first.keys() == again.keys()
    assert all(
        first[k] == again[k] or (math.isnan(first[k]) and math.isnan(again[k])) for k in first
    )
    assert first["rows"] == other["rows"] == 3 * STATS_ROWS
    assert first["missing_ratio"] == other["missing_ratio"]
    assert first["skewness_mean"] != other["skewness_mean"]  # a different subsample
    assert first["landmark_stump"] > 0.95 and other["landmark_stump"] > 0.95


def test_subsampling_keeps_a_rare_class() -> None:
    X, _ = mixed_frame(4 * STATS_ROWS)
    y = np.zeros(len(X), dtype=np.int64)
    y[np.argsort(X["x"].to_numpy())[-5:]] = 1  # five rows with the largest x
    values = compute(X, y, "binary")
    assert values["class_min_share"] == pytest.approx(5 / len(X))
    assert values["landmark_stump"] > 0.9  # the rare class reached the landmarkers' folds


def test_similarity_vector_scaling_and_distance() -> None:
    iris = load_iris(as_frame=True)
    features = compute(iris.data, iris.target.to_numpy(), "multiclass")
    vector = similarity_vector(features)
    named = dict(zip(SIMILARITY, vector, strict=True))
    assert named["rows"] == pytest.approx(math.log10(151))
    assert named["classes"] == pytest.approx(math.log10(4))
    assert named["kurtosis_mean"] == pytest.approx(
        math.copysign(math.log10(1 + abs(features["kurtosis_mean"])), features["kurtosis_mean"])
    )
    assert named["landmark_1nn"] == features["landmark_1nn"]
    assert similarity_distance(vector, vector) == 0.0

    bigger = similarity_vector({**features, "rows": 1500.0, "classes": math.nan})
    shared = np.isfinite(bigger)
    expected = math.sqrt((math.log10(1501) - math.log10(151)) ** 2 / shared.sum())
    assert similarity_distance(vector, bigger) == pytest.approx(expected)
    assert math.isnan(similarity_distance(vector, np.full_like(vector, np.nan)))
    assert np.isnan(similarity_vector({})).all()


def test_landmarks_that_cannot_be_fitted_are_unknown_not_an_error() -> None:
    """A target so large that every error overflows: the learners fail, the description not."""
    rows = np.arange(60)
    X = pd.DataFrame({"x": rows.astype(float), "z": (rows * 7 % 11).astype(float)})
    y = ((rows * 37 % 101 - 50) * 1e306).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy's overflow warnings are expected here
        values = compute_meta_features(X, y, "regression")
    assert [name for name in values if name.startswith("landmark_")] == [
        "landmark_1nn", "landmark_stump", "landmark_naive_bayes", "landmark_linear"
    ]  # fmt: skip
    assert all(math.isnan(values[name]) for name in values if name.startswith("landmark_"))
    assert values["rows"] == 60
    ordinary = compute(X, rows.astype(float), "regression")  # the same rows, a tame target
    assert not math.isnan(ordinary["landmark_linear"])
