"""A small portfolio of strong, diverse default configs: the first trials of every search.

Library defaults are strong starting points on tabular data (Probst, Boulesteix & Bischl
2019, "Tunability"), and a handful of diverse learners covers the cases where one family
loses. Order matters: the cheapest strong learners go first, so a tight time budget still ends
with a good model. Entries whose learner is not in the space (SVM on large data) are skipped;
everything an entry leaves out takes the space's default.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from ConfigSpace import ConfigurationSpace
from ConfigSpace.util import deactivate_inactive_hyperparameters

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
    offered = set(space["algorithm"].choices)
    configs = []
    for entry in PORTFOLIO:
        if entry["algorithm"] not in offered:
            continue
        values = {name: hp.default_value for name, hp in space.items()}
        values.update((name, value) for name, value in entry.items() if name in space)
        config = deactivate_inactive_hyperparameters(values, space)
        config.check_valid_configuration()
        configs.append(
            {
                name: value.item() if isinstance(value, np.generic) else value
                for name, value in sorted(dict(config).items())
            }
        )
    return configs
