"""`automl_cli.fit`: `automl fit` from Python, the CLI's options by name, a Model back.

It runs the command's own code (`api.fit`). With `out=None` nothing is written, neither a
model file nor a trial log, and the returned Model saves with `.save(path)`; with a path it
writes what `automl fit --out PATH` writes. The call leaves nothing behind: the trial
processes end with the search, and so does the forkserver they fork from when this call
started it (multiprocessing keeps one per process otherwise, with the heavy libraries
loaded), and the resource tracker beside it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from automl_cli.choices import OPTIMIZERS, TASK_OPTIONS
from automl_cli.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from automl_cli.api import FitOptions
    from automl_cli.model import Model

NOT_OPTIONS = ("target", "trial_log")  # target is a parameter; the trial log follows `out`


def option_names() -> list[str]:
    """The options `fit` takes by name: those of `automl fit`, as Python names."""
    from automl_cli.api import FitOptions

    fields = dataclasses.fields(FitOptions)
    return [f.name for f in fields if f.name not in NOT_OPTIONS]


def fit(data: str | Path | pd.DataFrame, target: str, **options: Any) -> Model:
    """Search for the best pipeline for `data` (a path or a DataFrame, left unmodified) that
    predicts `target`; the fitted Model. `options` are `automl fit`'s (time_budget,
    max_trials, optimizer, n_jobs, seed, ensemble_size, metabase, warm_start, ..., out=None).
    """
    from automl_cli import api

    fit_options = fit_options_of(target, options)
    with _forkserver_ends_with_call(fit_options.cluster is None):
        return api.fit(data, fit_options).model


def fit_options_of(target: str, options: dict[str, Any]) -> FitOptions:
    """The FitOptions of keyword `options`: a TypeError for a name `automl fit` does not know,
    a UsageError for a value no search can use."""
    from automl_cli.api import FitOptions

    known = option_names()
    for name in options:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"fit() got an unexpected option {name!r}{hint}")
    values = {"out": None, **options}
    for name in ("out", "metabase"):
        if values.get(name) is not None:
            values[name] = Path(values[name])
    if values["out"] is not None:
        values["trial_log"] = values["out"].with_name(values["out"].name + ".trials.jsonl")
    fit_options = FitOptions(target=target, **values)
    if fit_options.optimizer not in OPTIMIZERS:
        raise UsageError(
            f"unknown optimizer {fit_options.optimizer!r}; use one of: {', '.join(OPTIMIZERS)}"
        )
    if fit_options.task not in TASK_OPTIONS:
        raise UsageError(
            f"unknown task {fit_options.task!r}; use one of: {', '.join(TASK_OPTIONS)}"
        )
    fit_options.check()
    return fit_options


@contextlib.contextmanager
def _forkserver_ends_with_call(local: bool) -> Iterator[None]:
    """Stop the forkserver, and the resource tracker it starts, when the call ends if the
    call started them (a local search)."""
    from multiprocessing import forkserver, resource_tracker

    helpers = [forkserver._forkserver, resource_tracker._resource_tracker]
    started = [helper for helper in helpers if _pid(helper) is None]
    try:
        yield
    finally:
        for helper in started if local else ():
            if _pid(helper) is not None:
                helper._stop()


def _pid(helper: Any) -> int | None:
    """The process id of multiprocessing's forkserver or resource tracker, None if not running."""
    return getattr(helper, "_forkserver_pid", getattr(helper, "_pid", None))
