"""Peak memory of a command's whole process tree, as benchmark harnesses measure it.

Runs the command as a subprocess and samples it and every process below it (the CLI, the
forkserver, the trial workers) every SAMPLE_SECONDS: the sum of resident memory (RSS, what
most harnesses report) and of proportional memory (PSS, from /proc/<pid>/smaps_rollup, where
a page shared by n processes counts 1/n in each). At the sample where the RSS sum is highest
it keeps each process's own RSS and PSS, so that the peak can be taken apart. While the
search runs (two workers or more alive) it also keeps the median of each role's RSS: the
tree's size at a typical moment, what the trials' own memory comes on top of.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

SAMPLE_SECONDS = 0.2


@dataclass
class TreePeak:
    """Exit code, wall seconds, the peaks of the summed RSS and PSS (MB), and the processes
    at the RSS peak: (role, RSS MB, PSS MB), the largest first, and when it came; the
    median RSS (MB) of each role while two workers or more were alive (workers: over both)."""

    exit_code: int
    wall_seconds: float
    peak_rss_mb: float
    peak_pss_mb: float
    at_peak: list[tuple[str, float, float]] = field(default_factory=list)
    peak_seconds: float = 0.0  # when the RSS peak came, from the start
    search_medians: dict[str, float] = field(default_factory=dict)


def pss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _role(member: psutil.Process, root: psutil.Process) -> str:
    """cli, forkserver, worker (forked from the forkserver, so its command line is the
    forkserver's), resource tracker, or other."""
    if member.pid == root.pid:
        return "cli"
    try:
        words = " ".join(member.cmdline())
        from_root = member.ppid() == root.pid
    except psutil.Error:
        return "other"
    if "resource_tracker" in words:
        return "resource tracker"
    if "forkserver" in words:
        return "forkserver" if from_root else "worker"
    return "other"


def measure(command: list[str], environment: dict, folder: Path) -> TreePeak:
    """Run `command` in `folder` (so that the code imported is the one on PYTHONPATH, not the
    folder's) and sample its process tree until it ends."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=environment, cwd=folder, stdout=subprocess.DEVNULL)
    peak = TreePeak(0, 0.0, 0.0, 0.0)
    done = threading.Event()
    during_search: dict[str, list[float]] = {}

    def sample() -> None:
        root = psutil.Process(process.pid)
        while not done.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:
                tree = []
            members = []
            for member in tree:
                try:
                    rss = member.memory_info().rss / 2**20
                except psutil.Error:
                    continue
                members.append((_role(member, root), round(rss), round(pss_mb(member.pid))))
            rss_sum = sum(m[1] for m in members)
            if rss_sum > peak.peak_rss_mb:
                peak.peak_rss_mb = rss_sum
                peak.at_peak = sorted(members, key=lambda m: -m[1])
                peak.peak_seconds = round(time.monotonic() - started, 1)
            peak.peak_pss_mb = max(peak.peak_pss_mb, sum(m[2] for m in members))
            if sum(m[0] == "worker" for m in members) >= 2:
                for role, rss, _ in members:
                    during_search.setdefault(role, []).append(rss)
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    peak.exit_code = process.wait()
    peak.wall_seconds = time.monotonic() - started
    done.set()
    sampler.join()
    peak.search_medians = {
        role: round(statistics.median(values)) for role, values in during_search.items()
    }
    return peak


def report(run: dict, out: Path | None) -> None:
    """Print one run as a JSON line, and append it to `out` when given."""
    line = json.dumps(run)
    print(line, flush=True)
    if out is not None:
        with out.open("a") as stream:
            stream.write(line + "\n")
