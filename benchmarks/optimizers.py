"""Optimizer benchmark: anytime regret on synthetic multi-fidelity problems, and overhead.

    python benchmarks/optimizers.py [--seeds 20] [--sections synthetic overhead]

Writes benchmarks/results/optimizers_synthetic.md and .png (or --out and its .png). Each
section is one function in SECTIONS that returns markdown; the hand-written "Discussion" of
the results file is kept when the script rewrites the file.

synthetic: every strategy is driven by a sequential ask -> evaluate -> tell loop until the
cost (sum of budgets, in full evaluations) reaches the horizon. After each tell the regret of
the incumbent (noise-free, at the full budget) is recorded; the table and plot give median and
quartiles over seeds.

overhead: milliseconds per ask() + tell() pair with 1,000 observations in a 20-dimensional
conditional space (losses are random; only the optimizer's own time is measured).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import re
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import CountingOnes, Hartmann6, conditional_space_20d  # noqa: E402

from automl_cli.optimize import STRATEGIES, create_optimizer  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
FIDELITY = {"min_budget": 1 / 27, "max_budget": 1.0, "eta": 3}
STRATEGY_ORDER = ("random", "bo", "hyperband", "bohb", "evolution", "asha")
CHECKPOINTS = (1, 2, 5, 10, 20, 50, 100)
HORIZON = CHECKPOINTS[-1]


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


def at_checkpoints(costs: np.ndarray, regrets: np.ndarray) -> np.ndarray:
    """Incumbent regret once each checkpoint's cost was spent (inf: no incumbent yet)."""
    index = np.searchsorted(costs, CHECKPOINTS, side="right") - 1
    return np.where(index >= 0, regrets[np.maximum(index, 0)], math.inf)


def fmt(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.3g}"


def shape_notes(strategies: list[str], med: dict[str, np.ndarray]) -> list[str]:
    """The paper's shape, checked point by point on the medians."""
    notes = []
    early = slice(0, 4)  # cost 1 .. 10
    late = slice(4, None)  # cost 20 .. 100
    if {"hyperband", "random"} <= set(strategies):
        ahead = med["hyperband"][early] <= med["random"][early]
        notes.append(f"Hyperband <= random at costs {CHECKPOINTS[:4]}: {ahead.tolist()}")
    if {"bo", "random"} <= set(strategies):
        ahead = med["bo"][late] <= med["random"][late]
        notes.append(f"BO <= random at costs {CHECKPOINTS[4:]}: {ahead.tolist()}")
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


def plot_runs(ax, strategy: str, runs: list[tuple[np.ndarray, np.ndarray]]) -> None:
    """Median and interquartile band of the regret on a log grid of costs."""
    grid = np.geomspace(0.1, HORIZON, 80)
    curves = []
    for costs, regrets in runs:
        index = np.searchsorted(costs, grid, side="right") - 1
        curves.append(np.where(index >= 0, regrets[np.maximum(index, 0)], np.nan))
    curves = np.array(curves)
    curves[~np.isfinite(curves)] = np.nan
    with warnings.catch_warnings():  # costs before any run has an incumbent are all NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        q1, med, q3 = np.nanpercentile(curves, [25, 50, 75], axis=0)
    (line,) = ax.plot(grid, med, label=strategy)
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


# name -> function(seeds, strategies, results file) returning the section's markdown
SECTIONS: dict[str, Callable[[int, list[str], Path], str]] = {
    "synthetic": synthetic_section,
    "overhead": overhead_section,
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
    parser.add_argument("--sections", nargs="+", choices=list(SECTIONS), default=list(SECTIONS))
    parser.add_argument("--strategies", nargs="+", choices=STRATEGY_ORDER, default=STRATEGY_ORDER)
    parser.add_argument("--out", type=Path, default=RESULTS / "optimizers_synthetic.md")
    args = parser.parse_args()
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
        "    python benchmarks/optimizers.py --seeds " + str(args.seeds),
        "",
        f"CPU time of the run: {minutes:.1f} min. Cost = sum of budgets in full evaluations;",
        "cells are median [25 %, 75 %] over seeds of the incumbent's regret; '–' means no",
        "incumbent yet.",
        "",
    ]
    discussion = kept_discussion(args.out)
    args.out.write_text("\n".join(header + parts) + ("\n" + discussion if discussion else ""))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
