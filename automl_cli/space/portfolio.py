"""A small portfolio of strong, diverse default configs: the first trials of every search.

Library defaults are strong starting points on tabular data (Probst, Boulesteix & Bischl
2019, "Tunability"), and a handful of diverse learners covers the cases where one family
loses. Order matters: the cheapest strong learners go first, so a tight time budget still ends
with a good model. Entries whose learner is not in the space (SVM on large data) are skipped;
everything an entry leaves out takes the space's default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from automl_cli.space.adapt import SpaceAdapter

if TYPE_CHECKING:
    from ConfigSpace import ConfigurationSpace

PORTFOLIO: tuple[dict[str, Any], ...] = (
    {"algorithm": "lightgbm"},  # library defaults
    {"algorithm": "hist_gb"},
    {"algorithm": "random_forest"},
    # Boosting with a smaller learning rate, bagging and a leaf floor: the usual winner on
    # small, noisy data where the defaults overfit.
    {
        "algorithm": "lightgbm",
        "lightgbm:n_estimators": 300,
        "lightgbm:learning_rate": 0.05,
        "lightgbm:num_leaves": 15,
        "lightgbm:min_child_samples": 10,
        "lightgbm:subsample": 0.8,
        "lightgbm:colsample_bytree": 0.7,
        "lightgbm:reg_lambda": 1.0,
    },
    {"algorithm": "extra_trees"},
    {
        "algorithm": "xgboost",
        "xgboost:learning_rate": 0.1,
        "xgboost:n_estimators": 200,
        "xgboost:subsample": 0.8,
        "xgboost:colsample_bytree": 0.8,
    },
    {"algorithm": "linear", "scale:method": "standard"},
    {"algorithm": "svm", "scale:method": "standard"},
    # Early stopping on a 10 % split is noise on small data; strong weight decay instead.
    {
        "algorithm": "mlp",
        "scale:method": "quantile",
        "mlp:units": 64,
        "mlp:alpha": 0.1,
        "mlp:early_stopping": False,
    },
)


def default_configs(space: ConfigurationSpace) -> list[dict[str, Any]]:
    """The portfolio entries valid in `space`, as plain dicts of their active values."""
    adapt = SpaceAdapter(space)
    return [config for config in map(adapt, PORTFOLIO) if config is not None]
