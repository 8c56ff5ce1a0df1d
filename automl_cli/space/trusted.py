"""Every type a model file's model may hold beyond the plain ones skops.io always trusts.

The model-file loader refuses a file that holds any type not listed here, and the scikit-learn
estimators are listed one by one: it imports skops.io without its default trust in every
scikit-learn estimator (`bundle.skops_io`). The list is code, never read from a file; the
skops round-trip test in tests/space fails when a new component adds a type missing here.
"""

TRUSTED_TYPES: tuple[str, ...] = (
    # the stored model (schema, task and classes as plain values), the ensemble of searched
    # pipelines, and our own transformers
    "automl_cli.model.Model",
    "automl_cli.ensemble.estimator.Ensemble",
    "automl_cli.space.components.CategoricalImputer",
    "automl_cli.space.components.CategoryFrame",
    "automl_cli.space.kernel_svm.RBFSVC",
    "automl_cli.space.kernel_svm.RBFSVR",
    # scikit-learn estimators: the pipeline, its preprocessing, the learners, the baseline
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.compose._target.TransformedTargetRegressor",
    "sklearn.dummy.DummyClassifier",
    "sklearn.dummy.DummyRegressor",
    "sklearn.ensemble._forest.ExtraTreesClassifier",
    "sklearn.ensemble._forest.ExtraTreesRegressor",
    "sklearn.ensemble._forest.RandomForestClassifier",
    "sklearn.ensemble._forest.RandomForestRegressor",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor",
    "sklearn.feature_selection._univariate_selection.SelectPercentile",
    "sklearn.impute._base.MissingIndicator",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.linear_model._ridge.Ridge",
    "sklearn.neighbors._classification.KNeighborsClassifier",
    "sklearn.neighbors._regression.KNeighborsRegressor",
    "sklearn.neural_network._multilayer_perceptron.MLPClassifier",
    "sklearn.neural_network._multilayer_perceptron.MLPRegressor",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.QuantileTransformer",
    "sklearn.preprocessing._data.RobustScaler",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.preprocessing._encoders.OneHotEncoder",
    "sklearn.preprocessing._encoders.OrdinalEncoder",
    "sklearn.preprocessing._function_transformer.FunctionTransformer",
    "sklearn.preprocessing._label.LabelBinarizer",
    "sklearn.preprocessing._label.LabelEncoder",
    "sklearn.svm._classes.SVC",
    "sklearn.svm._classes.SVR",
    "sklearn.tree._classes.DecisionTreeClassifier",
    "sklearn.tree._classes.DecisionTreeRegressor",
    "sklearn.tree._classes.ExtraTreeClassifier",
    "sklearn.tree._classes.ExtraTreeRegressor",
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
