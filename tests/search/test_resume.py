"""`automl fit --resume` through the real CLI: a run stopped (by --max-trials, SIGTERM, SIGKILL)
and resumed gives the trials of one uninterrupted run, and a log of other data or other
options is refused."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from automl_cli import bundle
from automl_cli.ensemble.store import PredictionFile
from tests.conftest import DATASETS, REPO, run_cli
from tests.execute.conftest import kill_group
from tests.execute.test_fit_kills import STOP_AT

# n_jobs 1 and --max-trials: the same seed gives the same trials whatever the timing
FIT = ("--target", "diagnosis", "--quiet", "--n-jobs", "1", "--time-budget", "120")
TRIALS = 5


def trials(model: Path) -> list[tuple]:
    """(job id, config, budget) of every trial in the model's log, in the order told."""
    log = model.with_name(model.name + ".trials.jsonl")
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    return [(t["job_id"], t["config"], t["budget"]) for t in lines]


def logged(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("data")
    shutil.copy(DATASETS / "breast_cancer.csv", folder / "data.csv")
    return folder / "data.csv"


@pytest.fixture(scope="module")
def uninterrupted(data) -> list[tuple]:
    """The trials of one run of TRIALS trials."""
    model = data.parent / "whole.automl"
    done = run_cli("fit", data, *FIT, "--max-trials", TRIALS, "--out", model)
    assert done.returncode == 0, done.stderr
    found = trials(model)
    assert len(found) == TRIALS
    assert len({budget for _, _, budget in found}) > 1  # the replay covers several budgets
    return found


def test_a_run_resumed_after_max_trials_gives_the_uninterrupted_trials(
    data, uninterrupted, tmp_path
):
    model = tmp_path / "m.automl"
    done = run_cli("fit", data, *FIT, "--max-trials", 3, "--out", model)
    assert done.returncode == 0, done.stderr
    first = bundle.read_manifest(model)
    first_predictions = PredictionFile(tmp_path / "m.automl.trials.predictions.npy").read()

    done = run_cli("fit", data, *FIT, "--max-trials", TRIALS - 3, "--out", model, "--resume")
    assert done.returncode == 0, done.stderr
    assert trials(model) == uninterrupted
    manifest = bundle.read_manifest(model)
    assert manifest["trial_count"] == TRIALS and manifest["run_id"] != first["run_id"]
    assert {line["run_id"] for line in logged(tmp_path / "m.automl.trials.jsonl")} == {
        manifest["run_id"]
    }
    # the earlier trials' validation predictions move with them, for the ensemble
    predictions = PredictionFile(tmp_path / "m.automl.trials.predictions.npy").read()
    assert first_predictions and set(first_predictions) <= set(predictions)
    for job_id, values in first_predictions.items():
        np.testing.assert_array_equal(predictions[job_id], values)


def test_a_run_stopped_by_sigterm_resumes(data, uninterrupted, tmp_path):
    """SIGTERM as the first trial is logged: the fit writes a model of 1 trial, then resumes."""
    model = tmp_path / "m.automl"
    command = [sys.executable, "-c", STOP_AT, "open", "m.automl.trials.running.jsonl"]
    command += [str(int(signal.SIGTERM)), "fit", str(data), *FIT, "--max-trials", str(TRIALS)]
    done = subprocess.run(
        [*command, "--out", str(model)], cwd=REPO, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 143, done.stderr
    stopped = len(trials(model))
    assert 1 <= stopped < TRIALS

    left = TRIALS - stopped
    done = run_cli("fit", data, *FIT, "--max-trials", left, "--out", model, "--resume")
    assert done.returncode == 0, done.stderr
    assert trials(model) == uninterrupted


def test_a_run_killed_mid_way_resumes(data, uninterrupted, tmp_path):
    """SIGKILL once three trials are logged: nothing is lost but the trial that was running."""
    model = tmp_path / "m.automl"
    running = tmp_path / "m.automl.trials.running.jsonl"
    command = [sys.executable, "-m", "automl_cli", "fit", str(data), *FIT]
    fit = subprocess.Popen(
        [*command, "--max-trials", str(TRIALS), "--out", str(model)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while not (running.exists() and running.read_text().count("\n") >= 3):
            assert fit.poll() is None and time.monotonic() < deadline, fit.communicate()[1]
            time.sleep(0.05)
    finally:
        kill_group(fit)
    assert fit.returncode == -signal.SIGKILL and not model.exists()
    killed = len(running.read_text().splitlines())
    assert 3 <= killed < TRIALS

    done = run_cli("fit", data, *FIT, "--max-trials", TRIALS - killed, "--out", model, "--resume")
    assert done.returncode == 0, done.stderr
    assert trials(model) == uninterrupted
    assert bundle.read_manifest(model)["trial_count"] == TRIALS


@pytest.fixture(scope="module")
def earlier(data) -> Path:
    """A model of two trials on `data`, and its log (the refused fits leave them as they are)."""
    model = data.parent / "m.automl"
    done = run_cli("fit", data, *FIT, "--max-trials", 2, "--ensemble-size", 0, "--out", model)
    assert done.returncode == 0, done.stderr
    return model


def one_error_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_a_log_of_other_data_is_refused(data, earlier, tmp_path):
    other = tmp_path / "other.csv"
    rows = data.read_text().splitlines()
    other.write_text("\n".join(rows[:-1]) + "\n")  # one row fewer
    before = earlier.read_bytes()
    done = run_cli(
        "fit", other, *FIT, "--max-trials", 1, "--ensemble-size", 0, "--out", earlier, "--resume"
    )
    assert "other training data" in one_error_line(done)
    assert earlier.read_bytes() == before


@pytest.mark.parametrize(
    ("option", "named"),
    [
        (("--seed", "1"), "seed"),
        (("--optimizer", "random"), "optimizer"),
        (("--metric", "log_loss"), "metric"),
        (("--ensemble-size", "5"), "ensemble_size"),
    ],
)
def test_a_log_of_other_options_is_refused(data, earlier, option, named):
    before = earlier.read_bytes()
    options = ("--ensemble-size", "0", *option)  # the later --ensemble-size wins
    done = run_cli("fit", data, *FIT, "--max-trials", 1, *options, "--out", earlier, "--resume")
    line = one_error_line(done)
    assert "other options" in line and named in line
    assert earlier.read_bytes() == before


def test_resume_without_a_log_is_refused(data, tmp_path):
    model = tmp_path / "none.automl"
    done = run_cli("fit", data, *FIT, "--max-trials", 1, "--out", model, "--resume")
    assert "no trial log" in one_error_line(done)
    assert sorted(os.listdir(tmp_path)) == []
