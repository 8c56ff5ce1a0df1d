"""Trial processes run without pyarrow: the shared data holds Python strings only, and the
forkserver refuses the import (automl_cli/forkserver_arrowless.py)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pandas as pd
import psutil

from automl_cli.data import load_training_data
from automl_cli.evaluate import Evaluator
from automl_cli.execute import ProcessExecutor
from automl_cli.execute.shared import SharedFolder
from automl_cli.metrics import resolve_metric
from automl_cli.optimize import Job
from automl_cli.space import space_for
from automl_cli.space.adapt import adapt_config
from tests.conftest import DATASETS
from tests.execute.test_local import run_all


def _customers() -> tuple:
    dataset = load_training_data(DATASETS / "customers.csv", "churned")
    return dataset, resolve_metric(None, dataset.task)


def test_shared_data_holds_the_same_values_without_pyarrow():
    dataset, metric = _customers()
    X = dataset.X.copy()
    X["plan"] = X["plan"].astype("category")  # as large tables store their levels
    X["region"] = X["region"].astype("str")  # pandas' own string type, pyarrow's storage
    assert X.columns.dtype == "str" and X["plan"].cat.categories.dtype == "str"
    shared = SharedFolder(Evaluator(dataclasses.replace(dataset, X=X), metric))
    try:
        assert b"pyarrow" not in shared.evaluator.path.read_bytes()
        loaded = shared.evaluator.load().X
        assert list(loaded.columns) == list(X.columns)
        assert list(loaded["plan"].cat.categories) == list(X["plan"].cat.categories)
        np.testing.assert_array_equal(loaded["plan"].cat.codes, X["plan"].cat.codes)
        for name in X.columns:
            pd.testing.assert_series_equal(loaded[name].astype(object), X[name].astype(object))
    finally:
        shared.close()


def _maps_pyarrow(process: psutil.Process) -> bool:
    return any("arrow" in region.path for region in process.memory_maps())


def test_trial_processes_run_without_pyarrow():
    dataset, metric = _customers()
    config = adapt_config({"algorithm": "lightgbm"}, space_for(dataset))
    with ProcessExecutor(Evaluator(dataset, metric), 2) as executor:
        results = run_all(executor, [Job(1, config, 1.0), Job(2, config, 1.0)])
        assert all(result.ok for result in results.values())
        processes = psutil.Process().children(recursive=True)
        forked = [p for p in processes if "forkserver" in " ".join(p.cmdline())]
        assert len(forked) >= 3  # the forkserver and the two workers
        assert not any(_maps_pyarrow(process) for process in forked)
    assert _maps_pyarrow(psutil.Process())  # while this process, which read the CSV, has it


def test_pandas_works_on_python_strings_once_pyarrow_is_refused():
    script = (
        "import automl_cli.forkserver_arrowless, sys, pandas as pd\n"
        "s = pd.Series(['b', 'a', None])\n"
        "print('pyarrow' in sys.modules, s.dtype.storage, list(s.sort_values().dropna()))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "python", "['a',", "'b']"]
