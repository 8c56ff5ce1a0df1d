"""Raw columns to node 0's inputs: numeric columns standardized (missing as the mean),
categorical columns as codes 1..levels (0: missing or unseen), for the embeddings.

The statistics are plain numbers and strings, so the model file stores them as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

MAX_LEVELS = 256  # the most frequent levels of a column get codes; the rest share code 0


@dataclass(frozen=True)
class InputLayout:
    """How raw columns become node 0: numeric ones standardized, categorical ones as codes
    0..levels (0 is missing or unseen) that each get an embedding."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    levels: tuple[int, ...]  # per categorical column, codes run 0..levels

    def embedding_sizes(self, embedding_dim: int) -> list[int]:
        return [min(embedding_dim, n + 1) for n in self.levels]

    def input_dim(self, embedding_dim: int) -> int:
        return len(self.numeric) + sum(self.embedding_sizes(embedding_dim))


@dataclass(frozen=True)
class Encoding:
    numeric: tuple[str, ...]
    means: tuple[float, ...]
    stds: tuple[float, ...]
    categorical: tuple[str, ...]
    levels: tuple[tuple[str, ...], ...]

    @classmethod
    def fit(cls, X: pd.DataFrame, categorical: list[str]) -> Encoding:
        numeric = [c for c in X.columns if c not in categorical]
        values = X[numeric].to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(all="ignore"):
            means = np.nan_to_num(np.nanmean(values, axis=0)) if numeric else np.zeros(0)
            stds = np.nan_to_num(np.nanstd(values, axis=0)) if numeric else np.zeros(0)
        stds = np.where(stds > 1e-12, stds, 1.0)
        levels = []
        for name in categorical:
            counts = X[name].dropna().astype(str).value_counts(sort=True)
            levels.append(tuple(sorted(counts.index[:MAX_LEVELS])))
        return cls(
            tuple(map(str, numeric)),
            tuple(map(float, means)),
            tuple(map(float, stds)),
            tuple(map(str, categorical)),
            tuple(levels),
        )

    @property
    def layout(self) -> InputLayout:
        return InputLayout(self.numeric, self.categorical, tuple(len(v) for v in self.levels))

    def transform(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """float32 (rows, numeric) and int64 (rows, categorical) arrays."""
        values = X[list(self.numeric)].to_numpy(dtype=np.float64, na_value=np.nan)
        values = (values - np.array(self.means)) / np.array(self.stds)
        numeric = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)
        codes = np.zeros((len(X), len(self.categorical)), dtype=np.int64)
        for j, (name, levels) in enumerate(zip(self.categorical, self.levels, strict=True)):
            index = pd.Index(levels)
            column = X[name].astype(object).where(X[name].notna(), None)
            found = index.get_indexer(column.map(lambda v: None if v is None else str(v)))
            codes[:, j] = found + 1  # -1 (missing or unseen) becomes 0
        return numeric, codes

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Encoding:
        return cls(
            tuple(map(str, record["numeric"])),
            tuple(map(float, record["means"])),
            tuple(map(float, record["stds"])),
            tuple(map(str, record["categorical"])),
            tuple(tuple(map(str, levels)) for levels in record["levels"]),
        )
