"""How much resident memory does one trial add to its worker, learner by learner?

The 40,000-row adult-like table of `fit_memory.py`, the real search space and evaluator: for
each learner, configs sampled from the space (seeded), each run at the full budget in a fresh
fork of a process that has imported what the forkserver preloads, as a local worker is. The
child resets its peak RSS (VmHWM) as it starts; the peak minus its RSS at the fork is what the
trial added: its data copies and models, and the pages of the libraries it touched for the
first time (which a long-lived worker keeps resident after its first trial of that kind).

    python benchmarks/trial_memory.py --configs 3 --out benchmarks/results/fit_memory.md
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import tempfile
from pathlib import Path

from fit_memory import adult_like

from automl_cli.data.load import load_training_data
from automl_cli.evaluate import Evaluator
from automl_cli.forkserver import PRELOAD
from automl_cli.metrics import resolve_metric
from automl_cli.space.definition import space_for


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status (Linux only)")


def trial_in_fresh_worker(evaluator: Evaluator, config: dict) -> tuple[float, float, float]:
    """(RSS at the fork, peak RSS added by the trial, the trial's seconds), in MB and s."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        start = _status_mb("VmRSS:")
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM := current RSS
        result = evaluator.evaluate(0, config, 1.0)
        added = _status_mb("VmHWM:") - start
        os.write(write_end, json.dumps([start, added, result.seconds]).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        message = pipe.read()
    os.waitpid(pid, 0)
    return tuple(json.loads(message))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=3, help="configs per learner")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="Markdown table to append to")
    args = parser.parse_args()
    for module in PRELOAD:
        importlib.import_module(module)
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data.csv"
        adult_like(40_000, seed=0).to_csv(data, index=False)
        dataset = load_training_data(data, "income")
    evaluator = Evaluator(dataset, resolve_metric(None, dataset.task), keep_predictions=True)
    space = space_for(dataset)
    space.seed(args.seed)
    runs: dict[str, list[tuple[float, float, float]]] = {}
    for config in space.sample_configuration(50 * args.configs):
        config = dict(config)
        algorithm = config["algorithm"]
        if len(runs.setdefault(algorithm, [])) < args.configs:
            runs[algorithm].append(trial_in_fresh_worker(evaluator, config))
            print(algorithm, [round(value, 1) for value in runs[algorithm][-1]], flush=True)
    lines = [
        "| learner | configs | worker at the fork, MB | added by the trial: median / max MB | "
        "trial s, median |",
        "|---|---:|---:|---|---:|",
    ]
    for algorithm, measured in sorted(runs.items(), key=lambda item: -max(r[1] for r in item[1])):
        starts, added, seconds = zip(*measured, strict=True)
        lines.append(
            f"| {algorithm} | {len(measured)} | {statistics.median(starts):.0f} | "
            f"{statistics.median(added):.0f} / {max(added):.0f} | "
            f"{statistics.median(seconds):.1f} |"
        )
    table = "\n".join(lines) + "\n"
    print(table)
    if args.out:
        with args.out.open("a") as out:
            out.write("\n" + table)


if __name__ == "__main__":
    main()
