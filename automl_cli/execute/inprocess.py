"""Trials in the calling process, one at a time: for debugging and for tests.

A debugger or a profiler sees the trial's own frames, and nothing is pickled. The price is
that no limit holds: a trial that hangs hangs the search, and one that crashes the process
ends the run. Use the worker processes for real searches.
"""

from __future__ import annotations

import math
from typing import Any

from automl_cli.evaluate import Evaluator, TrialResult
from automl_cli.execute.base import RefitError
from automl_cli.optimize import Job


class InProcessExecutor:
    """One slot; a submitted trial runs when `collect` is called."""

    n_workers = 1

    def __init__(self, evaluator: Evaluator) -> None:
        self._evaluator = evaluator
        self._job: Job | None = None

    @property
    def free(self) -> int:
        return int(self._job is None)

    @property
    def running(self) -> list[Job]:
        return [] if self._job is None else [self._job]

    def submit(self, job: Job, time_limit: float = math.inf) -> None:
        """Queue `job`; limits are not enforced in-process."""
        if self._job is not None:
            raise RuntimeError("the in-process executor runs one trial at a time")
        self._job = job

    def collect(self, timeout: float) -> list[TrialResult]:
        """Run the queued trial to its end, whatever `timeout` says."""
        job, self._job = self._job, None
        if job is None:
            return []
        return [self._evaluator.evaluate(job.id, job.config, job.budget)]

    def cancel_running(self) -> list[Job]:
        cancelled, self._job = self.running, None
        return cancelled

    def refit(
        self, config: dict[str, Any], time_limit: float, n_threads: int = 1, rows: float = 1.0
    ) -> Any:
        from threadpoolctl import threadpool_limits

        try:
            with threadpool_limits(limits=n_threads):
                return self._evaluator.fit_final(config, n_threads, rows)
        except Exception as error:
            raise RefitError(f"{type(error).__name__}: {error}") from error

    def close(self) -> None:
        self._job = None

    def __enter__(self) -> InProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
