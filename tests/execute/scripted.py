"""A real evaluator whose trials do what their config says: sleep, allocate, abort, report.

Trials of the executor tests must misbehave on purpose (run past a limit, grow past a memory
limit, kill their own process); a real search space cannot be made to do that on cue. This
class has the `Evaluator` interface the executors use (`evaluate`, `fit_final`) and runs in
the same worker processes a real evaluator runs in.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from automl_cli.evaluate import TrialResult

ALGORITHM = "random_forest"  # any real algorithm name, so that trial records render
_KEPT: list[bytes] = []  # what "fragment" trials leave behind in their worker


def config(action: str, **values: Any) -> dict[str, Any]:
    """A config that makes a scripted trial do `action`."""
    return {"algorithm": ALGORITHM, "action": action, **values}


def _act(config: dict[str, Any]) -> float:
    """Do what the config says; the number returned becomes the trial's score."""
    action = config["action"]
    if action == "sleep":
        time.sleep(config["seconds"])
    elif action == "allocate":  # 50 MB every 0.1 s, each block touched so that it is resident
        blocks = []
        while len(blocks) * 50 < config["mb"]:
            blocks.append(np.ones(50 * 2**20, dtype=np.uint8))
            time.sleep(0.1)
        time.sleep(config.get("hold", 30.0))
        return float(len(blocks))
    elif action == "abort":
        os.abort()
    elif action == "threads":
        from threadpoolctl import threadpool_info

        return float(max(pool["num_threads"] for pool in threadpool_info()))
    elif action == "pid":
        return float(os.getpid())
    elif action == "fragment":  # small blocks, every 64th kept: freed pages inside the heap
        blocks = [bytes(2000) for _ in range(config["mb"] * 500)]
        _KEPT.extend(blocks[::64])
        return float(len(blocks))
    elif action == "fail":
        raise ValueError("this config cannot be fitted")
    elif action == "spin":  # pure CPU, no memory traffic: what the cores alone give
        total = 0
        for step in range(config["steps"]):
            total += step
        return float(total > 0)
    return float(config.get("score", 0.5))


def running_here() -> list[int]:
    """On a Dask worker: the job ids of the trials running there (each registered as it starts).

    Here, not in a test module, so that workers can import it.
    """
    from automl_cli.execute import remote

    with remote._LOCK:
        return sorted(job_id for _, job_id in remote._STOPS)


class ScriptedEvaluator:
    """Trials that sleep, allocate, abort or report where they run, as their config says."""

    n_threads = 1

    def __init__(self) -> None:
        self.data = np.arange(1000.0)  # what the "mapped" action checks

    def evaluate(self, job_id: int, config: dict[str, Any], budget: float) -> TrialResult:
        started = time.perf_counter()
        try:
            if config["action"] == "mapped":  # 1: the worker reads the shared, read-only copy
                score = float(isinstance(self.data, np.memmap) and not self.data.flags.writeable)
            else:
                score = _act(config)
        except ValueError as error:
            return TrialResult(
                job_id, config, budget, float("inf"), float("nan"), "failed", error=str(error)
            )
        seconds = time.perf_counter() - started
        return TrialResult(job_id, config, budget, 1.0 - score, score, "ok", seconds, seconds)

    def fit_final(
        self, config: dict[str, Any], n_threads: int | None = None, rows: float = 1.0
    ) -> dict[str, Any]:
        return {"score": _act(config), "threads": n_threads, "rows": rows, "pid": os.getpid()}
