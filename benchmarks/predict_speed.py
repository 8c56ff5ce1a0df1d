"""How long does `automl predict` take, and how much memory, for a given model file?

Runs `automl predict MODEL ROWS.csv --out PREDICTIONS.csv` as a user does, one process at a
time, on tables of each size in --rows (rows drawn with replacement from --data, a CSV with
the model's feature columns, cells copied as written), and reports per model file, code and
size the median over --runs of the wall time from launch to exit (the interpreter's start-up
and every import count: that is what a user waits for) and of the peak resident memory of
the process (ru_maxrss; predict starts no other process). A first run per case warms the
file cache and is not counted. It also lists the heavy libraries the process imported (from
`python -X importtime`), since their import is most of the time on small files.

Pass several --code DIRs (exports of commits, e.g. `git archive`) to compare them; the runs
take turns between them, so that a change in the machine's load hits them alike. A model
file that a code cannot read (a newer format) is reported as such.

    python benchmarks/predict_speed.py --model M.automl --data FEATURES.csv \
        --rows 1000 100000 --runs 5 --code OLD NEW --out benchmarks/results/predict_speed.md

`--make-lightgbm TRAIN.csv TARGET M.automl` writes a model file of LightGBM's default config
fitted on TRAIN.csv, for measuring a LightGBM model whatever a search would pick (in the
format of the code on PYTHONPATH: run it with the older code for a file both can read).

`--make-ensemble TRAIN.csv TARGET M.automl` writes a 10-member ensemble: every config of the
default portfolio (the nine learner families' defaults: LightGBM twice, XGBoost,
HistGradientBoosting, random forest, extra trees, linear, SVM, MLP) plus kNN's default, each
fitted on all of TRAIN.csv, weighted equally. A search ships fewer distinct members on most
tables; this is the worst case for predict, every learner library and every member's own
preprocessing. `--make-rows N OUT.csv` writes N rows of the seeded adult-like table of
`fit_memory.py` (with its target column; predict ignores it): train on 3,000, predict on
100,000.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

HEAVY = ("lightgbm", "xgboost", "dask", "distributed", "ConfigSpace", "rich.table", "skops")


def one_run(code: Path, model: Path, rows: Path, importtime: bool = False) -> dict:
    """Wall seconds, peak RSS (MB) and, with `importtime`, the heavy modules imported."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "predictions.csv"
        flags = ["-X", "importtime"] if importtime else []
        command = [sys.executable, *flags, "-m", "automl_cli", "predict", str(model), str(rows)]
        command += ["--out", str(out)]
        errors = Path(folder) / "stderr.txt"
        started = time.perf_counter()
        with open(errors, "w") as stderr:
            process = subprocess.Popen(
                command,
                env={**os.environ, "PYTHONPATH": str(code.resolve())},
                cwd=folder,  # not the caller's folder: `-m` puts it before PYTHONPATH
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
            _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        text = errors.read_text()
        if os.waitstatus_to_exitcode(status) != 0:
            return {"error": text.strip().splitlines()[-1]}
        result = {"wall": wall, "peak_mb": usage.ru_maxrss / 1024}
        if importtime:
            imported = {line.rsplit("|", 1)[-1].strip() for line in text.splitlines()}
            imported |= {name.split(".")[0] for name in imported}
            result["heavy"] = [name for name in HEAVY if name in imported]
        return result


def table_of(data: Path, n_rows: int, folder: Path) -> Path:
    """A CSV of `n_rows` rows drawn with replacement (seeded) from `data`, cells as written."""
    frame = pd.read_csv(data, dtype=str, keep_default_na=False)
    drawn = frame.sample(n=n_rows, replace=True, random_state=0)
    path = folder / f"rows_{n_rows}.csv"
    drawn.to_csv(path, index=False)
    return path


def make_lightgbm(train: Path, target: str, out: Path) -> None:
    """A model file of LightGBM's default config (the portfolio's), fitted on all rows."""
    from automl_cli import bundle
    from automl_cli.data import load_training_data
    from automl_cli.evaluate import Evaluator
    from automl_cli.metrics import resolve_metric
    from automl_cli.space import default_configs, space_for

    dataset = load_training_data(train, target)
    config = next(c for c in default_configs(space_for(dataset)) if c["algorithm"] == "lightgbm")
    metric = resolve_metric(None, dataset.task)
    estimator = Evaluator(dataset, metric).fit_final(config)
    manifest = {**_manifest(dataset, metric, target, "lightgbm"), "best_config": config}
    if bundle.FORMAT_VERSION == 1:  # older code, which stored the bare pipeline
        bundle.save(out, estimator, manifest)
        return
    from automl_cli.model import Model

    Model(estimator, dataset.schema, dataset.task, dataset.classes, manifest).save(out)


def make_ensemble(train: Path, target: str, out: Path, size: int = 10) -> None:
    """A model file of an equally weighted ensemble of the portfolio's configs (and kNN)."""
    from automl_cli.data import load_training_data
    from automl_cli.ensemble.estimator import Ensemble
    from automl_cli.evaluate import Evaluator
    from automl_cli.metrics import resolve_metric
    from automl_cli.model import Model
    from automl_cli.space import default_configs, space_for
    from automl_cli.space.adapt import SpaceAdapter

    dataset = load_training_data(train, target)
    space = space_for(dataset)
    configs = (default_configs(space) + [SpaceAdapter(space)({"algorithm": "knn"})])[:size]
    metric = resolve_metric(None, dataset.task)
    evaluator = Evaluator(dataset, metric)
    members = [evaluator.fit_final(config) for config in configs]
    n_classes = len(dataset.classes)
    model = Ensemble(members, [1.0] * len(members), dataset.task, n_classes)
    manifest = {
        **_manifest(dataset, metric, target, "ensemble"),
        "ensemble": {  # what `automl info` shows; no validation: nothing was searched
            "kind": "ensemble",
            "size": len(members),
            "validation_score": None,
            "single_validation_score": None,
            "members": [
                {
                    "job_id": None,
                    "algorithm": c["algorithm"],
                    "weight": 1 / len(members),
                    "validation_score": None,
                }
                for c in configs
            ],
        },
    }
    Model(model, dataset.schema, dataset.task, dataset.classes, manifest).save(out)


def _manifest(dataset: Any, metric: Any, target: str, algorithm: str) -> dict:
    """The manifest keys a model file of a fit would carry, for a model built without search."""
    return {
        "task": dataset.task,
        "metric": metric.name,
        "target": target,
        "schema": dataset.schema.to_dict(),
        "classes": list(dataset.classes),
        "algorithm": algorithm,
        "validation_score": None,
        "trial_count": 0,
        "failed_trials": 0,
        "leaderboard": [],
        "created": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, nargs="+")
    parser.add_argument("--data", type=Path, help="CSV of feature rows to draw from")
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--code", type=Path, nargs="+", default=[Path(".")])
    parser.add_argument("--out", type=Path, help="Markdown table to append to")
    parser.add_argument("--make-lightgbm", nargs=3, metavar=("TRAIN", "TARGET", "OUT"))
    parser.add_argument("--make-ensemble", nargs=3, metavar=("TRAIN", "TARGET", "OUT"))
    parser.add_argument("--make-rows", nargs=2, metavar=("N", "OUT"))
    args = parser.parse_args()
    if args.make_rows:
        from fit_memory import adult_like

        adult_like(int(args.make_rows[0]), seed=0).to_csv(args.make_rows[1], index=False)
        return
    if args.make_ensemble:
        train, target, out = args.make_ensemble
        make_ensemble(Path(train), target, Path(out))
        return
    if args.make_lightgbm:
        train, target, out = args.make_lightgbm
        make_lightgbm(Path(train), target, Path(out))
        return
    lines = [
        f"\n## {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
        f"{os.getloadavg()[0]:.1f}, median of {args.runs} runs\n",
        "| model | code | rows | wall s | peak RSS MB | heavy imports |",
        "|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as folder:
        for n_rows in args.rows:
            rows = table_of(args.data, n_rows, Path(folder))
            for model in args.model:
                cases = {code: [] for code in args.code}
                heavy = {code: one_run(code, model, rows, importtime=True) for code in args.code}
                for _ in range(args.runs):
                    for code in args.code:
                        cases[code].append(one_run(code, model, rows))
                for code, runs in cases.items():
                    name = f"| {model.name} | {code.name or code.resolve().name} | {n_rows:,} |"
                    failed = [run["error"] for run in runs if "error" in run]
                    if failed:
                        lines.append(f"{name} fails: {failed[0]} | | |")
                    else:
                        wall = statistics.median(run["wall"] for run in runs)
                        peak = statistics.median(run["peak_mb"] for run in runs)
                        imported = ", ".join(heavy[code].get("heavy", []))
                        lines.append(f"{name} {wall:.2f} | {peak:.0f} | {imported} |")
                    print(lines[-1], flush=True)
    report = "\n".join(lines) + "\n"
    if args.out:
        with open(args.out, "a") as stream:
            stream.write(report)
    else:
        print(report)


if __name__ == "__main__":
    main()
