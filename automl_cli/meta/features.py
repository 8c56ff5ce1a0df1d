"""Meta-features: a numeric description of a task, used to find similar earlier tasks.

Every value comes from one registry entry (name, group, definition), so the list that
`automl meta show` prints is exactly the list that is computed. Large data is subsampled with a
seeded numpy Generator: counts and missing-value ratios use every row, statistics and entropies
at most STATS_ROWS rows, landmarkers at most LANDMARK_ROWS of those, so a million-row table
costs little more than a ten-thousand-row one. Values are finite floats or NaN (undefined, e.g.
class balance of a regression task), never inf.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from automl_cli.choices import TASKS

FEATURES_VERSION = 1
GROUPS = ("simple", "statistical", "information", "landmarker")
STATS_ROWS = 10_000
LANDMARK_ROWS = 2_000
MAX_COLUMNS = 200  # wider data: a seeded choice of columns for correlations and landmarkers
BINS = 10
MAX_LEVELS = 32
ONE_HOT_LEVELS = 10
FOLDS = 3


@dataclass(frozen=True)
class MetaFeature:
    """One documented meta-feature."""

    name: str
    group: str
    definition: str


def _summaries(stem: str, what: str) -> tuple[MetaFeature, ...]:
    return tuple(
        MetaFeature(f"{stem}_{stat}", "statistical", f"{label} over numeric features of {what}.")
        for stat, label in (("mean", "Mean"), ("min", "Minimum"), ("max", "Maximum"))
    )


_LANDMARK = (
    "Cross-validated ({folds}-fold, on at most {rows} rows) score of {learner}: balanced "
    "accuracy for classification, R2 clipped at -1 for regression{extra}. Inputs: numeric "
    "columns median-imputed and standardized, categoricals one-hot on their {levels} most "
    "frequent levels."
)


def _landmark(name: str, learner: str, extra: str = "") -> MetaFeature:
    text = _LANDMARK.format(
        folds=FOLDS, rows=LANDMARK_ROWS, learner=learner, extra=extra, levels=ONE_HOT_LEVELS
    )
    return MetaFeature(name, "landmarker", text)


META_FEATURES: tuple[MetaFeature, ...] = (
    MetaFeature("rows", "simple", "Number of rows."),
    MetaFeature("features", "simple", "Number of feature columns (target excluded)."),
    MetaFeature("dimensionality", "simple", "features / rows."),
    MetaFeature("numeric_features", "simple", "Number of numeric feature columns."),
    MetaFeature("categorical_features", "simple", "Number of categorical feature columns."),
    MetaFeature("categorical_ratio", "simple", "categorical_features / features."),
    MetaFeature("categorical_levels_mean", "simple", "Mean distinct levels of categoricals."),
    MetaFeature("categorical_levels_max", "simple", "Largest number of levels of a categorical."),
    MetaFeature("missing_ratio", "simple", "Share of missing cells among all feature cells."),
    MetaFeature("rows_with_missing_ratio", "simple", "Share of rows with any missing value."),
    MetaFeature("classes", "simple", "Number of classes (NaN for regression)."),
    MetaFeature("class_min_share", "simple", "Rarest class's share of rows; NaN for regression."),
    MetaFeature("class_max_share", "simple", "Commonest class's share; NaN for regression."),
    MetaFeature("class_balance", "simple", "Rarest over commonest share; NaN for regression."),
    *_summaries("skewness", "the sample skewness (constant features skipped)"),
    *_summaries("kurtosis", "the excess kurtosis (constant features skipped)"),
    *_summaries(
        "correlation", "the absolute Pearson correlation of each pair (missing: column mean)"
    ),
    *_summaries(
        "dispersion",
        "std / mean(|x|), a coefficient of variation that stays defined for zero-mean features",
    ),
    MetaFeature(
        "class_entropy",
        "information",
        f"Entropy of the target in bits; a regression target is first cut into {BINS} "
        "equal-frequency bins, and every information feature uses that binned target.",
    ),
    MetaFeature(
        "attribute_entropy_mean",
        "information",
        f"Mean entropy (bits) of the features: numeric ones cut into {BINS} equal-frequency "
        f"bins, categoricals on their {MAX_LEVELS} commonest levels (rest pooled), "
        "missing values as one more value.",
    ),
    MetaFeature("mutual_info_mean", "information", "Mean mutual information feature-target."),
    MetaFeature("mutual_info_max", "information", "Largest mutual information feature-target."),
    MetaFeature(
        "equivalent_attributes",
        "information",
        "class_entropy / mutual_info_mean: features needed to explain the target if each "
        "brought the mean information (NaN when no feature carries information).",
    ),
    MetaFeature(
        "noise_signal_ratio",
        "information",
        "(attribute_entropy_mean - mutual_info_mean) / mutual_info_mean: bits of feature "
        "information unrelated to the target per bit about it (NaN when mutual_info_mean is 0).",
    ),
    _landmark("landmark_1nn", "1-nearest-neighbour"),
    _landmark("landmark_stump", "a depth-1 decision tree"),
    _landmark("landmark_naive_bayes", "Gaussian naive Bayes", " (NaN: no regression analogue)"),
    _landmark("landmark_linear", "logistic regression (ridge for regression)"),
)


def compute_meta_features(
    X: pd.DataFrame, y: np.ndarray, task: str, *, seed: int = 0
) -> dict[str, float]:
    """All meta-features of META_FEATURES, in registry order; deterministic for a seed.

    X holds float64 numeric columns (NaN for missing) and object/str categoricals; y holds
    class codes 0..k-1 for classification or floats for regression.
    """
    y = np.asarray(y)
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if len(X) != len(y) or len(y) == 0:
        raise ValueError(f"need as many target values as rows (>0), got {len(y)} and {len(X)}")
    rng = np.random.default_rng(seed)
    kinds = [pd.api.types.is_numeric_dtype(dtype) for dtype in X.dtypes]
    numeric = [i for i, is_numeric in enumerate(kinds) if is_numeric]
    categorical = [i for i, is_numeric in enumerate(kinds) if not is_numeric]
    values = _simple(X, y, task, numeric, categorical)
    rows = _sample_rows(y, task, STATS_ROWS, rng)
    sub, y_sub = X.iloc[rows], y[rows]
    # One BLAS thread: the matrices are small, and more threads only contend with other work
    # (landmarkers ran 40x slower with contended BLAS threads on a busy two-core machine).
    with threadpool_limits(limits=1):
        values.update(_statistical(_float_matrix(sub, numeric), rng))
        values.update(_information(sub, y_sub, task, numeric))
        picked = _sample_rows(y_sub, task, LANDMARK_ROWS, rng)
        design = _design_matrix(sub.iloc[picked], numeric, categorical, rng)
        values.update(_landmarkers(design, y_sub[picked], task, rng))
    return {f.name: _finite(values[f.name]) for f in META_FEATURES}


# -- groups -----------------------------------------------------------------------------------
def _simple(
    X: pd.DataFrame, y: np.ndarray, task: str, numeric: list[int], categorical: list[int]
) -> dict[str, float]:
    rows, features = X.shape
    missing = X.isna().to_numpy()
    levels = [X.iloc[:, i].nunique() for i in categorical]
    per_feature = 1.0 / features if features else math.nan
    classification = task != "regression"
    shares = np.unique(y, return_counts=True)[1] / rows if classification else np.full(1, np.nan)
    return {
        "rows": rows,
        "features": features,
        "dimensionality": features / rows,
        "numeric_features": len(numeric),
        "categorical_features": len(categorical),
        "categorical_ratio": len(categorical) * per_feature,
        "categorical_levels_mean": float(np.mean(levels)) if levels else math.nan,
        "categorical_levels_max": max(levels, default=math.nan),
        "missing_ratio": missing.sum() / rows * per_feature,
        "rows_with_missing_ratio": missing.any(axis=1).mean() if features else math.nan,
        "classes": len(shares) if classification else math.nan,
        "class_min_share": shares.min(),
        "class_max_share": shares.max(),
        "class_balance": shares.min() / shares.max(),
    }


def _statistical(num: np.ndarray, rng: np.random.Generator) -> dict[str, float]:
    mask = ~np.isnan(num)
    count = mask.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(mask, num, 0.0).sum(axis=0) / count
        dev = np.where(mask, num - mean, 0.0)
        m2, m3, m4 = ((dev**k).sum(axis=0) / count for k in (2, 3, 4))
        varying = (count > 1) & (m2 > 0) & (m2 > 1e-14 * mean**2)
        skew = np.where(varying, m3 / m2**1.5, np.nan)
        kurt = np.where(varying, m4 / m2**2 - 3.0, np.nan)
        mean_abs = np.where(mask, np.abs(num), 0.0).sum(axis=0) / count
        dispersion = np.where(mean_abs > 0, np.sqrt(m2) / mean_abs, np.nan)
    values = _summary("skewness", skew) | _summary("kurtosis", kurt)
    values |= _summary("dispersion", dispersion)
    usable = _cap(list(np.flatnonzero(varying)), rng)
    pairs = np.array([])
    if len(usable) > 1:
        z = dev[:, usable] / np.sqrt(m2[usable])  # missing cells stay at the mean (0)
        gram = z.T @ z
        norms = np.sqrt(np.diag(gram))
        corr = np.clip(gram / np.outer(norms, norms), -1.0, 1.0)
        pairs = np.abs(corr[np.triu_indices(len(usable), k=1)])
    values.update(_summary("correlation", pairs))
    return values


def _information(
    sub: pd.DataFrame, y: np.ndarray, task: str, numeric: list[int]
) -> dict[str, float]:
    target = _bin(y.astype(float)) if task == "regression" else np.unique(y, return_inverse=True)[1]
    h_target = _entropy(np.bincount(target))
    entropies, infos = [], []
    numeric_set = set(numeric)
    for i in range(sub.shape[1]):
        column = sub.iloc[:, i]
        codes = _bin(_floats(column)) if i in numeric_set else _level_codes(column, MAX_LEVELS)
        h, mi = _entropy_and_mutual_info(codes, target)
        entropies.append(h)
        infos.append(mi)
    mean_h = float(np.mean(entropies)) if entropies else math.nan
    mean_mi = float(np.mean(infos)) if infos else math.nan
    informative = mean_mi > 1e-12  # False for NaN too
    return {
        "class_entropy": h_target,
        "attribute_entropy_mean": mean_h,
        "mutual_info_mean": mean_mi,
        "mutual_info_max": max(infos, default=math.nan),
        "equivalent_attributes": h_target / mean_mi if informative else math.nan,
        "noise_signal_ratio": (mean_h - mean_mi) / mean_mi if informative else math.nan,
    }


def _landmarkers(
    design: np.ndarray, y: np.ndarray, task: str, rng: np.random.Generator
) -> dict[str, float]:
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.metrics import balanced_accuracy_score, r2_score
    from sklearn.model_selection import KFold, StratifiedKFold
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    names = ("landmark_1nn", "landmark_stump", "landmark_naive_bayes", "landmark_linear")
    values = dict.fromkeys(names, math.nan)
    split_seed, tree_seed = (int(s) for s in rng.integers(2**31 - 1, size=2))
    classification = task != "regression"
    counts = np.unique(y, return_counts=True)[1]  # a constant target cannot be scored
    enough = counts.max() >= FOLDS if classification else len(y) >= 2 * FOLDS
    if len(counts) < 2 or not enough or design.shape[1] == 0:
        return values
    if classification:
        splitter = StratifiedKFold(FOLDS, shuffle=True, random_state=split_seed)
        learners = {
            "landmark_1nn": lambda: KNeighborsClassifier(n_neighbors=1),
            "landmark_stump": lambda: DecisionTreeClassifier(max_depth=1, random_state=tree_seed),
            "landmark_naive_bayes": GaussianNB,
            "landmark_linear": lambda: LogisticRegression(max_iter=300),
        }
        score = balanced_accuracy_score
    else:
        splitter = KFold(FOLDS, shuffle=True, random_state=split_seed)
        learners = {
            "landmark_1nn": lambda: KNeighborsRegressor(n_neighbors=1),
            "landmark_stump": lambda: DecisionTreeRegressor(max_depth=1, random_state=tree_seed),
            "landmark_linear": Ridge,
        }

        def score(truth: np.ndarray, predicted: np.ndarray) -> float:
            return max(r2_score(truth, predicted), -1.0)

    with warnings.catch_warnings():  # tiny folds, unseen classes, slow convergence: all expected
        warnings.simplefilter("ignore")
        folds = list(splitter.split(design, y))
        for name, make in learners.items():
            try:
                fold_scores = [
                    score(y[test], make().fit(design[train], y[train]).predict(design[test]))
                    for train, test in folds
                ]
            except (ValueError, ArithmeticError, np.linalg.LinAlgError):  # e.g. a huge target
                continue  # overflows: this landmark stays unknown (NaN), as for a constant one
            values[name] = float(np.mean(fold_scores))
    return values


# -- helpers ----------------------------------------------------------------------------------
def _sample_rows(y: np.ndarray, task: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted row positions: all rows when few, else a seeded sample.

    Classification samples each class in proportion but keeps at least FOLDS rows of every
    class (or all of a smaller one), so rare classes survive for the landmarkers' folds.
    """
    n = len(y)
    if n <= size:
        return np.arange(n)
    if task == "regression":
        return np.sort(rng.choice(n, size=size, replace=False))
    inverse, counts = np.unique(y, return_inverse=True, return_counts=True)[1:]
    by_class = np.split(np.argsort(inverse, kind="stable"), np.cumsum(counts)[:-1])
    picked = [
        rng.choice(
            members,
            size=min(len(members), max(FOLDS, round(size * len(members) / n))),
            replace=False,
        )
        for members in by_class
    ]
    return np.sort(np.concatenate(picked))


def _floats(column: pd.Series) -> np.ndarray:
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isfinite(values), values, np.nan)


def _float_matrix(frame: pd.DataFrame, positions: list[int]) -> np.ndarray:
    if not positions:
        return np.empty((len(frame), 0))
    return np.column_stack([_floats(frame.iloc[:, i]) for i in positions])


def _bin(values: np.ndarray) -> np.ndarray:
    """Equal-frequency bin codes 0..BINS-1; NaN gets one code of its own."""
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return np.zeros(len(values), dtype=np.int64)
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, BINS + 1)[1:-1]))
    codes = np.searchsorted(edges, values, side="right")
    codes[np.isnan(values)] = len(edges) + 1
    return codes


def _level_codes(column: pd.Series, levels: int) -> np.ndarray:
    """Codes of the `levels` commonest values (0..levels-1), the rest pooled, missing last."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    out = np.full(len(codes), levels + 1, dtype=np.int64)
    present = codes >= 0
    if present.any():
        ranks = np.argsort(-np.bincount(codes[present], minlength=len(uniques)), kind="stable")
        remap = np.full(len(uniques), levels, dtype=np.int64)
        remap[ranks[:levels]] = np.arange(min(levels, len(uniques)))
        out[present] = remap[codes[present]]
    return out


def _design_matrix(
    frame: pd.DataFrame, numeric: list[int], categorical: list[int], rng: np.random.Generator
) -> np.ndarray:
    """Landmarker inputs; unsupervised, so built once for all folds."""
    columns = set(_cap(numeric + categorical, rng))
    parts = []
    num = _float_matrix(frame, [i for i in numeric if i in columns])
    if num.shape[1]:
        mask = np.isnan(num)
        num = np.where(mask, np.nanmedian(np.where(mask.all(axis=0), 0.0, num), axis=0), num)
        std = num.std(axis=0)
        parts.append((num - num.mean(axis=0)) / np.where(std > 0, std, 1.0))
    for i in (i for i in categorical if i in columns):
        codes = _level_codes(frame.iloc[:, i], ONE_HOT_LEVELS)
        parts.append((codes[:, None] == np.unique(codes)[None, :]).astype(np.float64))
    return np.hstack(parts) if parts else np.empty((len(frame), 0))


def _cap(positions: list[int], rng: np.random.Generator) -> list[int]:
    if len(positions) <= MAX_COLUMNS:
        return positions
    return sorted(int(i) for i in rng.choice(positions, size=MAX_COLUMNS, replace=False))


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum())


def _entropy_and_mutual_info(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    kb = int(b.max()) + 1
    joint = np.bincount(a * kb + b, minlength=(int(a.max()) + 1) * kb).reshape(-1, kb)
    h_a = _entropy(joint.sum(axis=1))
    mutual = h_a + _entropy(joint.sum(axis=0)) - _entropy(joint.ravel())
    return h_a, max(mutual, 0.0)


def _summary(stem: str, values: np.ndarray) -> dict[str, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return dict.fromkeys((f"{stem}_mean", f"{stem}_min", f"{stem}_max"), math.nan)
    return {f"{stem}_mean": finite.mean(), f"{stem}_min": finite.min(), f"{stem}_max": finite.max()}


def _finite(value: float) -> float:
    value = float(value)
    return value if math.isfinite(value) else math.nan
