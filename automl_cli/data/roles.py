"""Columns that are not features: the sample weights (`--weight`) and the groups (`--group`).

Both are read from the training rows (those whose target is present) and never become model
input, so `automl predict` neither needs them nor uses them when they are present.
- weight: a numeric column; every training row needs a finite weight >= 0, and not all of
  them may be 0. A row's weight scales its part in every fit and in the validation metric.
- group: any column (text or numbers, read as canonical text); every training row needs a
  value. The rows of one group are never split between a fit and its validation rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from automl_cli.data.values import to_number, to_text
from automl_cli.errors import DataError


@dataclass(frozen=True)
class Roles:
    """The weight and group columns' names and their values on the training rows."""

    weight: str | None = None
    group: str | None = None
    weights: np.ndarray | None = None  # float64, one per training row
    groups: np.ndarray | None = None  # int codes 0..g-1, one per training row

    @property
    def columns(self) -> list[str]:
        return [name for name in (self.weight, self.group) if name is not None]


def read_roles(
    raw: pd.DataFrame, rows: np.ndarray, target: str, weight: str | None, group: str | None
) -> Roles:
    """The weight and group columns of `raw` on the training rows `rows` (a boolean mask),
    checked; a DataError names any problem and its fix."""
    for option, name in (("--weight", weight), ("--group", group)):
        if name is None:
            continue
        if name == target:
            raise DataError(f"{option} {name!r} is the target; choose another column")
        if name not in raw.columns:
            shown = ", ".join(repr(str(c)) for c in raw.columns[:10])
            raise DataError(f"{option} column {name!r} not found; the columns are {shown}")
    if weight is not None and weight == group:
        raise DataError(f"--weight and --group both name {weight!r}; give each its own column")
    weights = None if weight is None else _weights(raw[weight][rows], weight)
    groups = None if group is None else _groups(raw[group][rows], group)
    return Roles(weight, group, weights, groups)


def _weights(column: pd.Series, name: str) -> np.ndarray:
    values, _ = to_number(column)  # infinite and unparseable cells come back as NaN
    bad = np.flatnonzero(np.isnan(values))
    if len(bad):
        raise DataError(
            f"weight column {name!r} has {len(bad)} value(s) that are missing, infinite or not "
            f"numbers (first in data row {_row(column, bad[0])}); "
            "give every row a finite weight >= 0"
        )
    negative = np.flatnonzero(values < 0)
    if len(negative):
        raise DataError(
            f"weight column {name!r} has {len(negative)} negative value(s) (first in data row "
            f"{_row(column, negative[0])}: {values[negative[0]]:g}); weights must be >= 0"
        )
    if not values.any():
        raise DataError(f"weight column {name!r} is 0 on every row; give some rows a weight > 0")
    return values


def _groups(column: pd.Series, name: str) -> np.ndarray:
    text = to_text(column)
    missing = np.flatnonzero(text.isna().to_numpy())
    if len(missing):
        raise DataError(
            f"group column {name!r} has {len(missing)} missing value(s) (first in data row "
            f"{_row(column, missing[0])}); give every row a group"
        )
    codes, _ = pd.factorize(text, sort=True)
    return codes.astype(np.int64)


def _row(column: pd.Series, position: int) -> int:
    """The 1-based data row (header not counted) of the `position`-th training row: the raw
    table's index counts every row, those without a target included."""
    return int(column.index[position]) + 1
