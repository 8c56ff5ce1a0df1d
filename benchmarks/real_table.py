"""Real evaluations of the CASH space, tabulated, and a surrogate benchmark that replays them.

    python benchmarks/real_table.py credit_approval phoneme segment [--minutes 7]

Running all strategies for 20 seeds on real data takes hours, so the optimizer benchmark's
real section (benchmarks/optimizers.py --sections real) is tabular, as in HPOBench and YAHPO:

1. table (this script): a seeded random sample of CASH configs is evaluated in this process
   with `Evaluator.evaluate` at every budget of the eta = 3 schedule (min budget from
   `auto_min_budget`, as `automl fit` picks it), recording the validation loss and the
   measured wall seconds of each (config, budget). A dataset's table grows until `--minutes`
   of wall time or `--max-configs` configs, whichever comes first. A config whose evaluation
   at one budget predicts more than TRIAL_LIMIT seconds at the next (eta times the measured
   time) is recorded as timed out there and above, with cost TRIAL_LIMIT, as `automl fit`'s
   per-trial limit would stop it. Written to benchmarks/results/cache/<dataset>.json.
2. surrogate (`run_surrogate`): a strategy's proposed config is answered with the loss and
   wall seconds of the nearest tabulated config of the same algorithm at that budget, nearest
   in the model features of the optimizers' shared `SpaceEncoding`. Cost = the summed real
   wall seconds of the tabulated evaluations it was answered with.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
CACHE = Path(__file__).resolve().parent / "results" / "cache"
ETA = 3
TRIAL_LIMIT = 60.0  # seconds; what a 240 s `automl fit` allows one trial (25 % of the budget)
EVAL_SEED = 0


def manifest_row(name: str) -> dict[str, str]:
    with (SHARED / "manifest.csv").open(newline="") as stream:
        for row in csv.DictReader(stream):
            if row["name"] == name:
                return row
    raise SystemExit(f"{name} is not in {SHARED / 'manifest.csv'}")


def build_table(name: str, minutes: float, max_configs: int, seed: int) -> dict[str, Any]:
    """Evaluate random configs of `name`'s CASH space at every budget until time runs out."""
    from automl_cli.data import load_training_data
    from automl_cli.evaluate import Evaluator
    from automl_cli.metrics import resolve_metric
    from automl_cli.optimize.brackets import rung_budgets
    from automl_cli.optimize.encoding import SpaceEncoding
    from automl_cli.search.budget import auto_min_budget
    from automl_cli.space import build_space

    row = manifest_row(name)
    dataset = load_training_data(SHARED / row["file"], row["target"], row["task"])
    metric = resolve_metric(None, dataset.task)
    evaluator = Evaluator(dataset, metric, seed=EVAL_SEED, n_threads=1)
    space = build_space(
        dataset.task,
        len(dataset.y),
        len(dataset.schema.feature_names),
        len(dataset.schema.categorical),
    )
    budgets = rung_budgets(auto_min_budget(evaluator.n_train, ETA), 1.0, ETA)
    encoding = SpaceEncoding(space)
    rows = encoding.sample(max_configs, np.random.default_rng(seed))
    configs, losses, seconds = [], [], []
    deadline = time.monotonic() + 60 * minutes
    for i, vector in enumerate(rows):
        if time.monotonic() > deadline:
            break
        config = encoding.decode(vector)
        loss_row, seconds_row, expected = [], [], 0.0
        for budget in budgets:
            if expected > TRIAL_LIMIT:
                loss_row.append(None)
                seconds_row.append(TRIAL_LIMIT)
                continue
            result = evaluator.evaluate(i, config, budget)
            loss_row.append(round(result.loss, 6) if math.isfinite(result.loss) else None)
            seconds_row.append(round(result.seconds, 4))
            expected = ETA * result.seconds
        configs.append(config)
        losses.append(loss_row)
        seconds.append(seconds_row)
        print(f"{name}: {i + 1} configs, last {sum(seconds_row):.2f} s", flush=True)
    return {
        "dataset": name,
        "task": dataset.task,
        "metric": metric.name,
        "rows": len(dataset.y),
        "n_features": len(dataset.schema.feature_names),
        "n_categorical": len(dataset.schema.categorical),
        "validation": evaluator.validation,
        "budgets": budgets,
        "seed": seed,
        "configs": configs,
        "loss": losses,
        "seconds": seconds,
    }


@dataclass
class Table:
    """A dataset's tabulated evaluations and the lookup that answers proposed configs."""

    name: str
    space: Any  # ConfigurationSpace the table's configs were drawn from
    budgets: list[float]
    configs: list[dict[str, Any]]
    loss: np.ndarray  # configs x budgets, inf where the evaluation failed or timed out
    seconds: np.ndarray  # configs x budgets, measured wall seconds
    meta: dict[str, Any]

    def __post_init__(self) -> None:
        from automl_cli.optimize.encoding import SpaceEncoding
        from automl_cli.space import algorithm_of

        self.encoding = SpaceEncoding(self.space)
        self.features = self.encoding.features(self.encoding.encode(self.configs))
        self.algorithms = np.array([algorithm_of(c) for c in self.configs])
        # a config that failed or timed out at the full budget keeps its last finished loss
        finished = np.isfinite(self.loss)
        last = np.where(
            finished.any(axis=1), finished.shape[1] - 1 - finished[:, ::-1].argmax(1), -1
        )
        self.final = np.where(last >= 0, self.loss[np.arange(len(last)), last], math.inf)
        self.best = float(np.min(self.final))

    @classmethod
    def load(cls, path: Path) -> Table:
        from automl_cli.space import build_space

        data = json.loads(path.read_text())
        space = build_space(data["task"], data["rows"], data["n_features"], data["n_categorical"])
        loss = np.array([[math.inf if v is None else v for v in r] for r in data["loss"]])
        meta = {k: data[k] for k in ("dataset", "task", "metric", "rows", "validation")}
        return cls(
            data["dataset"],
            space,
            data["budgets"],
            data["configs"],
            loss,
            np.array(data["seconds"], dtype=float),
            meta,
        )

    def nearest(self, config: dict[str, Any]) -> int:
        """Index of the tabulated config of the same algorithm closest to `config`."""
        from automl_cli.space import algorithm_of

        same = np.flatnonzero(self.algorithms == algorithm_of(config))
        candidates = same if len(same) else np.arange(len(self.configs))
        point = self.encoding.features(self.encoding.encode([config]))[0]
        distance = ((self.features[candidates] - point) ** 2).sum(axis=1)
        return int(candidates[np.argmin(distance)])

    def column(self, budget: float) -> int:
        return int(np.argmin(np.abs(np.log(self.budgets) - math.log(budget))))

    def regret(self, config: dict[str, Any]) -> float:
        """Full-budget (else last finished) loss of the config's neighbour minus the best."""
        return float(self.final[self.nearest(config)] - self.best)


def run_surrogate(
    strategy: str, table: Table, seed: int, horizon: float, **options: Any
) -> tuple[np.ndarray, np.ndarray]:
    """(cost in seconds, regret of the incumbent) after every tell of one sequential run."""
    from automl_cli.optimize import create_optimizer

    opt = create_optimizer(
        strategy,
        table.space,
        min_budget=table.budgets[0],
        max_budget=1.0,
        eta=ETA,
        seed=seed,
        **options,
    )
    cost, costs, regrets = 0.0, [], []
    while cost < horizon:
        job = opt.ask()
        if job is None:
            break
        index, column = table.nearest(job.config), table.column(job.budget)
        cost += float(table.seconds[index, column])
        opt.tell(job, float(table.loss[index, column]))
        incumbent = opt.incumbent
        costs.append(cost)
        regrets.append(math.inf if incumbent is None else table.regret(incumbent[0]))
    return np.array(costs), np.array(regrets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("datasets", nargs="+")
    parser.add_argument("--minutes", type=float, default=7.0, help="wall time per dataset")
    parser.add_argument("--max-configs", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    for name in args.datasets:
        table = build_table(name, args.minutes, args.max_configs, args.seed)
        path = CACHE / f"{name}.json"
        path.write_text(json.dumps(table, separators=(",", ":")))
        print(
            f"wrote {path} ({len(table['configs'])} configs, {path.stat().st_size / 1e3:.0f} kB)",
            flush=True,
        )


if __name__ == "__main__":
    main()
