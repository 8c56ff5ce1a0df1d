"""Config -> scikit-learn Pipeline that takes the raw feature DataFrame.

Shape of every pipeline:

    prepare (ColumnTransformer)  numeric:     SimpleImputer (scaled learners) or passthrough
                                 categorical: CategoricalImputer -> OneHot/Ordinal encoder
    [categories]  CategoryFrame, only for native categoricals in a booster
    [scale]       scaled learners only, unless "none"
    [select]      SelectPercentile, scaled learners only, when chosen
    model         the learner (see learners.py)

Unseen levels arrive as NaN and are imputed like any missing value; a level the encoder never
saw (the "missing" level when training had no gaps) goes to the infrequent bucket or an
all-zero row (one-hot), to code -1 (ordinal), or to missing (native).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.feature_selection import (
    SelectPercentile,
    f_classif,
    f_regression,
    mutual_info_classif,
    mutual_info_regression,
)
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    OneHotEncoder,
    OrdinalEncoder,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)

from automl_cli.space.components import CategoricalImputer, CategoryFrame
from automl_cli.space.definition import (
    ALGORITHMS,
    BOOSTERS,
    PREPROCESSING_DEFAULTS,
    SCALED,
    check_task,
)
from automl_cli.space.learners import make_learner

ONEHOT_MAX_LEVELS = 64  # columns per categorical feature, the infrequent bucket included
ORDINAL_MAX_LEVELS = 250  # HistGradientBoosting takes at most 255 categories per feature
QUANTILES = 100  # enough resolution for a scaler; no warning down to 100 training rows

Choice = Callable[[str], Any]  # a preprocessing choice of the config, or its default


def algorithm_of(config: Mapping[str, Any]) -> str:
    """The learner a config selects (its "algorithm" value)."""
    try:
        algorithm = str(config["algorithm"])
    except KeyError:
        raise ValueError("the config has no 'algorithm'") from None
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; expected one of {ALGORITHMS}")
    return algorithm


def build_pipeline(
    config: Mapping[str, Any],
    *,
    task: str,
    numeric: Sequence[str],
    categorical: Sequence[str],
    n_threads: int = 1,
    seed: int = 0,
) -> Pipeline:
    """The unfitted pipeline for `config` (a plain dict of the active hyperparameters).

    Preprocessing choices that exist only for some column types fall back to the space's
    defaults when absent; a learner's own hyperparameters must all be present.
    """
    check_task(task)
    algorithm = algorithm_of(config)

    def choice(name: str) -> Any:
        value = config.get(name, PREPROCESSING_DEFAULTS[name])
        return value.item() if isinstance(value, np.generic) else value

    scaled = algorithm in SCALED
    encoding = None
    if categorical:
        encoding = choice("encode:booster_method" if algorithm in BOOSTERS else "encode:method")
    steps: list[tuple[str, Any]] = [
        ("prepare", _prepare(choice, scaled, encoding, list(numeric), list(categorical)))
    ]
    if encoding == "native":
        first = len(numeric)
        steps.append(("categories", CategoryFrame(tuple(range(first, first + len(categorical))))))
    if scaled:
        scaler = _scaler(str(choice("scale:method")), seed)
        if scaler is not None:
            steps.append(("scale", scaler))
        if choice("select:method") != "none":
            steps.append(("select", _selector(choice, task, seed)))
    steps.append(("model", make_learner(config, task, n_threads, seed)))
    return Pipeline(steps)


def _prepare(
    choice: Choice, scaled: bool, encoding: str | None, numeric: list[str], categorical: list[str]
) -> ColumnTransformer:
    parts: list[tuple[str, Any, list[str]]] = []
    if numeric:
        if scaled:
            imputer = SimpleImputer(
                strategy=str(choice("impute:numeric")),
                add_indicator=bool(choice("impute:indicator")),
                keep_empty_features=True,  # the column count must not depend on the rows
            )
            parts.append(("numeric", imputer, numeric))
        else:
            parts.append(("numeric", "passthrough", numeric))  # trees read NaN natively
    if categorical:
        encoder = _encoder(str(encoding), float(choice("encode:min_frequency")))
        imputer = CategoricalImputer(str(choice("impute:categorical")))
        parts.append(
            ("categorical", Pipeline([("impute", imputer), ("encode", encoder)]), categorical)
        )
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)


def _encoder(encoding: str, min_frequency: float) -> Any:
    if encoding == "onehot":
        return OneHotEncoder(
            handle_unknown="infrequent_if_exist",  # all-zero row when no bucket exists
            min_frequency=min_frequency,
            max_categories=ONEHOT_MAX_LEVELS,
            sparse_output=False,
        )
    if encoding not in ("ordinal", "native"):
        raise ValueError(f"unknown categorical encoding {encoding!r}")
    return OrdinalEncoder(
        handle_unknown="use_encoded_value",
        # native: an unknown level is a missing value to the booster; ordinal: its own code,
        # because the scale-sensitive learners cannot take NaN.
        unknown_value=np.nan if encoding == "native" else -1,
        min_frequency=min_frequency,
        max_categories=ORDINAL_MAX_LEVELS,
    )


def _scaler(method: str, seed: int) -> Any:
    if method == "none":
        return None
    if method == "standard":
        return StandardScaler()
    if method == "robust":
        return RobustScaler()
    if method == "quantile":
        return QuantileTransformer(
            n_quantiles=QUANTILES, output_distribution="normal", random_state=seed
        )
    raise ValueError(f"unknown scaling {method!r}")


def _selector(choice: Choice, task: str, seed: int) -> SelectPercentile:
    method = str(choice("select:method"))
    classification = task != "regression"
    if method == "f_test":
        score = f_classif if classification else f_regression
    elif method == "mutual_info":
        estimate = mutual_info_classif if classification else mutual_info_regression
        score = partial(estimate, random_state=seed)  # the estimator adds seeded noise
    else:
        raise ValueError(f"unknown feature selection {method!r}")
    return SelectPercentile(score, percentile=float(choice("select:percentile")))
