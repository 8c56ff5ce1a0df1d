"""Per-trial memory limits: what a trial adds, capped hard where the platform allows it.

A worker's own footprint (Python, the libraries, its view of the training data) is no part of
a trial, so `--trial-memory-limit` counts only what the worker adds from the moment its trial
starts. Two mechanisms enforce it:

- A hard cap (Linux): for the length of a trial the worker lowers its own RLIMIT_DATA to its
  data segment at the start plus the limit. An allocation past it fails at once (MemoryError
  in Python, a failed allocation in native code), so the trial cannot overshoot, and the
  trial is reported as stopped by its memory limit. RLIMIT_DATA rather than RLIMIT_AS: the
  address space also counts reservations that are never touched (glibc reserves 64 MB per
  malloc arena, and boosters start threads with their own arenas and stacks), so an address
  space cap fails threaded native code long before it uses the memory. A cgroup would need a
  delegated cgroup tree, which containers and ordinary users rarely have.
  (benchmarks/results/memory_cap.md has the measurements behind this choice.)
- Polling, everywhere (the fallback where no cap is possible, and for any child process a
  trial starts): the parent reads the worker's private resident memory every POLL_SECONDS and
  stops the worker when it exceeds its footprint at the trial's start by more than the limit.
  Private means resident pages that are not file-backed or shared, so the mapped training
  data (`shared.py`) is never counted against a trial.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

import psutil

from automl_cli.evaluate import TrialResult

# how running out of memory reads in an error; under the cap a thread's stack can fail too
_OUT_OF_MEMORY = ("MemoryError", "bad_alloc", "Cannot allocate memory", "out of memory")
_OUT_OF_MEMORY += ("can't start new thread",)


def private_mb(pid: int) -> float:
    """Private resident memory of a process and its children, in MB (0 if it is gone)."""
    try:
        process = psutil.Process(pid)
        members = [process, *process.children(recursive=True)]
        used = sum(_private_bytes(member) for member in members)
    except psutil.Error:
        return 0.0
    return used / 2**20


def _private_bytes(process: psutil.Process) -> int:
    info = process.memory_info()
    return max(0, info.rss - getattr(info, "shared", 0))


def _data_segment_bytes() -> int | None:
    """This process's data segment (VmData: heap and private writable mappings), in bytes;
    None where /proc does not say (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


@contextlib.contextmanager
def hard_cap(limit_mb: float | None) -> Iterator[None]:
    """Allocations of more than `limit_mb` beyond what this process holds now fail inside.

    RLIMIT_DATA covers every private allocation from Linux 4.7 on (older kernels: only the
    heap, and the polling covers the rest). A lower limit set by the user is kept.
    """
    start = _data_segment_bytes() if limit_mb is not None else None
    if start is None:
        yield
        return
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    cap = int(start + limit_mb * 2**20)
    for bound in (soft, hard):
        if bound != resource.RLIM_INFINITY:
            cap = min(cap, bound)
    resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


def limit_message(used_mb: float, footprint_mb: float, limit_mb: float) -> str:
    """Why the polling stopped a trial, with the worker's own footprint beside the limit."""
    return (
        f"stopped at {used_mb:.0f} MB above the worker's own {footprint_mb:.0f} MB "
        f"(memory limit {limit_mb:.0f} MB per trial)"
    )


def cap_message(footprint_mb: float, limit_mb: float) -> str:
    """Why the hard cap stopped a trial or a refit."""
    return (
        f"needed more than the memory limit of {limit_mb:.0f} MB per trial above the "
        f"worker's own {footprint_mb:.0f} MB"
    )


def capped_trial(evaluator: Any, payload: tuple, limit_mb: float | None) -> TrialResult:
    """The evaluator's trial under the hard cap; running out of memory is a "memory" result."""
    footprint = private_mb(os.getpid())
    job_id, config, budget = payload
    started = time.perf_counter()
    try:
        with hard_cap(limit_mb):
            result = evaluator.evaluate(job_id, config, budget)
    except MemoryError:  # an evaluator that lets it through
        result = TrialResult(
            job_id, config, budget, math.inf, math.nan, "failed",
            seconds=time.perf_counter() - started, error="MemoryError",
        )  # fmt: skip
    if limit_mb is None or result.ok:
        return result
    if not any(sign in (result.error or "") for sign in _OUT_OF_MEMORY):
        return result
    return dataclasses.replace(result, status="memory", error=cap_message(footprint, limit_mb))


def capped_refit(
    evaluator: Any, config: dict, n_threads: int, rows: float, limit_mb: float | None
) -> Any:
    """The evaluator's refit under the hard cap; MemoryError says which limit it met."""
    footprint = private_mb(os.getpid())
    try:
        with hard_cap(limit_mb):
            return evaluator.fit_final(config, n_threads, rows)
    except (MemoryError, RuntimeError, OSError) as error:
        said = f"{type(error).__name__}: {error}"
        if limit_mb is None or not any(sign in said for sign in _OUT_OF_MEMORY):
            raise
        raise MemoryError(cap_message(footprint, limit_mb)) from None
