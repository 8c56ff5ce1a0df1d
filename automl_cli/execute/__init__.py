"""Where trials run: in this process, in local worker processes, or on a Dask cluster.

All three backends offer the same `Executor` interface to the search loop (see `base.py`):
- `InProcessExecutor` (`inprocess.py`): one trial at a time in the calling process, no limits;
  for debugging and tests.
- `ProcessExecutor` (`local.py`): `--n-jobs` worker processes with hard time and memory
  limits; the default.
- `DaskExecutor` (`cluster.py`): `--cluster`; each Dask worker runs its trials in a local
  `ProcessExecutor` of its own, so the same limits hold there.

Local runs use worker processes rather than a Dask LocalCluster: the results are the same and
the processes start and schedule faster (benchmarks/results/parallel.md has the numbers).
Dask is imported only when a cluster is used.
"""

from __future__ import annotations

import math

from automl_cli.evaluate import Evaluator
from automl_cli.execute.base import (
    POLL_SECONDS,
    ClusterError,
    Executor,
    RefitError,
    default_workers,
    failed_result,
)
from automl_cli.execute.inprocess import InProcessExecutor
from automl_cli.execute.local import ProcessExecutor


def create_executor(
    evaluator: Evaluator,
    n_workers: int | None = None,
    *,
    cluster: str | None = None,
    in_process: bool = False,
    trial_time_limit: float = math.inf,
    memory_limit_mb: float | None = None,
) -> Executor:
    """The executor for these options.

    `n_workers` is how many trials run at once; None means every local core, or on a
    cluster every worker thread. `cluster` is a Dask scheduler address; `in_process` runs
    trials in this process without limits (debugging).
    """
    if in_process:
        return InProcessExecutor(evaluator)
    if cluster is not None:
        from automl_cli.execute.cluster import DaskExecutor

        return DaskExecutor(
            evaluator,
            cluster,
            n_workers,
            trial_time_limit=trial_time_limit,
            memory_limit_mb=memory_limit_mb,
        )
    return ProcessExecutor(
        evaluator,
        default_workers() if n_workers is None else n_workers,
        trial_time_limit=trial_time_limit,
        memory_limit_mb=memory_limit_mb,
    )


__all__ = [
    "POLL_SECONDS",
    "ClusterError",
    "Executor",
    "InProcessExecutor",
    "ProcessExecutor",
    "RefitError",
    "create_executor",
    "default_workers",
    "failed_result",
]
