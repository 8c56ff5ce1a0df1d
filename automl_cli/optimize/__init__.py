"""Search strategies behind one ask/tell interface (DESIGN.md, contract 3)."""

from __future__ import annotations

import importlib
from typing import Any

from ConfigSpace import ConfigurationSpace

from automl_cli.optimize.base import Job, Observation, Optimizer

# name -> "module:Class"; modules are imported on first use so the CLI starts fast.
STRATEGIES: dict[str, str] = {
    "bohb": "automl_cli.optimize.bohb:BOHB",
    "hyperband": "automl_cli.optimize.hyperband:Hyperband",
    "sha": "automl_cli.optimize.successive_halving:SuccessiveHalving",
    "asha": "automl_cli.optimize.asha:ASHA",
    "random": "automl_cli.optimize.random_search:RandomSearch",
    "grid": "automl_cli.optimize.grid:GridSearch",
    "evolution": "automl_cli.optimize.evolution:RegularizedEvolution",
    "bo": "automl_cli.optimize.gp_bo:GaussianProcessBO",
}


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
