"""How should idle OpenMP threads wait? Two-thread refits, on an idle and on a busy machine.

Trials run on one thread each, so OpenMP's wait policy only matters where a fit uses more:
the final refit, which `automl fit` gives every worker's thread. A boosting fit on small data
runs thousands of short parallel regions, and what a thread does between two of them decides
its speed: sleeping (OMP_WAIT_POLICY=PASSIVE) pays a wake-up at every region, spinning
(libgomp's default, 300,000 spins) holds a core that another process may need.

For each setting and each case, a fresh process (the setting must be in place before the
native libraries load) fits the case's default config on all rows with two threads, three
times; the table gives the median over `--repeats` such processes. Busy: two other processes
spin on the two cores meanwhile. Cases: LightGBM on soybean (19 classes, 683 rows: many tiny
trees), HistGradientBoosting and LightGBM on eeg_eye_state (15,000 rows).

    python benchmarks/openmp_wait.py --repeats 3 --out benchmarks/results/openmp_wait.md
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from automl_cli.forkserver import SPIN_COUNT

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SETTINGS = {
    "OMP_WAIT_POLICY=PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"},
    "libgomp default": {},
    f"GOMP_SPINCOUNT={SPIN_COUNT} (in use)": {"GOMP_SPINCOUNT": str(SPIN_COUNT)},
}
CASES = [("soybean", "lightgbm"), ("eeg_eye_state", "hist_gb"), ("eeg_eye_state", "lightgbm")]
FITS = 3


def fit_seconds(dataset: str, algorithm: str) -> float:
    """Median seconds of FITS two-thread fits of `algorithm`'s default config on `dataset`."""
    import pandas as pd

    from automl_cli.data import load_training_data
    from automl_cli.evaluate import Evaluator
    from automl_cli.metrics import resolve_metric
    from automl_cli.space import default_configs, space_for

    row = pd.read_csv(SHARED / "datasets" / "manifest.csv").set_index("name").loc[dataset]
    data = load_training_data(SHARED / "datasets" / row["file"], row["target"], row["task"])
    metric = resolve_metric(None, row["task"])  # the fits alone are timed
    evaluator = Evaluator(data, metric, seed=0)
    config = next(c for c in default_configs(space_for(data)) if c["algorithm"] == algorithm)
    seconds = []
    for _ in range(FITS):
        started = time.perf_counter()
        evaluator.fit_final(config, n_threads=2)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def measure(setting: dict[str, str], dataset: str, algorithm: str) -> float:
    """`fit_seconds` in a fresh process whose OpenMP environment is `setting` alone."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    code = f"import openmp_wait as o; print(o.fit_seconds({dataset!r}, {algorithm!r}))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, **setting, "PYTHONPATH": str(Path(__file__).parent)},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/openmp_wait.md")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    results = []
    for load in ("idle", "busy"):
        spinners = []
        if load == "busy":
            spin = "while True: pass"
            spinners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(2)]
        try:
            for name, setting in SETTINGS.items():
                for dataset, algorithm in CASES:
                    runs = [measure(setting, dataset, algorithm) for _ in range(args.repeats)]
                    seconds = statistics.median(runs)
                    results.append((load, name, dataset, algorithm, seconds))
                    print(json.dumps(results[-1]), flush=True)
        finally:
            for process in spinners:
                process.kill()
    header = " | ".join(f"{d} {a}" for d, a in CASES)
    lines = [
        "# OpenMP wait settings: seconds of a two-thread fit, on an idle and a busy 2-core machine",
        "",
        f"Command: `python benchmarks/openmp_wait.py --repeats {args.repeats}`",
        "",
        f"Median over {args.repeats} processes of each one's median of {FITS} fits.",
        "",
        f"| machine | setting | {header} |",
        "|---|---|" + "---:|" * len(CASES),
    ]
    for load in ("idle", "busy"):
        for name in SETTINGS:
            cells = [sec for (where, n, *_, sec) in results if where == load and n == name]
            lines.append(f"| {load} | {name} | " + " | ".join(f"{s:.2f}" for s in cells) + " |")
    args.out.write_text("\n".join(lines) + "\n")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
