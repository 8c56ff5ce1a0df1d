"""Candidates trained `n_jobs` at a time, in threads (torch frees the GIL while it computes)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from automl_cli.nas import training
from automl_cli.nas.architecture import Candidate
from automl_cli.nas.strategy import Limits, Problem, Trial


class Pool:
    """Submit (candidate, epochs, tag) while `free()`; `finished()` yields (tag, trial) as
    trials end."""

    def __init__(self, problem: Problem, limits: Limits) -> None:
        self.problem, self.limits = problem, limits
        self.executor = ThreadPoolExecutor(max_workers=max(1, limits.n_jobs))
        self.running: dict[Future, object] = {}
        self.incumbent = math.inf

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

    def free(self) -> bool:
        return len(self.running) < max(1, self.limits.n_jobs)

    def submit(self, candidate: Candidate, epochs: int, tag: object = None) -> None:
        """Train `candidate` for `epochs` at most (and no more than the limits allow)."""
        epochs = self.limits.epochs(epochs)
        incumbent = self.incumbent if math.isfinite(self.incumbent) else None
        future = self.executor.submit(
            training.evaluate, candidate, self.problem, epochs, self.limits.deadline, incumbent
        )
        self.running[future] = tag

    def finished(self) -> Iterator[tuple[object, Trial]]:
        done, _ = wait(self.running, return_when=FIRST_COMPLETED)
        for future in done:
            tag = self.running.pop(future)
            trial = future.result()
            self.incumbent = min(self.incumbent, trial.loss)
            yield tag, trial
