"""How alike two tasks are: a scaled vector of chosen meta-features, and a distance.

Computing meta-features (`features.py`) and comparing them are separate ideas: what to compare
and how to scale it is the warm start's choice, and can change without recomputing any task.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

# The meta-features compared, by how they are scaled (see similarity_vector).
_LOG = ("rows", "features", "classes")
_SIGNED_LOG = ("skewness_mean", "kurtosis_mean")
_AS_IS = ("categorical_ratio", "missing_ratio", "class_balance", "correlation_mean")
_AS_IS += ("mutual_info_mean", "landmark_1nn", "landmark_stump", "landmark_naive_bayes")
_AS_IS += ("landmark_linear",)
SIMILARITY: tuple[str, ...] = _LOG + _SIGNED_LOG + _AS_IS


def similarity_vector(features: Mapping[str, float]) -> np.ndarray:
    """The SIMILARITY meta-features of one task, scaled; NaN where undefined or absent.

    Fixed transforms rather than standardization over the knowledge base: a vector depends on
    its own task only, so it is stored once and compares with any other without refitting a
    scaler whenever the base grows. Counts (rows, features, classes) become log10(1 + x):
    doubling the rows matters as much at 1,000 as at 1,000,000. Heavy-tailed moments
    (skewness, kurtosis) get a signed log10(1 + |x|) so one extreme feature cannot dominate.
    Shares, correlations, mutual information (bits) and landmark scores already lie on
    comparable O(1) scales and stay as they are.
    """
    out = np.full(len(SIMILARITY), np.nan)
    for i, name in enumerate(SIMILARITY):
        x = float(features.get(name, math.nan))
        if name in _LOG:
            x = math.log10(1.0 + x) if x >= 0 else math.nan
        elif name in _SIGNED_LOG:
            x = math.copysign(math.log10(1.0 + abs(x)), x)
        out[i] = x
    return out


def similarity_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Root mean squared difference over the coordinates defined in both (NaN if none are).

    A mean rather than a sum, so tasks that share fewer defined features (regression tasks have
    no class features) are not made to look closer than they are.
    """
    both = np.isfinite(a) & np.isfinite(b)
    if not both.any():
        return math.nan
    return float(np.sqrt(np.mean((a[both] - b[both]) ** 2)))
