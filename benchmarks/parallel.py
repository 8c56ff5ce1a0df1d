"""Parallel trials: throughput, incumbent over time, parallel efficiency, scheduling overhead.

    python benchmarks/parallel.py [--seconds 40] [--repeats 3] [--out FILE]

Writes benchmarks/results/parallel.md. Backends: one local worker process, two local worker
processes, and a Dask cluster of two single-thread worker processes started on this machine
(`distributed.LocalCluster`), each backend behind the same search loop (`run_search`).

search: asha and bohb on a seeded 80 % training split of phoneme and spambase
  (../shared/datasets), `--seconds` of search per run. Reported per backend: trials per
  minute, how busy the workers were (sum of trial seconds / (workers x wall time)), the
  validation score of the incumbent (best at the largest budget) at quarters of the run, and
  the scheduling overhead: for every launch that follows a result, the time from the result
  arriving in the runner to the launch (ask, tell, log and submit included).
efficiency: the same fixed list of trials (one config repeated, so every trial costs the same)
  on each backend; efficiency = wall time with 1 worker / (2 x wall time with 2 workers).
  Workloads (the first two from the executor tests' scripted evaluator): trials that sleep
  1 s (the executor alone), a pure-Python loop of about 1.5 s (what two busy cores of this
  machine give, memory aside), and the portfolio's random forest with max_features 0.5 on
  phoneme and spambase (real trials of over 1 s sharing cores, caches and memory bandwidth).
startup: seconds until each backend gives its first result, and ms per trial over 100
  trials that do nothing (the whole round trip: launch, run, result).

Medians over `--repeats` runs; the load average of the (shared, 2-core) machine is recorded.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import statistics
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl_cli.evaluate import Evaluator, TrialResult
from automl_cli.execute import ProcessExecutor, create_executor
from automl_cli.metrics import resolve_metric
from automl_cli.optimize import Job, create_optimizer
from automl_cli.search.budget import auto_min_budget
from automl_cli.search.loop import SearchState, run_search
from automl_cli.space import build_space, default_configs

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the executor tests' scripted trials; Dask workers inherit it

from tests.execute.scripted import ScriptedEvaluator, config  # noqa: E402

SHARED = REPO.parent / "shared" / "datasets"
RESULTS = REPO / "benchmarks" / "results"
DATASETS = ("phoneme", "spambase")
OPTIMIZERS = ("asha", "bohb")
BACKENDS = ("local-1", "local-2", "dask-2")
TRAIN_FRACTION = 0.8
EFFICIENCY_TRIALS = 12
EMPTY_TRIALS = 100
SPIN_STEPS = 40_000_000  # about 1.5 s of one core
SLOW_FOREST = {"random_forest:max_features": 0.5}  # the portfolio's forest, made > 1 s a trial


class Timed:
    """An executor that notes when results arrive and when trials launch."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.n_workers = inner.n_workers
        self.started = time.monotonic()
        self.arrived: list[tuple[float, TrialResult]] = []
        self.gaps: list[float] = []
        self._unanswered: deque[float] = deque()

    @property
    def free(self) -> int:
        return self.inner.free

    @property
    def running(self) -> list[Job]:
        return self.inner.running

    def submit(self, job: Job, time_limit: float = math.inf) -> None:
        if self._unanswered:
            self.gaps.append(time.monotonic() - self._unanswered.popleft())
        self.inner.submit(job, time_limit)

    def collect(self, timeout: float) -> list[TrialResult]:
        results = self.inner.collect(timeout)
        now = time.monotonic()
        for result in results:
            self.arrived.append((now - self.started, result))
            self._unanswered.append(now)
        return results

    def cancel_running(self) -> list[Job]:
        return self.inner.cancel_running()


# -- data and backends ----------------------------------------------------------------------------
def training_split(name: str, folder: Path) -> tuple[Any, str]:
    """The dataset `name` of the shared suite, cut to a seeded 80 % training split."""
    from automl_cli.data import load_training_data

    manifest = pd.read_csv(SHARED / "manifest.csv").set_index("name")
    row = manifest.loc[name]
    frame = pd.read_csv(SHARED / row["file"])
    keep = np.random.default_rng(0).permutation(len(frame))[: int(TRAIN_FRACTION * len(frame))]
    path = folder / f"{name}_train.csv"
    frame.iloc[np.sort(keep)].to_csv(path, index=False)
    return load_training_data(path, row["target"], row["task"]), row["task"]


def executor_for(backend: str, evaluator: Any, cluster: str) -> Any:
    if backend == "dask-2":
        return create_executor(evaluator, 2, cluster=cluster)
    return ProcessExecutor(evaluator, int(backend.split("-")[1]))


def load() -> float:
    return os.getloadavg()[0]


# -- search ---------------------------------------------------------------------------------------
def search_run(
    dataset: Any, strategy: str, backend: str, cluster: str, seconds: float, seed: int
) -> dict[str, Any]:
    metric = resolve_metric(None, dataset.task)
    evaluator = Evaluator(dataset, metric, seed=0, n_threads=1)
    space = build_space(
        dataset.task,
        len(dataset.y),
        len(dataset.schema.feature_names),
        len(dataset.schema.categorical),
    )
    optimizer = create_optimizer(
        strategy,
        space,
        min_budget=auto_min_budget(evaluator.n_train, 3),
        max_budget=1.0,
        eta=3,
        seed=seed,
    )
    optimizer.warm_start(default_configs(space))
    with executor_for(backend, evaluator, cluster) as inner:
        timed = Timed(inner)
        end = timed.started + seconds
        state = SearchState(started=timed.started, time_budget=seconds)
        run_search(
            optimizer, timed, n_workers=timed.n_workers, search_end=lambda _: end, state=state
        )
        wall = time.monotonic() - timed.started
    curve = []
    for quarter in (0.25, 0.5, 0.75, 1.0):
        done = [r for t, r in timed.arrived if r.ok and t <= quarter * seconds]
        top = max((r.budget for r in done), default=math.nan)
        curve.append(max((r.score for r in done if r.budget == top), default=math.nan))
    return {
        "trials_per_min": 60 * len(timed.arrived) / wall,
        "busy": sum(r.seconds for _, r in timed.arrived) / (timed.n_workers * wall),
        "curve": curve,
        "gaps": timed.gaps,
    }


def search_section(args: argparse.Namespace, cluster: str, folder: Path) -> str:
    lines = [
        "## Search: asha and bohb on training splits",
        "",
        f"{args.seconds:g} s of search per run, median of {args.repeats} runs (seeds 0..).",
        "Incumbent: validation ROC AUC of the best trial at the largest budget reached by",
        "25 / 50 / 75 / 100 % of the run. Busy: sum of trial seconds / (workers x wall time).",
        "Overhead: ms from a result arriving in the runner to the next launch (median and 90th",
        "percentile over every launch of every run).",
        "",
        "| dataset | optimizer | backend | trials/min | busy | incumbent (25/50/75/100 %) | "
        "overhead ms (median / p90) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in DATASETS:
        dataset, _ = training_split(name, folder)
        for strategy in OPTIMIZERS:
            for backend in BACKENDS:
                runs = [
                    search_run(dataset, strategy, backend, cluster, args.seconds, seed)
                    for seed in range(args.repeats)
                ]
                rate = statistics.median(r["trials_per_min"] for r in runs)
                gaps = sorted(g * 1000 for r in runs for g in r["gaps"])
                curve = [statistics.median(r["curve"][k] for r in runs) for k in range(4)]
                lines.append(
                    f"| {name} | {strategy} | {backend} | {rate:.0f} | "
                    f"{statistics.median(r['busy'] for r in runs):.2f} | "
                    f"{' / '.join(f'{c:.4f}' for c in curve)} | "
                    f"{statistics.median(gaps):.1f} / {gaps[int(0.9 * (len(gaps) - 1))]:.1f} |"
                )
                print(lines[-1], flush=True)
    lines += ["", f"Load average at the end: {load():.1f}.", ""]
    return "\n".join(lines)


# -- efficiency and startup -----------------------------------------------------------------------
def fixed_trials(
    executor: Any, chosen: dict[str, Any], count: int = EFFICIENCY_TRIALS
) -> tuple[float, float]:
    """(wall seconds, median trial seconds) of `count` copies of one trial at budget 1."""
    jobs = deque(Job(k, chosen, 1.0) for k in range(count))
    results: list[TrialResult] = []
    started = time.monotonic()
    while len(results) < count:
        while jobs and executor.free:
            executor.submit(jobs.popleft())
        results.extend(executor.collect(1.0))
    wall = time.monotonic() - started
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    return wall, statistics.median(r.seconds for r in results)


def efficiency_section(args: argparse.Namespace, cluster: str, folder: Path) -> str:
    workloads: list[tuple[str, Any, dict[str, Any]]] = [
        ("sleep 1 s", ScriptedEvaluator(), config("sleep", seconds=1.0)),
        ("pure-Python loop", ScriptedEvaluator(), config("spin", steps=SPIN_STEPS)),
    ]
    for name in DATASETS:
        dataset, _ = training_split(name, folder)
        forest = Evaluator(dataset, resolve_metric(None, dataset.task), seed=0, n_threads=1)
        space = build_space(dataset.task, len(dataset.y), len(dataset.schema.feature_names), 0)
        chosen = next(
            c for c in map(dict, default_configs(space)) if c["algorithm"] == "random_forest"
        )
        workloads.append((f"random forest, {name}", forest, {**chosen, **SLOW_FOREST}))
    lines = [
        "## Efficiency: the same trials on 1 and 2 workers",
        "",
        f"{EFFICIENCY_TRIALS} identical trials per run; median of {args.repeats} runs, the",
        "backends taking turns so that they share the machine's load alike.",
        "",
        "| workload | backend | wall s | trial s (median) | efficiency |",
        "|---|---|---|---|---|",
    ]
    for label, evaluator, trial in workloads:
        with contextlib.ExitStack() as stack:
            executors = {
                b: stack.enter_context(executor_for(b, evaluator, cluster)) for b in BACKENDS
            }
            for executor in executors.values():
                fixed_trials(executor, trial, executor.n_workers)  # warm every worker first
            runs: dict[str, list[tuple[float, float]]] = {b: [] for b in BACKENDS}
            for _ in range(args.repeats):  # backends take turns, so they see the same load
                for backend, executor in executors.items():
                    runs[backend].append(fixed_trials(executor, trial))
        walls = {b: statistics.median(w for w, _ in runs[b]) for b in BACKENDS}
        for backend in BACKENDS:
            seconds = statistics.median(t for _, t in runs[backend])
            efficiency = (
                "" if backend == "local-1" else f"{walls['local-1'] / (2 * walls[backend]):.2f}"
            )
            lines.append(
                f"| {label} | {backend} | {walls[backend]:.1f} | {seconds:.2f} | {efficiency} |"
            )
            print(lines[-1], flush=True)
    return "\n".join([*lines, ""])


def first_and_rate(executor: Any, empty: dict[str, Any], started: float) -> str:
    """Seconds from `started` to the first result, then ms per trial over 100 empty trials."""
    executor.submit(Job(0, empty, 1.0))
    while not executor.collect(1.0):
        pass
    first = time.monotonic() - started
    wall, _ = fixed_trials(executor, empty, EMPTY_TRIALS)
    return f"{first:.2f} | {1000 * wall / EMPTY_TRIALS:.1f}"


def startup_section(cluster: str) -> str:
    """Startup, and the cost of a trial that does nothing, on each way to run trials."""
    from distributed import LocalCluster

    evaluator, empty = ScriptedEvaluator(), config("ok")
    rows = []
    for backend in ("local-2", "dask-2"):
        started = time.monotonic()
        with executor_for(backend, evaluator, cluster) as executor:
            rows.append(f"| {backend} | {first_and_rate(executor, empty, started)} |")
    started = time.monotonic()
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as local,
        executor_for("dask-2", evaluator, local.scheduler_address) as executor,
    ):
        rows.append(
            f"| LocalCluster started for the run | {first_and_rate(executor, empty, started)} |"
        )
    return "\n".join(
        [
            "## Startup and per-trial cost",
            "",
            "Seconds until the first result of an empty trial (the first local run also starts",
            f"the forkserver), then ms per trial over {EMPTY_TRIALS} empty trials on 2 workers.",
            "",
            "| backend | s to first result | ms per empty trial |",
            "|---|---|---|",
            *rows,
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sections", nargs="+", default=["startup", "efficiency", "search"])
    parser.add_argument("--out", type=Path, default=RESULTS / "parallel.md")
    args = parser.parse_args()
    from distributed import LocalCluster

    header = [
        "# Parallel trials",
        "",
        f"Command: `python benchmarks/parallel.py --seconds {args.seconds:g} "
        f"--repeats {args.repeats}`",
        "",
        f"Machine: {os.cpu_count()} cores, shared; Python {sys.version.split()[0]}. "
        f"Load average at the start: {load():.1f}.",
        "",
    ]
    sections = []
    with (
        tempfile.TemporaryDirectory() as folder,
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
    ):
        address = cluster.scheduler_address
        if "startup" in args.sections:
            sections.append(startup_section(address))
        if "efficiency" in args.sections:
            sections.append(efficiency_section(args, address, Path(folder)))
        if "search" in args.sections:
            sections.append(search_section(args, address, Path(folder)))
    args.out.write_text("\n".join(header + sections))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
