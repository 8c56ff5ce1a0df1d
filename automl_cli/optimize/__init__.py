"""Search strategies behind one ask/tell interface (docs/architecture.md, contract 3)."""

from __future__ import annotations

import importlib
from typing import Any

from ConfigSpace import ConfigurationSpace

from automl_cli.choices import STRATEGIES
from automl_cli.optimize.base import Job, Observation, Optimizer


def create_optimizer(name: str, space: ConfigurationSpace, **options: Any) -> Optimizer:
    """Build the strategy called `name` (one of STRATEGIES) over `space`."""
    try:
        target = STRATEGIES[name]
    except KeyError:
        raise ValueError(
            f"unknown optimizer {name!r}; choose one of {', '.join(STRATEGIES)}"
        ) from None
    module_name, class_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(space, **options)


__all__ = ["STRATEGIES", "Job", "Observation", "Optimizer", "create_optimizer"]
