"""Peak memory of a 60 s `automl fit` on an adult-sized table (40,000 rows), process tree.

The default table is a seeded synthetic adult-like one written to a temporary folder: 40,000
rows, 6 numeric and 8 categorical columns (2 to 40 levels), a binary target from a noisy rule
over both. `--csv FILE --target NAME` measures the first `--rows` rows of a real CSV instead
(e.g. the diamonds table). The real `automl fit` runs as a subprocess; its whole process tree
is sampled (`process_tree.py`): peak RSS sum (what the target counts), peak PSS sum, and each
process's share at the RSS peak, and each role's median RSS during the search. Trial counts
say whether the speed was kept.

    python benchmarks/fit_memory.py --label after --out benchmarks/results/fit_memory.jsonl
    python benchmarks/fit_memory.py --code OLD_CHECKOUT --label before ...   # an earlier commit
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from process_tree import measure, report

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    label: str
    case: str
    command: str
    exit_code: int
    wall_seconds: float
    trials: int
    peak_rss_mb: float
    peak_pss_mb: float
    at_peak: list
    load_average: float
    peak_seconds: float
    search_medians: dict


def adult_like(rows: int, seed: int) -> pd.DataFrame:
    """Numeric and categorical columns, and a binary target that depends on both."""
    rng = np.random.default_rng(seed)
    frame = {f"num{j}": rng.normal(size=rows).round(3) for j in range(6)}
    logit = frame["num0"] - 0.5 * frame["num1"] + 0.3 * frame["num2"] ** 2
    for j, levels in enumerate((2, 4, 5, 7, 9, 15, 16, 40)):
        codes = rng.zipf(1.6, size=rows) % levels
        frame[f"cat{j}"] = np.asarray([f"level_{k}" for k in range(levels)])[codes]
        logit = logit + rng.normal(scale=0.7, size=levels)[codes]
    noisy = logit + rng.logistic(size=rows)
    frame["income"] = np.where(noisy > np.median(noisy), ">50K", "<=50K")
    return pd.DataFrame(frame)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="after")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout to run")
    parser.add_argument("--csv", type=Path, help="a real CSV instead of the synthetic table")
    parser.add_argument("--target", default="income")
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--time-budget", type=int, default=60)
    parser.add_argument("--n-jobs", type=int, help="passed to automl fit (default: its own)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--out", type=Path, help="append the runs as JSON lines here")
    args = parser.parse_args()
    environment = {**os.environ, "PYTHONPATH": str(args.code.resolve())}
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        data = folder / "data.csv"
        if args.csv is None:
            adult_like(args.rows, seed=0).to_csv(data, index=False)
            case = f"adult_like_{args.rows}"
        else:
            pd.read_csv(args.csv, nrows=args.rows).to_csv(data, index=False)
            case = f"{args.csv.stem}_{args.rows}"
        for _ in range(args.repeats):
            model = folder / "model.automl"
            model.unlink(missing_ok=True)
            command = [
                sys.executable, "-m", "automl_cli", "fit", str(data), "--target", args.target,
                "--time-budget", str(args.time_budget), "--quiet", "--out", str(model),
            ]  # fmt: skip
            if args.n_jobs is not None:
                command += ["--n-jobs", str(args.n_jobs)]
            peak = measure(command, environment, folder)
            log = model.with_name(model.name + ".trials.jsonl")
            trials = len(log.read_text().splitlines()) if log.exists() else 0
            shown = " ".join(["automl", *command[3:]]).replace(str(folder) + "/", "")
            run = Run(
                args.label, case, shown, peak.exit_code, round(peak.wall_seconds, 1), trials,
                round(peak.peak_rss_mb), round(peak.peak_pss_mb), peak.at_peak,
                round(os.getloadavg()[0], 1), peak.peak_seconds, peak.search_medians,
            )  # fmt: skip
            report(asdict(run), args.out)


if __name__ == "__main__":
    main()
