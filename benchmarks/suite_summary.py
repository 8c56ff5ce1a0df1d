"""Summarize runs of suite.py over seeds, variants and budgets, normalized the same way.

suite.py prints one JSON line per dataset; each file given here holds one invocation's lines
(one seed of one variant at one budget). Every score is normalized per dataset as suite.py
does, 0 = the constant predictor fitted on the training rows (ROC AUC 0.5, the class priors'
log loss, the training mean's RMSE), 1 = the best test score of any run given here, of
LightGBM's defaults and of the peers' table. Paired comparisons match runs by dataset and
seed; the Wilcoxon signed-rank test is on the normalized differences.

    python benchmarks/suite_summary.py --out benchmarks/results/suite_seeds.md \
        --runs ensemble,60,0=RUN.jsonl ensemble,60,1=RUN.jsonl single,60,0=RUN.jsonl ... \
        --compare ensemble,60:single,60 --budgets ensemble 10 30 60
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import wilcoxon
from suite import HIGHER_IS_BETTER, SHARED, test_score


def read_runs(specs: list[str]) -> pd.DataFrame:
    """VARIANT,BUDGET,SEED=FILE specs -> one row per dataset and run."""
    rows = []
    for spec in specs:
        label, file = spec.split("=", 1)
        variant, budget, seed = label.split(",")
        for line in Path(file).read_text().splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                rows.append({"variant": variant, "budget": float(budget), "seed": int(seed)})
                rows[-1].update(record)
    return pd.DataFrame(rows)


def constant_score(name: str, shared: Path) -> float:
    """The test score of predicting the training rows' prior (or mean) for every test row."""
    manifest = pd.read_csv(shared / "datasets" / "manifest.csv").set_index("name")
    row = manifest.loc[name]
    data = pd.read_csv(shared / "datasets" / row.file)
    test_rows = json.loads((shared / "benchmarks" / "test_rows_seed0.json").read_text())[name]
    is_test = np.zeros(len(data), dtype=bool)
    is_test[test_rows] = True
    train, test = data[~is_test], data[is_test]
    target, task = row.target, row.task
    if task == "regression":
        guess = pd.DataFrame({"prediction": np.full(len(test), train[target].mean())})
        return test_score(task, test[target], guess, [])
    if task == "binary":
        return 0.5
    labels = sorted(train[target].dropna().unique().tolist())
    prior = train[target].value_counts(normalize=True)
    guess = pd.DataFrame({f"proba_{label}": np.full(len(test), prior[label]) for label in labels})
    return test_score(task, test[target], guess, labels)


def normalize(runs: pd.DataFrame, peers: pd.DataFrame, shared: Path) -> pd.DataFrame:
    runs = runs[runs.automl.notna()].copy()
    runs["norm"] = np.nan
    runs["lgbm_norm"] = np.nan
    bounds = {}
    for name, group in runs.groupby("dataset"):
        higher = HIGHER_IS_BETTER[group.task.iloc[0]]
        theirs = peers[(peers.dataset == name) & (peers.system != "constant")].score
        scores = [*group.automl, *group.lgbm_default, *theirs]
        best = max(scores) if higher else min(scores)
        base = constant_score(name, shared)
        bounds[name] = (base, best)
        runs.loc[group.index, "norm"] = (group.automl - base) / (best - base)
        runs.loc[group.index, "lgbm_norm"] = (group.lgbm_default - base) / (best - base)
    runs.attrs["bounds"] = bounds
    return runs


def peer_norms(peers: pd.DataFrame, bounds: dict) -> pd.DataFrame:
    """The peers' recorded scores on the datasets run here, normalized with the same bounds."""
    rows = []
    for (name, system), score in peers.groupby(["dataset", "system"]).score.mean().items():
        if name in bounds and system != "constant":
            base, best = bounds[name]
            rows.append({"dataset": name, "system": system, "norm": (score - base) / (best - base)})
    return pd.DataFrame(rows).pivot(index="dataset", columns="system", values="norm")


def paired(runs: pd.DataFrame, a: tuple[str, float], b: tuple[str, float]) -> list[str]:
    """Markdown: run a against run b, dataset by dataset, paired by seed."""
    keys = ["dataset", "seed"]
    left = runs[(runs.variant == a[0]) & (runs.budget == a[1])].set_index(keys)
    right = runs[(runs.variant == b[0]) & (runs.budget == b[1])].set_index(keys)
    both = left.merge(right, left_index=True, right_index=True, suffixes=("_a", "_b"))
    name_a, name_b = f"{a[0]} {a[1]:g} s", f"{b[0]} {b[1]:g} s"
    lines = [
        f"### {name_a} against {name_b} ({len(both)} pairs)",
        "",
        f"| dataset | task | seeds | {name_a} test (mean) | {name_b} test (mean) | "
        f"norm. {name_a} | norm. {name_b} | {name_a} better / worse | shipped ({name_a}) |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for name, group in both.groupby(level="dataset"):
        diff = group.norm_a - group.norm_b
        shipped = ", ".join(group.algorithm_a.tolist())
        lines.append(
            f"| {name} | {group.task_a.iloc[0]} | {len(group)} | {group.automl_a.mean():.4f} | "
            f"{group.automl_b.mean():.4f} | {group.norm_a.mean():.4f} | "
            f"{group.norm_b.mean():.4f} | {(diff > 0).sum()} / {(diff < 0).sum()} | {shipped} |"
        )
    diff = both.norm_a - both.norm_b
    p = wilcoxon(diff).pvalue if (diff != 0).any() else float("nan")
    lines += [
        "",
        f"Mean normalized: {name_a} {both.norm_a.mean():.4f}, {name_b} {both.norm_b.mean():.4f}; "
        f"mean paired difference {diff.mean():+.4f} ({(diff > 0).sum()} better, "
        f"{(diff < 0).sum()} worse, Wilcoxon p {p:.3g}).",
        "",
    ]
    return lines


def by_budget(runs: pd.DataFrame, variant: str, budgets: list[float]) -> list[str]:
    """Markdown: the same datasets and seeds at each budget; the spread of the largest
    budget over seeds is the noise that "never behind by more than noise" is read against."""
    chosen = runs[(runs.variant == variant) & runs.budget.isin(budgets)]
    common = set.intersection(
        *(set(chosen[chosen.budget == b].dataset) for b in budgets if (chosen.budget == b).any())
    )
    chosen = chosen[chosen.dataset.isin(common)]
    head = " | ".join(f"{b:g} s" for b in budgets)
    lines = [
        f"### {variant}: test score by budget (mean over seeds, per-seed in brackets)",
        "",
        f"| dataset | metric | {head} | {budgets[-1]:g} s - {budgets[0]:g} s (norm.) | "
        f"seed spread at {budgets[-1]:g} s (norm., sd) |",
        "|---|---|" + "---:|" * (len(budgets) + 2),
    ]
    for name, group in chosen.groupby("dataset"):
        cells = []
        for budget in budgets:
            at = group[group.budget == budget].sort_values("seed")
            seeds = ", ".join(f"{s:.4f}" for s in at.automl)
            cells.append(f"{at.automl.mean():.4f} ({seeds})")
        last = group[group.budget == budgets[-1]].norm
        first = group[group.budget == budgets[0]].norm
        lines.append(
            f"| {name} | {group.metric.iloc[0]} | {' | '.join(cells)} | "
            f"{last.mean() - first.mean():+.4f} | {last.std(ddof=1):.4f} |"
        )
    return [*lines, ""]


def against_lightgbm(runs: pd.DataFrame, variant: str, budget: float) -> list[str]:
    chosen = runs[(runs.variant == variant) & (runs.budget == budget)]
    lines = [
        f"### {variant} {budget:g} s against LightGBM's defaults, every dataset run",
        "",
        "| dataset | task | seeds | automl test | LightGBM default test | norm. automl | "
        "norm. LightGBM | shipped | trials |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for name, group in chosen.groupby("dataset"):
        lines.append(
            f"| {name} | {group.task.iloc[0]} | {len(group)} | {group.automl.mean():.4f} | "
            f"{group.lgbm_default.mean():.4f} | {group.norm.mean():.4f} | "
            f"{group.lgbm_norm.mean():.4f} | {', '.join(group.algorithm)} | "
            f"{', '.join(str(t) for t in group.trials)} |"
        )
    per_dataset = chosen.groupby("dataset")[["norm", "lgbm_norm"]].mean()
    diff = per_dataset.norm - per_dataset.lgbm_norm
    lines += [
        "",
        f"Mean normalized over {len(per_dataset)} datasets: automl {per_dataset.norm.mean():.4f},"
        f" LightGBM's defaults {per_dataset.lgbm_norm.mean():.4f}; automl ahead on "
        f"{(diff > 0).sum()}, behind on {(diff < 0).sum()} (Wilcoxon p "
        f"{wilcoxon(diff).pvalue:.3g}).",
        "",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", nargs="+", required=True, help="VARIANT,BUDGET,SEED=FILE")
    parser.add_argument("--compare", nargs="*", default=[], help="VARIANT,BUDGET:VARIANT,BUDGET")
    parser.add_argument("--budgets", nargs="+", help="VARIANT then the budgets to set side by side")
    parser.add_argument("--lightgbm", help="VARIANT,BUDGET to set against LightGBM's defaults")
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    peers = pd.read_csv(args.shared / "benchmarks" / "peers-public-60s.csv")
    runs = normalize(read_runs(args.runs), peers, args.shared)
    lines = [
        "# automl fit on the public suite: seeds, variants and budgets",
        "",
        "Command: `python benchmarks/suite_summary.py " + " ".join(_quoted(args)) + "`",
        "",
        "Normalized score: 0 = the constant predictor, 1 = the best test score of any run here,",
        "LightGBM's defaults or the peers' table (`../shared/benchmarks`), per dataset.",
        "",
    ]
    for spec in args.compare:
        a, b = (tuple(side.split(",")) for side in spec.split(":"))
        lines += paired(runs, (a[0], float(a[1])), (b[0], float(b[1])))
    if args.compare:
        first = tuple(args.compare[0].split(":")[0].split(","))
        ours = runs[(runs.variant == first[0]) & (runs.budget == float(first[1]))]
        table = peer_norms(peers, runs.attrs["bounds"])
        table = table.loc[sorted(set(ours.dataset) & set(table.index))]
        means = table.mean().sort_values(ascending=False)
        ours_mean = ours[ours.dataset.isin(table.index)].groupby("dataset").norm.mean().mean()
        lines += [
            "Peers on the same datasets (their one recorded run), mean normalized: "
            + ", ".join(f"{system} {value:.4f}" for system, value in means.items())
            + f"; automl {first[0]} {float(first[1]):g} s {ours_mean:.4f} (mean over seeds).",
            "",
        ]
    if args.budgets:
        lines += by_budget(runs, args.budgets[0], [float(b) for b in args.budgets[1:]])
    if args.lightgbm:
        variant, budget = args.lightgbm.split(",")
        lines += against_lightgbm(runs, variant, float(budget))
    errors = read_runs(args.runs)
    if "error" in errors:
        for _, row in errors[errors.error.notna()].iterrows():
            lines.append(f"- error: {row.dataset} ({row.variant}, seed {row.seed}): {row.error}")
    args.out.write_text("\n".join(lines) + "\n")
    print(f"written {args.out}")


def _quoted(args: argparse.Namespace) -> list[str]:
    parts = ["--runs", *args.runs]
    if args.compare:
        parts += ["--compare", *args.compare]
    if args.budgets:
        parts += ["--budgets", *args.budgets]
    if args.lightgbm:
        parts += ["--lightgbm", args.lightgbm]
    return [*parts, "--out", str(args.out)]


if __name__ == "__main__":
    main()
