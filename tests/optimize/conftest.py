"""Search spaces shared by the optimizer tests.

`cash_space` looks like the real CASH space: a top-level 'algorithm' with three branches, each
mixing log and linear floats, integers and categoricals, with a nested condition per branch.
`tiny_space` is small enough to enumerate by hand.
"""

from __future__ import annotations

import pytest
from ConfigSpace import (
    Categorical,
    ConfigurationSpace,
    EqualsCondition,
    Float,
    Integer,
)


def build_cash_space() -> ConfigurationSpace:
    """18 hyperparameters: 'algorithm' in {gbm, forest, linear} plus two unconditional ones."""
    space = ConfigurationSpace()
    algorithm = Categorical("algorithm", ["gbm", "forest", "linear"], default="gbm")
    scaler = Categorical("scaler", ["none", "standard", "quantile"])
    max_bins = Integer("max_bins", (16, 255), log=True)
    gbm = [
        Float("gbm_learning_rate", (1e-3, 0.3), log=True),
        Integer("gbm_num_leaves", (4, 256), log=True),
        Integer("gbm_n_estimators", (50, 500)),
        Float("gbm_subsample", (0.5, 1.0)),
        Categorical("gbm_boosting", ["gbdt", "dart"]),
    ]
    gbm_drop_rate = Float("gbm_drop_rate", (0.01, 0.5))
    forest = [
        Integer("forest_n_estimators", (50, 300)),
        Float("forest_max_features", (0.1, 1.0)),
        Categorical("forest_criterion", ["gini", "entropy", "log_loss"]),
        Categorical("forest_bootstrap", [True, False]),
    ]
    forest_max_samples = Float("forest_max_samples", (0.3, 1.0))
    linear = [
        Float("linear_C", (1e-4, 1e4), log=True),
        Categorical("linear_penalty", ["l2", "l1", "elasticnet"]),
        Integer("linear_max_iter", (100, 1000), log=True),
    ]
    linear_l1_ratio = Float("linear_l1_ratio", (0.0, 1.0))
    nested = [gbm_drop_rate, forest_max_samples, linear_l1_ratio]
    space.add([algorithm, scaler, max_bins, *gbm, *forest, *linear, *nested])
    for branch, hps in (("gbm", gbm), ("forest", forest), ("linear", linear)):
        space.add([EqualsCondition(hp, algorithm, branch) for hp in hps])
    space.add(
        [
            EqualsCondition(gbm_drop_rate, gbm[4], "dart"),
            EqualsCondition(forest_max_samples, forest[3], True),
            EqualsCondition(linear_l1_ratio, linear[1], "elasticnet"),
        ]
    )
    return space


def build_tiny_space() -> ConfigurationSpace:
    """One float and one categorical: a grid of resolution r has 2 * r points."""
    return ConfigurationSpace({"x": (-1.0, 1.0), "kind": ["a", "b"]})


@pytest.fixture(scope="session")
def cash_space() -> ConfigurationSpace:
    return build_cash_space()


@pytest.fixture(scope="session")
def tiny_space() -> ConfigurationSpace:
    return build_tiny_space()
