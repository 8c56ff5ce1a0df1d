"""The Dask executor on a real scheduler with two real workers, driven with scripted trials."""

from __future__ import annotations

import math
import os
import signal
import time

import pytest

from automl_cli.execute import RefitError, create_executor
from automl_cli.optimize import Job
from tests.execute.scripted import ScriptedEvaluator, config, running_here
from tests.execute.test_local import MEMORY_LIMIT_MB, run_all, wait_for_results


@pytest.fixture(scope="module")
def watcher(shared_cluster):
    """A second client of the cluster, to see and kill the workers from outside."""
    client = shared_cluster.client()
    yield client
    client.close()


@pytest.fixture
def executor(shared_cluster):
    with create_executor(
        ScriptedEvaluator(),
        None,
        cluster=shared_cluster.address,
        trial_time_limit=60.0,
        memory_limit_mb=MEMORY_LIMIT_MB,
    ) as executor:
        yield executor


def worker_pids(client) -> dict[str, int]:
    return client.run(os.getpid)


def processing_on(client, job_id: int) -> str | None:
    """The worker whose queue holds the trial of `job_id`, if any."""
    for worker, keys in client.processing().items():
        if any(key.startswith("automl-trial-") and key.endswith(f"-{job_id}") for key in keys):
            return worker
    return None


def test_limits_hold_on_the_cluster_and_its_workers_survive(executor, watcher):
    assert executor.n_workers == 2 and executor.free == 2
    before = worker_pids(watcher)
    executor.submit(Job(0, config("sleep", seconds=60), 1.0), time_limit=1.5)
    executor.submit(Job(1, config("allocate", mb=3000), 1.0))
    assert executor.free == 0
    results = wait_for_results(executor, 2)
    assert results[0].status == "timeout" and 1.5 <= results[0].seconds < 60
    assert results[1].status == "memory" and "memory limit" in results[1].error
    results = run_all(executor, [Job(2, config("abort"), 1.0), Job(3, config("threads"), 1.0)])
    assert results[2].status == "crashed" and "SIGABRT" in results[2].error
    assert math.isinf(results[2].loss)
    assert results[3].ok and results[3].score == 1  # one thread per trial
    pids = run_all(executor, [Job(4, config("pid"), 1.0), Job(5, config("pid"), 1.0)])
    assert not {int(r.score) for r in pids.values()} & set(before.values())  # child processes
    assert worker_pids(watcher) == before  # no Dask worker died or restarted


def test_n_workers_caps_the_slots_and_refit_runs_on_a_worker(shared_cluster, watcher):
    with create_executor(ScriptedEvaluator(), 1, cluster=shared_cluster.address) as capped:
        assert capped.n_workers == 1 and capped.free == 1
        capped.submit(Job(0, config("ok"), 1.0))
        assert capped.free == 0
        assert wait_for_results(capped, 1)[0].ok
        assert capped.free == 1
        model = capped.refit(config("pid"), time_limit=30.0, n_threads=2)
        assert model["threads"] == 1  # the worker's own thread count
        assert model["pid"] != os.getpid()
        assert model["pid"] not in worker_pids(watcher).values()
        with pytest.raises(RefitError, match="time limit"):
            capped.refit(config("sleep", seconds=60), time_limit=1.0)


def test_cancelled_trials_free_their_workers_at_once(executor, watcher):
    executor.submit(Job(10, config("sleep", seconds=60), 1.0))
    executor.submit(Job(11, config("sleep", seconds=60), 1.0))
    wait_until(lambda: sorted(sum(trials_running(watcher).values(), [])) == [10, 11])
    assert {job.id for job in executor.cancel_running()} == {10, 11}
    assert executor.running == [] and executor.free == 2
    # the sleeping trials' processes are stopped long before their 60 s are up
    wait_until(lambda: not any(trials_running(watcher).values()))
    results = run_all(executor, [Job(12, config("ok"), 1.0), Job(13, config("ok"), 1.0)])
    assert all(r.ok for r in results.values())


def trials_running(watcher) -> dict[str, list[int]]:
    """Each worker's running trials."""
    return watcher.run(running_here)


def wait_until(condition, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "the cluster never got there"
        time.sleep(0.1)


def kill_worker_under(watcher, job_id: int) -> str:
    """SIGKILL the Dask worker process running `job_id` (its nanny starts a new one)."""
    wait_until(lambda: any(job_id in jobs for jobs in trials_running(watcher).values()))
    [worker] = [w for w, jobs in trials_running(watcher).items() if job_id in jobs]
    os.kill(worker_pids(watcher)[worker], signal.SIGKILL)
    return worker


def test_trial_is_retried_once_when_its_worker_dies_then_failed(executor, watcher):
    executor.submit(Job(20, config("sleep", seconds=4), 1.0))
    first = kill_worker_under(watcher, 20)
    assert wait_for_results(executor, 1)[20].ok  # finished on the other worker
    assert processing_on(watcher, 20) is None and first not in worker_pids(watcher)

    executor.submit(Job(21, config("sleep", seconds=30), 1.0))
    second = kill_worker_under(watcher, 21)
    wait_until(lambda: processing_on(watcher, 21) not in (None, second))
    third = processing_on(watcher, 21)
    assert kill_worker_under(watcher, 21) == third
    result = wait_for_results(executor, 1)[21]
    assert result.status == "crashed" and "worker died" in result.error
