"""Every case of the bad-input corpus (cases.py) through the real `automl` command.

A bad input gets its exit code, exactly one line on stderr that starts with "error:" and names
the problem, no traceback, and every file in the case's folder (inputs included) stays as it
was, byte for byte and with its modification time: nothing written, nothing changed, nothing
left behind. The shipped knowledge base is watched the same way. The few cases with exit code
0 are inputs that look bad but can be used (numbers with thousands separators, words in a
numeric column): they must print predictions and name the column in a note, not fail.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.bad_input.cases import CASES, Case
from tests.bad_input.inputs import IRIS, pickle_payload, shipped_path

Snapshot = dict[str, tuple[int, int, str]]


def automl(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`automl ARGS` in a fresh interpreter in `cwd`, with the user's knowledge base there too."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "1000"}  # notes stay on one line
    env["AUTOML_METABASE"] = str(cwd / "user.sqlite")
    env.pop("AUTOML_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "automl_cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small model on iris, which the predict and info cases read or derive files from."""
    folder = tmp_path_factory.mktemp("model")
    fitted = automl(
        "fit", str(IRIS), "--target", "species", "--out", "iris.automl", "--quiet",
        "--max-trials", "3", "--time-budget", "20", "--no-warm-start", "--n-jobs", "1",
        cwd=folder,
    )  # fmt: skip
    assert fitted.returncode == 0, fitted.stderr
    return folder / "iris.automl"


def snapshot(folder: Path) -> Snapshot:
    """Every file and folder under `folder`: its mode (kind and permissions), and for a file
    its modification time and content hash."""
    seen = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        if path.is_dir():
            seen[str(path.relative_to(folder))] = (info.st_mode, 0, "")
        else:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            seen[str(path.relative_to(folder))] = (info.st_mode, info.st_mtime_ns, digest)
    return seen


def shipped_base() -> tuple[int, int]:
    info = shipped_path().stat()
    return info.st_mtime_ns, info.st_size


def lay_out(case: Case, folder: Path, model: Path) -> None:
    for name in case.folders:
        (folder / name).mkdir(parents=True)
    for name, content in case.files.items():
        path = folder / name
        if callable(content):
            content = content(model)
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)


def test_the_corpus_is_large_and_its_ids_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(set(ids)) == len(ids)
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case: Case, model: Path, tmp_path: Path) -> None:
    lay_out(case, tmp_path, model)
    before, base_before = snapshot(tmp_path), shipped_base()

    done = automl(*case.args, cwd=tmp_path)

    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert done.returncode == case.code, output
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    if case.code == 0:  # an input that looks bad but can be used: predictions, maybe notes
        assert errors == [] and done.stdout.startswith("prediction,"), output
        assert case.says in done.stderr
    else:
        assert len(errors) == 1, done.stderr
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert lines[-1] == errors[0], done.stderr  # the last word, and nothing else but notes
        assert all(line.startswith(("note:", "error:")) for line in lines), done.stderr
        assert case.says in errors[0]
    assert snapshot(tmp_path) == before
    assert shipped_base() == base_before


def test_the_pickle_payload_would_run(model: Path, tmp_path: Path) -> None:
    """Unpickled, the pickle case's model leaves a file behind: its snapshot check can fail."""
    with zipfile.ZipFile(io.BytesIO(pickle_payload(model))) as archive:
        payload = archive.read("model.skops")
    unpickle = "import pickle, sys; pickle.loads(sys.stdin.buffer.read())"
    subprocess.run([sys.executable, "-c", unpickle], input=payload, cwd=tmp_path, check=True)
    assert (tmp_path / "pickle-payload-ran").exists()
