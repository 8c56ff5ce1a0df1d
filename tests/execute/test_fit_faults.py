"""`automl fit` as a user runs it, hit by faults mid-search: a dead Dask worker, a dead
scheduler, Ctrl-C. Every run must end with a loadable model and a log of every finished trial.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from automl_cli import api, bundle
from tests.conftest import DATASETS, REPO, run_cli
from tests.execute.conftest import kill_group

CSV, TARGET = DATASETS / "iris.csv", "species"


def start_fit(out: Path, *options: str) -> subprocess.Popen:
    """`automl fit` in its own process group, as from a terminal."""
    command = [
        sys.executable,
        "-m",
        "automl_cli",
        "fit",
        str(CSV),
        "--target",
        TARGET,
        "--out",
        str(out),
        "--quiet",
        *options,
    ]
    return subprocess.Popen(
        command,
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def logged(out: Path, running: bool = False) -> list[dict]:
    """The trials in the model's log, or with `running` in the log of the fit still running."""
    log = out.with_name(out.name + (".trials.running.jsonl" if running else ".trials.jsonl"))
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.endswith("}")]


def wait_for_trials(fit: subprocess.Popen, out: Path, ok: int, within: float = 90.0) -> None:
    deadline = time.monotonic() + within
    while sum(t["status"] == "ok" for t in logged(out, running=True)) < ok:
        if fit.poll() is not None or time.monotonic() > deadline:
            fit.kill()
            raise AssertionError(f"no {ok} finished trials: {fit.communicate()[1]}")
        time.sleep(0.2)


def assert_usable_model(out: Path) -> dict:
    """The model loads and predicts every row; the log holds every trial the model counts."""
    manifest = bundle.read_manifest(out)
    trials = logged(out)
    assert len(trials) == manifest["trial_count"]
    assert len({t["job_id"] for t in trials}) == len(trials)
    predictions, _ = api.predict(out, CSV)
    assert len(predictions) == len(pd.read_csv(CSV))
    return manifest


def test_fit_on_a_cluster_survives_a_dead_worker(own_cluster, fits, tmp_path):
    out = tmp_path / "model.automl"
    fit = start_fit(
        out, "--cluster", own_cluster.address, "--max-trials", "6", "--time-budget", "300"
    )
    fits.append(fit)
    wait_for_trials(fit, out, ok=1)
    kill_group(own_cluster.workers[1])  # the worker, its nanny and its trial process
    _, stderr = fit.communicate(timeout=120)
    assert fit.returncode == 0, stderr
    manifest = assert_usable_model(out)
    assert manifest["trial_count"] == 6  # the trial on the dead worker was run elsewhere


def test_lost_scheduler_ends_the_fit_with_the_best_model_written(own_cluster, fits, tmp_path):
    out = tmp_path / "model.automl"
    fit = start_fit(out, "--cluster", own_cluster.address, "--time-budget", "300")
    fits.append(fit)
    wait_for_trials(fit, out, ok=1)
    kill_group(own_cluster.scheduler)
    _, stderr = fit.communicate(timeout=90)
    assert fit.returncode == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    line = lines[0]
    assert own_cluster.address in line and "Dask scheduler" in line
    assert f"best model so far was written to {out}" in line
    manifest = assert_usable_model(out)
    assert manifest["stopped_by"] == "cluster lost"


def test_ctrl_c_stops_the_search_and_writes_the_best_model(fits, tmp_path):
    out = tmp_path / "model.automl"
    fit = start_fit(out, "--n-jobs", "2", "--time-budget", "300")
    fits.append(fit)
    wait_for_trials(fit, out, ok=1)
    os.killpg(fit.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, stderr = fit.communicate(timeout=60)
    assert fit.returncode == 130, stderr
    assert f"best model so far written to {out}" in stderr
    manifest = assert_usable_model(out)
    assert manifest["stopped_by"] == "interrupted"
    info = run_cli("info", out)
    assert info.returncode == 0 and "Leaderboard" in info.stdout, info.stderr
    predictions = tmp_path / "predictions.csv"
    done = run_cli("predict", out, CSV, "--out", predictions)
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(predictions)) == len(pd.read_csv(CSV))
