"""DARTS against evolution and against random cells, on datasets of the public suite.

For each dataset (the CSV of ../shared/datasets, typed and split as `automl nas` does):

1. DARTS: the one-shot search and the retraining of its discretized cell (the steps of
   `darts.search_with`, timed apart); its validation loss and wall time.
2. Evolution (`automl nas --strategy evolution`'s search) for `--evolution-budget` seconds;
   from its trials in order, the wall time at which its best loss first reached DARTS's loss
   (trials run one at a time, so the cumulative trial seconds are its wall time).
3. `--random-cells` random cells of DARTS's size (same nodes, width and edges per node, each
   edge from a random earlier node with a random non-zero operation), trained exactly as the
   discretized cell is; how many the DARTS cell beats.

Losses are `automl fit`'s validation losses (lower is better), pooled over the validation
rows of its protocol (5-fold under 1,000 rows, else a holdout), the same for every network.

    python benchmarks/darts.py --datasets banknote concrete vehicle \
        --out benchmarks/results/darts.md
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Row:
    dataset: str
    task: str
    metric: str
    darts_loss: float
    darts_seconds: float
    one_shot_seconds: float
    one_shot_epochs: int
    evolution_best: float
    evolution_trials: int
    evolution_seconds_to_darts: float | None
    random_losses: tuple[float, ...]
    architecture: str


def random_cell(rng: np.random.Generator, n_nodes: int, width: int, edges_per_node: int):
    """A cell of DARTS's size with random edges and random non-zero operations."""
    from automl_cli.nas.architecture import INPUT, Architecture, Edge, Node
    from automl_cli.nas.darts_cell import CANDIDATES

    usable = [c for c in CANDIDATES if c[0] != "zero"]
    nodes = [INPUT]
    for target in range(1, n_nodes + 1):
        k = min(edges_per_node, target)
        sources = sorted(rng.choice(target, size=k, replace=False).tolist())
        ops = [usable[i] for i in rng.integers(len(usable), size=k)]
        nodes.append(Node(width, tuple(Edge(s, *op) for s, op in zip(sources, ops, strict=True))))
    return Architecture(tuple(nodes))


def seconds_to_reach(trials, target_loss: float) -> float | None:
    """Wall time (cumulative trial seconds) when the best loss so far first is <= target."""
    elapsed = 0.0
    for trial in trials:
        elapsed += trial.seconds
        if trial.loss <= target_loss:
            return elapsed
    return None


def measure(path: Path, target: str, name: str, args) -> Row:
    from automl_cli.data import load_training_data
    from automl_cli.metrics import resolve_metric
    from automl_cli.nas import darts, evolution, training
    from automl_cli.nas.architecture import Candidate
    from automl_cli.nas.run import prepare
    from automl_cli.nas.strategy import Limits

    dataset = load_training_data(path, target)
    metric = resolve_metric(None, dataset.task)
    problem, _ = prepare(dataset, metric, "cpu", args.seed)
    settings = darts.DartsSettings()

    # darts.search_with's steps, timed apart: the one-shot search, then the cell's retraining
    started = time.monotonic()
    one_shot_deadline = started + settings.search_share * args.darts_budget
    one_shot = darts.train_one_shot(problem, settings, one_shot_deadline)
    cell = darts.discretize(
        one_shot.weights,
        one_shot.candidates,
        settings.n_nodes,
        settings.width,
        settings.edges_per_node,
    )
    best = training.evaluate(
        Candidate(cell, settings.retraining),
        problem,
        settings.retraining.max_epochs,
        started + args.darts_budget,
    )
    darts_seconds = time.monotonic() - started
    print(f"{name}: darts loss {best.loss:.4f} in {darts_seconds:.1f} s", flush=True)

    evolved = evolution.search(problem, Limits(time.monotonic() + args.evolution_budget))
    reach = seconds_to_reach(evolved.trials, best.loss)
    print(f"{name}: evolution best {evolved.best.loss:.4f}, reached darts at {reach}", flush=True)

    rng = np.random.default_rng(args.seed)
    random_losses = []
    for _ in range(args.random_cells):
        cell = random_cell(rng, settings.n_nodes, settings.width, settings.edges_per_node)
        trial = training.evaluate(
            Candidate(cell, settings.retraining), problem, settings.retraining.max_epochs
        )
        random_losses.append(trial.loss)
    print(f"{name}: random cells {np.round(random_losses, 4).tolist()}", flush=True)
    return Row(
        name,
        dataset.task,
        metric.name,
        best.loss,
        darts_seconds,
        one_shot.seconds,
        one_shot.epochs,
        evolved.best.loss,
        len(evolved.trials),
        reach,
        tuple(random_losses),
        best.candidate.architecture.describe().replace("\n", "<br>"),
    )


def report(rows: list[Row], command: str) -> str:
    lines = [
        "# DARTS: search time against evolution, and the discretized cell against random cells",
        "",
        f"Command: `{command}`",
        "",
        "2 cores, shared with other work while measured: times are indicative only.",
        "Losses are validation losses of `automl fit`'s protocol (lower is better).",
        "",
        "| dataset | task (metric) | DARTS loss | DARTS s (one-shot s, epochs) "
        "| evolution best (trials) | evolution s to DARTS's loss | random cells' losses "
        "| DARTS beats random |",
        "|---|---|---|---|---|---|---|---|",
    ]
    wins = total = 0
    for r in rows:
        beaten = sum(r.darts_loss < loss for loss in r.random_losses)
        wins, total = wins + beaten, total + len(r.random_losses)
        reach = f"{r.evolution_seconds_to_darts:.1f}" if r.evolution_seconds_to_darts else "never"
        randoms = ", ".join(f"{loss:.4f}" for loss in r.random_losses)
        lines.append(
            f"| {r.dataset} | {r.task} ({r.metric}) | {r.darts_loss:.4f} "
            f"| {r.darts_seconds:.1f} ({r.one_shot_seconds:.1f}, {r.one_shot_epochs}) "
            f"| {r.evolution_best:.4f} ({r.evolution_trials}) | {reach} | {randoms} "
            f"| {beaten}/{len(r.random_losses)} |"
        )
    lines += ["", f"The DARTS cell beats {wins} of {total} random cells of its size.", ""]
    lines += ["DARTS's cells:", ""]
    lines += [f"- {r.dataset}: {r.architecture.replace('<br>', '; ')}" for r in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", required=True)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--darts-budget", type=float, default=120)
    parser.add_argument("--evolution-budget", type=float, default=120)
    parser.add_argument("--random-cells", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    manifest = pd.read_csv(args.shared / "datasets" / "manifest.csv").set_index("name")
    rows = [
        measure(
            args.shared / "datasets" / manifest.at[name, "file"],
            manifest.at[name, "target"],
            name,
            args,
        )
        for name in args.datasets
    ]
    command = "python benchmarks/darts.py " + " ".join(
        [
            f"--datasets {' '.join(args.datasets)}",
            f"--darts-budget {args.darts_budget:g}",
            f"--evolution-budget {args.evolution_budget:g}",
            f"--random-cells {args.random_cells}",
            f"--seed {args.seed}",
            f"--out {args.out}",
        ]
    )
    args.out.write_text(report(rows, command))
    print(args.out.read_text())


if __name__ == "__main__":
    main()
