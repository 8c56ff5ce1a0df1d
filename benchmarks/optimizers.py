"""Optimizer benchmark: anytime regret on synthetic and real (tabulated) problems, overhead.

    python benchmarks/optimizers.py [--seeds 20] [--sections synthetic overhead]
    python benchmarks/optimizers.py --sections real

The plots use matplotlib, a dependency of the project (the report draws with it too).
Writes benchmarks/results/optimizers_synthetic.md and .png, or with `--sections real`
optimizers_real.md and .png (or --out and its .png). Each section is one function in SECTIONS
that returns markdown; the hand-written "Discussion" of the results file is kept when the
script rewrites the file.

synthetic: every strategy is driven by a sequential ask -> evaluate -> tell loop until the
cost (sum of budgets, in full evaluations) reaches the horizon. After each tell the regret of
the incumbent (noise-free, at the full budget) is recorded; the table and plot give median and
quartiles over seeds.

overhead: milliseconds per ask() + tell() pair with 1,000 observations in a 20-dimensional
conditional space (losses are random; only the optimizer's own time is measured).

real: the same loop on the CASH space of three datasets of ../shared/datasets, answered from
tables of real evaluations (benchmarks/real_table.py builds them into results/cache/); cost is
the measured wall time of the tabulated evaluations. A confirmation table from fully real
searches (benchmarks/real_confirm.py) is added for every cached confirm_<dataset>.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import re
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_table import CACHE, Table, run_surrogate  # noqa: E402
from synthetic import CountingOnes, Hartmann6, conditional_space_20d  # noqa: E402

from automl_cli.optimize import STRATEGIES, create_optimizer  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
FIDELITY = {"min_budget": 1 / 27, "max_budget": 1.0, "eta": 3}
STRATEGY_ORDER = ("random", "bo", "hyperband", "bohb", "evolution", "asha")
CHECKPOINTS = (1, 2, 5, 10, 20, 50, 100)
HORIZON = CHECKPOINTS[-1]
REAL_DATASETS = ("credit_approval", "phoneme", "segment")
# real checkpoints: fractions of the wall time of the table's whole full-budget column
REAL_FRACTIONS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
EARLY_STOPPING = ("hyperband", "bohb", "asha")  # also run with early_stopping=True (real)
CONFIRM_TIMES = (5, 10, 15, 20, 25, 30)  # seconds


def available(names: tuple[str, ...]) -> list[str]:
    """The strategies whose module exists in this checkout."""
    found = []
    for name in names:
        module = STRATEGIES[name].split(":")[0]
        if importlib.util.find_spec(module) is not None:
            found.append(name)
    return found


def run_once(strategy: str, problem, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(cost, regret of the incumbent) after every tell of one sequential run."""
    opt = create_optimizer(strategy, problem.space(), seed=seed, **FIDELITY)
    rng = np.random.default_rng([seed, 7919])
    cost, costs, regrets = 0.0, [], []
    while cost < HORIZON:
        job = opt.ask()
        if job is None:  # a finished strategy (none of the benchmarked ones stops early)
            break
        loss = problem.loss(job.config, job.budget, rng)
        cost += job.budget
        opt.tell(job, loss)
        incumbent = opt.incumbent
        costs.append(cost)
        regrets.append(math.inf if incumbent is None else problem.regret(incumbent[0]))
    return np.array(costs), np.array(regrets)


def at_checkpoints(
    costs: np.ndarray, regrets: np.ndarray, checkpoints: tuple[float, ...] = CHECKPOINTS
) -> np.ndarray:
    """Incumbent regret once each checkpoint's cost was spent (inf: no incumbent yet)."""
    index = np.searchsorted(costs, checkpoints, side="right") - 1
    return np.where(index >= 0, regrets[np.maximum(index, 0)], math.inf)


def fmt(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.3g}"


def shape_notes(
    strategies: list[str],
    med: dict[str, np.ndarray],
    checkpoints: tuple[float, ...] = CHECKPOINTS,
    n_early: int = 4,
) -> list[str]:
    """The paper's shape, checked point by point on the medians."""
    notes = []
    early = slice(0, n_early)
    late = slice(n_early, None)
    labels = tuple(f"{c:.3g}" for c in checkpoints)
    if {"hyperband", "random"} <= set(strategies):
        ahead = med["hyperband"][early] <= med["random"][early]
        notes.append(f"Hyperband <= random at costs {labels[early]}: {ahead.tolist()}")
    if {"bo", "random"} <= set(strategies):
        ahead = med["bo"][late] <= med["random"][late]
        notes.append(f"BO <= random at costs {labels[late]}: {ahead.tolist()}")
    if "bohb" in strategies:
        rivals = [s for s in ("hyperband", "bo", "random") if s in strategies]
        best = np.min([med[s] for s in rivals], axis=0)
        ok = med["bohb"] <= best * (1 + 1e-9)
        notes.append(f"BOHB <= min({', '.join(rivals)}) at every cost: {ok.tolist()}")
    return notes


def synthetic_section(seeds: int, strategies: list[str], out: Path) -> str:
    """Regret-vs-cost tables for every problem, and the plot next to `out` (.png)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    problems = [CountingOnes(), Hartmann6()]
    fig, axes = plt.subplots(1, len(problems), figsize=(6 * len(problems), 4.5))
    lines = [f"## Synthetic problems ({seeds} seeds, sequential loop)", ""]
    lines += ["Cost = sum of budgets in full evaluations.", ""]
    for problem, ax in zip(problems, axes, strict=True):
        lines += [f"### {problem.name}", "", problem_doc(problem), ""]
        header = "| strategy | " + " | ".join(f"cost {c}" for c in CHECKPOINTS) + " | s / run |"
        lines += [header, "|---" * (len(CHECKPOINTS) + 2) + "|"]
        medians = {}
        for strategy in strategies:
            start = time.process_time()
            runs = [run_once(strategy, problem, seed) for seed in range(seeds)]
            seconds = (time.process_time() - start) / seeds
            table = np.array([at_checkpoints(c, r) for c, r in runs])
            q1, med, q3 = np.percentile(table, [25, 50, 75], axis=0, method="lower")
            medians[strategy] = med
            cells = [f"{fmt(m)} [{fmt(a)}, {fmt(b)}]" for m, a, b in zip(med, q1, q3, strict=True)]
            lines.append(f"| {strategy} | " + " | ".join(cells) + f" | {seconds:.2f} |")
            plot_runs(ax, strategy, runs)
            print(f"{problem.name}: {strategy} done ({seconds:.2f} s/run)", flush=True)
        lines += ["", "Shape checks on the medians:", ""]
        lines += [f"- {note}" for note in shape_notes(strategies, medians)]
        lines.append("")
        ax.set(title=problem.name, xscale="log", yscale="log", xlabel="cost (full evaluations)")
        ax.set_ylabel("regret of the incumbent")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out.with_suffix(".png"), dpi=120)
    return "\n".join(lines)


def problem_doc(problem) -> str:
    return " ".join((type(problem).__doc__ or "").split())


def plot_runs(
    ax,
    strategy: str,
    runs: list[tuple[np.ndarray, np.ndarray]],
    horizon: float = HORIZON,
    linestyle: str = "-",
) -> None:
    """Median and interquartile band of the regret on a log grid of costs."""
    grid = np.geomspace(horizon / 1000, horizon, 80)
    curves = []
    for costs, regrets in runs:
        index = np.searchsorted(costs, grid, side="right") - 1
        curves.append(np.where(index >= 0, regrets[np.maximum(index, 0)], np.nan))
    curves = np.array(curves)
    curves[~np.isfinite(curves)] = np.nan
    with warnings.catch_warnings():  # costs before any run has an incumbent are all NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        q1, med, q3 = np.nanpercentile(curves, [25, 50, 75], axis=0)
    (line,) = ax.plot(grid, med, label=strategy, linestyle=linestyle)
    ax.fill_between(grid, q1, q3, color=line.get_color(), alpha=0.15)


def time_pairs(make: Callable[[], object], n_obs: int, last: int) -> np.ndarray:
    """(wall, CPU) seconds of each of the `last` ask()+tell() pairs up to n_obs observations."""
    opt = make()
    rng = np.random.default_rng(0)
    times = []
    for i in range(n_obs):
        wall, cpu = time.perf_counter(), time.process_time()
        job = opt.ask()
        opt.tell(job, float(rng.random()))
        if i >= n_obs - last:
            times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return np.array(times)


def overhead_section(
    seeds: int,
    strategies: list[str],
    out: Path,
    repeats: int = 3,
    n_obs: int = 1000,
    last: int = 100,
) -> str:
    """Median ms per ask()+tell() between observation 900 and 1,000 (median of repeats)."""
    space = conditional_space_20d()
    cases = {
        "bohb (Hyperband schedule)": lambda: create_optimizer("bohb", space, **FIDELITY),
        "bohb (one budget: model on ~1,000 points)": lambda: create_optimizer(
            "bohb", space, min_budget=1.0, max_budget=1.0
        ),
    }
    for name in ("hyperband", "asha", "random", "evolution"):
        if name in strategies:
            cases[name] = lambda name=name: create_optimizer(name, space, **FIDELITY)
    lines = [
        "## Overhead: ask() + tell() with 1,000 observations, 20-dim conditional space",
        "",
        f"Per ask()+tell() pair over asks {n_obs - last + 1}..{n_obs}: median and 90th "
        f"percentile, each the median of {repeats} runs. Wall time depends on the load of the "
        "(shared) machine; CPU time is the optimizer's own work. Target for BOHB: median under "
        "20 ms.",
        "",
        "| strategy | median wall ms | p90 wall ms | median CPU ms | p90 CPU ms |",
        "|---|---|---|---|---|",
    ]
    for name, make in cases.items():
        stats = []
        for _ in range(repeats):
            times = 1e3 * time_pairs(make, n_obs, last)
            stats.append(np.concatenate([np.median(times, 0), np.percentile(times, 90, 0)]))
        wall, cpu, wall90, cpu90 = np.median(stats, axis=0)
        lines.append(f"| {name} | {wall:.2f} | {wall90:.2f} | {cpu:.2f} | {cpu90:.2f} |")
        print(f"overhead: {name} done", flush=True)
    return "\n".join(lines) + "\n"


def real_section(seeds: int, strategies: list[str], out: Path) -> str:
    """Regret-vs-wall-time tables on the cached real-evaluation tables, and their plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = [CACHE / f"{name}.json" for name in REAL_DATASETS]
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        raise SystemExit(f"missing {missing} in {CACHE}: run benchmarks/real_table.py first")
    tables = [Table.load(path) for path in paths]
    fig, axes = plt.subplots(1, len(tables), figsize=(6 * len(tables), 4.5), squeeze=False)
    variants = [(name, name, {}) for name in strategies]
    variants += [
        (f"{name} + ES", name, {"early_stopping": True})
        for name in EARLY_STOPPING
        if name in strategies
    ]
    lines = [f"## Real data: surrogate on tabulated evaluations ({seeds} seeds)", "", REAL_INTRO]
    for table, ax in zip(tables, axes[0], strict=True):
        column = float(table.seconds[:, -1].sum())
        checkpoints = tuple(f * column for f in REAL_FRACTIONS)
        lines += [f"### {table.name}", "", describe_table(table), ""]
        header = "| strategy | " + " | ".join(f"{c:.3g} s" for c in checkpoints) + " |"
        lines += [header, "|---" * (len(checkpoints) + 1) + "|"]
        medians = {}
        for label, strategy, options in variants:
            runs = [
                run_surrogate(strategy, table, seed, checkpoints[-1], **options)
                for seed in range(seeds)
            ]
            cells = np.array([at_checkpoints(c, r, checkpoints) for c, r in runs])
            q1, med, q3 = np.percentile(cells, [25, 50, 75], axis=0, method="lower")
            medians[label] = med
            row = [f"{fmt(m)} [{fmt(a)}, {fmt(b)}]" for m, a, b in zip(med, q1, q3, strict=True)]
            lines.append(f"| {label} | " + " | ".join(row) + " |")
            if not options:
                # dashed: BOHB coincides with Hyperband while it has no model yet
                plot_runs(ax, label, runs, checkpoints[-1], "--" if label == "bohb" else "-")
            print(f"{table.name}: {label} done", flush=True)
        lines += ["", "Shape checks on the medians (early: the first three checkpoints):", ""]
        notes = shape_notes(strategies, medians, checkpoints, n_early=3)
        lines += [f"- {note}" for note in notes] + [""]
        ax.set(
            title=f"{table.name} ({table.meta['metric']})",
            xscale="log",
            xlabel="cost (wall seconds of the tabulated evaluations)",
        )
        ax.set_yscale("symlog", linthresh=1e-3)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("regret of the incumbent (full budget)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out.with_suffix(".png"), dpi=120)
    for path in sorted(CACHE.glob("confirm_*.json")):
        lines.append(confirm_table(json.loads(path.read_text())))
    return "\n".join(lines)


REAL_INTRO = (
    "Each strategy's proposals are answered from a table of real evaluations: the loss and the "
    "measured wall seconds of the nearest tabulated config of the same algorithm (nearest in "
    "the model features of `SpaceEncoding`) at that budget. Cost = the summed wall seconds of "
    "those evaluations; checkpoints are 1, 2, 5, 10, 20 and 50 % of what evaluating every "
    "tabulated config once at the full budget took. Regret = the full-budget table loss of "
    "the incumbent's neighbour minus the best full-budget loss in the table. No warm start. "
    "`+ ES`: the same strategy with `early_stopping=True`.\n"
)


def describe_table(table: Table) -> str:
    """One paragraph on what a real-evaluation table holds."""
    from collections import Counter

    meta = table.meta
    budgets = ", ".join(f"1/{round(1 / b)}" if b < 1 else "1" for b in table.budgets)
    failed = int(np.sum(~np.isfinite(table.loss[:, -1])))
    algorithms = Counter(table.algorithms.tolist()).most_common()
    full = table.seconds[:, -1]
    return (
        f"{meta['rows']} rows, {meta['task']}, metric {meta['metric']}, {meta['validation']}; "
        f"budgets {budgets}. {len(table.configs)} random configs evaluated at every budget "
        f"({', '.join(f'{a} {n}' for a, n in algorithms)}); {failed} failed or timed out at "
        f"the full budget. Best full-budget loss {table.best:.4g}. Full-budget evaluations: "
        f"median {np.median(full):.2f} s, mean {full.mean():.2f} s, all {full.sum():.0f} s; "
        f"the whole table {table.seconds.sum() / 60:.1f} min."
    )


def confirm_table(record: dict) -> str:
    """Incumbent validation loss over wall time of fully real searches (median [min, max])."""
    times = [t for t in CONFIRM_TIMES if t <= record["seconds"]]
    seeds = len(next(iter(record["runs"].values())))
    lines = [
        f"## Fully real confirmation: {record['dataset']}, {seeds} seeds, "
        f"{record['seconds']:g} s searches",
        "",
        "`python benchmarks/real_confirm.py " + record["dataset"] + f" --seeds {seeds} "
        f"--seconds {record['seconds']:g}`: the search of `automl fit --optimizer NAME "
        f"--time-budget {record['seconds']:g} --n-jobs 1 --seed S --no-warm-start` (search "
        "only, no refit). Cells: validation loss of the incumbent (best loss at the largest "
        "budget reached so far) t seconds after the start, median [min, max] over seeds; "
        "trials/run is the median number of finished trials.",
        "",
        "| strategy | " + " | ".join(f"{t} s" for t in times) + " | trials/run |",
        "|---" * (len(times) + 2) + "|",
    ]
    for strategy, runs in record["runs"].items():
        cells = np.array([[incumbent_at(run, t) for t in times] for run in runs])
        lo, med, hi = np.percentile(cells, [0, 50, 100], axis=0, method="lower")
        row = [f"{fmt(m)} [{fmt(a)}, {fmt(b)}]" for m, a, b in zip(med, lo, hi, strict=True)]
        trials = int(np.median([len(run) for run in runs]))
        lines.append(f"| {strategy} | " + " | ".join(row) + f" | {trials} |")
    return "\n".join(lines) + "\n"


def incumbent_at(run: list[list], seconds: float) -> float:
    """Best finite loss at the largest budget among trials finished by `seconds` (inf: none)."""
    done = [(b, loss) for t, b, loss in run if t <= seconds and loss is not None]
    if not done:
        return math.inf
    top = max(b for b, _ in done)
    return min(loss for b, loss in done if b == top)


# name -> function(seeds, strategies, results file) returning the section's markdown
SECTIONS: dict[str, Callable[[int, list[str], Path], str]] = {
    "synthetic": synthetic_section,
    "overhead": overhead_section,
    "real": real_section,
}


def kept_discussion(path: Path) -> str:
    """The hand-written discussion of an earlier results file, if any."""
    if not path.exists():
        return ""
    match = re.search(r"^## Discussion\n.*", path.read_text(), flags=re.S | re.M)
    return match.group(0) if match else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument(
        "--sections", nargs="+", choices=list(SECTIONS), default=["synthetic", "overhead"]
    )
    parser.add_argument("--strategies", nargs="+", choices=STRATEGY_ORDER, default=STRATEGY_ORDER)
    parser.add_argument(
        "--out",
        type=Path,
        help="default: results/optimizers_synthetic.md, "
        "or results/optimizers_real.md for the real section alone",
    )
    args = parser.parse_args()
    if {"synthetic", "real"} <= set(args.sections):
        parser.error("the synthetic and real sections each draw a plot: run them separately")
    if args.out is None:
        real_only = args.sections == ["real"]
        args.out = RESULTS / ("optimizers_real.md" if real_only else "optimizers_synthetic.md")
    strategies = available(tuple(args.strategies))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    start = time.process_time()
    parts = [SECTIONS[name](args.seeds, strategies, args.out) for name in args.sections]
    minutes = (time.process_time() - start) / 60
    header = [
        "# Optimizer benchmark",
        "",
        "Generated by:",
        "",
        f"    python benchmarks/optimizers.py --seeds {args.seeds} "
        f"--sections {' '.join(args.sections)}",
        "",
        f"CPU time of the run: {minutes:.1f} min. Cells are median [25 %, 75 %] over seeds of",
        "the incumbent's regret, unless a section says otherwise; '–' means no incumbent yet.",
        "",
    ]
    discussion = kept_discussion(args.out)
    args.out.write_text("\n".join(header + parts) + ("\n" + discussion if discussion else ""))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
