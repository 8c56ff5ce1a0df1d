"""The search loop of docs/architecture.md: ask while a worker is free, tell as results arrive.

One loop drives every strategy. Optimizers never see processes or clocks; the executor never
sees optimizers. The loop owns the clock: the search stops early enough that the best config
can still be refitted on all rows within the time budget.

When `max_trials` bounds the run, results are told in the order the jobs were asked, and a new
job is asked only while fewer than `n_workers` jobs are untold. The interleaving of asks and
tells then no longer depends on which trial finishes first, so the same seed gives the same
trials whatever the timing. A time-bounded run tells results as they arrive instead, which keeps
every worker busy.

A result is logged as it is told, with the number of jobs asked by then (`asked`), so the log
holds the exact order of asks and tells that `search/resume.py` replays to rebuild the
optimizer. A stop logs the results that arrived but wait for an earlier job, last.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from automl_cli import interrupts
from automl_cli.evaluate import TrialResult
from automl_cli.execute import Executor
from automl_cli.optimize import Job, Optimizer
from automl_cli.search.log import TrialLog


@dataclass
class SearchState:
    """What the progress display shows; updated after every event."""

    started: float
    time_budget: float
    trials: list[TrialResult] = field(default_factory=list)
    running: list[Job] = field(default_factory=list)
    stopped_by: str = ""

    @property
    def failed(self) -> int:
        return sum(not t.ok for t in self.trials)

    @property
    def best(self) -> TrialResult | None:
        ranked = rank_trials(self.trials)
        return ranked[0] if ranked else None


def rank_trials(trials: list[TrialResult]) -> list[TrialResult]:
    """Successful trials, those at the largest budget first, each group by loss."""
    done = [t for t in trials if t.ok]
    return sorted(done, key=lambda t: (-t.budget, t.loss, t.job_id))


def run_search(
    optimizer: Optimizer,
    executor: Executor,
    *,
    n_workers: int,
    search_end: Callable[[list[TrialResult]], float],
    max_trials: int | None = None,
    log: TrialLog | None = None,
    state: SearchState,
    on_event: Callable[[SearchState], None] = lambda state: None,
    may_start: Callable[[Job, list[Job]], bool] = lambda job, running: True,
    pending: list[Job] | None = None,
) -> SearchState:
    """Run trials until `search_end(trials)` (a monotonic time), `max_trials`, or exhaustion.

    A job that `may_start` refuses beside the running ones waits (holding back the jobs after
    it) until one of them ends; a job still waiting at the end is neither run nor told.
    `pending` jobs, already asked (a resumed run's, `search/resume.py`), run before new asks.

    Running trials are cancelled at the end: they are neither told nor logged, since their
    loss is unknown rather than bad. Ctrl-C or SIGTERM stops the search the same way, at the
    loop's next turn (so never halfway through a message to a worker), and is re-raised as
    `interrupts.Stopped` once the executor is quiet, with `state` holding every finished trial.
    """
    ordered = max_trials is not None
    untold: list[Job] = []  # asked, not yet told, in ask order
    arrived: dict[int, TrialResult] = {}
    launched = 0
    held: Job | None = None  # asked, waiting for a running job to end (may_start)
    waiting = list(pending or [])

    def next_job() -> Job | None:
        return waiting.pop(0) if waiting else optimizer.ask()

    def record(result: TrialResult) -> None:
        kept = result if log is None else log.write(result, asked=optimizer.asks)
        state.trials.append(kept)

    signum = None
    try:
        with interrupts.caught() as stop:
            while stop.signum is None:
                now = time.monotonic()
                end = search_end(state.trials)
                if now >= end:
                    state.stopped_by = "time"
                    break
                exhausted = False
                while executor.free and (max_trials is None or launched < max_trials):
                    if ordered and len(untold) >= n_workers:
                        break
                    job, held = (held, None) if held is not None else (next_job(), None)
                    if job is None:
                        exhausted = True
                        break
                    if not may_start(job, executor.running):
                        held = job
                        break
                    executor.submit(job)
                    untold.append(job)
                    launched += 1
                state.running = executor.running
                on_event(state)
                if not untold:
                    state.stopped_by = "exhausted" if exhausted else "trials"
                    break
                if not (ordered and untold[0].id in arrived):
                    for result in executor.collect(timeout=max(0.0, end - time.monotonic())):
                        arrived[result.job_id] = result
                ready = untold[:1] if ordered else list(untold)
                for job in ready:
                    if job.id in arrived:
                        untold.remove(job)
                        result = arrived.pop(job.id)
                        record(result)
                        optimizer.tell(job, result.loss)
        signum = stop.signum
    except KeyboardInterrupt as raised:  # outside the main thread, or outside `caught`
        signum = getattr(raised, "signum", signal.SIGINT)
    finally:
        if signum is not None:
            state.stopped_by = "interrupted"
        for job in untold:  # finished, but an earlier job's result had not come
            if job.id in arrived:
                record(arrived.pop(job.id))
        executor.cancel_running()
        state.running = []
        on_event(state)
    if signum is not None:
        raise interrupts.Stopped(signum)
    return state
