"""How long do the same trials take in the local workers, learner by learner?

A real CSV, the real space and evaluator, a 2-worker `ProcessExecutor`: for each learner the
first configs of that learner in a seeded sample of the space, each at one budget. Prints the
wall time and the summed trial seconds per learner, and the summed losses (which must match
between two checkouts that claim to score alike). Run it once per checkout, with that
checkout first on the path:

    PYTHONPATH=CHECKOUT python benchmarks/worker_trial_speed.py --csv DATA.csv --target y
"""

from __future__ import annotations

import argparse
import math
import time

from automl_cli.data import load_training_data
from automl_cli.evaluate import Evaluator
from automl_cli.execute import ProcessExecutor
from automl_cli.metrics import resolve_metric
from automl_cli.optimize import Job
from automl_cli.space import space_for


def run(executor: ProcessExecutor, configs: list[dict], budget: float) -> tuple[float, ...]:
    """(wall seconds, summed trial seconds, summed losses) of `configs`, two at a time."""
    todo, results = list(enumerate(configs)), []
    started = time.perf_counter()
    while len(results) < len(configs):
        while todo and executor.free:
            job_id, config = todo.pop(0)
            executor.submit(Job(job_id, config, budget), math.inf)
        results += executor.collect(0.5)
    wall = time.perf_counter() - started
    return wall, sum(r.seconds for r in results), sum(r.loss for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", required=True)
    parser.add_argument("--target", required=True)
    learners = ["mlp", "lightgbm", "random_forest", "svm"]
    parser.add_argument("--learners", nargs="+", default=learners)
    parser.add_argument("--configs", type=int, default=16, help="per learner")
    parser.add_argument("--budget", type=float, default=1 / 3)
    args = parser.parse_args()
    dataset = load_training_data(args.csv, args.target)
    space = space_for(dataset)
    space.seed(0)
    sample = [dict(config) for config in space.sample_configuration(300)]
    evaluator = Evaluator(dataset, resolve_metric(None, dataset.task), seed=0)
    with ProcessExecutor(evaluator, 2) as executor:
        for learner in args.learners:
            configs = [c for c in sample if c["algorithm"] == learner][: args.configs]
            wall, seconds, losses = run(executor, configs, args.budget)
            print(f"{learner}: {len(configs)} trials, wall {wall:.2f} s, "
                  f"trial seconds {seconds:.2f}, summed loss {losses:.4f}")  # fmt: skip


if __name__ == "__main__":
    main()
