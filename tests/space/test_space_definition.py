"""What the space offers for which task and data shape, and how configs map to learners."""

from __future__ import annotations

import numpy as np
import pytest
from ConfigSpace import Configuration

from automl_cli.space import (
    algorithm_of,
    available_algorithms,
    build_pipeline,
    build_space,
    default_configs,
)
from automl_cli.space.definition import (
    ALGORITHMS,
    KNN_MAX_ROWS,
    MUTUAL_INFO_MAX_ROWS,
    SELECT_MIN_FEATURES,
    SVM_MAX_ROWS,
)

PREPROCESSING_PREFIXES = ("impute:", "encode:", "scale:", "select:")


def algorithms(space) -> set[str]:
    return set(space["algorithm"].choices)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_small_data_offers_every_algorithm(task):
    space = build_space(task, n_rows=500, n_features=12, n_categorical=3)
    assert algorithms(space) == set(ALGORITHMS)
    assert space["algorithm"].default_value == "lightgbm"


def test_row_limits_remove_svm_then_knn_for_large_data():
    at_limit = build_space("binary", SVM_MAX_ROWS, 20, 0)
    above = build_space("binary", SVM_MAX_ROWS + 1, 20, 0)
    assert "svm" in algorithms(at_limit)
    assert "svm" not in algorithms(above) and "knn" in algorithms(above)
    assert not any(name.startswith("svm:") for name in above)
    huge = build_space("regression", KNN_MAX_ROWS + 1, 20, 0)
    assert algorithms(huge) == set(ALGORITHMS) - {"svm", "knn"}
    assert not any(name.startswith("knn:") for name in huge)
    assert all(c["algorithm"] not in ("svm", "knn") for c in default_configs(huge))
    assert "svm" in {c["algorithm"] for c in default_configs(at_limit)}


def test_mutual_information_selection_only_below_its_row_limit():
    small = build_space("binary", MUTUAL_INFO_MAX_ROWS, SELECT_MIN_FEATURES, 0)
    large = build_space("binary", MUTUAL_INFO_MAX_ROWS + 1, SELECT_MIN_FEATURES, 0)
    assert "mutual_info" in small["select:method"].choices
    assert set(large["select:method"].choices) == {"none", "f_test"}


def test_preprocessing_choices_follow_the_column_types():
    numeric_only = build_space("binary", 300, SELECT_MIN_FEATURES - 1, 0)
    assert not any(name.startswith(("encode:", "impute:categorical")) for name in numeric_only)
    assert "select:method" not in numeric_only  # too few features to select from
    categorical_only = build_space("binary", 300, 4, 4)
    assert "impute:numeric" not in categorical_only
    assert "encode:booster_method" in categorical_only


def test_knn_never_asks_for_more_neighbours_than_half_the_rows():
    assert build_space("binary", 60, 5, 0)["knn:n_neighbors"].upper == 30
    assert build_space("binary", 100_000 // 3, 5, 0)["knn:n_neighbors"].upper == 100


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_sampled_configs_hold_only_hyperparameters_their_pipeline_reads(task):
    space = build_space(task, 400, 12, 2)
    space.seed(7)
    seen = set()
    for configuration in space.sample_configuration(300):
        config = dict(configuration)
        algorithm = algorithm_of(config)
        seen.add(algorithm)
        for name in config:
            assert name == "algorithm" or name.startswith(
                (f"{algorithm}:", *PREPROCESSING_PREFIXES)
            ), (name, algorithm)
        scaled = algorithm in ("linear", "knn", "svm", "mlp")
        assert ("scale:method" in config) == scaled
        assert ("impute:numeric" in config) == scaled
        assert ("encode:booster_method" in config) == (
            algorithm in ("lightgbm", "hist_gb", "xgboost")
        )
        if config.get("select:method", "none") == "none":
            assert "select:percentile" not in config
    assert seen == set(ALGORITHMS)


def test_log_scales_where_the_range_spans_orders_of_magnitude():
    space = build_space("binary", 1000, 10, 2)
    for name in (
        "lightgbm:learning_rate",
        "svm:C",
        "svm:gamma",
        "linear:C",
        "mlp:alpha",
        "mlp:units",
        "lightgbm:num_leaves",
        "encode:min_frequency",
    ):
        assert space[name].log, name
    assert not space["lightgbm:subsample"].log


def test_bad_requests_are_refused():
    with pytest.raises(ValueError, match="unknown task"):
        build_space("ranking", 100, 3, 0)
    with pytest.raises(ValueError, match="n_categorical"):
        build_space("binary", 100, 3, 4)
    with pytest.raises(ValueError, match="unknown algorithm"):
        algorithm_of({"algorithm": "catboost"})
    with pytest.raises(ValueError, match="unknown task"):
        available_algorithms("clustering", 10)


def test_a_learner_hyperparameter_missing_from_the_config_is_an_error():
    config = dict(build_space("binary", 200, 3, 0).get_default_configuration())
    del config["lightgbm:num_leaves"]
    with pytest.raises(ValueError, match="lightgbm:num_leaves"):
        build_pipeline(config, task="binary", numeric=["a", "b", "c"], categorical=[])


def test_a_config_from_a_numeric_dataset_runs_on_one_with_categoricals(frames):
    """Missing preprocessing choices fall back to the space defaults (portable configs)."""
    numeric_space = build_space("binary", 120, 3, 0)
    config = next(c for c in default_configs(numeric_space) if c["algorithm"] == "linear")
    assert not any(name.startswith("encode:") for name in config)
    frame = frames("binary", 120, 3, 2, True, 0)
    pipeline = build_pipeline(
        config, task="binary", numeric=frame.numeric, categorical=frame.categorical
    ).fit(frame.X, frame.y)
    assert pipeline.predict_proba(frame.X).shape == (120, 2)


SHAPES = [
    ("multiclass", 2000, 30, 5),
    ("binary", 60, 3, 0),  # knn capped at 30 neighbours, no feature selection
    ("regression", KNN_MAX_ROWS + 1, 20, 0),  # no svm, no knn
    ("binary", 300, 4, 4),  # categorical columns only
]


@pytest.mark.parametrize(("task", "rows", "features", "categorical"), SHAPES)
def test_default_configs_are_valid_and_carry_the_space_default(task, rows, features, categorical):
    space = build_space(task, rows, features, categorical)
    configs = default_configs(space)
    for config in configs:  # raises on a value out of range, missing, or of an inactive branch
        Configuration(space, values=config)
    algorithms_tried = {c["algorithm"] for c in configs}
    assert algorithms_tried <= algorithms(space)
    assert {"lightgbm", "random_forest", "linear"} <= algorithms_tried
    assert configs[0] == dict(space.get_default_configuration())  # LightGBM's defaults first


def test_random_forest_default_max_features_is_the_square_root_share():
    space = build_space("multiclass", 2000, 30, 5)
    assert np.isclose(space["random_forest:max_features"].default_value, np.sqrt(30) / 30)
