"""Files the user names for output, through the real CLI: checked before any work, never an
input, locked while a fit writes them, and written with the mode the umask asks for."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from automl_cli import bundle
from tests.conftest import DATASETS, REPO, run_cli

FAST = ("--quiet", "--max-trials", "1", "--n-jobs", "1")


@pytest.fixture
def data(tmp_path) -> Path:
    path = tmp_path / "data.csv"
    shutil.copy(DATASETS / "iris.csv", path)
    return path


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """A model to predict with (never written to: tests copy it)."""
    out = tmp_path_factory.mktemp("model") / "model.automl"
    done = run_cli("fit", DATASETS / "iris.csv", "--target", "species", "--out", out, *FAST)
    assert done.returncode == 0, done.stderr
    return out


def snapshot(folder: Path) -> dict[str, object]:
    """Every name under `folder` with its content (or link target): to see that nothing changed."""
    seen: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            seen[name] = ("link", os.readlink(path))
        elif path.is_file():
            seen[name] = path.read_bytes()
        else:
            seen[name] = "folder"
    return seen


def assert_refused(done: subprocess.CompletedProcess, *named: str) -> str:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    for word in named:
        assert word in lines[0], lines[0]
    return lines[0]


def bad_fit_outputs(folder: Path, data: Path) -> dict[str, tuple[Path, str, str]]:
    """Bad values of `automl fit --out`, made in `folder`: case -> (data, out, message words)."""
    (folder / "link.csv").symlink_to(data)
    os.link(data, folder / "hard.csv")
    (folder / "results").mkdir()
    (folder / "log").mkdir()
    logged_data = folder / "log" / "m.automl.trials.jsonl"  # data where the trial log would go
    shutil.copy(data, logged_data)
    return {
        "the data": (data, str(data), "is the input file"),
        "a symbolic link to the data": (data, str(folder / "link.csv"), "is the input file"),
        "a hard link to the data": (data, str(folder / "hard.csv"), "is the input file"),
        "a folder": (data, str(folder / "results"), "is a folder"),
        "in a missing folder": (data, str(folder / "missing" / "m.automl"), "does not exist"),
        "in a file": (data, str(data / "m.automl"), "not a folder"),
        "a device": (data, os.devnull, "not a regular file"),
        "its log on the data": (logged_data, str(folder / "log" / "m.automl"), "the trial log"),
    }


def test_fit_checks_its_outputs_before_reading_the_data(tmp_path, data):
    cases = bad_fit_outputs(tmp_path, data)
    before = snapshot(tmp_path)
    for case, (source, out, named) in cases.items():
        # no such target: a check made after reading the data would name it instead
        done = run_cli("fit", source, "--target", "no_such_column", "--out", out, *FAST)
        line = assert_refused(done, named)
        assert "no_such_column" not in line, case
        assert snapshot(tmp_path) == before, case


def test_fit_refuses_to_write_its_model_over_the_knowledge_base(tmp_path, data):
    base = tmp_path / "base.sqlite"
    done = run_cli("fit", data, "--target", "species", "--out", base, "--metabase", base, *FAST)
    assert_refused(done, "--out", str(base))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


def test_predict_never_writes_over_its_model_or_its_data(tmp_path, data, model):
    mine = tmp_path / "m.automl"
    shutil.copy(model, mine)
    (tmp_path / "link.automl").symlink_to(mine)
    (tmp_path / "results").mkdir()
    before = snapshot(tmp_path)
    cases = {
        mine: "is the input file",
        tmp_path / "link.automl": "is the input file",
        data: "is the input file",
        tmp_path / "results": "is a folder",
        tmp_path / "missing" / "p.csv": "does not exist",
    }
    for out, named in cases.items():
        done = run_cli("predict", mine, data, "--out", out)
        assert_refused(done, "--out", named)
        assert snapshot(tmp_path) == before, out


def test_meta_add_never_writes_its_knowledge_base_over_the_data(tmp_path, data):
    before = snapshot(tmp_path)
    done = run_cli("meta", "add", data, "--target", "species", "--metabase", data)
    assert_refused(done, "--metabase", "is the input file")
    assert snapshot(tmp_path) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder")
def test_an_unwritable_folder_is_refused_before_any_work(tmp_path, data):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    done = run_cli("fit", data, "--target", "species", "--out", locked / "m.automl", *FAST)
    assert_refused(done, "not writable")
    assert list(locked.iterdir()) == []


def run_with_umask(umask: int, *args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "automl_cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=240,
        preexec_fn=lambda: os.umask(umask),
    )


@pytest.mark.parametrize("umask", [0o022, 0o027], ids=["022", "027"])
def test_models_predictions_and_logs_respect_the_umask(tmp_path, data, umask):
    out = tmp_path / "m.automl"
    done = run_with_umask(umask, "fit", data, "--target", "species", "--out", out, *FAST)
    assert done.returncode == 0, done.stderr
    predictions = tmp_path / "p.csv"
    done = run_with_umask(umask, "predict", out, data, "--out", predictions)
    assert done.returncode == 0, done.stderr
    for path in (out, out.with_name("m.automl.trials.jsonl"), predictions):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path


def start_fit(data: Path, out: Path, *options: str) -> subprocess.Popen:
    """`automl fit` in a process group of its own."""
    command = [sys.executable, "-m", "automl_cli", "fit", str(data), "--target", "species"]
    return subprocess.Popen(
        [*command, "--out", str(out), "--quiet", *options],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for(condition, fit: subprocess.Popen, what: str, within: float = 120.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if fit.poll() is not None or time.monotonic() > deadline:
            os.killpg(fit.pid, signal.SIGKILL)
            raise AssertionError(f"never saw {what}: {fit.communicate()[1]}")
        time.sleep(0.05)


def holds_lock(fit: subprocess.Popen, lock: Path):
    return lambda: lock.exists() and lock.read_text().strip() == str(fit.pid)


def assert_model_matches_its_log(out: Path) -> dict:
    manifest = bundle.load(out).manifest
    lines = out.with_name(out.name + ".trials.jsonl").read_text().splitlines()
    assert {json.loads(line)["run_id"] for line in lines} == {manifest["run_id"]}
    assert len(lines) == manifest["trial_count"]
    return manifest


def test_a_second_fit_on_the_same_model_is_refused_at_once(tmp_path, data, fits):
    out = tmp_path / "m.automl"
    first = start_fit(data, out, "--max-trials", "3", "--n-jobs", "1")
    fits.append(first)
    lock = tmp_path / "m.automl.lock"
    wait_for(holds_lock(first, lock), first, "the first fit's lock")
    os.killpg(first.pid, signal.SIGSTOP)  # the first fit stays where it is, lock held
    try:
        second = run_cli("fit", data, "--target", "species", "--out", out, *FAST)
    finally:
        os.killpg(first.pid, signal.SIGCONT)
    assert_refused(second, f"pid {first.pid}", str(out), "--out")
    _, stderr = first.communicate(timeout=240)
    assert first.returncode == 0, stderr
    assert assert_model_matches_its_log(out)["trial_count"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "data.csv", "m.automl", "m.automl.trials.jsonl", "m.automl.trials.predictions.npy"
    ]  # fmt: skip


def test_the_lock_of_a_killed_fit_is_taken_over(tmp_path, data, fits):
    out = tmp_path / "m.automl"
    killed = start_fit(data, out, "--time-budget", "120", "--n-jobs", "1")
    fits.append(killed)
    lock = tmp_path / "m.automl.lock"
    wait_for(holds_lock(killed, lock), killed, "the lock")
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(30)
    assert lock.exists()  # left behind, but no process holds it any more
    done = run_cli("fit", data, "--target", "species", "--out", out, *FAST)
    assert done.returncode == 0, done.stderr
    assert not lock.exists()
    assert_model_matches_its_log(out)


def test_trial_processes_never_hold_the_lock(tmp_path, data, fits):
    out = tmp_path / "m.automl"
    fit = start_fit(data, out, "--time-budget", "120", "--n-jobs", "2")
    fits.append(fit)
    running = tmp_path / "m.automl.trials.running.jsonl"
    wait_for(running.exists, fit, "a finished trial")
    lock = str(tmp_path / "m.automl.lock")
    parent = psutil.Process(fit.pid)
    children = parent.children(recursive=True)
    assert len(children) >= 3  # the forkserver and two trial processes, at least
    assert lock in {f.path for f in parent.open_files()}
    for child in children:
        try:
            held = {f.path for f in child.open_files()}
        except psutil.NoSuchProcess:  # a trial process replaced meanwhile
            continue
        assert lock not in held, child.cmdline()
