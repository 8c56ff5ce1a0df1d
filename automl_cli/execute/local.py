"""Trials in local worker processes, with hard per-trial limits.

Each worker maps the evaluator (and so the data) from one shared file when it starts
(`shared.py`: one copy of the data for all workers), and then runs one trial at a time. The
parent keeps the clock: a trial past its time limit or memory limit is stopped by killing its
worker, which is replaced by a fresh one; a worker that dies on its own (a segfault, an
out-of-memory kill, `os.abort()`) becomes a failed trial. So no trial can hang the search or
take the run down with it. The memory limit counts what a trial adds to its worker, capped
hard inside the worker where the platform allows it (`memory.py`).

Workers fork from a forkserver that has imported the libraries once, so a replacement starts
in milliseconds. Every worker caps its BLAS / OpenMP threads at `n_threads`, and the models
get the same number, so `n_workers * n_threads` threads never exceed what was asked for.
A worker ends as soon as the process that started it is gone, so no trial outlives its run,
even a run that is killed.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

import psutil

from automl_cli import forkserver
from automl_cli.evaluate import Evaluator, TrialResult
from automl_cli.execute import memory
from automl_cli.execute.base import POLL_SECONDS, RefitError, failed_result
from automl_cli.execute.shared import SharedEvaluator, SharedFolder
from automl_cli.heap import release_freed_memory
from automl_cli.optimize import Job


@dataclass
class _Worker:
    process: Any
    conn: Connection
    job: Job | None = None
    started: float = 0.0
    deadline: float = math.inf
    ready: bool = False  # the worker said its set-up is done
    footprint_mb: float = 0.0  # its private memory when its current task started


def _exit_with_parent() -> None:
    """End this worker as soon as the process that started it is gone, even mid-trial."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _worker_main(conn: Connection, shared: SharedEvaluator, n_threads: int) -> None:
    """Serve trials until told to stop; Ctrl-C belongs to the parent.

    Says "ready" once set up, so that the parent measures the worker's own footprint only
    then; each trial or refit runs under the hard memory cap (`memory.hard_cap`) of the limit
    that comes with it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    import lightgbm  # noqa: F401  (load the native libraries before capping their threads)
    import xgboost  # noqa: F401
    from threadpoolctl import threadpool_limits

    limits = threadpool_limits(limits=n_threads)  # noqa: F841  (kept for the worker's lifetime)
    evaluator = shared.load()
    conn.send("ready")
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        kind, payload, memory_limit_mb = message
        if kind == "trial":
            result = memory.capped_trial(evaluator, payload, memory_limit_mb)
            release_freed_memory()  # an idle worker is its own size, not its last trial's
            conn.send(result)
        elif kind == "refit":
            _refit(conn, evaluator, payload, memory_limit_mb)
            release_freed_memory()


def _refit(
    conn: Connection, evaluator: Evaluator, payload: tuple, memory_limit_mb: float | None
) -> None:
    """Send the refitted model, or why it failed (the parent decides); the model is freed on
    return."""
    from threadpoolctl import threadpool_limits

    config, threads, rows = payload
    try:
        with threadpool_limits(limits=threads):
            model = memory.capped_refit(evaluator, config, threads, rows, memory_limit_mb)
        conn.send(("ok", model))
    except Exception as error:  # reported to the parent, which decides
        conn.send(("error", f"{type(error).__name__}: {error}"))


@contextlib.contextmanager
def _children_allowed() -> Iterator[None]:
    """Let a daemonic process (a Dask worker under its nanny) start our worker processes.

    multiprocessing refuses children to daemonic processes so that none is orphaned; ours
    end with the process that started them, so the rule is kept anyway.
    """
    current = multiprocessing.current_process()
    daemonic = current.daemon
    if daemonic:
        current.daemon = False
    try:
        yield
    finally:
        if daemonic:
            current.daemon = True


class ProcessExecutor:
    """A pool of `n_workers` trial processes with per-trial time and memory limits."""

    def __init__(
        self,
        evaluator: Evaluator,
        n_workers: int,
        *,
        n_threads: int = 1,
        trial_time_limit: float = math.inf,
        memory_limit_mb: float | None = None,
    ) -> None:
        self._context = forkserver.context()
        self._n_threads = n_threads
        self.n_workers = n_workers
        self.trial_time_limit = trial_time_limit
        self.memory_limit_mb = memory_limit_mb
        self._shared = SharedFolder(evaluator)
        if isinstance(evaluator, Evaluator):  # this process, too, reads the data from the map,
            evaluator.X = self._shared.evaluator.load().X  # so that its own copy can go (api.py)
        self._workers: list[_Worker] = []
        try:
            for _ in range(n_workers):
                self._workers.append(self._start_worker())
        except BaseException:
            self.close()
            raise

    # -- pool ---------------------------------------------------------------------------------
    def _start_worker(self) -> _Worker:
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(
            target=_worker_main,
            args=(child_end, self._shared.evaluator, self._n_threads),
            daemon=True,
        )
        with _children_allowed(), forkserver.worker_environment():
            process.start()
        child_end.close()
        return _Worker(process, parent_end)

    def _replace(self, worker: _Worker) -> None:
        _kill(worker)
        fresh = self._start_worker()
        worker.process, worker.conn = fresh.process, fresh.conn
        worker.job, worker.deadline, worker.ready = None, math.inf, False

    def _ready(self, worker: _Worker, wait_seconds: float) -> bool:
        """Whether the worker is set up (its "ready" came) within `wait_seconds`; one that dies
        while starting is replaced, once."""
        for _ in range(2):
            if worker.ready:
                return True
            if not worker.conn.poll(None if math.isinf(wait_seconds) else wait_seconds):
                return False
            try:
                worker.conn.recv()
                worker.ready = True
            except (EOFError, OSError):
                self._replace(worker)
        return worker.ready

    def _send(self, worker: _Worker, message: tuple[str, Any]) -> None:
        """Give a ready, idle worker its next task, noting its own footprint as it starts."""
        worker.footprint_mb = memory.private_mb(worker.process.pid)
        worker.conn.send((*message, self.memory_limit_mb))

    @property
    def free(self) -> int:
        return sum(w.job is None for w in self._workers)

    @property
    def running(self) -> list[Job]:
        return [w.job for w in self._workers if w.job is not None]

    # -- trials -------------------------------------------------------------------------------
    def submit(self, job: Job, time_limit: float = math.inf) -> None:
        """Start `job` on a free worker; it is stopped after min(limit, trial limit) seconds."""
        worker = next(w for w in self._workers if w.job is None)
        limit = min(time_limit, self.trial_time_limit)
        started = time.monotonic()
        if self._ready(worker, limit):  # else the trial is stopped as past its time limit
            self._send(worker, ("trial", (job.id, job.config, job.budget)))
            started = time.monotonic()
        worker.job, worker.started, worker.deadline = job, started, started + limit

    def collect(self, timeout: float) -> list[TrialResult]:
        """Results that arrive within `timeout` seconds (all that are ready, at least none)."""
        busy = [w for w in self._workers if w.job is not None]
        if not busy:
            time.sleep(max(0.0, min(timeout, POLL_SECONDS)))
            return []
        now = time.monotonic()
        wait_for = max(0.0, min(timeout, POLL_SECONDS, min(w.deadline for w in busy) - now))
        # a worker still starting has no task yet: its pipe would only say "ready"
        pipes = [w.conn for w in busy if w.ready]
        ready = set(wait(pipes + [w.process.sentinel for w in busy], wait_for))
        results = []
        for worker in busy:
            if worker.conn in ready or worker.process.sentinel in ready:
                results.append(self._receive(worker))
        results.extend(self._enforce_limits())
        return results

    def _receive(self, worker: _Worker) -> TrialResult:
        job = worker.job
        assert job is not None
        try:
            if not worker.ready:  # died before it was set up
                raise EOFError
            result = worker.conn.recv()
        except (EOFError, OSError):
            seconds = time.monotonic() - worker.started
            died = _death(worker.process)
            self._replace(worker)
            return failed_result(job, "crashed", f"the trial's process {died}", seconds)
        worker.job, worker.deadline = None, math.inf
        return result

    def _over_limit(self, worker: _Worker, now: float) -> tuple[str, str] | None:
        """(status, reason) when the worker's task is past a limit, else None."""
        if now >= worker.deadline:
            return "timeout", f"stopped after {now - worker.started:.1f} s (time limit)"
        if self.memory_limit_mb is not None:
            added = memory.private_mb(worker.process.pid) - worker.footprint_mb
            if added > self.memory_limit_mb:
                return "memory", memory.limit_message(
                    added, worker.footprint_mb, self.memory_limit_mb
                )
        return None

    def _enforce_limits(self) -> list[TrialResult]:
        stopped = []
        now = time.monotonic()
        for worker in self._workers:
            job = worker.job
            if job is None:
                continue
            over = self._over_limit(worker, now)
            if over is not None:
                self._replace(worker)
                stopped.append(failed_result(job, *over, now - worker.started))
        return stopped

    def cancel_running(self) -> list[Job]:
        """Stop every running trial (their workers are replaced); returns the cancelled jobs."""
        cancelled = []
        for worker in self._workers:
            if worker.job is not None:
                cancelled.append(worker.job)
                self._replace(worker)
        return cancelled

    # -- the final model ----------------------------------------------------------------------
    def refit(
        self, config: dict[str, Any], time_limit: float, n_threads: int = 1, rows: float = 1.0
    ) -> Any:
        """Fit `config` on all rows (or a `rows` fraction) in a worker, under the time limit
        and the memory limit.

        RefitError if it fails, dies, or runs past either limit.
        """
        worker = next(w for w in self._workers if w.job is None)
        if not self._ready(worker, max(0.0, time_limit)):
            self._replace(worker)
            raise RefitError("the refit's process did not start within its time limit")
        self._send(worker, ("refit", (config, n_threads, rows)))
        worker.started = time.monotonic()
        worker.deadline = worker.started + max(0.0, time_limit)
        while not worker.conn.poll(POLL_SECONDS):
            over = self._over_limit(worker, time.monotonic())
            if over is not None:
                self._replace(worker)
                raise RefitError(f"the refit was {over[1]}")
        worker.deadline = math.inf
        try:
            status, payload = worker.conn.recv()
        except (EOFError, OSError):
            died = _death(worker.process)
            self._replace(worker)
            raise RefitError(f"the refit's process {died}") from None
        if status != "ok":
            raise RefitError(payload)
        return payload

    def close(self) -> None:
        """Stop the workers, then remove the shared data they mapped; again, it does nothing."""
        workers, self._workers = self._workers, []
        try:
            for worker in workers:
                if worker.job is None:
                    with contextlib.suppress(OSError):
                        worker.conn.send(None)
            deadline = time.monotonic() + 2.0
            for worker in workers:
                worker.process.join(max(0.0, deadline - time.monotonic()))
                _kill(worker)
        finally:
            self._shared.close()

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _kill(worker: _Worker) -> None:
    """End a worker process and every process it started."""
    try:
        for child in psutil.Process(worker.process.pid).children(recursive=True):
            child.kill()
    except psutil.Error:
        pass
    if worker.process.is_alive():
        worker.process.kill()
    worker.process.join(1.0)
    worker.conn.close()


def _death(process: Any) -> str:
    """How a worker process that closed its pipe ended, in words."""
    process.join(1.0)
    code = process.exitcode
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
    return f"died (exit code {code})"
