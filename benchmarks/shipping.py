"""Same search, several ways to ship: the test score of the best single model and of the
Caruana ensemble, each built from one `automl fit`'s own trials, refitted or bagged.

Per dataset, one `automl fit` runs as `suite.py` runs it (the peers' test rows held out, 2
jobs); then its trial log and kept validation predictions give the library its selection saw,
and each candidate is rebuilt the way the fit builds it: the best model alone and the greedy
ensemble over all validation rows. Their members are refitted on every training row
(`Evaluator.fit_final`, without the fit's time limit) and the test rows scored as `automl
predict` scores them. "shipped" is the fit's own model file. "single_bagged" and
"ensemble_bagged" are the same models with each member kept as the bag of its fold models
instead (fitted on each fold's training rows of the first repeat and averaged, as Ensemble
members of equal weight); on a holdout split the bag is the one model fitted on the training
80 %. (Until the fit shipped its ensemble always, this also rebuilt stacking and the fit
decided between the three: `results/suite_shipping.md`, `suite_bagging.md`,
`suite_binary_stacking.md`; `suite_always_ensemble.md` says why that ended.)

    python benchmarks/shipping.py --budget 60 --seed 0 \
        --datasets credit_approval titanic vehicle --out-dir benchmarks/results/suite_runs

Prints one JSON line per dataset (each candidate's test score, what shipped, the held-out
losses of the single model and the ensemble), and appends to OUT_DIR/shipping_KIND_seedS.jsonl
one line per dataset in `suite.py`'s format, for `suite_summary.py` (KIND: one of KINDS).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from suite import SHARED, lightgbm_default, test_score

from automl_cli.bundle import read_manifest
from automl_cli.data import load_training_data, read_csv
from automl_cli.ensemble.estimator import Ensemble
from automl_cli.ensemble.selection import LIBRARY_SIZE, greedy_selection
from automl_cli.ensemble.store import PredictionFile
from automl_cli.evaluate import FULL_BUDGET, Evaluator
from automl_cli.metrics import resolve_metric
from automl_cli.model import Model, load

KINDS = ("shipped", "single", "ensemble", "single_bagged", "ensemble_bagged")


def candidates(folder: Path, target: str, seed: int) -> dict[str, Model]:
    """The single model and the ensemble, refitted and bagged, of the fit whose files are in
    `folder`."""
    manifest = read_manifest(folder / "m.automl")
    dataset = load_training_data(folder / "train.csv", target, manifest["task"])
    metric = resolve_metric(manifest["metric"], dataset.task)
    evaluator = Evaluator(dataset, metric, seed=seed, n_threads=2)
    lines = map(json.loads, (folder / "m.automl.trials.jsonl").read_text().splitlines())
    trials = [t for t in lines if t.get("status") == "ok" and t["budget"] >= FULL_BUDGET]
    trials.sort(key=lambda t: (t["loss"], t["job_id"]))
    kept = PredictionFile(folder / "m.automl.trials.predictions.npy").read()
    library_trials = [t for t in trials if t["job_id"] in kept][:LIBRARY_SIZE]
    library = np.stack([kept[t["job_id"]] for t in library_trials]).astype(float)
    y = evaluator.y[evaluator.validation_rows]
    n_classes = len(dataset.classes)
    refits: dict[int, object] = {}

    def member(k: int) -> object:
        if k not in refits:
            refits[k] = evaluator.fit_final(library_trials[k]["config"])
        return refits[k]

    folds = [split for split in evaluator.splits if split.repeat == 0]

    def bag(k: int) -> list[object]:
        config = library_trials[k]["config"]
        return [evaluator.fit_rows(evaluator.pipeline(config), s.train) for s in folds]

    def wrap(estimator: object) -> Model:
        return Model(estimator, dataset.schema, dataset.task, dataset.classes)

    def bagged(ks: list[int], weights: list[float]) -> Model:
        models = [m for k in ks for m in bag(k)]
        per_model = [w / len(folds) for w in weights for _ in folds]
        return wrap(Ensemble(models, per_model, dataset.task, n_classes))

    built = {"single": wrap(member(0)), "single_bagged": bagged([0], [1.0])}
    counts = greedy_selection(library, y, metric, 25)
    used = np.flatnonzero(counts)
    built["ensemble"] = wrap(
        Ensemble([member(k) for k in used], counts[used].tolist(), dataset.task, n_classes)
    )
    built["ensemble_bagged"] = bagged(used.tolist(), counts[used].tolist())
    return built


def run_one(name: str, row: pd.Series, test_rows: list[int], budget: float, seed: int) -> dict:
    data = pd.read_csv(row["path"])
    target, task = row["target"], row["task"]
    is_test = np.zeros(len(data), dtype=bool)
    is_test[test_rows] = True
    train, test = data[~is_test], data[is_test]
    labels = sorted(train[target].dropna().unique().tolist()) if task != "regression" else []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        train.to_csv(folder / "train.csv", index=False)
        command = [sys.executable, "-m", "automl_cli", "fit", str(folder / "train.csv")]
        command += ["--target", target, "--time-budget", str(budget), "--n-jobs", "2"]
        command += ["--seed", str(seed), "--quiet", "--out", str(folder / "m.automl")]
        fit = subprocess.run(command, capture_output=True, text=True)
        if fit.returncode != 0:
            return {"dataset": name, "task": task, "error": fit.stderr.strip()[-300:]}
        test.drop(columns=target).to_csv(folder / "test.csv", index=False)
        result = {"dataset": name, "task": task, "seed": seed}
        models = {"shipped": load(folder / "m.automl"), **candidates(folder, target, seed)}
        formatted = models["shipped"].schema.formatted_columns
        rows = read_csv(folder / "test.csv", text_columns=formatted)
        for kind, model in models.items():
            predictions, _ = model.predictions(rows)
            result[kind] = test_score(task, test[target], predictions, labels)
        ensemble = read_manifest(folder / "m.automl").get("ensemble", {})
        result["shipped_kind"] = ensemble.get("kind", "single")
        result["held_out_losses"] = ensemble.get("held_out_losses", {})
    result["lgbm_default"] = lightgbm_default(task, train, test, target, labels)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", required=True)
    parser.add_argument("--budget", type=float, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--out-dir", type=Path, required=True)
    args = parser.parse_args()
    manifest = pd.read_csv(args.shared / "datasets" / "manifest.csv").set_index("name")
    manifest["path"] = [args.shared / "datasets" / file for file in manifest.file]
    test_rows = json.loads((args.shared / "benchmarks" / "test_rows_seed0.json").read_text())
    for name in args.datasets:
        result = run_one(name, manifest.loc[name], test_rows[name], args.budget, args.seed)
        print(json.dumps(result), flush=True)
        for kind in KINDS:
            if kind in result:
                line = {key: result[key] for key in ("dataset", "task", "lgbm_default")}
                line |= {"automl": result[kind], "algorithm": result["shipped_kind"]}
                path = args.out_dir / f"shipping_{kind}_seed{args.seed}.jsonl"
                with path.open("a") as out:
                    out.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
