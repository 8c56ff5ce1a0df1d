"""The CASH search space (ConfigSpace) and config -> scikit-learn Pipeline, in one place.

`build_space` describes what can be searched for one dataset (`space_for` a loaded one),
`build_pipeline` turns a config from it into an unfitted Pipeline over the raw feature
DataFrame, `default_configs` gives the portfolio every search starts with, `adapt.py` moves
any config into a space (completing a partial one), and TRUSTED_TYPES lists what a fitted
pipeline may contain beyond what skops.io trusts by default.

The names are imported on first use: loading a model file imports this package (its
components and trusted types), and predicting must not pay for ConfigSpace.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "SPACE_VERSION": "definition",
    "available_algorithms": "definition",
    "build_space": "definition",
    "space_for": "definition",
    "algorithm_of": "pipeline",
    "build_pipeline": "pipeline",
    "default_configs": "portfolio",
    "TRUSTED_TYPES": "trusted",
    "trial_parts": "learners",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value
    return value
