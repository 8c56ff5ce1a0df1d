"""Small mixed-type frames shaped like the ingested data, and a seeded config sampler.

Frames follow the ingestion contract: numeric columns float64 with NaN, categorical columns of
object dtype holding str and np.nan; y is 0..k-1 (classification, every class well
populated) or float64 (regression), and depends on the features so models have signal.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from ConfigSpace import ConfigurationSpace

# Awkward names on purpose: spaces, brackets and quotes must not reach the learners.
NUMERIC_NAMES = ["age", "income [k$]", 'score "raw"', "x:3"]


@dataclass(frozen=True)
class Frame:
    X: pd.DataFrame
    y: np.ndarray
    numeric: list[str]
    categorical: list[str]
    task: str

    @property
    def n_classes(self) -> int:
        return 0 if self.task == "regression" else int(self.y.max()) + 1


def make_frame(
    task: str, n_rows: int, n_numeric: int, n_categorical: int, missing: bool, seed: int
) -> Frame:
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    signal = np.zeros(n_rows)
    for j in range(n_numeric):
        name = NUMERIC_NAMES[j] if j < len(NUMERIC_NAMES) else f"num_{j}"
        values = rng.normal(size=n_rows)
        signal += values / (j + 1)
        columns[name] = values
    for j in range(n_categorical):
        levels = np.array([f"level {k}" for k in range(2 + 4 * j)], dtype=object)
        codes = rng.integers(len(levels), size=n_rows)
        signal += (codes % 2) - 0.5
        columns[f"cat_{j}"] = pd.Series(levels[codes], dtype=object)
    X = pd.DataFrame(columns)
    if missing:
        for name in X:
            gaps = rng.random(n_rows) < 0.15
            X.loc[gaps, name] = np.nan
    noisy = signal + rng.normal(scale=0.5, size=n_rows)
    if task == "regression":
        y = 100.0 + 20.0 * noisy  # not standardised, on purpose
    else:
        k = 2 if task == "binary" else 3
        ranks = np.argsort(np.argsort(noisy, kind="stable"), kind="stable")
        y = (ranks * k // n_rows).astype(np.int64)  # equal-sized classes
    numeric = [c for c in X if not c.startswith("cat_")]
    categorical = [c for c in X if c.startswith("cat_")]
    return Frame(X, y, numeric, categorical, task)


def unusual_rows(frame: Frame) -> pd.DataFrame:
    """Rows the model never saw: unseen levels (as NaN, and as a new string), all-missing."""
    rows = frame.X.head(4).copy()
    for name in frame.categorical:
        rows.loc[rows.index[0], name] = np.nan
        rows.loc[rows.index[1], name] = "a level never seen"
    rows.loc[rows.index[2], :] = np.nan
    return rows


def sample_config(space: ConfigurationSpace, algorithm: str, seed: int) -> dict[str, Any]:
    """A random config of `space` that uses `algorithm`, as plain Python values."""
    own = copy.deepcopy(space)  # seeding must not touch the caller's space
    own.seed(seed)
    while True:
        config = dict(own.sample_configuration())
        if config["algorithm"] == algorithm:
            return {k: v.item() if isinstance(v, np.generic) else v for k, v in config.items()}


@pytest.fixture(scope="session")
def frames() -> Callable[..., Frame]:
    return make_frame


@pytest.fixture(scope="session")
def unusual() -> Callable[[Frame], pd.DataFrame]:
    return unusual_rows


@pytest.fixture(scope="session")
def sampler() -> Callable[[ConfigurationSpace, str, int], dict[str, Any]]:
    return sample_config
