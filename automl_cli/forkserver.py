"""The forkserver that local trial processes fork from.

It imports the heavy libraries once, and every worker forks from it in milliseconds. Starting
it at the very beginning of `automl fit` lets those imports run while the parent reads the CSV
and builds the search space, instead of after. This module stays light on purpose: importing
it must not pull in the libraries it preloads.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing import forkserver
from multiprocessing.context import BaseContext

PRELOAD = ["automl_cli.evaluate", "automl_cli.space", "sklearn.ensemble", "lightgbm", "xgboost"]


def context() -> BaseContext:
    """The multiprocessing context for trial processes, with the preload list set."""
    forkserver_context = multiprocessing.get_context("forkserver")
    forkserver_context.set_forkserver_preload(PRELOAD)
    return forkserver_context


def start_early() -> None:
    """Start the forkserver now; it preloads in the background until the first worker starts."""
    context()
    forkserver.ensure_running()
