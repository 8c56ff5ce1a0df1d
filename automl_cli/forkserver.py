"""The forkserver that local trial processes fork from.

It imports the heavy libraries once, and every worker forks from it in milliseconds. Starting
it at the very beginning of `automl fit` lets those imports run while the parent reads the CSV
and builds the search space, instead of after. This module stays light on purpose: importing
it must not pull in the libraries it preloads.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Iterator
from multiprocessing import forkserver
from multiprocessing.context import BaseContext

PRELOAD = ["automl_cli.evaluate", "automl_cli.space", "sklearn.ensemble", "lightgbm", "xgboost"]


def context() -> BaseContext:
    """The multiprocessing context for trial processes, with the preload list set."""
    forkserver_context = multiprocessing.get_context("forkserver")
    forkserver_context.set_forkserver_preload(PRELOAD)
    return forkserver_context


@contextlib.contextmanager
def worker_environment() -> Iterator[None]:
    """OpenMP threads that sleep when idle, for the forkserver (and so every worker).

    Idle OpenMP threads spin by default; on a busy machine a 2-thread HistGradientBoosting fit
    then runs 20 times slower than with 1 thread. The variable must be set before the native
    libraries load, which happens in the forkserver, so it is set while the forkserver starts;
    a value the user set is kept.
    """
    if "OMP_WAIT_POLICY" in os.environ:
        yield
        return
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        yield
    finally:
        os.environ.pop("OMP_WAIT_POLICY", None)


def start_early() -> None:
    """Start the forkserver now; it preloads in the background until the first worker starts."""
    context()
    with worker_environment():
        forkserver.ensure_running()
