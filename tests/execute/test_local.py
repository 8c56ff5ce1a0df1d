"""Local worker processes and the in-process executor, driven directly with scripted trials."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from automl_cli.execute import (
    ClusterError,
    InProcessExecutor,
    ProcessExecutor,
    RefitError,
    create_executor,
)
from automl_cli.optimize import Job
from tests.conftest import REPO
from tests.execute.conftest import free_port
from tests.execute.scripted import ScriptedEvaluator, config

TIME_LIMIT = 1.5
MEMORY_LIMIT_MB = 450.0  # a worker holds ~200 MB of libraries before a trial starts


def alive(pid: int) -> bool:
    """Whether a process still runs (a zombie waiting to be reaped does not)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_for_results(executor, n, within=60.0):
    """The next `n` results of `executor`, by job id."""
    results = {}
    deadline = time.monotonic() + within
    while len(results) < n and time.monotonic() < deadline:
        for result in executor.collect(1.0):
            results[result.job_id] = result
    assert len(results) == n, f"only {sorted(results)} of {n} results came back"
    return results


def run_all(executor, jobs, time_limit=math.inf):
    """Submit `jobs` (at most one per free worker) and wait for all their results."""
    for job in jobs:
        executor.submit(job, time_limit)
    return wait_for_results(executor, len(jobs))


@pytest.fixture(scope="module")
def pool():
    with ProcessExecutor(
        ScriptedEvaluator(), 2, trial_time_limit=TIME_LIMIT, memory_limit_mb=MEMORY_LIMIT_MB
    ) as executor:
        yield executor


def test_trial_past_its_time_limit_is_stopped_and_its_worker_replaced(pool):
    pid_before = {w.process.pid for w in pool._workers}
    results = run_all(
        pool,
        [Job(1, config("sleep", seconds=60), 1.0), Job(2, config("sleep", seconds=60), 1.0)],
        time_limit=0.5,
    )  # run_all gives up after 60 s, when the sleeps would have ended on their own
    assert {r.status for r in results.values()} == {"timeout"}
    assert all("time limit" in r.error and 0.5 <= r.seconds < 60 for r in results.values())
    assert not pid_before & {w.process.pid for w in pool._workers}
    assert not any(alive(pid) for pid in pid_before)
    # the executor's own limit applies when the search leaves more time
    again = run_all(pool, [Job(3, config("sleep", seconds=60), 1.0)])
    assert again[3].status == "timeout"
    assert TIME_LIMIT <= again[3].seconds < 60
    assert run_all(pool, [Job(4, config("ok", score=0.75), 1.0)])[4].score == 0.75


def test_trial_past_its_memory_limit_is_stopped(pool):
    pool.trial_time_limit = 60.0
    try:
        results = run_all(pool, [Job(10, config("allocate", mb=3000), 1.0)])
    finally:
        pool.trial_time_limit = TIME_LIMIT
    result = results[10]
    assert result.status == "memory" and not result.ok and math.isinf(result.loss)
    assert f"memory limit of {MEMORY_LIMIT_MB:.0f} MB" in result.error
    footprint = float(result.error.split("worker's own ")[1].split(" MB")[0])
    assert footprint > 0  # the worker's own memory is shown, and not counted
    assert run_all(pool, [Job(11, config("ok"), 1.0)])[11].ok


def test_memory_limit_counts_what_the_trial_adds_not_the_worker():
    """A limit below the worker's own footprint (libraries, data) still lets small trials run;
    one that allocates past it is stopped."""
    with ProcessExecutor(ScriptedEvaluator(), 1, memory_limit_mb=40.0) as executor:
        results = run_all(executor, [Job(0, config("ok", score=0.5), 1.0)])
        assert results[0].ok
        worker = executor._workers[0]
        assert worker.footprint_mb > 40.0  # the worker alone is over the limit
        results = run_all(executor, [Job(1, config("allocate", mb=400, hold=0.0), 1.0)])
        assert results[1].status == "memory"
        assert run_all(executor, [Job(2, config("ok"), 1.0)])[2].ok


def test_workers_read_one_shared_copy_removed_after_the_pool(pool):
    folder = pool._shared.folder
    assert any(folder.iterdir())
    results = run_all(pool, [Job(12, config("mapped"), 1.0), Job(13, config("mapped"), 1.0)])
    assert [r.score for r in results.values()] == [1.0, 1.0]
    with pytest.raises(KeyError), ProcessExecutor(ScriptedEvaluator(), 1) as failing:
        folder = failing._shared.folder
        assert folder.is_dir()
        raise KeyError("a search that fails")
    assert not folder.exists()


def test_a_closed_pool_closes_again_without_touching_anything():
    """`automl fit` closes the pool once the refits are done, and again as the search ends."""
    executor = ProcessExecutor(ScriptedEvaluator(), 1)
    processes = [worker.process for worker in executor._workers]
    executor.close()
    assert not any(alive(process.pid) for process in processes)
    assert not executor._shared.folder.exists()
    executor.close()
    assert executor.free == 0


def test_trial_that_aborts_its_process_is_a_failed_trial(pool):
    results = run_all(pool, [Job(20, config("abort"), 1.0), Job(21, config("ok"), 1.0)])
    assert results[20].status == "crashed"
    assert "SIGABRT" in results[20].error
    assert not results[20].ok and math.isinf(results[20].loss)
    assert results[21].ok
    assert pool.free == 2
    assert run_all(pool, [Job(22, config("ok"), 1.0), Job(23, config("ok"), 1.0)])[22].ok


def test_trials_run_in_separate_processes_with_one_thread_each(pool):
    results = run_all(pool, [Job(30, config("pid"), 1.0), Job(31, config("threads"), 1.0)])
    assert int(results[30].score) not in (os.getpid(), 0)
    assert results[31].score == 1  # BLAS / OpenMP pools capped at n_threads


def test_cancel_running_kills_the_trials_at_once(pool):
    pool.submit(Job(40, config("sleep", seconds=60), 1.0))
    pool.submit(Job(41, config("sleep", seconds=60), 1.0))
    pids = [w.process.pid for w in pool._workers]
    assert pool.free == 0 and {j.id for j in pool.running} == {40, 41}
    assert all(alive(pid) for pid in pids)
    assert {j.id for j in pool.cancel_running()} == {40, 41}
    assert not any(alive(pid) for pid in pids)  # gone when the call returns, not 60 s later
    assert pool.free == 2 and pool.running == []


def test_refit_runs_under_the_limits_and_reports_failures(pool):
    model = pool.refit(config("threads"), time_limit=30.0, n_threads=2)
    assert model["threads"] == 2 and model["score"] <= 2
    with pytest.raises(RefitError, match="time limit"):
        pool.refit(config("sleep", seconds=60), time_limit=0.5)
    with pytest.raises(RefitError, match="SIGABRT"):
        pool.refit(config("abort"), time_limit=10.0)
    with pytest.raises(RefitError, match="memory limit"):
        pool.refit(config("allocate", mb=3000), time_limit=60.0)
    with pytest.raises(RefitError, match="cannot be fitted"):
        pool.refit(config("fail"), time_limit=10.0)
    assert pool.refit(config("ok"), time_limit=10.0)["score"] == 0.5


WATCHED = """
import sys, time
sys.path.insert(0, {repo!r})
from automl_cli.execute import ProcessExecutor
from automl_cli.optimize import Job
from tests.execute.scripted import ScriptedEvaluator, config

if __name__ == "__main__":
    executor = ProcessExecutor(ScriptedEvaluator(), 1)
    executor.submit(Job(0, config("sleep", seconds=120), 1.0))
    print(executor._workers[0].process.pid, flush=True)
    time.sleep(120)
"""


def test_trial_processes_end_when_the_run_is_killed(tmp_path):
    script = tmp_path / "watched.py"
    script.write_text(WATCHED.format(repo=str(REPO)))
    run = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(run.stdout.readline())
        assert alive(worker)
        run.send_signal(signal.SIGKILL)
        run.wait(10)
        deadline = time.monotonic() + 10
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(worker)
    finally:
        run.kill()


def test_in_process_executor_runs_trials_and_refits_here():
    executor = create_executor(ScriptedEvaluator(), 4, in_process=True)
    assert isinstance(executor, InProcessExecutor)
    assert executor.n_workers == 1 and executor.free == 1
    executor.submit(Job(0, config("pid"), 1.0))
    assert executor.free == 0 and [j.id for j in executor.running] == [0]
    [result] = executor.collect(0.0)
    assert result.ok and int(result.score) == os.getpid()
    assert executor.collect(0.0) == [] and executor.free == 1
    assert executor.refit(config("pid"), time_limit=1.0)["pid"] == os.getpid()
    with pytest.raises(RefitError, match="cannot be fitted"):
        executor.refit(config("fail"), time_limit=1.0)
    executor.submit(Job(1, config("ok"), 1.0))
    assert [j.id for j in executor.cancel_running()] == [1]
    assert executor.collect(0.0) == []


def test_no_scheduler_at_the_address_is_a_clear_error():
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(ClusterError, match="cannot reach a Dask scheduler") as caught:
        create_executor(ScriptedEvaluator(), None, cluster=address)
    message = str(caught.value)
    assert address in message and "dask scheduler" in message and "\n" not in message
