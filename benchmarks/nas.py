"""Neural architecture search against the MLPs and the boosters on the public suite.

For each dataset the peers' test rows (../shared/benchmarks/test_rows_seed0.json) are the test
rows and every other row trains, as in suite.py, whose scoring this reuses: binary ROC AUC,
multiclass log loss, regression RMSE. Every system gets the same time budget and is scored on
the same test rows:

- nas_<strategy>: `automl nas --strategy <strategy>` (contract 10), one per strategy;
- fit_best: `automl fit` as shipped (any learner, its default ensemble);
- fit_mlp: `automl fit` searching only the MLP learner of its space. `automl fit` has no option
  that restricts its learners (contract 1), so this runs the same CLI in a process whose space
  offers the MLP alone; it ships one MLP (--ensemble-size 0), as NAS ships one network;
- sklearn_mlp: scikit-learn's MLP with defaults behind median / most-frequent imputation,
  standard scaling and one-hot encoding (no budget: it trains once, its cost is its fit).

Cost is wall seconds of the whole command (interpreter start, reading the CSV, search, refit),
`automl predict` excluded. Normalized score: 0 = a constant predictor (the training rows'
prior or mean), 1 = the best of the systems in the table and the peers' systems.

    python benchmarks/nas.py --budget 30 \
        --datasets credit_approval titanic vehicle segment abalone concrete \
        --out benchmarks/results/nas.md
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from suite import HIGHER_IS_BETTER, SHARED, test_score

from automl_cli.bundle import read_manifest

STRATEGIES = ("random", "evolution", "bohb", "darts")
SYSTEMS = ("sklearn_mlp", "fit_mlp", "fit_best", *(f"nas_{name}" for name in STRATEGIES))
MLP_SPACE_FIT = "--fit-in-mlp-space"  # internal: this script re-run as `automl fit`, MLP only
CLI_TIMEOUT_SLACK = 120.0  # seconds past the budget after which a run counts as hung


@dataclass(frozen=True)
class Split:
    """One dataset of the suite cut into the peers' training and test rows."""

    name: str
    task: str
    target: str
    train: pd.DataFrame
    test: pd.DataFrame
    labels: list

    def score(self, predictions: pd.DataFrame) -> float:
        predictions.columns = [str(c) for c in predictions.columns]
        return test_score(self.task, self.test[self.target], predictions, self.labels)


@dataclass
class Outcome:
    """One system on one dataset: its test score and what it cost, or why it failed."""

    dataset: str
    task: str
    system: str
    score: float = float("nan")
    seconds: float = float("nan")
    shipped: str = ""
    error: str = ""


def load_split(name: str, shared: Path) -> Split:
    manifest = pd.read_csv(shared / "datasets" / "manifest.csv").set_index("name")
    row = manifest.loc[name]
    test_rows = json.loads((shared / "benchmarks" / "test_rows_seed0.json").read_text())[name]
    data = pd.read_csv(shared / "datasets" / row["file"])
    is_test = np.zeros(len(data), dtype=bool)
    is_test[test_rows] = True
    train, test = data[~is_test], data[is_test]
    target, task = row["target"], row["task"]
    labels = sorted(train[target].dropna().unique().tolist()) if task != "regression" else []
    return Split(name, task, target, train, test, labels)


def constant_score(split: Split) -> float:
    """The test score of predicting the training rows' prior (classification) or mean."""
    n = len(split.test)
    if split.task == "regression":
        mean = split.train[split.target].mean()
        return split.score(pd.DataFrame({"prediction": np.full(n, mean)}))
    prior = split.train[split.target].astype(str).value_counts(normalize=True)
    columns = {f"proba_{label}": np.full(n, prior.get(str(label), 0.0)) for label in split.labels}
    return split.score(pd.DataFrame(columns))


def sklearn_mlp(split: Split, seed: int) -> Outcome:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X = split.train.drop(columns=split.target)
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
    categorical = [c for c in X.columns if c not in numeric]
    prepare = ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical,
            ),
        ]
    )
    X_test = split.test.drop(columns=split.target)
    for column in categorical:  # strings throughout, so mixed-type columns encode
        X[column] = X[column].astype("object").where(X[column].isna(), X[column].astype(str))
        X_test[column] = (
            X_test[column].astype("object").where(X_test[column].isna(), X_test[column].astype(str))
        )
    started = time.monotonic()
    if split.task == "regression":
        model = make_pipeline(prepare, MLPRegressor(random_state=seed))
        model.fit(X, split.train[split.target])
        predictions = pd.DataFrame({"prediction": model.predict(X_test)})
    else:
        y = split.train[split.target].astype(str)
        model = make_pipeline(prepare, MLPClassifier(random_state=seed)).fit(X, y)
        proba = model.predict_proba(X_test)
        classes = list(model.classes_)
        predictions = pd.DataFrame(
            {f"proba_{label}": proba[:, classes.index(str(label))] for label in split.labels}
        )
    seconds = time.monotonic() - started
    return Outcome(split.name, split.task, "sklearn_mlp", split.score(predictions), seconds, "MLP")


def cli_command(system: str, train: Path, split: Split, args: argparse.Namespace) -> list:
    common = ["--target", split.target, "--time-budget", f"{args.budget:g}"]
    common += ["--n-jobs", str(args.n_jobs), "--seed", str(args.seed)]
    if system == "fit_best":
        return [sys.executable, "-m", "automl_cli", "fit", train, *common, "--quiet"]
    if system == "fit_mlp":
        fit = ["fit", train, *common, "--quiet", "--ensemble-size", "0"]
        return [sys.executable, __file__, MLP_SPACE_FIT, *fit]
    strategy = system.removeprefix("nas_")
    nas = ["nas", train, *common, "--strategy", strategy, "--quiet"]
    return [sys.executable, "-m", "automl_cli", *nas]


def run_cli(system: str, split: Split, args: argparse.Namespace) -> Outcome:
    """Run one `automl fit` / `automl nas`, then `automl predict` on the test rows, and score."""
    outcome = Outcome(split.name, split.task, system)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        split.train.to_csv(folder / "train.csv", index=False)
        split.test.drop(columns=split.target).to_csv(folder / "test.csv", index=False)
        command = [*cli_command(system, folder / "train.csv", split, args)]
        command += ["--out", folder / "m.automl"]
        started = time.monotonic()
        try:
            run = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=args.budget + CLI_TIMEOUT_SLACK,
            )
        except subprocess.TimeoutExpired:
            outcome.error = f"no end within {args.budget + CLI_TIMEOUT_SLACK:g} s"
            return outcome
        outcome.seconds = time.monotonic() - started
        if run.returncode != 0:
            lines = run.stderr.strip().splitlines() or [f"exit {run.returncode}"]
            outcome.error = f"exit {run.returncode}: {lines[-1][:200]}"
            return outcome
        predict = subprocess.run(
            [sys.executable, "-m", "automl_cli", "predict", folder / "m.automl"]
            + [folder / "test.csv", "--out", folder / "p.csv"],
            capture_output=True,
            text=True,
        )
        if predict.returncode != 0:
            outcome.error = f"predict failed: {predict.stderr.strip()[-200:]}"
            return outcome
        outcome.score = split.score(pd.read_csv(folder / "p.csv"))
        outcome.shipped = shipped(read_manifest(folder / "m.automl"))
    return outcome


def shipped(manifest: dict) -> str:
    """What the model file holds: an ensemble's size, the algorithm, and the trial count."""
    members = (manifest.get("ensemble") or {}).get("members")
    what = f"{manifest['ensemble']['kind']} of {len(members)}" if members else ""
    what = what or str(manifest.get("algorithm", "?"))
    trials = manifest.get("trial_count")
    return f"{what}, {trials} trials" if trials is not None else what


def fit_in_mlp_space(argv: list[str]) -> None:
    """`automl fit` whose space offers only the MLP learner (the warm start and the portfolio
    keep only the configs valid in it); every other part of the fit is the shipped one."""
    from automl_cli.cli import main
    from automl_cli.space import definition

    definition.ALGORITHMS = ("mlp",)
    definition.DEFAULT_ALGORITHM = "mlp"
    main(argv)


def normalized(outcomes: list[Outcome], split: Split, peers: pd.DataFrame) -> dict[str, float]:
    """0 = the constant predictor, 1 = the best system here or among the peers."""
    higher = HIGHER_IS_BETTER[split.task]
    peer_scores = peers[(peers.dataset == split.name) & (peers.system != "constant")].score
    scores = [o.score for o in outcomes if np.isfinite(o.score)] + list(peer_scores)
    best = max(scores) if higher else min(scores)
    base = 0.5 if split.task == "binary" else constant_score(split)
    return {o.system: (o.score - base) / (best - base) for o in outcomes}


def run_key(args: argparse.Namespace) -> dict:
    return {"budget": args.budget, "n_jobs": args.n_jobs, "seed": args.seed}


def read_log(path: Path | None, args: argparse.Namespace) -> dict[tuple[str, str], Outcome]:
    """The logged outcomes of runs with this budget, jobs and seed, failures left out (they
    run again); a later line wins."""
    if path is None or not path.exists():
        return {}
    outcomes = {}
    for line in path.read_text().splitlines():
        record = json.loads(line)
        same_run = {k: record.pop(k) for k in run_key(args)} == run_key(args)
        if same_run and not record["error"]:
            outcomes[record["dataset"], record["system"]] = Outcome(**record)
    return outcomes


def render(results: dict[str, list[Outcome]], norms: dict, args: argparse.Namespace) -> str:
    systems = [s for s in SYSTEMS if s in args.systems]
    lines = [
        f"# NAS on the public suite, {args.budget:g} s per run, {args.n_jobs} jobs, "
        f"seed {args.seed}",
        "",
        f"Command: `python benchmarks/nas.py --budget {args.budget:g} --n-jobs {args.n_jobs} "
        f"--seed {args.seed} --datasets {' '.join(args.datasets)} "
        f"--systems {' '.join(systems)} --out {args.out}"
        + (f" --log {args.log}`" if args.log else "`"),
        "",
        "Machine: 2 cores, shared with other work while measured; costs are wall seconds of",
        "the whole command (interpreter start to model file), not exclusive CPU time.",
        "",
        "Test metric as the peers': binary ROC AUC (higher is better), multiclass log loss and",
        "regression RMSE (lower is better). norm.: 0 = constant predictor, 1 = the best of this",
        "table and the peers' systems. fit_mlp = `automl fit` with only its MLP learner in the",
        "space (one MLP shipped); fit_best = `automl fit` as shipped.",
    ]
    for name, outcomes in results.items():
        lines += ["", f"## {name} ({outcomes[0].task})", ""]
        lines += ["| system | test | norm. | cost s | shipped |", "|---|---:|---:|---:|---|"]
        for o in outcomes:
            if o.error:
                lines.append(f"| {o.system} | error: {o.error} | | | |")
                continue
            lines.append(
                f"| {o.system} | {o.score:.4f} | {norms[name][o.system]:.3f} | "
                f"{o.seconds:.1f} | {o.shipped} |"
            )
    lines += ["", "## Summary", "", "| system | mean norm. | mean cost s | datasets |"]
    lines.append("|---|---:|---:|---:|")
    for system in systems:
        done = [
            (norms[name][o.system], o.seconds)
            for name, outcomes in results.items()
            for o in outcomes
            if o.system == system and not o.error
        ]
        if done:
            norm, cost = np.mean(done, axis=0)
            lines.append(f"| {system} | {norm:.3f} | {cost:.1f} | {len(done)} |")
        else:
            lines.append(f"| {system} | - | - | 0 |")
    return "\n".join(lines + norm_matrix(results, norms, systems)) + "\n"


def norm_matrix(results: dict, norms: dict, systems: list[str]) -> list[str]:
    """Normalized scores side by side, and the best NAS network's gap to `automl fit`'s best."""
    lines = ["", "## Normalized score per dataset", ""]
    lines.append(f"| dataset | {' | '.join(systems)} | best NAS - fit_best |")
    lines.append("|---|" + "---:|" * (len(systems) + 1))
    for name, outcomes in results.items():
        done = {o.system: norms[name][o.system] for o in outcomes if not o.error}
        cells = [f"{done[s]:.3f}" if s in done else "-" for s in systems]
        nas = [done[s] for s in done if s.startswith("nas_")]
        gap = f"{max(nas) - done['fit_best']:+.3f}" if nas and "fit_best" in done else "-"
        lines.append(f"| {name} | {' | '.join(cells)} | {gap} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", required=True)
    parser.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS))
    parser.add_argument("--budget", type=float, default=30)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument(
        "--log",
        type=Path,
        default=None,
        help="JSON lines of outcomes: those already there for the same budget, jobs and seed are "
        "reused (a later run adds a system without repeating the others), new ones appended",
    )
    args = parser.parse_args()
    logged = read_log(args.log, args)
    peers = pd.read_csv(args.shared / "benchmarks" / "peers-public-60s.csv")
    results, norms = {}, {}
    for name in args.datasets:
        split = load_split(name, args.shared)
        outcomes = []
        for system in [s for s in SYSTEMS if s in args.systems]:
            if (name, system) in logged:
                outcomes.append(logged[name, system])
                continue
            if system == "sklearn_mlp":
                outcome = sklearn_mlp(split, args.seed)
            else:
                outcome = run_cli(system, split, args)
            print(json.dumps(outcome.__dict__), flush=True)
            if args.log is not None:
                with args.log.open("a") as log:
                    log.write(json.dumps({**outcome.__dict__, **run_key(args)}) + "\n")
            outcomes.append(outcome)
        results[name] = outcomes
        norms[name] = normalized(outcomes, split, peers)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(results, norms, args))
    print(f"written {args.out}")


if __name__ == "__main__":
    if sys.argv[1:2] == [MLP_SPACE_FIT]:
        fit_in_mlp_space(sys.argv[2:])
    else:
        main()
