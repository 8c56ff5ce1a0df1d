"""The CASH search space: which learner, how to prepare the data for it, and its own knobs.

Names: "algorithm" picks the learner; preprocessing hyperparameters carry their step as a prefix
("impute:", "encode:", "scale:", "select:"), a learner's own carry the learner's name
("lightgbm:num_leaves"). Every hyperparameter is conditional on the choices that read it, so a
sampled config holds exactly what its pipeline uses, and configs stay comparable in the
knowledge base. The space contains no forbidden clauses: every point a strategy can reach by
conditions alone is a valid pipeline.

Who gets which preprocessing:
- scale-sensitive learners (linear, kNN, SVM, MLP) get numeric imputation (+ missing
  indicators), scaling and optional univariate feature selection;
- tree learners read NaN natively (scikit-learn forests since 1.4/1.6, HistGradientBoosting,
  LightGBM, XGBoost), are scale-invariant and pick features themselves, so they skip all three;
- every learner gets categorical imputation and a rare-level floor; the boosters may also take
  categoricals natively (pandas category dtype).

Ranges are set from the libraries' tuning guides and from published AutoML spaces, narrowed
so that one fit on a few thousand rows takes seconds on one thread:
- LightGBM "Parameters Tuning" guide (num_leaves, min_data_in_leaf, bagging/feature fraction);
  XGBoost "Notes on Parameter Tuning"; FLAML's LightGBM/XGBoost spaces (log-scaled
  regularisation, min_child_weight); auto-sklearn's spaces (HistGradientBoosting, forests, MLP,
  kNN); Hsu, Chang & Lin, "A Practical Guide to Support Vector Classification" (C, gamma grid);
  Probst, Wright & Boulesteix (2019), "Hyperparameters and tuning strategies for random forest"
  (max_features matters most; the number of trees is a cost knob, not a hyperparameter).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ConfigSpace import (
    Categorical,
    ConfigurationSpace,
    EqualsCondition,
    Float,
    InCondition,
    Integer,
)
from ConfigSpace.conditions import Condition
from ConfigSpace.hyperparameters import Hyperparameter

from automl_cli.choices import TASKS

if TYPE_CHECKING:
    from automl_cli.data import Dataset

SPACE_VERSION = "1"

BOOSTERS = ("lightgbm", "hist_gb", "xgboost")
FORESTS = ("random_forest", "extra_trees")
# kNN's fit has no sample_weight: a weighted neighbour vote would need its own learner, and
# seven other learners (forests, boosters, linear, SVM, MLP) take weights as they are
UNWEIGHTED = ("knn",)
SCALED = ("linear", "knn", "svm", "mlp")  # need imputation and scaling; may use selection
ALGORITHMS = (*BOOSTERS, *FORESTS, *SCALED)
DEFAULT_ALGORITHM = "lightgbm"

# Size limits (rows of the whole dataset). Kernel SVM training grows between n^2 and n^3 and
# the calibration fits it 4 times; kNN prediction costs n_train * n_valid distances; mutual
# information runs a nearest-neighbour estimate per feature.
SVM_MAX_ROWS = 10_000
KNN_MAX_ROWS = 50_000
MUTUAL_INFO_MAX_ROWS = 10_000
# Univariate selection on fewer features buys little, and SelectPercentile can keep zero
# columns when percentile * width < 100.
SELECT_MIN_FEATURES = 10
KNN_MAX_NEIGHBORS = 100

# Space defaults of the preprocessing choices. build_pipeline falls back to them when a config
# lacks a choice that only exists for some column types (a config carried over from a dataset
# without categorical columns, say), so configs stay usable across datasets.
PREPROCESSING_DEFAULTS: dict[str, Any] = {
    "impute:numeric": "median",
    "impute:indicator": False,
    "impute:categorical": "missing_level",
    "encode:min_frequency": 0.01,
    "encode:method": "onehot",
    "encode:booster_method": "native",
    "scale:method": "standard",
    "select:method": "none",
    "select:percentile": 50.0,
}


def available_algorithms(task: str, n_rows: int, weighted: bool = False) -> list[str]:
    """The learners offered for a task of n_rows rows, in the space's fixed order; `weighted`
    (sample weights, `--weight`) leaves out those that cannot take them."""
    check_task(task)
    excluded = set(UNWEIGHTED) if weighted else set()
    if n_rows > SVM_MAX_ROWS:
        excluded.add("svm")
    if n_rows > KNN_MAX_ROWS:
        excluded.add("knn")
    return [name for name in ALGORITHMS if name not in excluded]


def build_space(
    task: str, n_rows: int, n_features: int, n_categorical: int, weighted: bool = False
) -> ConfigurationSpace:
    """The CASH space for one dataset: learners by size (and sample weights), preprocessing by
    column types."""
    check_task(task)
    if n_rows < 1 or n_features < 1 or not 0 <= n_categorical <= n_features:
        raise ValueError(
            f"need n_rows >= 1, n_features >= 1 and 0 <= n_categorical <= n_features, "
            f"got {n_rows}, {n_features}, {n_categorical}"
        )
    space = ConfigurationSpace(name=f"automl-cli-{task}-v{SPACE_VERSION}")
    algorithms = available_algorithms(task, n_rows, weighted)
    algorithm = Categorical("algorithm", algorithms, default=DEFAULT_ALGORITHM)
    space.add(algorithm)
    _add_preprocessing(space, algorithm, algorithms, n_rows, n_features, n_categorical)
    classification = task != "regression"
    learners = {
        "lightgbm": _lightgbm(),
        "hist_gb": _hist_gb(),
        "xgboost": _xgboost(),
        "random_forest": _forest("random_forest", classification, n_features),
        "extra_trees": _forest("extra_trees", classification, n_features),
        "linear": _linear(classification),
        "knn": _knn(n_rows),
        "svm": _svm(classification, n_features),
        "mlp": _mlp(),
    }
    for name in algorithms:
        own, nested = learners[name]
        space.add(
            *own,
            *(hp for hp, _ in nested),
            *(EqualsCondition(hp, algorithm, name) for hp in own),
            *(condition for _, condition in nested),
        )
    return space


def space_for(dataset: Dataset) -> ConfigurationSpace:
    """The CASH space for a loaded dataset: its task, row count and column types."""
    schema = dataset.schema
    return build_space(
        dataset.task,
        len(dataset.y),
        len(schema.feature_names),
        len(schema.categorical),
        weighted=dataset.weights is not None,
    )


def _add_preprocessing(
    space: ConfigurationSpace,
    algorithm: Categorical,
    algorithms: Sequence[str],
    n_rows: int,
    n_features: int,
    n_categorical: int,
) -> None:
    scaled = [name for name in algorithms if name in SCALED]
    plain = [name for name in algorithms if name not in BOOSTERS]
    boosters = [name for name in algorithms if name in BOOSTERS]
    if n_features > n_categorical:
        numeric = [
            _choice("impute:numeric", ["median", "mean"]),
            _choice("impute:indicator", [False, True]),
        ]
        space.add(*numeric, *(InCondition(hp, algorithm, scaled) for hp in numeric))
    if n_categorical:
        space.add(
            _choice("impute:categorical", ["most_frequent", "missing_level"]),
            # Levels rarer than this fraction of the rows are pooled into one "infrequent"
            # level: keeps one-hot width and native category splits from chasing noise.
            Float(
                "encode:min_frequency",
                (1e-3, 0.1),
                log=True,
                default=PREPROCESSING_DEFAULTS["encode:min_frequency"],
            ),
        )
        method = _choice("encode:method", ["onehot", "ordinal"])
        booster_method = _choice("encode:booster_method", ["native", "onehot", "ordinal"])
        space.add(
            method,
            booster_method,
            InCondition(method, algorithm, plain),
            InCondition(booster_method, algorithm, boosters),
        )
    scale = _choice("scale:method", ["standard", "robust", "quantile", "none"])
    space.add(scale, InCondition(scale, algorithm, scaled))
    if n_features >= SELECT_MIN_FEATURES:
        scores = ["none", "f_test"] + (["mutual_info"] if n_rows <= MUTUAL_INFO_MAX_ROWS else [])
        select = _choice("select:method", scores)
        percentile = Float(
            "select:percentile", (10.0, 90.0), default=PREPROCESSING_DEFAULTS["select:percentile"]
        )
        space.add(
            select,
            percentile,
            InCondition(select, algorithm, scaled),
            InCondition(percentile, select, scores[1:]),
        )


def _choice(name: str, choices: list) -> Categorical:
    return Categorical(name, choices, default=PREPROCESSING_DEFAULTS[name])


# A learner's own hyperparameters (conditional on "algorithm") and nested ones with their
# condition on a sibling.
Learner = tuple[list[Hyperparameter], list[tuple[Hyperparameter, Condition]]]


def _lightgbm() -> Learner:
    # LightGBM "Parameters Tuning": num_leaves is the main complexity knob (keep it well below
    # 2^max_depth), min_data_in_leaf guards against overfitting, bagging + feature fraction
    # speed up and regularise. Library defaults are the space defaults.
    return [
        Integer("lightgbm:n_estimators", (32, 512), log=True, default=100),
        Float("lightgbm:learning_rate", (0.01, 0.5), log=True, default=0.1),
        Integer("lightgbm:num_leaves", (4, 128), log=True, default=31),
        Integer("lightgbm:min_child_samples", (2, 128), log=True, default=20),
        Float("lightgbm:subsample", (0.5, 1.0), default=1.0),
        Float("lightgbm:colsample_bytree", (0.3, 1.0), default=1.0),
        Float("lightgbm:reg_alpha", (1e-8, 10.0), log=True, default=1e-8),
        Float("lightgbm:reg_lambda", (1e-8, 10.0), log=True, default=1e-8),
    ], []


def _hist_gb() -> Learner:
    # auto-sklearn's HistGradientBoosting space, with fewer leaves and iterations for speed.
    return [
        Integer("hist_gb:max_iter", (32, 512), log=True, default=100),
        Float("hist_gb:learning_rate", (0.01, 1.0), log=True, default=0.1),
        Integer("hist_gb:max_leaf_nodes", (4, 128), log=True, default=31),
        Integer("hist_gb:min_samples_leaf", (1, 200), log=True, default=20),
        Float("hist_gb:l2_regularization", (1e-8, 10.0), log=True, default=1e-8),
        Float("hist_gb:max_features", (0.3, 1.0), default=1.0),
    ], []


def _xgboost() -> Learner:
    # XGBoost "Notes on Parameter Tuning": depth and min_child_weight control complexity,
    # subsample/colsample add randomness; FLAML: log scales for the L1/L2 terms.
    return [
        Integer("xgboost:n_estimators", (32, 512), log=True, default=100),
        Float("xgboost:learning_rate", (0.01, 0.5), log=True, default=0.3),
        Integer("xgboost:max_depth", (2, 10), default=6),
        Float("xgboost:min_child_weight", (0.01, 64.0), log=True, default=1.0),
        Float("xgboost:subsample", (0.5, 1.0), default=1.0),
        Float("xgboost:colsample_bytree", (0.3, 1.0), default=1.0),
        Float("xgboost:reg_alpha", (1e-8, 10.0), log=True, default=1e-8),
        Float("xgboost:reg_lambda", (1e-3, 100.0), log=True, default=1.0),
    ], []


def _forest(name: str, classification: bool, n_features: int) -> Learner:
    # Defaults: sqrt(p) features per split for classification (Breiman); for regression p/3
    # for random forests (Breiman) and all p for extra trees (Geurts et al. 2006).
    if classification:
        max_features = math.sqrt(n_features) / n_features
    else:
        max_features = 1 / 3 if name == "random_forest" else 1.0
    own = [
        Float(f"{name}:max_features", (0.05, 1.0), default=min(1.0, max(0.05, max_features))),
        Integer(f"{name}:min_samples_leaf", (1, 32), log=True, default=1),
        Integer(f"{name}:min_samples_split", (2, 32), log=True, default=2),
        Categorical(f"{name}:bootstrap", [True, False], default=name == "random_forest"),
    ]
    if classification:
        own.append(Categorical(f"{name}:criterion", ["gini", "entropy"], default="gini"))
    return own, []


def _linear(classification: bool) -> Learner:
    penalty = Categorical("linear:penalty", ["l2", "l1", "elasticnet"], default="l2")
    l1_ratio = Float("linear:l1_ratio", (0.05, 0.95), default=0.5)
    nested: list[tuple[Hyperparameter, Condition]] = [
        (l1_ratio, EqualsCondition(l1_ratio, penalty, "elasticnet"))
    ]
    if classification:
        # C multiplies the summed loss, so one range serves every penalty.
        return [penalty, Float("linear:C", (1e-3, 1e3), log=True, default=1.0)], nested
    # Ridge penalises the summed squared error, Lasso/ElasticNet the mean: their alphas live
    # on different scales. With standardised X and y, alpha >= 1 zeroes every Lasso weight.
    ridge_alpha = Float("linear:ridge_alpha", (1e-3, 1e3), log=True, default=1.0)
    alpha = Float("linear:alpha", (1e-5, 1.0), log=True, default=1e-3)
    nested += [
        (ridge_alpha, EqualsCondition(ridge_alpha, penalty, "l2")),
        (alpha, InCondition(alpha, penalty, ["l1", "elasticnet"])),
    ]
    return [penalty], nested


def _knn(n_rows: int) -> Learner:
    # Never more neighbours than half the rows, so small data and small budgets still fit.
    upper = max(2, min(KNN_MAX_NEIGHBORS, n_rows // 2))
    return [
        Integer("knn:n_neighbors", (1, upper), log=True, default=min(5, upper)),
        Categorical("knn:weights", ["uniform", "distance"], default="uniform"),
        Categorical("knn:p", [1, 2], default=2),
    ], []


def _svm(classification: bool, n_features: int) -> Learner:
    # Hsu, Chang & Lin: C in 2^-5..2^15, gamma in 2^-15..2^3; C capped at 2^10 because large C
    # on unscaled data makes libsvm crawl. Default gamma 1/p is scikit-learn's "scale" for
    # standardised inputs.
    gamma_range = (2.0**-15, 2.0**3)
    own = [
        Float("svm:C", (2.0**-5, 2.0**10), log=True, default=1.0),
        Float(
            "svm:gamma",
            gamma_range,
            log=True,
            default=min(gamma_range[1], max(gamma_range[0], 1 / n_features)),
        ),
    ]
    if not classification:
        # The target is standardised before SVR, so epsilon is in standard deviations.
        own.append(Float("svm:epsilon", (1e-3, 1.0), log=True, default=0.1))
    return own, []


def _mlp() -> Learner:
    # Architecture and Adam settings as in auto-sklearn's MLP space; one width shared by all
    # hidden layers keeps the space small with little loss.
    return [
        Integer("mlp:n_layers", (1, 3), default=1),
        Integer("mlp:units", (16, 256), log=True, default=100),
        Categorical("mlp:activation", ["relu", "tanh"], default="relu"),
        Float("mlp:alpha", (1e-7, 1e-1), log=True, default=1e-4),
        Float("mlp:learning_rate_init", (1e-4, 1e-1), log=True, default=1e-3),
        Categorical("mlp:early_stopping", [False, True], default=False),
    ], []


def check_task(task: str) -> None:
    """ValueError unless `task` is one of TASKS."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
