"""Freed heap pages go back to the system: in a trial worker after each trial, and in-process."""

from __future__ import annotations

import sys

import psutil
import pytest

from automl_cli.execute import ProcessExecutor, memory
from automl_cli.heap import release_freed_memory
from automl_cli.optimize import Job
from tests.execute.scripted import ScriptedEvaluator, config

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's heap")


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def test_release_hands_back_the_pages_between_kept_blocks():
    blocks = [bytes(2000) for _ in range(150_000)]  # 300 MB in small blocks, from the heap
    kept = blocks[::64]
    del blocks
    held = _rss_mb()
    release_freed_memory()
    assert held - _rss_mb() > 150  # all but one page in 32 was free
    assert len(kept) == 2344


def test_a_worker_is_back_to_its_own_size_after_a_trial():
    with ProcessExecutor(ScriptedEvaluator(), 1) as pool:
        pool.submit(Job(0, config("ok"), 1.0))
        assert pool.collect(60.0)[0].ok
        worker = pool._workers[0]
        own = memory.private_mb(worker.process.pid)
        pool.submit(Job(1, config("fragment", mb=300), 1.0))
        results = []
        while not results:
            results = pool.collect(60.0)
        assert results[0].ok and results[0].score == 150_000
        # the trial's blocks are freed but one in 64, which pins one page in 32 of the heap
        assert memory.private_mb(worker.process.pid) - own < 100
