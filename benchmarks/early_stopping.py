"""What the learning-curve stop saves and what it costs, on the tabulated real problems.

    python benchmarks/early_stopping.py [--seeds 20] [--configs 100]

Each (table, strategy, seed) runs twice through the surrogate of `real_table.py`, without and
with `early_stopping=True`, until the strategy draws its (configs + 1)-th new config. The
random draws do not depend on the stop, so both runs see the same configs with the same
results; the stop can only remove promotions. Reported per table and strategy over seeds:
the summed wall seconds of the tabulated evaluations (the cost) with and without, the configs
stopped, how many of them would have beaten the incumbent they were compared with (their
full-budget loss in the table is below the incumbent's loss at the time of the stop), and the
final regret (full-budget table loss of the incumbent minus the table's best) with and
without. Writes benchmarks/results/early_stopping.md.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_table import CACHE, ETA, Table  # noqa: E402

from automl_cli.optimize import create_optimizer  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
DATASETS = ("credit_approval", "phoneme", "segment")
STRATEGIES = ("hyperband", "asha")


@dataclass(frozen=True)
class Run:
    """One surrogate run up to a fixed number of new configs."""

    cost: float  # summed wall seconds of the tabulated evaluations
    regret: float  # of the final incumbent
    stopped: int  # configs the stop kept from moving up
    wrong: int  # of those, ones whose full-budget loss beats the incumbent they met


def key(config: dict) -> str:
    return json.dumps(config, sort_keys=True)


def run(strategy: str, table: Table, seed: int, n_configs: int, min_chance: float | None) -> Run:
    """min_chance None: no stop."""
    opt = create_optimizer(
        strategy,
        table.space,
        min_budget=table.budgets[0],
        max_budget=1.0,
        eta=ETA,
        seed=seed,
        early_stopping=min_chance is not None,
        **({} if min_chance is None else {"early_stopping_min_chance": min_chance}),
    )
    seen: set[str] = set()
    judged: set[str] = set()
    cost, wrong = 0.0, 0

    def check_stops() -> None:
        nonlocal wrong
        incumbent = opt.incumbent
        for config in opt.stopped_configs:
            if key(config) in judged:
                continue
            judged.add(key(config))
            full = table.loss[table.nearest(config), -1]
            wrong += int(incumbent is not None and full < incumbent[1])

    while True:
        job = opt.ask()
        check_stops()
        if key(job.config) not in seen:
            if len(seen) == n_configs:
                break
            seen.add(key(job.config))
        index, column = table.nearest(job.config), table.column(job.budget)
        cost += float(table.seconds[index, column])
        opt.tell(job, float(table.loss[index, column]))
        check_stops()
    incumbent = opt.incumbent
    regret = math.inf if incumbent is None else table.regret(incumbent[0])
    return Run(cost, regret, len(judged), wrong)


def section(table: Table, strategy: str, seeds: int, n_configs: int, min_chance: float) -> str:
    plain = [run(strategy, table, s, n_configs, None) for s in range(seeds)]
    stop = [run(strategy, table, s, n_configs, min_chance) for s in range(seeds)]
    cost_p = np.array([r.cost for r in plain])
    cost_s = np.array([r.cost for r in stop])
    reg_p = np.array([r.regret for r in plain])
    reg_s = np.array([r.regret for r in stop])
    saved = 1 - cost_s / cost_p
    worse = int(np.sum(reg_s > reg_p + 1e-12))
    better = int(np.sum(reg_s < reg_p - 1e-12))
    print(f"{table.name} {strategy} {min_chance} done", flush=True)
    return (
        f"| {table.name} | {strategy} | {min_chance:g} | "
        f"{cost_p.mean():.0f} | {cost_s.mean():.0f} | "
        f"{100 * saved.mean():.1f} [{100 * saved.min():.1f}, {100 * saved.max():.1f}] | "
        f"{sum(r.stopped for r in stop)} | {sum(r.wrong for r in stop)} | "
        f"{np.median(reg_p):.4f} / {reg_p.mean():.4f} | {np.median(reg_s):.4f} / "
        f"{reg_s.mean():.4f} | {worse} / {better} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--configs", type=int, default=100)
    parser.add_argument("--min-chance", type=float, nargs="+", default=[0.05])
    parser.add_argument("--out", type=Path, default=RESULTS / "early_stopping.md")
    args = parser.parse_args()
    start = time.process_time()
    rows = [
        section(table, strategy, args.seeds, args.configs, min_chance)
        for table in [Table.load(CACHE / f"{name}.json") for name in DATASETS]
        for strategy in STRATEGIES
        for min_chance in args.min_chance
    ]
    minutes = (time.process_time() - start) / 60
    lines = [
        "# Early stopping by learning curve: what it saves, what it costs",
        "",
        "Generated by:",
        "",
        f"    python benchmarks/early_stopping.py --seeds {args.seeds} --configs {args.configs} "
        f"--min-chance {' '.join(f'{c:g}' for c in args.min_chance)}",
        "",
        f"CPU time of the run: {minutes:.1f} min. " + " ".join(__doc__.split("\n\n")[2].split()),
        "",
        "Columns: the stop's threshold on the chance of beating the incumbent; mean cost (s) "
        "of the tabulated evaluations without / with the stop; cost "
        "saved per seed, mean [min, max] %; configs stopped and wrong stops, summed over "
        "seeds; final regret median / mean without and with; seeds where the stop ended "
        "worse / better.",
        "",
        "| table | strategy | min chance | cost | cost with stop | saved % | stopped | "
        "wrong stops | "
        "regret | regret with stop | worse / better |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
