"""How much should a classifier's probabilities be kept off zero?

A forest or k-NN with pure leaves says "probability 0" for classes it never saw near a row;
when such a row turns out to be of that class, log loss charges it log(1e15) = 34.5, enough to
sink a model that is better on every other row. The fix measured here mixes the predicted
probabilities with the uniform distribution, p' = (1 - eps) p + eps / K: argmax, ROC AUC and
every ranking stay as they were, only log loss moves.

For each multiclass dataset of ../shared/datasets (train / test rows as benchmarks/suite.py
splits them): the space's default configs (one per learner) and the five best stored configs
of the dataset's own task in the shipped knowledge base, each fitted on the training rows,
then scored on the test rows at several eps. Per eps: the mean test log loss, the pairs
(dataset, config) that gain or lose over 0.001 against eps = 0, and those that give some test
row's class a probability under 1e-4 at eps = 0.

    python benchmarks/probability_floor.py --out benchmarks/results/probability_floor.md
"""

from __future__ import annotations

import argparse
import json
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EPSILONS = (0.0, 1e-4, 1e-3, 1e-2)
STORED_CONFIGS = 5
NEAR_ZERO = 1e-4  # a true class this unlikely costs over 9.2 in log loss


def test_log_loss(codes: np.ndarray, proba: np.ndarray, eps: float) -> float:
    """The peers' log loss (clipped to [1e-15, 1], renormalized) of `proba` mixed at `eps`."""
    mixed = (1 - eps) * proba + eps / proba.shape[1]
    mixed = np.clip(mixed, 1e-15, 1)
    mixed /= mixed.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(mixed[np.arange(len(codes)), codes])))


def stored_configs(base_path: Path, name: str) -> list[dict]:
    from automl_cli.meta.store import MetaBase
    from automl_cli.meta.warmstart import known_tasks

    with MetaBase.open(base_path, readonly=True) as base:
        task = next((t for t in known_tasks(base) if t.name == name), None)
    return [] if task is None else [task.configs[k] for k in task.ranked()[:STORED_CONFIGS]]


def dataset_rows(name: str, row: pd.Series, test_rows: list[int], base_path: Path) -> list[dict]:
    """Test log loss at every eps of each config fitted on one dataset's training rows."""
    from automl_cli.data import load_training_data, read_csv
    from automl_cli.evaluate import Evaluator
    from automl_cli.metrics import resolve_metric
    from automl_cli.space import default_configs, space_for
    from automl_cli.space.adapt import adapt_config

    data = pd.read_csv(SHARED / "datasets" / row["file"])
    is_test = np.zeros(len(data), dtype=bool)
    is_test[test_rows] = True
    with tempfile.TemporaryDirectory() as folder:
        train_csv, test_csv = Path(folder) / "train.csv", Path(folder) / "test.csv"
        data[~is_test].to_csv(train_csv, index=False)
        data[is_test].drop(columns=row["target"]).to_csv(test_csv, index=False)
        dataset = load_training_data(train_csv, row["target"], "multiclass")
        X_test = dataset.schema.features(read_csv(test_csv))
    classes = [str(c) for c in dataset.classes]
    codes = pd.Categorical(data.loc[is_test, row["target"]].astype(str), categories=classes).codes
    keep = codes >= 0  # a test class never seen in training has no column to score
    evaluator = Evaluator(dataset, resolve_metric("log_loss", "multiclass"), seed=0)
    space = space_for(dataset)
    configs = [("default", c) for c in default_configs(space)]
    configs += [("stored", c) for c in stored_configs(base_path, name)]
    rows = []
    for origin, config in configs:
        adapted = adapt_config(config, space)
        if adapted is None:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = evaluator.fit_final(adapted, n_threads=2)
            proba = np.zeros((len(X_test), len(classes)))
            proba[:, np.asarray(model.classes_, dtype=int)] = model.predict_proba(X_test)
        proba, kept_codes = proba[keep], codes[keep]
        true_proba = proba[np.arange(len(kept_codes)), kept_codes]
        rows.append(
            {
                "dataset": name,
                "origin": origin,
                "algorithm": adapted["algorithm"],
                "near_zero_rows": int((true_proba < NEAR_ZERO).sum()),
                **{f"eps={e:g}": test_log_loss(kept_codes, proba, e) for e in EPSILONS},
            }
        )
    return rows


def render(frame: pd.DataFrame, command: str) -> str:
    base = frame["eps=0"]
    lines = [
        "# Keeping predicted probabilities off zero: test log loss on the multiclass datasets",
        "",
        f"Command: `{command}`",
        "",
        f"{len(frame)} fitted (dataset, config) pairs over {frame['dataset'].nunique()} datasets; "
        f"{int((frame['near_zero_rows'] > 0).sum())} of them give some test row a probability "
        f"under {NEAR_ZERO:g} for its class. Gain / loss: test log loss lower / higher by over "
        "0.001 than at eps = 0.",
        "",
        "| eps | mean log loss | median change | pairs that gain | pairs that lose | worst loss |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for eps in EPSILONS:
        column = frame[f"eps={eps:g}"]
        change = column - base
        lines.append(
            f"| {eps:g} | {column.mean():.4f} | {change.median():+.4f} | "
            f"{int((change < -0.001).sum())} | {int((change > 0.001).sum())} | "
            f"{change.max():+.4f} |"
        )
    lines += [
        "",
        "Per dataset, mean test log loss over its configs:",
        "",
        "| dataset | configs | with a near-zero row | "
        + " | ".join(f"eps = {e:g}" for e in EPSILONS)
        + " |",
        "|---|---:|---:|" + "---:|" * len(EPSILONS),
    ]
    for name, group in frame.groupby("dataset", sort=False):
        cells = " | ".join(f"{group[f'eps={e:g}'].mean():.4f}" for e in EPSILONS)
        lines.append(
            f"| {name} | {len(group)} | {int((group['near_zero_rows'] > 0).sum())} | {cells} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    manifest = pd.read_csv(SHARED / "datasets" / "manifest.csv").set_index("name")
    multiclass = [n for n in manifest.index if manifest.loc[n, "task"] == "multiclass"]
    parser.add_argument("--datasets", nargs="+", default=multiclass)
    parser.add_argument("--metabase", type=Path, default=ROOT / "metabase" / "metabase.sqlite")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks/results/probability_floor.md"
    )
    args = parser.parse_args()
    test_rows = json.loads((SHARED / "benchmarks" / "test_rows_seed0.json").read_text())
    rows = []
    for name in args.datasets:
        rows += dataset_rows(name, manifest.loc[name], test_rows[name], args.metabase)
        print(f"{name}: {len(rows)} pairs so far", flush=True)
    frame = pd.DataFrame(rows)
    frame.to_csv(args.out.with_suffix(".csv"), index=False)
    command = f"python benchmarks/probability_floor.py --datasets {' '.join(args.datasets)}"
    args.out.write_text(render(frame, command))
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
