"""`automl_cli.fit` from Python: a DataFrame or a path in, a Model out, nothing left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pandas as pd
import psutil
import pytest

import automl_cli
from automl_cli.data import load_training_data
from automl_cli.errors import DataError, Interrupted, UsageError
from tests.conftest import child_processes

QUICK = {"time_budget": 30, "max_trials": 3, "n_jobs": 1, "ensemble_size": 0}


def test_fit_on_a_dataframe_writes_nothing_and_saves_the_same_model(
    datasets, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # where `automl fit` would write model.automl by default
    frame = pd.read_csv(datasets / "iris.csv")
    untouched = frame.copy()
    before = child_processes()

    model = automl_cli.fit(frame, target="species", **QUICK)

    assert list(tmp_path.iterdir()) == []  # no model file, no trial log
    assert frame.equals(untouched)
    assert child_processes() <= before  # trial processes, the forkserver, its resource tracker
    assert model.manifest["trial_count"] == 3
    model.save(tmp_path / "iris.automl")
    loaded = automl_cli.load(tmp_path / "iris.automl")
    assert loaded.predict(frame).equals(model.predict(frame))
    pd.testing.assert_frame_equal(loaded.predict_proba(frame), model.predict_proba(frame))
    assert model.predict(frame).isin(["setosa", "versicolor", "virginica"]).all()


def test_fit_on_a_path_with_out_writes_what_the_cli_writes(datasets, tmp_path):
    out = tmp_path / "m.automl"
    before = child_processes()
    first = automl_cli.fit(datasets / "iris.csv", target="species", **QUICK)
    assert child_processes() <= before
    second = automl_cli.fit(str(datasets / "iris.csv"), target="species", out=str(out), **QUICK)

    assert child_processes() <= before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.automl", "m.automl.trials.jsonl"]
    rows = pd.read_csv(datasets / "iris.csv")
    assert automl_cli.load(out).predict(rows).equals(second.predict(rows))
    assert first.manifest["best_config"] == second.manifest["best_config"]  # same seed, same run


def test_an_unknown_option_is_a_type_error_naming_it(datasets):
    with pytest.raises(TypeError, match="'time_budgett'.*did you mean 'time_budget'"):
        automl_cli.fit(datasets / "iris.csv", target="species", time_budgett=5)
    with pytest.raises(TypeError, match="'trial_log'"):
        automl_cli.fit(datasets / "iris.csv", target="species", trial_log="x.jsonl")


def test_bad_values_raise_the_errors_the_cli_reports(datasets):
    before = child_processes()
    with pytest.raises(DataError, match="target column 'specie' not found.*'species'"):
        automl_cli.fit(datasets / "iris.csv", target="specie", **QUICK)
    frame = pd.read_csv(datasets / "iris.csv")
    with pytest.raises(DataError, match="target column 'kind' not found in dataframe"):
        automl_cli.fit(frame, target="kind", **QUICK)
    with pytest.raises(UsageError, match="--time-budget must be a positive"):
        automl_cli.fit(frame, target="species", time_budget=-1)
    with pytest.raises(UsageError, match="unknown optimizer 'annealing'"):
        automl_cli.fit(frame, target="species", optimizer="annealing")
    assert child_processes() <= before


def test_bad_data_is_refused_before_the_machine_learning_stack_loads(datasets):
    """A fresh interpreter (this one has long loaded scikit-learn): a wrong target is found
    with pandas alone, before scikit-learn loads, and leaves no process behind."""
    code = (
        "import sys, psutil, automl_cli\n"
        "from automl_cli.errors import DataError\n"
        "try:\n"
        "    automl_cli.fit(sys.argv[1], target='specie')\n"
        "except DataError:\n"
        "    print('sklearn' in sys.modules, len(psutil.Process().children()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(datasets / "iris.csv")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.stdout.split() == ["False", "0"], done.stderr


def test_a_dataframe_is_typed_as_its_csv_would_be(tmp_path):
    """Pandas' own column types (categories, nullable integers, text, booleans) give the
    schema the same rows give when read from a CSV file."""
    n = 40
    frame = pd.DataFrame(
        {
            "colour": pd.Categorical(["red", "green", "blue", "red"] * (n // 4)),
            "count": pd.array([1, 2, None, 40] * (n // 4), dtype="Int64"),
            "city": pd.array(["Oslo", "Rome"] * (n // 2), dtype="string"),
            "member": pd.array([True, False, None, True] * (n // 4), dtype="boolean"),
            "day": pd.date_range("2024-01-01", periods=n, freq="D"),
            "y": [0.5 * i for i in range(n)],
        },
        index=range(100, 100 + n),
    )
    frame.to_csv(tmp_path / "rows.csv", index=False)

    from_frame = load_training_data(frame, "y")
    from_file = load_training_data(tmp_path / "rows.csv", "y")

    assert from_frame.schema.to_dict()["columns"] == from_file.schema.to_dict()["columns"]
    pd.testing.assert_frame_equal(from_frame.X, from_file.X)
    assert from_frame.task == from_file.task == "regression"


def test_a_frame_with_repeated_names_is_refused():
    frame = pd.DataFrame([[1, 2, 3], [4, 5, 6]], columns=["a", "a", "y"])
    with pytest.raises(DataError, match="duplicate column names 'a'"):
        load_training_data(frame, "y")


def test_ctrl_c_during_the_search_still_hands_back_a_model(datasets):
    """SIGINT once trials run: the search stops, the best trial is refitted, and the Model
    comes with the Interrupted exception, as no file was asked for."""
    frame = pd.read_csv(datasets / "breast_cancer.csv")
    before = child_processes()

    def a_worker_runs() -> bool:  # a child of the forkserver, not of this process
        me = os.getpid()
        return any(p.ppid() != me for p in psutil.Process().children(recursive=True))

    def interrupt_once_trials_run() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if a_worker_runs():  # 10 s of trials (each fits 15 folds: small data) end one
                time.sleep(10)
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.2)

    threading.Thread(target=interrupt_once_trials_run, daemon=True).start()
    with pytest.raises(Interrupted) as stopped:
        automl_cli.fit(frame, target="diagnosis", time_budget=120, n_jobs=1, ensemble_size=0)

    assert stopped.value.out is None
    model = stopped.value.model
    assert model.manifest["stopped_by"] is not None
    assert model.predict(frame.head(20)).isin(set(frame["diagnosis"])).all()
    assert child_processes() <= before
