"""One search on one typed dataset, wired once for `automl fit` and the knowledge base's builder.

`Search` holds what a search needs while it runs: the evaluator, the warm-started optimizer,
the executor and the trial log. `automl fit` runs it and then refits the best config with the
same executor (api.py); `automl meta add` runs it and stores the trials (meta/build.py), and
scores chosen configs through it with an optimizer of its own.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from automl_cli.data import Dataset
from automl_cli.errors import AutoMLError, Interrupted, UsageError
from automl_cli.evaluate import Evaluator, TrialResult
from automl_cli.execute import ClusterError, Executor, create_executor
from automl_cli.metrics import Metric
from automl_cli.optimize import Job, Optimizer
from automl_cli.scale import may_start
from automl_cli.search.budget import Finish, auto_min_budget, default_trial_limit, search_deadline
from automl_cli.search.log import TrialLog
from automl_cli.search.loop import SearchState, rank_trials, run_search
from automl_cli.search.options import SearchOptions
from automl_cli.search.resume import check_same_setup, read_earlier_run, replay, run_setup
from automl_cli.search.warm import warm_started_optimizer
from automl_cli.space import space_for
from automl_cli.space.definition import UNWEIGHTED


@dataclass
class SearchOutcome:
    """The trials of a finished search, and whether it was cut short."""

    state: SearchState
    stopped_by_signal: int | None = None  # Ctrl-C or SIGTERM cut the search short
    lost: ClusterError | None = None  # the cluster went away mid-search
    failed_log: Path | None = None

    @property
    def interrupted(self) -> bool:
        return self.stopped_by_signal is not None

    @property
    def trials(self) -> list[TrialResult]:
        return self.state.trials

    def ranked(self) -> list[TrialResult]:
        """The successful trials, best first; when there are none, the error that says why."""
        ranked = rank_trials(self.state.trials)
        if ranked:
            return ranked
        if self.interrupted:
            raise Interrupted(None, self.stopped_by_signal)
        if self.lost is not None:
            raise self.lost
        raise AutoMLError(
            no_success_message(self.state.trials, self.state.time_budget, self.failed_log)
        )


class Search:
    """A search in progress: enter it to start the executor and the trial log, then `run` it.

    Without `optimizer`, the options' strategy is used, warm-started from the knowledge base
    (or, without `options.warm_start`, from the space's default configs). With `resume`, it
    continues the run in `trial_log` (`search/resume.py`).
    """

    def __init__(
        self,
        dataset: Dataset,
        metric: Metric,
        options: SearchOptions,
        *,
        started: float | None = None,
        trial_log: Path | None = None,
        optimizer: Optimizer | None = None,
        on_notice: Callable[[str], None] = lambda message: None,
        resume: bool = False,
    ) -> None:
        self.options = options
        self.started = time.monotonic() if started is None else started
        self.hard_end = self.started + options.time_budget
        self.finish = Finish(self.hard_end)
        self.refit_end = self.finish.refit_end()  # a refit ends by then (budget.py)
        self.evaluator = Evaluator(
            dataset,
            metric,
            seed=options.seed,
            n_threads=1,
            keep_predictions=options.ensemble_size > 0,
        )
        self.min_budget = options.min_budget
        if self.min_budget is None:
            self.min_budget = auto_min_budget(self.evaluator.n_train, options.eta)
        self._describe_warm_start: Callable[[], dict[str, Any]] = lambda: {"enabled": False}
        if dataset.weights is not None:
            left_out = ", ".join(UNWEIGHTED)
            on_notice(
                f"{left_out} left out of the search: it cannot take sample weights (--weight)"
            )
        if optimizer is None:
            optimizer, self._describe_warm_start = warm_started_optimizer(
                dataset, space_for(dataset), self.min_budget, options, on_notice
            )
        self.optimizer = optimizer
        self.state = SearchState(started=self.started, time_budget=options.time_budget)
        self._trial_log = trial_log
        self._setup: Future[dict[str, Any]] | None = None
        if trial_log is not None:  # the fingerprint takes ~1 s on 1M rows: not on the way
            pool = ThreadPoolExecutor(1, thread_name_prefix="run-setup")
            self._setup = pool.submit(run_setup, dataset, metric, options, self.min_budget)
            pool.shutdown(wait=False)
        self._earlier, self._pending = None, []
        if resume:
            if trial_log is None:
                raise UsageError("--resume needs the trial log of the run to continue")
            self._earlier = read_earlier_run(trial_log)
            check_same_setup(self._earlier, self._setup.result())
            self._pending = replay(optimizer, self._earlier)
            self.state.trials = list(self._earlier.trials)
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Search:
        options = self.options
        trial_limit = options.trial_time_limit
        if trial_limit is None:
            trial_limit = default_trial_limit(options.time_budget)
        self.log = self._stack.enter_context(
            TrialLog(self._trial_log, self._setup and self._setup.result)
        )
        if self._earlier is not None:
            self.log.carry(self._earlier.trials, self._earlier.lines, self._earlier.log)
        self.executor: Executor = self._stack.enter_context(
            create_executor(
                self.evaluator,
                options.n_jobs,
                cluster=options.cluster,
                trial_time_limit=trial_limit,
                memory_limit_mb=options.trial_memory_limit,
            )
        )
        return self

    def __exit__(self, *exc_info: object) -> bool | None:
        return self._stack.__exit__(*exc_info)

    def deadline(self, *, keep_for_refit: bool) -> Callable[[list[TrialResult]], float]:
        """When the search stops: at the time budget, or early enough to refit the best."""
        return search_deadline(
            self.evaluator,
            self.hard_end,
            self.options.time_budget,
            keep_for_refit=keep_for_refit,
            ensemble=self.options.ensemble_size > 0,
        )

    def run(
        self,
        search_end: Callable[[list[TrialResult]], float],
        on_event: Callable[[SearchState], None] = lambda state: None,
    ) -> SearchOutcome:
        """Run trials until `search_end(trials)` (a monotonic time) or the options' limits.

        Ctrl-C, SIGTERM and a lost cluster end the search quietly; the outcome says so.
        """
        outcome = SearchOutcome(self.state, failed_log=self.log.failed_path)
        try:
            run_search(
                self.optimizer,
                self.executor,
                n_workers=self.executor.n_workers,
                search_end=search_end,
                max_trials=self.options.max_trials,
                log=self.log,
                state=self.state,
                on_event=on_event,
                may_start=self._may_start,
                pending=self._pending,
            )
        except KeyboardInterrupt as stop:  # interrupts.Stopped knows its signal
            outcome.stopped_by_signal = getattr(stop, "signum", signal.SIGINT)
        except ClusterError as error:
            outcome.lost, self.state.stopped_by = error, "cluster lost"
        return outcome

    def _may_start(self, job: Job, running: list[Job]) -> bool:
        """The large-table rule of one large trial at a time (`scale.may_start`)."""
        budgets = [other.budget for other in running]
        return may_start(job.budget, budgets, *self.evaluator.X.shape)

    def warm_start(self) -> dict[str, Any]:
        """How the search was warm-started, for the model's manifest."""
        return self._describe_warm_start()


def search(
    dataset: Dataset,
    metric: Metric,
    options: SearchOptions,
    *,
    started: float | None = None,
    trial_log: Path | None = None,
) -> SearchOutcome:
    """Search until the time budget, without a refit; raise if no trial succeeded or Ctrl-C."""
    with Search(dataset, metric, options, started=started, trial_log=trial_log) as running:
        outcome = running.run(running.deadline(keep_for_refit=False))
        outcome.ranked()
        running.log.keep()
    if outcome.interrupted:
        raise Interrupted(None, outcome.stopped_by_signal)
    if outcome.lost is not None:
        raise outcome.lost
    return outcome


def no_success_message(trials: list[TrialResult], time_budget: float, log: Path | None) -> str:
    if not trials:
        return f"no trial finished within the time budget of {time_budget:g} s; raise --time-budget"
    causes = Counter(((t.error or t.status).split(" (at ")[0], t.status) for t in trials)
    (reason, status), _ = causes.most_common(1)[0]
    fix = "check the data, or raise --time-budget if they ran out of time"
    if "(time limit)" in reason:
        fix = "raise --trial-time-limit (its default grows with --time-budget)"
    elif status == "memory":
        fix = "raise --trial-memory-limit"
    where = f"; their log: {log}" if log is not None else ""
    return f"all {len(trials)} trials failed (most often: {reason}); {fix}{where}"
