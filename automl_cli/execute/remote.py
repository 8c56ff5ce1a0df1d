"""The cluster side of `DaskExecutor`: what runs on the Dask workers and on the scheduler.

The evaluator (and so the data) reaches every worker once, in a worker plugin (`RunData`):
the scheduler keeps it for the run and hands it to workers that join later, so a worker that
dies loses nothing that cannot be had again. (Scattered data is not enough: Dask drops the
extra replicas of a broadcast, and data whose last holder dies is gone.)

Each Dask worker keeps idle one-process `ProcessExecutor`s per run, so the evaluator is pickled
into a trial process once per process, not once per trial, and a trial that is killed at its
limit takes only its child process with it. The client stops a run's trials through
`stop_trials` (run on the workers' event loops), which sets events that the tasks' loops
check between polls. On the scheduler, `cluster_state` reports the slots and the workers
that died under each trial.
"""

from __future__ import annotations

import threading
from typing import Any

import distributed

from automl_cli.evaluate import Evaluator, TrialResult
from automl_cli.execute.base import POLL_SECONDS, failed_result
from automl_cli.execute.local import ProcessExecutor
from automl_cli.optimize import Job

_LOCK = threading.Lock()
_IDLE: dict[str, list[ProcessExecutor]] = {}
_STOPS: dict[tuple[str, int], threading.Event] = {}
_RETIRED: set[str] = set()
_EVALUATORS: dict[str, Evaluator] = {}


class RunData(distributed.WorkerPlugin):
    """A run's evaluator, installed on every worker of the cluster for the run's lifetime."""

    def __init__(self, run_id: str, evaluator: Evaluator) -> None:
        self.run_id = run_id
        self.evaluator = evaluator

    def setup(self, worker: Any) -> None:
        with _LOCK:
            _EVALUATORS[self.run_id] = self.evaluator

    def teardown(self, worker: Any) -> None:
        retire_run(self.run_id)


def _evaluator(run_id: str) -> Evaluator:
    with _LOCK:
        try:
            return _EVALUATORS[run_id]
        except KeyError:
            raise RuntimeError(f"run {run_id} is not installed on this Dask worker") from None


def version() -> str:
    """The automl-cli version this worker runs (checked against the client's)."""
    from automl_cli import __version__

    return __version__


def _acquire(run_id: str) -> ProcessExecutor:
    """An idle trial process of this run, or a new one; other runs' idle processes end."""
    with _LOCK:
        stale = [runner for other, idle in _IDLE.items() if other != run_id for runner in idle]
        for other in [other for other in _IDLE if other != run_id]:
            del _IDLE[other]
        idle = _IDLE.get(run_id, [])
        runner = idle.pop() if idle else None
    for old in stale:
        old.close()
    return runner or ProcessExecutor(_evaluator(run_id), 1)


def _give_back(run_id: str, runner: ProcessExecutor) -> None:
    with _LOCK:
        if run_id not in _RETIRED:
            _IDLE.setdefault(run_id, []).append(runner)
            return
    runner.close()


def run_trial(
    run_id: str,
    job_id: int,
    config: dict[str, Any],
    budget: float,
    time_limit: float,
    memory_limit_mb: float | None,
) -> TrialResult:
    """One trial in a child process of this Dask worker, under its limits."""
    job = Job(job_id, config, budget)
    stop = threading.Event()
    with _LOCK:
        _STOPS[(run_id, job_id)] = stop
    runner = _acquire(run_id)
    runner.memory_limit_mb = memory_limit_mb
    try:
        runner.submit(job, time_limit)
        while not stop.is_set():
            results = runner.collect(POLL_SECONDS)
            if results:
                return results[0]
        runner.cancel_running()
        return failed_result(job, "cancelled", "cancelled when the search stopped")
    finally:
        with _LOCK:
            _STOPS.pop((run_id, job_id), None)
        _give_back(run_id, runner)


def refit(
    run_id: str,
    config: dict[str, Any],
    time_limit: float,
    memory_limit_mb: float | None,
    rows: float = 1.0,
) -> Any:
    """The final model, fitted in a child process with all of this Dask worker's threads."""
    threads = max(1, distributed.get_worker().state.nthreads)
    with ProcessExecutor(_evaluator(run_id), 1, memory_limit_mb=memory_limit_mb) as runner:
        return runner.refit(config, time_limit, threads, rows)


def stop_trials(run_id: str, job_ids: list[int]) -> None:
    """Stop these trials of the run (called by the client on every worker)."""
    with _LOCK:
        for job_id in job_ids:
            stop = _STOPS.get((run_id, job_id))
            if stop is not None:
                stop.set()


def retire_run(run_id: str) -> None:
    """The run is over: stop its trials, end its idle trial processes, drop its data."""
    with _LOCK:
        _RETIRED.add(run_id)
        _EVALUATORS.pop(run_id, None)
        for (run, _), stop in _STOPS.items():
            if run == run_id:
                stop.set()
        idle = _IDLE.pop(run_id, [])
    for runner in idle:
        runner.close()


def cluster_state(
    keys: list[str], dask_scheduler: Any = None
) -> tuple[dict[str, int], dict[str, int]]:
    """On the scheduler: each worker's threads, and how many workers died under each key.

    `TaskState.suspicious` is the scheduler's own count of the workers that died while
    running a task, the one it checks against `allowed-failures`.
    """
    threads = {address: ws.nthreads for address, ws in dask_scheduler.workers.items()}
    tasks = dask_scheduler.tasks
    return threads, {key: tasks[key].suspicious for key in keys if key in tasks}
