"""Shared fixtures: the shipped datasets and a way to run the real CLI as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parent.parent
DATASETS = REPO / "datasets"


def child_processes() -> set[int]:
    """The pids of this process's descendants. A call that must leave none behind is checked
    against those alive before it: an earlier test of the session may have left
    multiprocessing's forkserver running, which that call did not start."""
    return {p.pid for p in psutil.Process().children(recursive=True)}


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 240
) -> subprocess.CompletedProcess:
    """`automl ARGS` in a fresh interpreter, as a user would run it."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("AUTOML_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "automl_cli", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session")
def datasets() -> Path:
    return DATASETS


@pytest.fixture
def fits():
    """`automl fit` processes a test starts; their process groups are killed when it ends."""
    from tests.execute.conftest import kill_group

    started: list[subprocess.Popen] = []
    yield started
    for fit in started:
        kill_group(fit)
