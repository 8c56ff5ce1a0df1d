"""Time compute_meta_features on a generated 1,000,000 x 50 table (median of several runs).

The table has 40 numeric columns (5% missing, mixed distributions) and 10 categorical columns
(3 to 5,000 levels, 5% missing), built the way the CSV ingestion hands data to the meta-features.
Target: every meta-feature of such a table in under 10 s.

    python benchmarks/metafeatures_speed.py [--rows N] [--repeats R] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from automl_cli.meta.features import compute_meta_features


def make_table(rows: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Features, a binary class target and a regression target that depend on the features."""
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {}
    for j in range(40):
        kind = j % 4
        if kind == 0:
            values = rng.normal(size=rows)
        elif kind == 1:
            values = rng.exponential(size=rows)
        elif kind == 2:
            values = rng.integers(0, 5, size=rows).astype(np.float64)
        else:
            values = columns["num_0"] * 0.5 + rng.normal(size=rows)
        values[rng.random(rows) < 0.05] = np.nan
        columns[f"num_{j}"] = values
    for j, levels in enumerate((3, 5, 10, 20, 50, 100, 500, 1000, 2000, 5000)):
        names = np.array([f"level_{k}" for k in range(levels)], dtype=object)
        values = names[rng.integers(0, levels, size=rows)]
        values[rng.random(rows) < 0.05] = np.nan
        columns[f"cat_{j}"] = values
    X = pd.DataFrame(columns)
    X = X.astype({f"cat_{j}": object for j in range(10)})
    signal = np.nan_to_num(X["num_0"].to_numpy()) + (X["cat_0"] == "level_1").to_numpy()
    y_class = (signal + rng.normal(size=rows) > 0.5).astype(np.int64)
    y_reg = signal + rng.normal(scale=0.5, size=rows)
    return X, y_class, y_reg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    X, y_class, y_reg = make_table(args.rows)
    lines = [
        "# Meta-feature speed",
        "",
        f"Command: `python benchmarks/metafeatures_speed.py --rows {args.rows} "
        f"--repeats {args.repeats}`",
        "",
        f"Table: {X.shape[0]:,} rows x {X.shape[1]} columns (40 numeric, 10 categorical with "
        "3-5,000 levels, 5% missing). Python "
        f"{platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}.",
        "",
        f"Load average when starting (2 cores, shared): {os.getloadavg()[0]:.1f}. The first run "
        "also imports scikit-learn.",
        "",
        "| task | median s | runs (s) |",
        "|---|---|---|",
    ]
    for task, y in (("binary", y_class), ("regression", y_reg)):
        times = []
        for seed in range(args.repeats):
            start = time.perf_counter()
            compute_meta_features(X, y, task, seed=seed)
            times.append(time.perf_counter() - start)
        runs = ", ".join(f"{t:.2f}" for t in times)
        lines.append(f"| {task} | {statistics.median(times):.2f} | {runs} |")
    lines += ["", f"Load average when done: {os.getloadavg()[0]:.1f}."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
