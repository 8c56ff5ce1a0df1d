"""How far past --trial-memory-limit does a trial get, and which hard cap breaks nothing?

1. Overshoot: a trial that allocates (and touches) blocks of BLOCKS_MB (10 MB: growth a
   little at a time; 400 MB: one large array at once) as fast as it can, up to 3 GB, runs
   in a real `ProcessExecutor` with a limit of LIMIT_MB. This process samples the worker's
   private memory every SAMPLE_SECONDS; the trial writes its own footprint at its start to a
   file. Overshoot = the peak it added minus what the limit allows it. Modes:
   - "polling": the parent's polling alone (every POLL_SECONDS); the trial lifts the worker's
     RLIMIT_DATA cap first, as on a platform without one;
   - "rlimit_data": the hard cap of `execute/memory.py`, as shipped;
   - "rlimit_as": the trial swaps the data cap for an address-space cap of the same size.
   With --code OLD_CHECKOUT, the code before the change: its polling counted the worker's
   whole memory, so it allows the trial LIMIT_MB minus the worker's own footprint.
2. Threads under a cap: LightGBM and XGBoost fitted with 4 threads on 20,000 x 20 rows in a
   fresh process capped at its current size plus 100 MB, by RLIMIT_DATA or RLIMIT_AS.

    python benchmarks/memory_cap.py --repeats 3 --out benchmarks/results/memory_cap.md
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

LIMIT_MB = 300.0
BLOCKS_MB = (10, 400)
TARGET_MB = 3000
SAMPLE_SECONDS = 0.005


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


class AllocatingEvaluator:
    """Trials that allocate BLOCK_MB blocks until stopped; the total goes to `progress`."""

    n_threads = 1

    def __init__(self, progress: str, mode: str, block_mb: int) -> None:
        self.progress = progress
        self.mode = mode
        self.block_mb = block_mb

    def evaluate(self, job_id, config, budget):
        import resource

        import psutil

        info = psutil.Process().memory_info()
        footprint = (info.rss - info.shared) / 2**20
        if self.mode != "rlimit_data":  # lift the shipped cap (a no-op on older code)
            hard = resource.getrlimit(resource.RLIMIT_DATA)[1]
            resource.setrlimit(resource.RLIMIT_DATA, (hard, hard))
        if self.mode == "rlimit_as":
            cap = _status_kb("VmSize") * 1024 + int(LIMIT_MB * 2**20)
            resource.setrlimit(resource.RLIMIT_AS, (cap, resource.RLIM_INFINITY))
        Path(self.progress).write_text(json.dumps({"footprint": footprint}))
        blocks = []
        try:
            while len(blocks) * self.block_mb < TARGET_MB:
                blocks.append(np.ones(self.block_mb * 2**20, dtype=np.uint8))
        finally:
            if self.mode == "rlimit_as":
                resource.setrlimit(resource.RLIMIT_AS, (-1, -1))
        time.sleep(30)
        raise RuntimeError("not stopped")

    def fit_final(self, config, n_threads=None):
        raise NotImplementedError


class _Peak:
    """The peak private memory (RSS less shared pages) of one process, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.mb = 0.0
        self._done = threading.Event()
        self._process = psutil.Process(pid)
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        while not self._done.is_set():
            try:
                info = self._process.memory_info()
            except psutil.Error:
                return
            self.mb = max(self.mb, (info.rss - info.shared) / 2**20)
            self._done.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def _counts_the_trial_alone() -> bool:
    """Whether the code under test counts only what a trial adds (the change measured here)."""
    try:
        import automl_cli.execute.memory  # noqa: F401
    except ImportError:
        return False
    return True


def overshoot(mode: str, block_mb: int) -> dict:
    from automl_cli.execute import ProcessExecutor
    from automl_cli.optimize import Job

    with tempfile.TemporaryDirectory() as folder:
        progress = str(Path(folder) / "progress.jsonl")
        evaluator = AllocatingEvaluator(progress, mode, block_mb)
        with ProcessExecutor(evaluator, 1, memory_limit_mb=LIMIT_MB) as executor:
            executor.submit(Job(0, {"algorithm": "linear"}, 1.0))
            peak = _Peak(executor._workers[0].process.pid)
            results = []
            while not results:
                results = executor.collect(1.0)
            peak.stop()
        footprint = json.loads(Path(progress).read_text())["footprint"]
    added = peak.mb - footprint
    allowed = LIMIT_MB if _counts_the_trial_alone() else LIMIT_MB - footprint
    return {
        "mode": mode,
        "block_mb": block_mb,
        "status": results[0].status,
        "footprint_mb": round(footprint),
        "added_mb": round(added),
        "overshoot_mb": round(added - allowed),
        "error": results[0].error,
    }


THREADS = """
import resource, sys
import numpy as np
import lightgbm, xgboost

def kb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024

limit = {"data": (resource.RLIMIT_DATA, "VmData"), "as": (resource.RLIMIT_AS, "VmSize")}
which, field = limit[sys.argv[1]]
resource.setrlimit(which, (kb(field) + 100 * 2**20, resource.RLIM_INFINITY))
rng = np.random.default_rng(0)
X = rng.normal(size=(20_000, 20)).astype(np.float32)
y = (X[:, 0] > 0).astype(int)
outcome = {}
for name, model in (("lightgbm", lightgbm.LGBMClassifier(n_jobs=4, verbose=-1)),
                    ("xgboost", xgboost.XGBClassifier(n_jobs=4))):
    try:
        model.fit(X, y)
        outcome[name] = "ok"
    except Exception as error:
        outcome[name] = f"{type(error).__name__}: {str(error)[:80]}"
print(outcome)
"""


def threads_under_cap(kind: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", THREADS, kind], capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        return f"process died (exit {done.returncode}): {done.stderr.strip()[-120:]}"
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--modes", nargs="+", default=["polling", "rlimit_data", "rlimit_as"])
    parser.add_argument("--label", default="", help="names the code under test in the table")
    parser.add_argument("--threads", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--out", type=Path, help="append the table here")
    args = parser.parse_args()
    lines = [
        f"## {args.label or 'this code'}",
        "",
        f"Limit {LIMIT_MB:.0f} MB, {args.repeats} runs per row; load average at the start "
        f"{os.getloadavg()[0]:.1f} (2 cores, shared).",
        "",
        "| mode | block MB | status | worker's own MB | peak added MB (median) "
        "| overshoot MB (median, max) |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for mode in args.modes:
        for block_mb in BLOCKS_MB:
            runs = [overshoot(mode, block_mb) for _ in range(args.repeats)]
            print(json.dumps(runs), flush=True)
            over = [r["overshoot_mb"] for r in runs]
            lines.append(
                f"| {mode} | {block_mb} | {', '.join(sorted({r['status'] for r in runs}))} | "
                f"{statistics.median(r['footprint_mb'] for r in runs):.0f} | "
                f"{statistics.median(r['added_mb'] for r in runs):.0f} | "
                f"{statistics.median(over):.0f}, {max(over):.0f} |"
            )
    if args.threads:
        lines += ["", "Four-thread fits under a cap of the process's size now + 100 MB:", ""]
        for kind in ("data", "as"):
            outcome = threads_under_cap(kind)
            print(kind, outcome, flush=True)
            lines.append(f"- RLIMIT_{kind.upper()}: {outcome}")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out is not None:
        with args.out.open("a") as stream:
            stream.write("\n" + text)


if __name__ == "__main__":
    main()
