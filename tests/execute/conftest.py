"""A real Dask cluster on 127.0.0.1 for the executor tests: a scheduler and two workers.

Every process starts in its own process group and the whole group is killed at teardown, so
no scheduler, worker, nanny or trial process outlives the test that started it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import REPO

START_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(*args: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        ),
    }
    with log.open("w") as stream:
        return subprocess.Popen(
            [sys.executable, "-m", "dask", *args],
            cwd=REPO,
            env=env,
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL a process started by `_start` and everything in its process group."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(10)


@dataclass
class Cluster:
    """A scheduler and its workers (each a `dask worker` with one nanny, one thread)."""

    address: str
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen] = field(default_factory=list)

    def client(self):
        from distributed import Client

        return Client(self.address, timeout=10, set_as_default=False)

    def wait_for_workers(self, n: int) -> None:
        with self.client() as client:
            client.wait_for_workers(n, timeout=START_SECONDS)

    def close(self) -> None:
        for process in [*self.workers, self.scheduler]:
            kill_group(process)


def start_cluster(folder: Path, n_workers: int = 2) -> Cluster:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = _start(
        "scheduler",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-dashboard",
        log=folder / "scheduler.log",
    )
    cluster = Cluster(address, scheduler)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if scheduler.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((folder / "scheduler.log").read_text())
            time.sleep(0.2)
        for k in range(n_workers):
            cluster.workers.append(
                _start(
                    "worker",
                    address,
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                    "--local-directory",
                    str(folder / f"worker{k}"),
                    log=folder / f"worker{k}.log",
                )
            )
        cluster.wait_for_workers(n_workers)
    except BaseException:
        cluster.close()
        raise
    return cluster


@pytest.fixture(scope="module")
def shared_cluster(tmp_path_factory):
    """One cluster for tests that leave it whole (a worker process they kill is restarted)."""
    cluster = start_cluster(tmp_path_factory.mktemp("cluster"))
    yield cluster
    cluster.close()


@pytest.fixture
def own_cluster(tmp_path):
    """A cluster for one test that may take it apart."""
    folder = tmp_path / "cluster"
    folder.mkdir()
    cluster = start_cluster(folder)
    yield cluster
    cluster.close()
