"""Configs moved into a search space: from another task's space, or partial ones.

A config found on one task names values that another task's space may not offer (a range
narrowed by the data's size, a learner left out), and a portfolio entry names only what
differs from the defaults. Both become complete, valid configs of the space here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ConfigSpace import ConfigurationSpace

Config = dict[str, Any]


def adapt_config(config: Config, space: ConfigurationSpace) -> Config | None:
    """`config` moved into `space`, or None when its learner is not offered there."""
    return SpaceAdapter(space)(config)


class SpaceAdapter:
    """Moves configs into one space (`adapt_config`), reading the space once.

    Values a config leaves out take the space's defaults. Valid by construction: numbers
    clipped (and rounded for integers), unknown choices replaced, inactive values dropped, and
    the space has no forbidden clauses. So neither ConfigSpace's own check runs (it took a
    third of a warm start's planning) nor its deactivate_inactive_hyperparameters (over 10 ms
    per config, which the default portfolio once paid before every search's first trial). A
    warm start adapts over a thousand configs, so reading the space once matters too.
    """

    def __init__(self, space: ConfigurationSpace) -> None:
        from ConfigSpace import EqualsCondition, InCondition
        from ConfigSpace.hyperparameters import CategoricalHyperparameter, NumericalHyperparameter

        self.learners = tuple(space["algorithm"].choices)
        self.defaults = {name: hp.default_value for name, hp in space.items()}
        self.ranges: dict[str, tuple[float, float, bool]] = {}  # lower, upper, integer
        self.choices: dict[str, tuple[Any, ...]] = {}
        for name, hp in space.items():
            if isinstance(hp, NumericalHyperparameter):
                integer = isinstance(hp.default_value, int | np.integer)
                self.ranges[name] = (hp.lower, hp.upper, integer)
            elif isinstance(hp, CategoricalHyperparameter):
                self.choices[name] = tuple(hp.choices)
        # every hyperparameter, parents first (ConfigSpace keeps that order), with the
        # (parent, allowed values) pairs that must all hold for it to be active
        self.conditions: list[tuple[str, list[tuple[str, tuple[Any, ...]]]]] = []
        for name in space:
            rules = []
            for condition in space.parent_conditions_of.get(name, []):
                if isinstance(condition, InCondition):
                    rules.append((condition.parent.name, tuple(condition.values)))
                elif isinstance(condition, EqualsCondition):
                    rules.append((condition.parent.name, (condition.value,)))
                else:
                    raise TypeError(f"condition {condition} is not supported")
            self.conditions.append((name, rules))

    def __call__(self, config: Config) -> Config | None:
        if config.get("algorithm") not in self.learners:
            return None
        values = dict(self.defaults)
        for name, value in config.items():
            if name in self.ranges:
                lower, upper, integer = self.ranges[name]
                if isinstance(value, int | float):
                    value = min(max(value, lower), upper)
                    values[name] = round(value) if integer else float(value)
            elif name in self.choices:
                if value in self.choices[name]:
                    values[name] = value
            elif name in values:
                values[name] = value
        active: Config = {}
        for name, rules in self.conditions:
            if all(parent in active and active[parent] in allowed for parent, allowed in rules):
                active[name] = values[name]
        return {k: v.item() if isinstance(v, np.generic) else v for k, v in sorted(active.items())}
