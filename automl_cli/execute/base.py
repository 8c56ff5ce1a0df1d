"""What every executor offers the search loop, and the records they share.

The search loop only ever talks to an `Executor`: it asks how many trials may start (`free`),
starts them (`submit`), picks up whatever finished (`collect`), stops the rest
(`cancel_running`) and has the winner refitted (`refit`). Where the trials run (this process,
local worker processes, a Dask cluster) is the executor's business alone.
"""

from __future__ import annotations

import math
import os
from typing import Any, Protocol

from automl_cli.errors import AutoMLError
from automl_cli.evaluate import TrialResult
from automl_cli.optimize import Job

POLL_SECONDS = 0.25  # how often limits are checked; a trial is stopped this late at most


class RefitError(RuntimeError):
    """The final refit failed or ran out of time."""


class ClusterError(AutoMLError):
    """The Dask cluster cannot be reached or cannot run our trials."""


class Executor(Protocol):
    """Runs trials somewhere, under per-trial limits, and hands back their results."""

    n_workers: int  # trials that may run at once, fixed for the run (ordered telling uses it)

    @property
    def free(self) -> int:
        """Trials that could start now."""
        ...

    @property
    def running(self) -> list[Job]: ...

    def submit(self, job: Job, time_limit: float = math.inf) -> None:
        """Start `job`; it is stopped after min(time_limit, the executor's trial limit)."""
        ...

    def collect(self, timeout: float) -> list[TrialResult]:
        """Results that arrived within `timeout` seconds, failures (limits, crashes) included."""
        ...

    def cancel_running(self) -> list[Job]:
        """Stop every running trial; returns the jobs that were stopped."""
        ...

    def refit(
        self, config: dict[str, Any], time_limit: float, n_threads: int = 1, rows: float = 1.0
    ) -> Any:
        """`config` fitted on all rows (or a seeded `rows` fraction of them, see
        `Evaluator.fit_final`); RefitError if it fails or runs out of time."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...


def failed_result(job: Job, status: str, error: str, seconds: float = 0.0) -> TrialResult:
    """The record of a trial that gave no loss: stopped at a limit, crashed or cancelled."""
    return TrialResult(
        job.id, job.config, job.budget, math.inf, math.nan, status, seconds=seconds, error=error
    )


def default_workers() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)
