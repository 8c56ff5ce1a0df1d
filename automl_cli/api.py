"""The Python front door: fit, predict and describe models. The CLI is a thin layer on this."""

from __future__ import annotations

import math
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from automl_cli import bundle, forkserver, interrupts, outputs, trial_log
from automl_cli.errors import AutoMLError, Interrupted, UsageError

if TYPE_CHECKING:
    from automl_cli.evaluate import TrialResult

DEFAULT_TIME_BUDGET = 300.0
LEADERBOARD_SIZE = 10
MIN_ROWS_AT_MIN_BUDGET = 100
DEEPEST_MIN_BUDGET = 1 / 27
TRIAL_LIMIT_FRACTION = 0.25  # default per-trial time limit: this share of the time budget
NO_RESULT_GRACE = 0.05  # share of the budget the search may overrun while no trial has succeeded
QUICK_REFIT_SECONDS = 1.0  # a last-resort refit expected to take this long may run late
EARLY_STOPPING_STRATEGIES = ("hyperband", "bohb", "asha")  # see optimize/early_stopping.py


@dataclass
class FitOptions:
    target: str
    task: str = "auto"
    metric: str | None = None
    time_budget: float = DEFAULT_TIME_BUDGET
    max_trials: int | None = None
    optimizer: str = "bohb"
    seed: int = 0
    n_jobs: int | None = None
    min_budget: float | None = None
    eta: int = 3
    trial_time_limit: float | None = None
    trial_memory_limit: float | None = None  # MB
    cluster: str | None = None  # a Dask scheduler address
    out: Path | None = Path("model.automl")  # None: search only, no refit, no model file
    trial_log: Path | None = None
    metabase: Path | None = None  # knowledge base to warm-start from (None: the default one)
    warm_start: bool = True  # False: only the space's default configs are tried first
    early_stopping: bool = False  # learning-curve stop of EARLY_STOPPING_STRATEGIES

    def check(self) -> None:
        """Option values that no search could use, refused before any work."""
        if not math.isfinite(self.time_budget) or self.time_budget <= 0:
            raise UsageError(
                f"--time-budget must be a positive number of seconds, got {self.time_budget:g}"
            )
        if self.max_trials is not None and self.max_trials < 1:
            raise UsageError(f"--max-trials must be at least 1, got {self.max_trials}")
        if self.n_jobs is not None and self.n_jobs < 1:
            raise UsageError(f"--n-jobs must be at least 1, got {self.n_jobs}")
        if self.eta < 2:
            raise UsageError(f"--eta must be at least 2, got {self.eta}")
        if self.min_budget is not None and not 0 < self.min_budget <= 1:
            raise UsageError(f"--min-budget must be in (0, 1], got {self.min_budget:g}")
        if self.trial_time_limit is not None and self.trial_time_limit <= 0:
            raise UsageError(f"--trial-time-limit must be positive, got {self.trial_time_limit:g}")
        if self.trial_memory_limit is not None and self.trial_memory_limit <= 0:
            raise UsageError(
                f"--trial-memory-limit must be a positive number of MB, got "
                f"{self.trial_memory_limit:g}"
            )
        if self.early_stopping and self.optimizer not in EARLY_STOPPING_STRATEGIES:
            raise UsageError(
                f"--early-stopping works with {', '.join(EARLY_STOPPING_STRATEGIES)}"
                f" only, not {self.optimizer}; drop it or pick one of those"
            )


@dataclass
class FitResult:
    out: Path | None
    manifest: dict[str, Any]
    trials: list[TrialResult]
    notices: list[str] = field(default_factory=list)


def auto_min_budget(n_train: int, eta: int) -> float:
    """The smallest eta^-k (down to 1/27) that still trains on MIN_ROWS_AT_MIN_BUDGET rows."""
    budget = 1.0
    while (
        budget / eta >= DEEPEST_MIN_BUDGET - 1e-12
        and n_train * budget / eta >= MIN_ROWS_AT_MIN_BUDGET
    ):
        budget /= eta
    return budget


def fit(
    data: str | Path,
    options: FitOptions,
    *,
    started: float | None = None,
    on_event: Callable[[Any], None] = lambda state: None,
    on_notice: Callable[[str], None] = lambda message: None,
) -> FitResult:
    """Search for the best pipeline for `data` and write it to `options.out`.

    `started` is the monotonic time the whole command began; the time budget counts from it.
    The output paths are checked and the model locked before any work; SIGTERM stops the fit
    as Ctrl-C does (`interrupts`).
    """
    options.check()
    outputs.check_fit_outputs(data, options.out, options.trial_log, options.metabase)
    try:
        with outputs.fit_lock(options.out), interrupts.raised():
            trial_log.settle(options.trial_log, options.out)
            return _fit(data, options, started, on_event, on_notice)
    except KeyboardInterrupt as stop:  # before the search, or a second stop after it
        raise Interrupted(None, getattr(stop, "signum", signal.SIGINT)) from None


def _fit(data, options, started, on_event, on_notice) -> FitResult:
    """`fit` once its outputs are checked and locked."""
    if options.cluster is None:
        forkserver.start_early()
    from automl_cli.data import load_training_data
    from automl_cli.evaluate import Evaluator
    from automl_cli.execute import ClusterError, create_executor
    from automl_cli.metrics import resolve_metric
    from automl_cli.search import SearchState, TrialLog, rank_trials, run_search
    from automl_cli.space import space_for

    started = time.monotonic() if started is None else started
    dataset = load_training_data(data, options.target, options.task)
    metric = resolve_metric(options.metric, dataset.task)
    for notice in dataset.notices:
        on_notice(notice)

    evaluator = Evaluator(dataset, metric, seed=options.seed, n_threads=1)
    space = space_for(dataset)
    min_budget = options.min_budget
    if min_budget is None:
        min_budget = auto_min_budget(evaluator.n_train, options.eta)
    optimizer, warm_start = _warm_started_optimizer(dataset, space, min_budget, options, on_notice)
    time_budget = options.time_budget
    trial_limit = options.trial_time_limit
    if trial_limit is None:
        trial_limit = max(10.0, TRIAL_LIMIT_FRACTION * time_budget)
    hard_end = started + time_budget
    search_end = _search_deadline(evaluator, hard_end, time_budget, refit=options.out is not None)

    state = SearchState(started=started, time_budget=time_budget)
    stop_signal = None  # Ctrl-C or SIGTERM during the search: save the best so far, then say so
    lost: ClusterError | None = None  # the cluster went away: save the best so far, then say so
    with (
        TrialLog(options.trial_log) as log,
        create_executor(
            evaluator,
            options.n_jobs,
            cluster=options.cluster,
            trial_time_limit=trial_limit,
            memory_limit_mb=options.trial_memory_limit,
        ) as executor,
    ):
        try:
            run_search(
                optimizer,
                executor,
                n_workers=executor.n_workers,
                search_end=search_end,
                max_trials=options.max_trials,
                log=log,
                state=state,
                on_event=on_event,
            )
        except KeyboardInterrupt as stop:
            stop_signal = getattr(stop, "signum", signal.SIGINT)
        except ClusterError as error:
            lost, state.stopped_by = error, "cluster lost"
        ranked = rank_trials(state.trials)
        if not ranked:
            if stop_signal:
                raise Interrupted(None, stop_signal)
            if lost is not None:
                raise lost
            raise AutoMLError(_no_success_message(state.trials, time_budget, log.failed_path))
        model, best = None, ranked[0]
        with interrupts.caught(stop_signal) as late:  # a first stop from here still gets a model
            if options.out is not None:
                # the refit may use the whole grace the contract allows: 10 % of the budget + 5 s,
                # less a margin for writing the file and shutting the workers down
                refit_end = hard_end + 0.1 * time_budget + 3.0
                model, best = _refit_best(
                    executor, evaluator, ranked, refit_end, executor.n_workers, on_notice
                )
        with interrupts.caught() as writing:  # the model and its log are written whole
            manifest = _manifest(
                dataset, metric, evaluator, options, best, state, min_budget, warm_start()
            )
            manifest["run_id"] = log.run_id  # so does every line of its trial log
            if options.out is not None:
                bundle.save(options.out, model, manifest)
            log.keep()
        stop_signal = late.signum or writing.signum
    if stop_signal:
        raise Interrupted(options.out, stop_signal)
    if lost is not None:
        raise ClusterError(f"{lost}; the best model so far was written to {options.out}")
    return FitResult(options.out, manifest, state.trials, list(dataset.notices))


def _warm_started_optimizer(dataset, space, min_budget, options, on_notice):
    """The chosen strategy with its first configs from the knowledge base (or the defaults),
    and a function that describes the warm start for the manifest."""
    from automl_cli.meta.warmstart import first_config
    from automl_cli.optimize import create_optimizer
    from automl_cli.space import default_configs

    stopping = {"early_stopping": True} if options.early_stopping else {}
    try:
        optimizer = create_optimizer(
            options.optimizer,
            space,
            min_budget=min_budget,
            max_budget=1.0,
            eta=options.eta,
            seed=options.seed,
            **stopping,
        )
    except ValueError as error:
        raise UsageError(str(error)) from None
    if not options.warm_start:
        optimizer.warm_start(default_configs(space))
        return optimizer, lambda: {"enabled": False}
    planner = _WarmStartPlanner(dataset, space, options, on_notice)
    first = first_config(space)
    if first is None:
        plan = planner.plan()
        optimizer.warm_start(plan.configs, plan.history)
    else:
        optimizer.warm_start([first], then=planner.after_first)
    return optimizer, lambda: planner.plan().to_manifest()


class _WarmStartPlanner:
    """The knowledge base's warm start, planned in a thread while the first trial runs.

    Planning (meta-features, reading the base) takes a few tenths of a second, and every plan
    starts with LightGBM's defaults, which need none of it: so the search starts at once, as
    a cold one does, and the plan is waited for only when the second config is due.
    """

    def __init__(self, dataset, space, options, on_notice) -> None:
        from concurrent.futures import ThreadPoolExecutor

        from automl_cli.meta.warmstart import plan_warm_start

        pool = ThreadPoolExecutor(1, thread_name_prefix="warm-start")
        self._future = pool.submit(
            plan_warm_start, dataset, space, options.metabase, seed=options.seed
        )
        pool.shutdown(wait=False)  # its one thread ends with the plan
        self._on_notice = on_notice
        self._plan = None

    def plan(self):
        """The finished plan (waiting for it if need be); its notice is shown once."""
        if self._plan is None:
            self._plan = self._future.result()
            self._on_notice(self._plan.notice())
        return self._plan

    def after_first(self):
        """The plan's configs after the first one, which is already running, and its history."""
        plan = self.plan()
        return plan.configs[1:], plan.history


def _search_deadline(evaluator, hard_end: float, time_budget: float, refit: bool):
    """When the search must stop, given the trials so far: early enough to refit the best."""
    from automl_cli.search import rank_trials, refit_reserve

    def search_end(trials: list[TrialResult]) -> float:
        ranked = rank_trials(trials)
        if not ranked:  # without any result there is no model: wait into the grace period
            return hard_end + NO_RESULT_GRACE * time_budget
        if not refit:  # search only: no refit to keep time for
            return hard_end
        return hard_end - refit_reserve(evaluator.refit_estimate(ranked[0]), time_budget)

    return search_end


def _refit_best(executor, evaluator, ranked, refit_end, n_threads, on_notice):
    """Refit the best trial that can be refitted in the time left; fall back down the ranks.

    A refit that fails, or that fits its own rows far worse than its trial promised
    (`Evaluator.refit_is_sound`), gives way to the next. The last resort is the best trial
    expected to refit within QUICK_REFIT_SECONDS (else the cheapest to refit), given that long
    even when the clock has run out: a slightly late model beats no model, and so does the
    best refused one. (The cheapest alone was once a 2-NN with 3 times the best trial's log loss.)
    """
    from automl_cli.execute import RefitError
    from automl_cli.search import REFIT_SAFETY

    quick = [t for t in ranked if evaluator.refit_estimate(t) <= QUICK_REFIT_SECONDS]
    last_resort = quick[0] if quick else min(ranked, key=evaluator.refit_estimate)
    candidates = [*ranked[:5], last_resort]
    refused, tried = None, set()
    for position, trial in enumerate(candidates):
        left = refit_end - time.monotonic()
        last = position == len(candidates) - 1
        if trial.job_id in tried or (
            evaluator.refit_estimate(trial) * REFIT_SAFETY > left and not last
        ):
            continue
        tried.add(trial.job_id)
        try:
            model = executor.refit(
                trial.config, max(left, QUICK_REFIT_SECONDS * REFIT_SAFETY), n_threads
            )
        except RefitError as error:
            on_notice(f"refit of trial {trial.job_id} ({trial.algorithm}) failed: {error}")
            continue
        if evaluator.refit_is_sound(model, trial.loss):
            return model, trial
        on_notice(
            f"refit of trial {trial.job_id} ({trial.algorithm}) fits its own rows far worse "
            f"than its validation {evaluator.metric.name} promised"
        )
        refused = refused or (model, trial)
    if refused is not None:
        on_notice(f"no sounder refit was possible; keeping trial {refused[1].job_id}'s")
        return refused
    raise AutoMLError(
        "no model could be refitted on all rows within the time budget; raise --time-budget"
    )


def _no_success_message(trials: list[TrialResult], time_budget: float, log: Path | None) -> str:
    if not trials:
        return f"no trial finished within the time budget of {time_budget:g} s; raise --time-budget"
    reason, _ = Counter((t.error or t.status).split(" (at ")[0] for t in trials).most_common(1)[0]
    fix = "check the data, or raise --time-budget if they ran out of time"
    if "(time limit)" in reason:
        fix = "raise --trial-time-limit (its default grows with --time-budget)"
    where = f"; their log: {log}" if log is not None else ""
    return f"all {len(trials)} trials failed (most often: {reason}); {fix}{where}"


def _manifest(dataset, metric, evaluator, options, best, state, min_budget, warm_start) -> dict:
    from automl_cli.search import rank_trials

    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "task": dataset.task,
        "metric": metric.name,
        "target": dataset.schema.target,
        "schema": dataset.schema.to_dict(),
        "classes": list(dataset.classes),
        "training_rows": len(dataset.y),
        "best_config": best.config,
        "algorithm": best.algorithm,
        "validation_score": best.score,
        "validation_loss": best.loss,
        "validation": evaluator.validation,
        "budget": best.budget,
        "trial_count": len(state.trials),
        "failed_trials": state.failed,
        "stopped_by": state.stopped_by,
        "search": {
            "optimizer": options.optimizer,
            "seed": options.seed,
            "time_budget": options.time_budget,
            "max_trials": options.max_trials,
            "min_budget": min_budget,
            "eta": options.eta,
            "early_stopping": options.early_stopping,
            "seconds": round(time.monotonic() - state.started, 2),
        },
        "leaderboard": [t.to_dict() for t in rank_trials(state.trials)[:LEADERBOARD_SIZE]],
        "notices": list(dataset.notices),
        "warm_start": warm_start,
    }


def predict(model_path: str | Path, data: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """Predictions for every row of `data` (contract 2), and notes about the model file."""
    from automl_cli.data import Schema, read_csv
    from automl_cli.evaluate import predict_scores

    loaded = bundle.load(model_path)
    manifest = loaded.manifest
    schema = Schema.from_dict(manifest["schema"])
    frame = read_csv(data)
    X = schema.features(frame)
    task = manifest["task"]
    if task == "regression":
        return pd.DataFrame(
            {"prediction": predict_scores(loaded.model, X, task, 0)}
        ), loaded.warnings
    classes = manifest["classes"]
    proba = predict_scores(loaded.model, X, task, len(classes))
    proba = proba / proba.sum(axis=1, keepdims=True)
    columns: dict[str, Any] = {"prediction": np.asarray(classes, dtype=object)[proba.argmax(1)]}
    for k, label in enumerate(classes):
        columns[f"proba_{label}"] = proba[:, k]
    return pd.DataFrame(columns), loaded.warnings


def write_predictions(predictions: pd.DataFrame, out: str | Path) -> None:
    from automl_cli.files import atomic_write

    with atomic_write(out, "w") as stream:
        predictions.to_csv(stream, index=False)
