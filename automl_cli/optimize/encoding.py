"""Configurations as rows of a float matrix, for strategies that search numerically.

`SpaceEncoding` is shared by the model-based and evolutionary strategies (GP-BO, evolution,
BOHB's density estimators). Column j is hyperparameter j in the space's own order, which lists
parents before children, in ConfigSpace's vector encoding:

- numeric (float or integer): scaled to [0, 1], on the log scale for log hyperparameters;
- categorical and ordinal: the index of the choice, 0 .. n_choices - 1;
- constant: ConfigSpace's fixed vector value;
- inactive (its condition does not hold): NaN.

Rows are "consistent" when every active column holds a legal vector value and every inactive
one is NaN; `repair` makes any row consistent and `decode` turns a consistent row back into a
config of plain Python values. All work is vectorized over rows; loops run over columns only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from ConfigSpace import (
    CategoricalHyperparameter,
    ConfigurationSpace,
    Constant,
    OrdinalHyperparameter,
)
from ConfigSpace.conditions import AndConjunction, Conjunction

from automl_cli.optimize.base import Config, to_plain

NUMERIC, CATEGORICAL, ORDINAL, CONSTANT = "numeric", "categorical", "ordinal", "constant"


def _satisfied(condition: Any, arr: np.ndarray) -> np.ndarray:
    """Where `condition` holds over columns of `arr` (hyperparameters x configs).

    A parent that is itself inactive (NaN) never satisfies a condition, also for
    not-equal conditions where NaN would compare as "different".
    """
    if isinstance(condition, Conjunction):
        parts = [_satisfied(part, arr) for part in condition.components]
        combine = np.logical_and if isinstance(condition, AndConjunction) else np.logical_or
        return combine.reduce(parts)
    holds = np.asarray(condition.satisfied_by_vector_array(arr), dtype=bool)
    return holds & ~np.isnan(arr[condition.parent_vector_id])


class SpaceEncoding:
    """Vector encoding of one ConfigurationSpace: encode, decode, repair, sample, features.

    Attributes read by the strategies: `names` (column order), `kinds` (NUMERIC, CATEGORICAL,
    ORDINAL or CONSTANT per column), `n_choices` (choices of discrete columns, 0 for numeric
    and constant ones), `defaults` (the vector of each default value), `conditional` and
    `parents` (columns that have a condition, columns that other columns' conditions read)
    and `top_categorical` (the column of the unconditional categorical with the most
    conditional descendants, the "algorithm" of a CASH space, or None).
    """

    def __init__(self, space: ConfigurationSpace) -> None:
        self.space = space
        self.names: list[str] = list(space.keys())
        self.hyperparameters = list(space.values())
        self.dim = len(self.names)
        kinds, choices = [], []
        for hp in self.hyperparameters:
            if isinstance(hp, Constant):
                kinds.append(CONSTANT)
                choices.append(0)
            elif isinstance(hp, CategoricalHyperparameter):
                kinds.append(CATEGORICAL)
                choices.append(len(hp.choices))
            elif isinstance(hp, OrdinalHyperparameter):
                kinds.append(ORDINAL)
                choices.append(len(hp.sequence))
            else:
                kinds.append(NUMERIC)
                choices.append(0)
        self.kinds: list[str] = kinds
        self.n_choices = np.array(choices, dtype=int)
        self.defaults = np.array([hp.to_vector(hp.default_value) for hp in self.hyperparameters])
        self._discrete = np.array([k in (CATEGORICAL, ORDINAL) for k in kinds], dtype=bool)
        self._numeric = np.array([k == NUMERIC for k in kinds], dtype=bool)
        self._snapped = [
            j
            for j, hp in enumerate(self.hyperparameters)
            if kinds[j] == NUMERIC and np.isfinite(hp.size)
        ]
        self._conditions = {
            j: space.parent_conditions_of[name]
            for j, name in enumerate(self.names)
            if space.parent_conditions_of[name]
        }
        self.conditional = sorted(self._conditions)
        self.parents = sorted(
            {self.names.index(p.name) for name in self.names for p in space.parents_of[name]}
        )
        self._forbiddens = list(space.forbidden_clauses)
        self.top_categorical = self._find_top_categorical()

    # -- configs <-> rows ---------------------------------------------------------------------
    def encode(self, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Rows for valid configs; hyperparameters absent from a config are NaN."""
        X = np.full((len(configs), self.dim), np.nan)
        for j, (name, hp) in enumerate(zip(self.names, self.hyperparameters, strict=True)):
            for i, config in enumerate(configs):
                if name in config:
                    X[i, j] = hp.to_vector(config[name])
        return X

    def decode(self, row: np.ndarray) -> Config:
        """The config of one consistent row, as plain Python values sorted by name."""
        values: dict[str, Any] = {}
        for j, hp in enumerate(self.hyperparameters):
            if np.isnan(row[j]):
                continue
            value = hp.to_value(np.array([row[j]]))[0]
            if self.kinds[j] == NUMERIC:
                value = min(max(value, hp.lower), hp.upper)
            values[self.names[j]] = value
        return to_plain(values)

    # -- consistency --------------------------------------------------------------------------
    def repair(self, X: np.ndarray, fill: np.ndarray) -> np.ndarray:
        """Consistent copies of the rows of `X`.

        Values are clipped and snapped to legal vectors (integers to their grid, choices to
        an index); hyperparameters whose condition fails become NaN; active ones that are NaN
        (a branch just switched on) take the value of `fill` (e.g. `sample_raw` or defaults).
        """
        X = np.array(X, dtype=float, copy=True)
        fill = np.broadcast_to(fill, X.shape)
        with np.errstate(invalid="ignore"):
            X[:, self._numeric] = np.clip(X[:, self._numeric], 0.0, 1.0)
            upper = np.maximum(self.n_choices[self._discrete] - 1, 0)
            X[:, self._discrete] = np.clip(np.round(X[:, self._discrete]), 0, upper)
        for j in self._snapped:
            known = ~np.isnan(X[:, j])
            if known.any():
                hp = self.hyperparameters[j]
                X[known, j] = hp.to_vector(hp.to_value(X[known, j]))
        constant = np.array([k == CONSTANT for k in self.kinds])
        X[:, constant] = self.defaults[constant]
        missing = np.isnan(X)
        X[missing] = fill[missing]  # a conditional column keeps it only if it turns out active
        for j in self.conditional:
            X[~self.active(j, X), j] = np.nan
        return X

    def active(self, j: int, X: np.ndarray) -> np.ndarray:
        """Whether column j is active in each row, given consistent values of its parents."""
        conditions = self._conditions.get(j)
        if conditions is None:
            return np.ones(len(X), dtype=bool)
        columns = X.T  # hyperparameters x configs, as ConfigSpace's conditions expect
        return np.logical_and.reduce([_satisfied(c, columns) for c in conditions])

    def forbidden(self, X: np.ndarray) -> np.ndarray:
        """Which consistent rows break a forbidden clause of the space."""
        bad = np.zeros(len(X), dtype=bool)
        for clause in self._forbiddens:
            bad |= np.asarray(clause.is_forbidden_vector_array(X.T), dtype=bool)
        return bad

    # -- sampling -----------------------------------------------------------------------------
    def sample_raw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n draws per column from each hyperparameter's own distribution, conditions ignored."""
        state = np.random.RandomState(int(rng.integers(2**31 - 1)))
        X = np.empty((n, self.dim))
        for j, hp in enumerate(self.hyperparameters):
            X[:, j] = hp.sample_vector(n, seed=state)
        return X

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n random consistent rows that no forbidden clause rules out."""
        rows = np.empty((0, self.dim))
        while len(rows) < n:
            fresh = self.repair(np.full((n, self.dim), np.nan), self.sample_raw(n, rng))
            rows = np.vstack([rows, fresh[~self.forbidden(fresh)]])
        return rows[:n]

    # -- model inputs -------------------------------------------------------------------------
    def features(self, X: np.ndarray) -> np.ndarray:
        """Model inputs for consistent rows, every column in [0, 1].

        Numeric columns as they are, ordinal ones as index / (n_choices - 1), categorical ones
        one-hot, constants dropped. Inactive values are imputed with the default's vector
        (as SMAC does), so configs that differ only in inactive values get the same features
        and two branches differ through the columns that select them.
        """
        X = np.where(np.isnan(X), self.defaults, X)
        parts = []
        for j, kind in enumerate(self.kinds):
            if kind == NUMERIC:
                parts.append(X[:, j : j + 1])
            elif kind == ORDINAL:
                parts.append(X[:, j : j + 1] / max(self.n_choices[j] - 1, 1))
            elif kind == CATEGORICAL:
                parts.append(np.eye(self.n_choices[j])[X[:, j].astype(int)])
        return np.hstack(parts) if parts else np.zeros((len(X), 0))

    def _find_top_categorical(self) -> int | None:
        """The unconditional categorical that switches the most hyperparameters on and off."""
        best, best_count = None, 0
        for j, name in enumerate(self.names):
            if self.kinds[j] != CATEGORICAL or self.space.parent_conditions_of[name]:
                continue
            seen: set[str] = set()
            stack = [child.name for child in self.space.children_of[name]]
            while stack:
                child = stack.pop()
                if child not in seen:
                    seen.add(child)
                    stack.extend(c.name for c in self.space.children_of[child])
            if len(seen) > best_count:
                best, best_count = j, len(seen)
        return best
