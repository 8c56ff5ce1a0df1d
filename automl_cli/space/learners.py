"""Config -> the final estimator of a pipeline, one builder per algorithm.

Fixed settings (not searched) and why:
- forests grow FOREST_TREES trees: more trees never hurt accuracy in expectation, they only
  cost time, so the count is a cost knob (Probst & Boulesteix 2018); a trial grows them in
  FOREST_PARTS parts (trial_parts);
- HistGradientBoosting runs without early stopping: its "auto" mode switches on at 10,000
  rows, which would change what max_iter means between the budgets of one search;
- MLPs train for at most MLP_MAX_EPOCHS epochs with Adam;
- classifiers always offer predict_proba: the SVM is calibrated with Platt's sigmoid through
  CalibratedClassifierCV(ensemble=False) (3 folds + one final fit), the replacement
  scikit-learn 1.9 names for the deprecated SVC(probability=True); the SVMs are libsvm's,
  their RBF decision values computed as matrix products (kernel_svm.py);
- LogisticRegression takes its penalty through l1_ratio (scikit-learn >= 1.8): lbfgs for pure
  L2, saga (the only solver for L1 and elastic net on multiclass) otherwise;
- regression targets are standardised for linear models, SVR and MLPs, so alpha, epsilon
  and the network's output scale mean the same on every dataset.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

FOREST_TREES = 100
FOREST_PARTS = 4
FOREST_PARTS_FROM_ROWS = 10_000
MLP_MAX_EPOCHS = 100
LINEAR_MAX_ITER = 300
SVM_CALIBRATION_FOLDS = 3
STANDARDISED_TARGET = ("linear", "svm", "mlp")


class Params:
    """An algorithm's hyperparameters from a config, as plain Python values."""

    def __init__(self, config: Mapping[str, Any], algorithm: str) -> None:
        self.config = config
        self.algorithm = algorithm

    def __call__(self, name: str) -> Any:
        key = f"{self.algorithm}:{name}"
        try:
            value = self.config[key]
        except KeyError:
            raise ValueError(f"the {self.algorithm} config lacks {key!r}") from None
        return value.item() if hasattr(value, "item") else value


def make_learner(config: Mapping[str, Any], task: str, n_threads: int, seed: int) -> Any:
    """The configured estimator for `task`; classifiers support predict_proba."""
    algorithm = str(config["algorithm"])
    classification = task != "regression"
    learner = _BUILDERS[algorithm](Params(config, algorithm), classification, n_threads, seed)
    if not classification and algorithm in STANDARDISED_TARGET:
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.preprocessing import StandardScaler

        learner = TransformedTargetRegressor(regressor=learner, transformer=StandardScaler())
    return learner


def trial_parts(config: Mapping[str, Any], n_rows: int, seed: int) -> list[dict[str, Any]]:
    """The parts a trial on `n_rows` training rows grows its learner in, as its parameters.

    A forest on FOREST_PARTS_FROM_ROWS rows or more grows in FOREST_PARTS parts of
    FOREST_TREES / FOREST_PARTS trees, each from its own seed; the trial predicts with a part
    and frees it before it grows the next (evaluate.py), so it holds a quarter of the forest
    (100 deep trees on 30,000 rows take 80-140 MB). A forest predicts the mean of its trees'
    predictions, so the mean of the parts' is that of one forest of all their trees. Smaller
    forests, and every other learner, grow whole: there a part's fixed cost would show.
    """
    if _BUILDERS.get(str(config["algorithm"])) is not _forest or n_rows < FOREST_PARTS_FROM_ROWS:
        return [{}]
    trees = FOREST_TREES // FOREST_PARTS
    return [{"n_estimators": trees, "random_state": seed + part} for part in range(FOREST_PARTS)]


def _lightgbm(p: Params, classification: bool, n_threads: int, seed: int) -> Any:
    import lightgbm

    cls = lightgbm.LGBMClassifier if classification else lightgbm.LGBMRegressor
    return cls(
        n_estimators=int(p("n_estimators")),
        learning_rate=float(p("learning_rate")),
        num_leaves=int(p("num_leaves")),
        min_child_samples=int(p("min_child_samples")),
        subsample=float(p("subsample")),
        subsample_freq=1,  # bagging is only on when the frequency is positive
        colsample_bytree=float(p("colsample_bytree")),
        reg_alpha=float(p("reg_alpha")),
        reg_lambda=float(p("reg_lambda")),
        n_jobs=n_threads,
        random_state=seed,
        verbose=-1,
    )


def _hist_gb(p: Params, classification: bool, n_threads: int, seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = HistGradientBoostingClassifier if classification else HistGradientBoostingRegressor
    return cls(
        max_iter=int(p("max_iter")),
        learning_rate=float(p("learning_rate")),
        max_leaf_nodes=int(p("max_leaf_nodes")),
        min_samples_leaf=int(p("min_samples_leaf")),
        l2_regularization=float(p("l2_regularization")),
        max_features=float(p("max_features")),
        early_stopping=False,
        random_state=seed,
    )


def _xgboost(p: Params, classification: bool, n_threads: int, seed: int) -> Any:
    import xgboost

    cls = xgboost.XGBClassifier if classification else xgboost.XGBRegressor
    return cls(
        n_estimators=int(p("n_estimators")),
        learning_rate=float(p("learning_rate")),
        max_depth=int(p("max_depth")),
        min_child_weight=float(p("min_child_weight")),
        subsample=float(p("subsample")),
        colsample_bytree=float(p("colsample_bytree")),
        reg_alpha=float(p("reg_alpha")),
        reg_lambda=float(p("reg_lambda")),
        tree_method="hist",
        enable_categorical=True,
        n_jobs=n_threads,
        random_state=seed,
        verbosity=0,
    )


def _forest(p: Params, classification: bool, n_threads: int, seed: int) -> Any:
    from sklearn import ensemble

    kind = "RandomForest" if p.algorithm == "random_forest" else "ExtraTrees"
    options: dict[str, Any] = {"criterion": str(p("criterion"))} if classification else {}
    cls = getattr(ensemble, kind + ("Classifier" if classification else "Regressor"))
    return cls(
        n_estimators=FOREST_TREES,
        max_features=float(p("max_features")),
        min_samples_leaf=int(p("min_samples_leaf")),
        min_samples_split=int(p("min_samples_split")),
        bootstrap=bool(p("bootstrap")),
        n_jobs=n_threads,
        random_state=seed,
        **options,
    )


def _linear(p: Params, classification: bool, n_threads: int, seed: int) -> Any:
    from sklearn import linear_model

    penalty = str(p("penalty"))
    l1_ratio = {"l2": 0.0, "l1": 1.0}.get(penalty)
    if l1_ratio is None:
        l1_ratio = float(p("l1_ratio"))
    if classification:
        return linear_model.LogisticRegression(
            C=float(p("C")),
            l1_ratio=l1_ratio,
            solver="lbfgs" if l1_ratio == 0.0 else "saga",
            max_iter=LINEAR_MAX_ITER,
            random_state=seed,
        )
    if penalty == "l2":
        return linear_model.Ridge(alpha=float(p("ridge_alpha")))
    if penalty == "l1":
        return linear_model.Lasso(alpha=float(p("alpha")), max_iter=LINEAR_MAX_ITER * 10)
    return linear_model.ElasticNet(
        alpha=float(p("alpha")), l1_ratio=l1_ratio, max_iter=LINEAR_MAX_ITER * 10
    )


def _knn(p: Params, classification: bool, n_threads: int, seed: int) -> Any:
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    cls = KNeighborsClassifier if classification else KNeighborsRegressor
    return cls(
        n_neighbors=int(p("n_neighbors")),
        weights=str(p("weights")),
        p=int(p("p")),
        n_jobs=n_threads,
    )


def _svm(p: Params, classification: bool, n_threads: int, seed: int) -> Any:
    from automl_cli.space.kernel_svm import RBFSVC, RBFSVR

    if not classification:
        return RBFSVR(C=float(p("C")), gamma=float(p("gamma")), epsilon=float(p("epsilon")))
    from sklearn.calibration import CalibratedClassifierCV

    return CalibratedClassifierCV(
        RBFSVC(C=float(p("C")), gamma=float(p("gamma"))),
        method="sigmoid",
        cv=SVM_CALIBRATION_FOLDS,
        ensemble=False,
    )


def _mlp(p: Params, classification: bool, n_threads: int, seed: int) -> Any:
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    cls = MLPClassifier if classification else MLPRegressor
    return cls(
        hidden_layer_sizes=(int(p("units")),) * int(p("n_layers")),
        activation=str(p("activation")),
        alpha=float(p("alpha")),
        learning_rate_init=float(p("learning_rate_init")),
        early_stopping=bool(p("early_stopping")),
        max_iter=MLP_MAX_EPOCHS,
        random_state=seed,
    )


_BUILDERS: dict[str, Callable[[Params, bool, int, int], Any]] = {
    "lightgbm": _lightgbm,
    "hist_gb": _hist_gb,
    "xgboost": _xgboost,
    "random_forest": _forest,
    "extra_trees": _forest,
    "linear": _linear,
    "knn": _knn,
    "svm": _svm,
    "mlp": _mlp,
}
