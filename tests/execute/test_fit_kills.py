"""`automl fit` killed (SIGKILL) or stopped (SIGTERM) at each moment of its life: the model on
disk always loads and matches its trial log, and no process of the fit outlives it.

The moments are hit exactly, not by timing: the fit runs the real CLI in an interpreter whose
audit hook (`sys.addaudithook`, which sees every file opened and renamed) sends the signal to
its own process when the fit reaches the moment.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from automl_cli import bundle
from tests.conftest import DATASETS, REPO, run_cli
from tests.execute.conftest import kill_group

STOP_AT = """
import fnmatch, os, sys

event, pattern, signum = sys.argv[1], sys.argv[2], int(sys.argv[3])
fired = []


def stop_at(name, args):
    if fired or name != event:
        return
    for arg in args:
        if isinstance(arg, (str, bytes, os.PathLike)):
            if fnmatch.fnmatch(os.path.basename(os.fsdecode(arg)), pattern):
                fired.append(arg)
                os.kill(os.getpid(), signum)
                return


sys.addaudithook(stop_at)
from automl_cli.cli import main

main(sys.argv[4:])
"""

MODEL = "model.automl"
LOG = "model.automl.trials.jsonl"
PREDICTIONS = "model.automl.trials.predictions.npy"  # the log's full-budget predictions
# moment -> (audit event, file name it concerns); in the order a fit reaches them
MOMENTS = {
    "reading the data": ("open", "data.csv"),
    "its first trial ended": ("open", "model.automl.trials.running.jsonl"),
    "the refit ends": ("pickle.find_class", "sklearn.*"),  # the refitted model reaches the fit
    "writing the model": ("open", ".model.automl.*.tmp"),
    "renaming the model": ("os.rename", MODEL),
    "renaming its log": ("os.rename", LOG),
}
FIT = ("--target", "species", "--quiet", "--max-trials", "2", "--n-jobs", "1")


@pytest.fixture(scope="module")
def earlier(tmp_path_factory) -> Path:
    """The folder of an earlier fit: its model and its log."""
    folder = tmp_path_factory.mktemp("earlier")
    done = run_cli("fit", DATASETS / "iris.csv", *FIT, "--out", folder / MODEL)
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture
def folder(tmp_path, earlier) -> Path:
    """The data and the earlier model with its log, as a user's folder holds them."""
    shutil.copy(DATASETS / "iris.csv", tmp_path / "data.csv")
    for name in (MODEL, LOG, PREDICTIONS):
        shutil.copy(earlier / name, tmp_path / name)
    return tmp_path


def fit_stopped_at(folder: Path, moment: str, signum: int) -> subprocess.CompletedProcess:
    event, pattern = MOMENTS[moment]
    command = [sys.executable, "-c", STOP_AT, event, pattern, str(int(signum))]
    command += ["fit", str(folder / "data.csv"), *FIT, "--out", str(folder / MODEL)]
    fit = subprocess.Popen(
        command,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = fit.communicate(timeout=240)
        assert_no_process_left(fit.pid)
    finally:
        kill_group(fit)
    return subprocess.CompletedProcess(command, fit.returncode, stdout, stderr)


def assert_no_process_left(group: int, within: float = 30.0) -> None:
    """Every process of the fit's group (forkserver, trial processes) ends with it."""
    deadline = time.monotonic() + within
    while True:
        left = []
        for process in psutil.process_iter():
            try:
                if os.getpgid(process.pid) == group and process.status() != "zombie":
                    left.append(process.cmdline())
            except (ProcessLookupError, psutil.Error):
                continue
        if not left:
            return
        assert time.monotonic() < deadline, left
        time.sleep(0.2)


def run_ids(log: Path) -> set[str]:
    return {json.loads(line)["run_id"] for line in log.read_text().splitlines()}


def assert_model_matches_its_log(folder: Path) -> dict:
    manifest = bundle.load(folder / MODEL).manifest  # whole: it loads
    assert run_ids(folder / LOG) == {manifest["run_id"]}
    assert len((folder / LOG).read_text().splitlines()) == manifest["trial_count"]
    return manifest


def pair(folder: Path) -> tuple[bytes, bytes]:
    return (folder / MODEL).read_bytes(), (folder / LOG).read_bytes()


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_sigkill_leaves_a_model_with_its_own_log(folder, moment):
    before = pair(folder)
    done = fit_stopped_at(folder, moment, signal.SIGKILL)
    assert done.returncode == -signal.SIGKILL, done.stderr
    running = folder / "model.automl.trials.running.jsonl"
    if moment == "renaming its log":  # the one gap: the new model's log is still beside it
        assert run_ids(running) == {bundle.read_manifest(folder / MODEL)["run_id"]}
    else:
        assert pair(folder) == before
        assert_model_matches_its_log(folder)

    # the next fit on the model takes over what the killed one left, even one that fails
    done = run_cli(
        "fit", folder / "data.csv", "--target", "no_such_column", "--out", folder / MODEL
    )
    assert done.returncode == 2, done.stderr
    assert_model_matches_its_log(folder)
    if moment != "renaming its log":
        assert pair(folder) == before
    names = {p.name for p in folder.iterdir()}
    failed = {"model.automl.trials.failed.jsonl", "model.automl.trials.predictions.failed.npy"}
    assert names - failed == {"data.csv", MODEL, LOG, PREDICTIONS}


STOPPED_MOMENTS = [
    "reading the data",
    "its first trial ended",
    "the refit ends",
    "writing the model",
]


@pytest.mark.parametrize("moment", STOPPED_MOMENTS)
def test_sigterm_hands_back_the_best_model_so_far(folder, moment):
    before = pair(folder)
    done = fit_stopped_at(folder, moment, signal.SIGTERM)
    assert done.returncode == 143, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: stopped by SIGTERM"), done.stderr
    if moment == "reading the data":  # before any trial: the earlier model and log stay
        assert "best model" not in lines[0]
        assert pair(folder) == before
    else:
        assert f"best model so far written to {folder / MODEL}" in lines[0]
        assert pair(folder) != before
        assert assert_model_matches_its_log(folder)["trial_count"] >= 1
    assert {p.name for p in folder.iterdir()} == {"data.csv", MODEL, LOG, PREDICTIONS}


def test_sigterm_to_the_whole_process_group_as_timeout_sends_it(folder):
    """`timeout` signals the process group: the trial processes must leave it to the fit."""
    command = [sys.executable, "-m", "automl_cli", "fit", str(folder / "data.csv")]
    command += ["--target", "species", "--quiet", "--time-budget", "300", "--n-jobs", "2"]
    fit = subprocess.Popen(
        [*command, "--out", str(folder / MODEL)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        running = folder / "model.automl.trials.running.jsonl"
        deadline = time.monotonic() + 180
        while not (running.exists() and running.read_text().count("\n") >= 2):
            assert fit.poll() is None and time.monotonic() < deadline, fit.communicate()[1]
            time.sleep(0.1)
        os.killpg(fit.pid, signal.SIGTERM)
        _, stderr = fit.communicate(timeout=120)
        assert fit.returncode == 143, stderr
        assert f"best model so far written to {folder / MODEL}" in stderr
        assert_no_process_left(fit.pid)
    finally:
        kill_group(fit)
    manifest = assert_model_matches_its_log(folder)
    assert manifest["stopped_by"] == "interrupted" and manifest["trial_count"] >= 2
