"""The training data held once for every local worker, instead of once per worker.

The evaluator (and with it the model input, the target and the splits) is written once to a
file in a temporary folder with joblib, which stores each NumPy array as raw bytes. Every
worker maps that file read-only (`joblib.load(mmap_mode="r")`): its pages are shared through
the page cache, so n workers cost one copy of the data, not n, and a replacement worker starts
without the data being pickled and sent again. Float and category-code blocks are mapped;
text (object) columns, only on small tables (`data/size.py`), are read into each worker.
The process that runs the search reads from the same map, so that it holds no copy either.
Column names, category levels and text are written as Python strings, not pyarrow's: the
workers do not load pyarrow (`forkserver_arrowless.py`), and could not unpickle them.
The folder is removed when the pool closes, whether the search succeeded or not; the folder
of a run that was killed outright (SIGKILL) is removed by the next run on the machine, which
finds it by the dead process id in its name.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from automl_cli.evaluate import Evaluator
from automl_cli.heap import release_freed_memory

PREFIX = "automl-data-"  # then the owning process id, a dash and a random part


@dataclass(frozen=True)
class SharedEvaluator:
    """What a worker receives: the path of the mapped evaluator file (a few bytes to send)."""

    path: Path

    def load(self) -> Evaluator:
        import joblib

        return joblib.load(self.path, mmap_mode="r")


class SharedFolder:
    """A temporary folder that holds the evaluator file for as long as the pool runs."""

    def __init__(self, evaluator: Evaluator) -> None:
        import joblib

        _remove_orphans()
        self.folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
        try:
            path = self.folder / "evaluator.joblib"
            joblib.dump(_with_python_strings(evaluator), path)
            release_freed_memory()  # what pickling the arrays took
        except BaseException:
            self.close()
            raise
        self.evaluator = SharedEvaluator(path)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _with_python_strings(evaluator: Evaluator) -> Evaluator:
    """A shallow copy of the evaluator whose data holds no pyarrow strings."""
    if not isinstance(evaluator, Evaluator):  # a test's scripted evaluator: sent as it is
        return evaluator
    light = copy.copy(evaluator)
    light.X = python_strings(evaluator.X)
    return light


def python_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with its column names, category levels and text columns that pyarrow stores
    stored by Python instead; the values, their order and the other columns (not copied) stay
    as they are. pandas before 3 stores none of them in pyarrow unless asked to."""

    def by_python(values: pd.Index | pd.Series) -> pd.Index | pd.Series:
        if not str(getattr(values.dtype, "storage", "")).startswith("pyarrow"):
            return values
        return values.astype(pd.StringDtype("python", na_value=values.dtype.na_value))

    out = frame.copy(deep=False)
    for name, column in frame.items():
        if isinstance(column.dtype, pd.CategoricalDtype):
            levels = column.cat.categories
            if (stored_levels := by_python(levels)) is not levels:
                dtype = pd.CategoricalDtype(stored_levels, column.cat.ordered)
                out[name] = pd.Categorical.from_codes(column.cat.codes, dtype=dtype)
        elif (stored := by_python(column)) is not column:
            out[name] = stored
    out.columns = by_python(frame.columns)
    return out


def _remove_orphans() -> None:
    """Remove the shared folders of runs whose process is gone (killed before it could)."""
    import psutil

    for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}*-*"):
        owner = folder.name[len(PREFIX) :].split("-", 1)[0]
        if owner.isdigit() and not psutil.pid_exists(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)
