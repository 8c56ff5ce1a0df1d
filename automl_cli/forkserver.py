"""The forkserver that local trial processes fork from.

It imports the heavy libraries once, and every worker forks from it in milliseconds. Starting
it as soon as `automl fit` has read its data lets those imports run while the parent imports
its own and builds the search space, instead of after. This module stays light on purpose:
importing it must not pull in the libraries it preloads.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Iterator
from multiprocessing import forkserver
from multiprocessing.context import BaseContext

SPIN_COUNT = 1000  # busy-waits of an idle OpenMP thread before it sleeps (worker_environment)
PRELOAD = [
    "automl_cli.forkserver_signals",
    "automl_cli.forkserver_arrowless",
    "automl_cli.evaluate",
    "automl_cli.space",
    "sklearn.ensemble",
    "lightgbm",
    "xgboost",
]


def context() -> BaseContext:
    """The multiprocessing context for trial processes, with the preload list set."""
    forkserver_context = multiprocessing.get_context("forkserver")
    forkserver_context.set_forkserver_preload(PRELOAD)
    return forkserver_context


@contextlib.contextmanager
def worker_environment() -> Iterator[None]:
    """OpenMP threads that spin briefly, then sleep, between parallel regions (every worker).

    Trials use one thread, but the final refit uses one per worker, and a boosting fit on
    small data runs thousands of short parallel regions. Threads that sleep at once
    (OMP_WAIT_POLICY=PASSIVE) pay a wake-up at each: 12 times slower on an idle machine.
    libgomp's default of 300,000 spins holds the cores: 8 times slower on a busy one. 1,000
    spins stay within 1.6 times the best setting on both (benchmarks/results/openmp_wait.md).
    The variable must be set before the native libraries load, which happens in the
    forkserver, so it is set while the forkserver starts; a user's own OpenMP setting is kept.
    """
    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        yield
        return
    os.environ["GOMP_SPINCOUNT"] = str(SPIN_COUNT)
    try:
        yield
    finally:
        os.environ.pop("GOMP_SPINCOUNT", None)


def start_early() -> None:
    """Start the forkserver now; it preloads in the background until the first worker starts."""
    context()
    with worker_environment():
        forkserver.ensure_running()
