"""Score `automl fit` on the public suite exactly as the peers were scored.

For each dataset of ../shared/datasets: the rows listed in
../shared/benchmarks/test_rows_seed0.json are the test rows, every other row trains. The whole
`automl fit` process (interpreter start, imports, reading the CSV) is timed, `automl predict`
scores the test rows, and the metric is the peers': binary ROC AUC, multiclass log loss
(probabilities clipped to [1e-15, 1] and renormalized), regression RMSE. LightGBM with default
settings is scored beside it, and the normalized score (0 = constant predictor, 1 = best of any
system incl. the peers) shows the gap.

    python benchmarks/suite.py --budget 60 \
        --datasets credit_approval phoneme titanic vehicle abalone \
        --out benchmarks/results/suite_60s.md
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss, roc_auc_score

from automl_cli.bundle import read_manifest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
HIGHER_IS_BETTER = {"binary": True, "multiclass": False, "regression": False}


def test_score(task: str, y_true: pd.Series, predictions: pd.DataFrame, labels: list) -> float:
    if task == "regression":
        return float(np.sqrt(np.mean((y_true.to_numpy() - predictions["prediction"]) ** 2)))
    proba = predictions[[f"proba_{label}" for label in labels]].to_numpy()
    proba = np.clip(proba, 1e-15, 1)
    proba /= proba.sum(axis=1, keepdims=True)
    codes = pd.Categorical(y_true.astype(str), categories=[str(x) for x in labels]).codes
    if task == "binary":
        return float(roc_auc_score(codes, proba[:, 1]))
    return float(log_loss(codes, proba, labels=range(len(labels))))


def lightgbm_default(
    task: str, train: pd.DataFrame, test: pd.DataFrame, target: str, labels: list
) -> float:
    import lightgbm

    def frame(df: pd.DataFrame) -> pd.DataFrame:
        X = df.drop(columns=target).copy()
        for column in X.columns:
            if not pd.api.types.is_numeric_dtype(X[column]):
                levels = sorted(train[column].dropna().astype(str).unique())
                values = X[column].astype("object").astype(str).where(X[column].notna())
                X[column] = pd.Categorical(values.where(values.isin(levels)), categories=levels)
        return X

    if task == "regression":
        model = lightgbm.LGBMRegressor(verbose=-1, n_jobs=2).fit(frame(train), train[target])
        return test_score(
            task, test[target], pd.DataFrame({"prediction": model.predict(frame(test))}), labels
        )
    y = pd.Categorical(train[target].astype(str), categories=[str(x) for x in labels]).codes
    model = lightgbm.LGBMClassifier(verbose=-1, n_jobs=2).fit(frame(train), y)
    proba = np.zeros((len(test), len(labels)))
    proba[:, model.classes_] = model.predict_proba(frame(test))
    columns = {f"proba_{label}": proba[:, k] for k, label in enumerate(labels)}
    return test_score(task, test[target], pd.DataFrame(columns), labels)


def run_one(
    name: str, row: pd.Series, test_rows: list[int], budget: float, seed: int, extra: list[str]
) -> dict:
    data = pd.read_csv(row["path"])
    target, task = row["target"], row["task"]
    is_test = np.zeros(len(data), dtype=bool)
    is_test[test_rows] = True
    train, test = data[~is_test], data[is_test]
    labels = sorted(train[target].dropna().unique().tolist()) if task != "regression" else []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        train.to_csv(folder / "train.csv", index=False)
        test.drop(columns=target).to_csv(folder / "test.csv", index=False)
        started = time.monotonic()
        fit = subprocess.run(
            [
                sys.executable,
                "-m",
                "automl_cli",
                "fit",
                folder / "train.csv",
                "--target",
                target,
                "--time-budget",
                str(budget),
                "--n-jobs",
                "2",
                "--seed",
                str(seed),
                "--quiet",
                "--out",
                folder / "m.automl",
                *extra,
            ],
            capture_output=True,
            text=True,
        )
        fit_seconds = time.monotonic() - started
        if fit.returncode != 0:
            return {"dataset": name, "task": task, "error": fit.stderr.strip()[-300:]}
        subprocess.run(
            [
                sys.executable,
                "-m",
                "automl_cli",
                "predict",
                folder / "m.automl",
                folder / "test.csv",
                "--out",
                folder / "p.csv",
            ],
            check=True,
            capture_output=True,
        )
        manifest = read_manifest(folder / "m.automl")
        predictions = pd.read_csv(folder / "p.csv")
    # labels in the predictions file are as pandas read them back; match by string
    predictions.columns = [str(c) for c in predictions.columns]
    return {
        "dataset": name,
        "task": task,
        "automl": test_score(task, test[target], predictions, labels),
        "lgbm_default": lightgbm_default(task, train, test, target, labels),
        "validation": manifest["validation_score"],
        "metric": manifest["metric"],
        "algorithm": _shipped(manifest),
        "trials": manifest["trial_count"],
        "fit_seconds": fit_seconds,
    }


def _shipped(manifest: dict) -> str:
    """The best single model's algorithm, or the ensemble's kind and member count."""
    members = manifest.get("ensemble", {}).get("members")
    if members:
        return f"{manifest['ensemble']['kind']} of {len(members)}"
    return manifest["algorithm"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", required=True)
    parser.add_argument("--budget", type=float, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--shared",
        type=Path,
        default=SHARED,
        help="the folder with datasets/ and benchmarks/ (default: ../shared beside the project)",
    )
    parser.add_argument(
        "--ensemble-size",
        type=int,
        default=None,
        help="passed to `automl fit --ensemble-size` (default: the fit's own default)",
    )
    parser.add_argument(
        "--extra", nargs=argparse.REMAINDER, default=[], help="further `automl fit` options"
    )
    args = parser.parse_args()
    shared = args.shared
    manifest = pd.read_csv(shared / "datasets" / "manifest.csv").set_index("name")
    manifest["path"] = [shared / "datasets" / file for file in manifest.file]
    test_rows = json.loads((shared / "benchmarks" / "test_rows_seed0.json").read_text())
    peers = pd.read_csv(shared / "benchmarks" / "peers-public-60s.csv")
    results = []
    for name in args.datasets:
        extra = list(args.extra)
        if args.ensemble_size is not None:
            extra += ["--ensemble-size", str(args.ensemble_size)]
        result = run_one(name, manifest.loc[name], test_rows[name], args.budget, args.seed, extra)
        print(json.dumps(result), flush=True)
        results.append(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(results, peers, args))
    print(f"written {args.out}")


def render(results: list[dict], peers: pd.DataFrame, args: argparse.Namespace) -> str:
    lines = [
        f"# automl fit on the public suite, {args.budget:g} s budget, 2 jobs, seed {args.seed}",
        "",
        "Command: `python benchmarks/suite.py --budget "
        f"{args.budget:g} --datasets {' '.join(args.datasets)} --out {args.out}"
        + (f" --ensemble-size {args.ensemble_size}" if args.ensemble_size is not None else "")
        + (f" --extra {' '.join(args.extra)}" if args.extra else "")
        + "`",
        "",
        "Test metric as the peers': binary ROC AUC (higher is better), multiclass log loss and",
        "regression RMSE (lower is better). norm.: 0 = constant predictor, 1 = best of all",
        "systems in this table and the peers' table. Fit s = the whole `automl fit` process.",
        "",
        "| dataset | task | automl test | lgbm default | best peer (system) | automl norm. "
        "| validation (metric) | shipped | trials | fit s |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    norms = []
    for r in results:
        if "error" in r:
            lines.append(f"| {r['dataset']} | {r['task']} | error: {r['error']} |||||||")
            continue
        rows = peers[(peers.dataset == r["dataset"]) & (peers.system != "constant")]
        constant = peers[(peers.dataset == r["dataset"]) & (peers.system == "constant")]
        higher = HIGHER_IS_BETTER[r["task"]]
        scores = list(rows.score) + [r["automl"], r["lgbm_default"]]
        best = max(scores) if higher else min(scores)
        if len(rows):
            peer = rows.loc[rows.score.idxmax() if higher else rows.score.idxmin()]
            peer_text = f"{peer.score:.4f} ({peer.system})"
            base = float(constant.score.iloc[0])
        else:
            peer_text, base = "-", (0.5 if r["task"] == "binary" else float("nan"))
        norm = (r["automl"] - base) / (best - base) if np.isfinite(base) else float("nan")
        norms.append(norm)
        lines.append(
            f"| {r['dataset']} | {r['task']} | {r['automl']:.4f} | {r['lgbm_default']:.4f} | "
            f"{peer_text} | {norm:.4f} | {r['validation']:.4f} ({r['metric']}) | "
            f"{r['algorithm']} | {r['trials']} | {r['fit_seconds']:.1f} |"
        )
    lines += ["", f"Mean normalized score: {np.nanmean(norms):.4f}" if norms else ""]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
