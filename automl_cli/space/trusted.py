"""Every type a fitted pipeline from build_pipeline may hold that skops.io does not trust.

The model-file loader passes exactly this tuple to skops.io.load(trusted=...), so a file that
holds anything else is refused. The list is code, never read from a file; the skops round-trip
test in tests/space fails when a new component adds a type that is missing here.
"""

TRUSTED_TYPES: tuple[str, ...] = (
    # our own transformers, and the ensemble of searched pipelines
    "automl_cli.ensemble.estimator.Ensemble",
    "automl_cli.space.components.CategoricalImputer",
    "automl_cli.space.components.CategoryFrame",
    # gradient boosting libraries and their fitted boosters
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor",
    "xgboost.core.Booster",
    "xgboost.sklearn.XGBClassifier",
    "xgboost.sklearn.XGBRegressor",
    # scikit-learn internals of fitted models
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.metrics._dist_metrics.ManhattanDistance64",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.tree._tree.Tree",
    # functions stored as parameters: feature-selection scores, and the input check that
    # HistGradientBoosting keeps (in a functools.partial) for native categorical columns
    "functools.partial",
    "sklearn.feature_selection._mutual_info.mutual_info_classif",
    "sklearn.feature_selection._mutual_info.mutual_info_regression",
    "sklearn.feature_selection._univariate_selection.f_classif",
    "sklearn.feature_selection._univariate_selection.f_regression",
    "sklearn.utils.validation.check_array",
    # plain containers and dtypes
    "collections.OrderedDict",
    "numpy.dtype",
)
