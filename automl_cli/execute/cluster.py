"""Trials on a Dask cluster, each in a child process of its Dask worker so that it can be killed.

The evaluator (and so the data) reaches every worker once, in a worker plugin that Dask also
hands to workers joining later. A trial is one Dask task (`remote.run_trial`) that hands
the trial to a one-process `ProcessExecutor` kept by the Dask worker, so the time and memory
limits, crash detection and thread caps are exactly those of a local run, and a trial that is
killed never takes its Dask worker with it. There is one slot per worker thread; `n_workers`
caps the slots.

Faults, as the client sees them:
- A Dask worker dies: Dask reschedules its tasks. Every `CLUSTER_SECONDS` the client reads
  from the scheduler how many workers died under each running trial; at two the trial is
  cancelled and recorded failed ("crashed"), so a trial is retried at most once.
- No worker is left: one trial waits on the scheduler for a worker to join, so the search
  waits too rather than ending.
- A result that does not come back within its limit plus `RESULT_GRACE_SECONDS` (its worker
  hangs, or no worker came to run it) is given up as a "timeout".
- The scheduler becomes unreachable: once the client has failed to get back to it for
  `CONNECT_SECONDS`, `free` and `collect` raise `ClusterError`; the refit of the best trial
  then runs locally.

This module imports distributed; `automl_cli.execute` imports it only when a cluster is used.
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import time
import uuid
from dataclasses import dataclass
from typing import Any

import distributed

from automl_cli.evaluate import Evaluator, TrialResult
from automl_cli.execute import remote
from automl_cli.execute.base import (
    POLL_SECONDS,
    ClusterError,
    RefitError,
    default_workers,
    failed_result,
)
from automl_cli.execute.local import ProcessExecutor
from automl_cli.optimize import Job

CONNECT_SECONDS = 5.0  # to reach the scheduler, and to get back to it when the link drops
WORKERS_SECONDS = 10.0  # for a first worker to join, and for it to answer
RESULT_GRACE_SECONDS = 30.0  # generous: a safety net behind the workers' own limits
MAX_WORKER_LOSSES = 2  # the second worker that dies under a trial makes it a failed trial
CLUSTER_SECONDS = 1.0  # how often the workers and their trials are looked up


@dataclass
class _Task:
    job: Job
    future: Any
    limit: float
    deadline: float
    losses: int = 0  # workers that died while running it


class DaskExecutor:
    """Trials on the Dask cluster at `address`: one slot per worker thread, capped at n_workers."""

    def __init__(
        self,
        evaluator: Evaluator,
        address: str,
        n_workers: int | None = None,
        *,
        trial_time_limit: float = math.inf,
        memory_limit_mb: float | None = None,
    ) -> None:
        self.address = address
        self.trial_time_limit = trial_time_limit
        self.memory_limit_mb = memory_limit_mb
        self._evaluator = evaluator
        self._cap = n_workers
        self._log_levels = _quiet_distributed()
        try:
            self._client = _connect(address)
        except BaseException:
            _restore(self._log_levels)
            raise
        self._run_id = uuid.uuid4().hex[:12]
        self._plugin = f"automl-run-{self._run_id}"
        self._tasks: dict[str, _Task] = {}
        self._done: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads: dict[str, int] = {}
        self._looked_at = -math.inf
        try:
            self._look()
            total = sum(self._threads.values())
            self.n_workers = total if n_workers is None else n_workers
            self._client.register_plugin(remote.RunData(self._run_id, evaluator), name=self._plugin)
        except BaseException:
            self.close()
            raise

    # -- the cluster --------------------------------------------------------------------------
    def _look(self) -> None:
        """Refresh the workers' threads, and the workers lost under each running trial."""
        try:
            self._threads, losses = self._client.run_on_scheduler(
                remote.cluster_state, list(self._tasks)
            )
        except (OSError, distributed.TimeoutError) as error:
            raise self._lost(error) from None
        self._looked_at = time.monotonic()
        for key, task in self._tasks.items():
            if losses.get(key, 0) > task.losses:  # it starts again on another worker
                task.losses = losses[key]
                task.deadline = self._looked_at + task.limit + RESULT_GRACE_SECONDS

    def _lost(self, error: object = None) -> ClusterError:
        why = f" ({error})" if error else ""
        return ClusterError(
            f"lost the Dask scheduler at {self.address}{why}; check that it is running and "
            "reachable, then run again"
        )

    def _ensure_connected(self) -> None:
        """Return once connected; ClusterError if the client cannot get back to the scheduler.

        After a reconnection the run's data is installed again, in case the scheduler that
        answers is a new one.
        """
        if self._client.status == "running":
            return
        deadline = time.monotonic() + CONNECT_SECONDS + 2
        while self._client.status != "running":
            if self._client.status in ("closing", "closed") or time.monotonic() > deadline:
                raise self._lost()
            time.sleep(0.1)
        try:
            self._client.register_plugin(
                remote.RunData(self._run_id, self._evaluator), name=self._plugin
            )
        except (OSError, distributed.TimeoutError) as error:
            raise self._lost(error) from None

    @property
    def free(self) -> int:
        """Free slots; with no worker left there is one, whose trial waits for a worker."""
        self._ensure_connected()
        slots = sum(self._threads.values())
        slots = max(1, slots if self._cap is None else min(self._cap, slots))
        return max(0, slots - len(self._tasks))

    @property
    def running(self) -> list[Job]:
        return [task.job for task in self._tasks.values()]

    # -- trials -------------------------------------------------------------------------------
    def submit(self, job: Job, time_limit: float = math.inf) -> None:
        """Start `job` on the cluster; its worker stops it after min(limit, trial limit) s."""
        limit = min(time_limit, self.trial_time_limit)
        future = self._client.submit(
            remote.run_trial,
            self._run_id,
            job.id,
            job.config,
            job.budget,
            limit,
            self.memory_limit_mb,
            key=f"automl-trial-{self._run_id}-{job.id}",
            pure=False,
        )
        deadline = time.monotonic() + limit + RESULT_GRACE_SECONDS
        self._tasks[future.key] = _Task(job, future, limit, deadline)
        future.add_done_callback(self._done.put)

    def collect(self, timeout: float) -> list[TrialResult]:
        """Results that arrive within `timeout` seconds; trials given up on are failed results."""
        if not self._tasks:
            time.sleep(max(0.0, min(timeout, POLL_SECONDS)))
        else:
            self._ensure_connected()
            nearest = min(task.deadline for task in self._tasks.values()) - time.monotonic()
            with contextlib.suppress(queue.Empty):
                wait = max(0.0, min(timeout, POLL_SECONDS, nearest))
                self._done.put(self._done.get(timeout=wait))
        results = []
        while True:
            try:
                future = self._done.get_nowait()
            except queue.Empty:
                break
            task = self._tasks.pop(future.key, None)
            if task is not None:  # else it was cancelled here, or already given up on
                results.append(self._outcome(task))
        if time.monotonic() - self._looked_at > CLUSTER_SECONDS:
            self._ensure_connected()
            self._look()
        return results + self._give_up()

    def _give_up(self) -> list[TrialResult]:
        """Trials that lost a second worker, or whose result is overdue."""
        now = time.monotonic()
        failed = []
        for key, task in list(self._tasks.items()):
            if task.losses >= MAX_WORKER_LOSSES:
                status = "crashed"
                error = f"worker died: {task.losses} Dask workers died while running it"
            elif now >= task.deadline:
                status = "timeout"
                error = (
                    f"no result from the Dask cluster {RESULT_GRACE_SECONDS:g} s after "
                    f"its time limit of {task.limit:.1f} s"
                )
            else:
                continue
            del self._tasks[key]
            task.future.cancel()
            failed.append(failed_result(task.job, status, error))
        return failed

    def _outcome(self, task: _Task) -> TrialResult:
        try:
            return task.future.result(timeout=RESULT_GRACE_SECONDS)
        except distributed.client.FutureCancelledError as error:
            return failed_result(task.job, "cancelled", f"cancelled on the cluster: {error}")
        except Exception as error:  # the task itself failed: a failed trial, not a failed run
            killed = isinstance(error, distributed.KilledWorker)
            reason = "worker died: " if killed else ""
            return failed_result(
                task.job,
                "crashed" if killed else "failed",
                f"{reason}{type(error).__name__}: {error}",
            )

    def cancel_running(self) -> list[Job]:
        """Cancel every running trial; their Dask workers kill the trials' processes."""
        tasks, self._tasks = list(self._tasks.values()), {}
        if tasks and self._client.status == "running":
            with contextlib.suppress(Exception):
                self._client.cancel([task.future for task in tasks])
                job_ids = [task.job.id for task in tasks]
                self._client.run(remote.stop_trials, self._run_id, job_ids)
        return [task.job for task in tasks]

    # -- the final model ----------------------------------------------------------------------
    def refit(
        self, config: dict[str, Any], time_limit: float, n_threads: int = 1, rows: float = 1.0
    ) -> Any:
        """Fit `config` on all rows (or a `rows` fraction) on a Dask worker, with its threads.

        If the cluster is gone or loses the worker, the refit runs here instead, in a local
        worker process with `n_threads` threads (at most this machine's cores), under the
        same limits.
        """
        started = time.monotonic()
        if self._client.status == "running":
            try:
                future = self._client.submit(
                    remote.refit,
                    self._run_id,
                    config,
                    time_limit,
                    self.memory_limit_mb,
                    rows,
                    key=f"automl-refit-{self._run_id}-{uuid.uuid4().hex[:6]}",
                    pure=False,
                )
                return future.result(timeout=time_limit + RESULT_GRACE_SECONDS)
            except RefitError:
                raise
            except Exception:  # the cluster failed, not the config: refit here instead
                pass
        left = time_limit - (time.monotonic() - started)
        with ProcessExecutor(self._evaluator, 1, memory_limit_mb=self.memory_limit_mb) as local:
            return local.refit(config, left, min(n_threads, default_workers()), rows)

    def close(self) -> None:
        """End this run's trial processes and drop its data on the workers, then disconnect."""
        if self._client.status == "running":
            with contextlib.suppress(Exception):
                self._client.unregister_worker_plugin(self._plugin)
        with contextlib.suppress(Exception):
            self._client.close(timeout=CONNECT_SECONDS)
        _restore(self._log_levels)

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _quiet_distributed() -> list[tuple[logging.Logger, int]]:
    """Silence distributed's loggers below CRITICAL; returns their levels to restore.

    distributed logs connection trouble to stderr; the run reports it in its own words, in
    one line (docs/architecture.md, contract 1).
    """
    loggers = [
        logger
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
        and (name == "distributed" or name.startswith("distributed."))
        and logger.level != logging.NOTSET
    ]
    saved = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    return saved


def _restore(levels: list[tuple[logging.Logger, int]]) -> None:
    for logger, level in levels:
        logger.setLevel(level)


def _connect(address: str) -> Any:
    """A client of the scheduler at `address` with at least one worker that can run trials."""
    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port

    try:
        parse_host_port(parse_address(address)[1])
    except ValueError as error:
        raise ClusterError(
            f"--cluster needs a scheduler address like tcp://HOST:8786, got {address!r} ({error})"
        ) from None
    try:
        client = distributed.Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, ValueError, distributed.TimeoutError) as error:
        raise ClusterError(
            f"cannot reach a Dask scheduler at {address} ({error}); start one with "
            "`dask scheduler` and pass its address, e.g. --cluster tcp://HOST:8786"
        ) from None
    try:
        client.wait_for_workers(1, timeout=WORKERS_SECONDS)
        theirs = client.submit(remote.version, pure=False).result(timeout=WORKERS_SECONDS)
    except (OSError, distributed.TimeoutError):
        client.close()
        raise ClusterError(
            f"the Dask scheduler at {address} has no workers; start some with "
            f"`dask worker {address}`"
        ) from None
    except Exception as error:
        client.close()
        raise ClusterError(
            f"the Dask cluster at {address} cannot run automl-cli trials ({type(error).__name__}: "
            f"{error}); install automl-cli on the scheduler and on every worker"
        ) from None
    ours = remote.version()
    if theirs != ours:
        client.close()
        raise ClusterError(
            f"the Dask cluster at {address} runs automl-cli {theirs}, this is {ours}; install "
            "the same version on the scheduler, the workers and here"
        )
    return client
