"""automl-cli: one command from a CSV to a strong, safe model.

`automl_cli.fit(data, target=..., **options)` runs `automl fit` and gives the fitted `Model`;
`automl_cli.load(path)` gives the `Model` in a model file: `.predict(df)`, `.predict_proba(df)`,
`.save(path)`, `.manifest`. `AutoMLClassifier` and `AutoMLRegressor` are scikit-learn
estimators. Every name is imported on first use, so that importing this package (and so every
`automl` command) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
_HOMES = {
    "Model": "automl_cli.model",
    "load": "automl_cli.model",
    "fit": "automl_cli.fitting",
    "AutoMLClassifier": "automl_cli.estimators",
    "AutoMLRegressor": "automl_cli.estimators",
}
__all__ = list(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
