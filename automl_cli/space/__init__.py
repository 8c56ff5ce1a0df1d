"""The CASH search space (ConfigSpace) and config -> scikit-learn Pipeline, in one place.

`build_space` describes what can be searched for one dataset (`space_for` a loaded one),
`build_pipeline` turns a config from it into an unfitted Pipeline over the raw feature
DataFrame, `default_configs` gives the portfolio every search starts with, `adapt.py` moves
any config into a space (completing a partial one), and TRUSTED_TYPES lists what a fitted
pipeline may contain beyond what skops.io trusts by default.
"""

from automl_cli.space.definition import SPACE_VERSION, available_algorithms, build_space, space_for
from automl_cli.space.pipeline import algorithm_of, build_pipeline
from automl_cli.space.portfolio import default_configs
from automl_cli.space.trusted import TRUSTED_TYPES

__all__ = [
    "SPACE_VERSION",
    "TRUSTED_TYPES",
    "algorithm_of",
    "available_algorithms",
    "build_pipeline",
    "build_space",
    "default_configs",
    "space_for",
]
