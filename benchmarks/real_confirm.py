"""Fully real confirmation runs of the optimizer benchmark: `automl fit`'s search, timed.

    python benchmarks/real_confirm.py phoneme [--seeds 3] [--seconds 30]

Each strategy runs the search of `automl fit --optimizer NAME --time-budget SECONDS
--n-jobs 1 --seed S --no-warm-start` through the API (search only: no refit, no model file) and
its trial log is kept as (seconds since the start, budget, loss) per trial in
benchmarks/results/cache/confirm_<dataset>.json, which the real section of
benchmarks/optimizers.py turns into a table of the incumbent's validation loss over wall time.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_table import CACHE, SHARED, manifest_row  # noqa: E402

STRATEGIES = ("random", "bo", "hyperband", "bohb", "evolution", "asha")


def confirm_run(name: str, strategy: str, seed: int, seconds: float) -> list[list[float | None]]:
    """[seconds since start, budget, loss (None: failed)] of every trial of one search."""
    from automl_cli.data import load_training_data
    from automl_cli.metrics import resolve_metric
    from automl_cli.search.options import SearchOptions
    from automl_cli.search.session import search

    row = manifest_row(name)
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "trials.jsonl"
        options = SearchOptions(
            time_budget=seconds, optimizer=strategy, seed=seed, n_jobs=1, warm_start=False
        )
        started, begun = time.time(), time.monotonic()
        dataset = load_training_data(SHARED / row["file"], row["target"], row["task"])
        search(dataset, resolve_metric(None, dataset.task), options, started=begun, trial_log=log)
        trials = [json.loads(line) for line in log.read_text().splitlines()]
    return [[round(t["time"] - started, 3), t["budget"], t["loss"]] for t in trials]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    runs: dict[str, list[list[list[float | None]]]] = {}
    for strategy in STRATEGIES:
        runs[strategy] = []
        for seed in range(args.seeds):
            runs[strategy].append(confirm_run(args.dataset, strategy, seed, args.seconds))
            print(f"{strategy} seed {seed}: {len(runs[strategy][-1])} trials", flush=True)
    path = CACHE / f"confirm_{args.dataset}.json"
    record = {"dataset": args.dataset, "seconds": args.seconds, "runs": runs}
    path.write_text(json.dumps(record, separators=(",", ":")))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
