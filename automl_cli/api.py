"""The Python front door: fit, predict and describe models. The CLI is a thin layer on this."""

from __future__ import annotations

import dataclasses
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from automl_cli import bundle, forkserver, interrupts, outputs
from automl_cli.errors import AutoMLError, Interrupted
from automl_cli.search.options import SearchOptions

if TYPE_CHECKING:
    from automl_cli.evaluate import TrialResult

LEADERBOARD_SIZE = 10
PARTIAL_REFIT_ROWS = (1 / 3, 1 / 9, 1 / 27)  # fractions of the rows a late refit may use


@dataclass(kw_only=True)
class FitOptions(SearchOptions):
    """The options of `automl fit`: the search's, and what to fit on and where to write."""

    target: str
    task: str = "auto"
    metric: str | None = None
    out: Path | None = Path("model.automl")  # None: the model is returned, no file written
    trial_log: Path | None = None
    resume: bool = False  # continue the run in `trial_log` (automl_cli/search/resume.py)
    weight: str | None = None  # column of sample weights (automl_cli/data/roles.py)
    group: str | None = None  # column whose groups validation never splits


@dataclass
class FitResult:
    out: Path | None
    manifest: dict[str, Any]
    trials: list[TrialResult]
    notices: list[str] = field(default_factory=list)
    model: Any = None  # the fitted automl_cli.model.Model


def fit(
    data: str | Path | pd.DataFrame,
    options: FitOptions,
    *,
    started: float | None = None,
    on_event: Callable[[Any], None] = lambda state: None,
    on_notice: Callable[[str], None] = lambda message: None,
) -> FitResult:
    """Search for the best pipeline for `data` and write it to `options.out` (if not None).

    `started` is the monotonic time the whole command began; the time budget counts from it.
    The output paths are checked and the model locked before any work; SIGTERM stops the fit
    as Ctrl-C does (`interrupts`).
    """
    from automl_cli.search.log import settle as settle_log

    options.check()
    outputs.check_fit_outputs(data, options.out, options.trial_log, options.metabase)
    try:
        with outputs.fit_lock(options.out), interrupts.raised():
            settle_log(options.trial_log, options.out)
            return _fit(data, options, started, on_event, on_notice)
    except KeyboardInterrupt as stop:  # before the search, or a second stop after it
        raise Interrupted(None, getattr(stop, "signum", signal.SIGINT)) from None


def _fit(data, options, started, on_event, on_notice) -> FitResult:
    """`fit` once its outputs are checked and locked.

    The data is read first, with pandas alone: bad data is refused in a fraction of a second,
    before the forkserver and this process load the machine-learning stack, which they then
    load side by side.
    """
    from automl_cli.data import load_training_data

    started = time.monotonic() if started is None else started
    dataset = load_training_data(
        data, options.target, options.task, weight=options.weight, group=options.group
    )
    if options.cluster is None:
        forkserver.start_early()
    from automl_cli.baseline import keep_better_than_baseline
    from automl_cli.execute import ClusterError
    from automl_cli.explain import explain
    from automl_cli.metrics import resolve_metric
    from automl_cli.model import Model
    from automl_cli.search.session import Search

    metric = resolve_metric(options.metric, dataset.task)
    for notice in dataset.notices:
        on_notice(notice)

    bundle.prepare()  # before the search's threads start, while the forkserver preloads
    search = Search(
        dataset,
        metric,
        options,
        started=started,
        trial_log=options.trial_log,
        on_notice=on_notice,
        resume=options.resume,
    )
    with search:
        # the workers' shared copy where they have one; the warm start drops the original
        dataset = dataclasses.replace(dataset, X=search.evaluator.X)
        outcome = search.run(search.deadline(keep_for_refit=True), on_event)
        ranked = outcome.ranked()
        executor, evaluator = search.executor, search.evaluator
        # a first stop from here on still gets a model
        with interrupts.caught(outcome.stopped_by_signal) as late:
            ensemble = _fit_ensemble(search, ranked, options, on_notice)
            if ensemble.model is None:
                model, best, refit_rows = _refit_best(
                    executor, evaluator, ranked, search.refit_end, executor.n_workers, on_notice
                )
            else:
                model, best, refit_rows = ensemble.model, ranked[0], 1.0
        executor.close()  # the rest runs here: the workers' memory goes before it grows
        with interrupts.caught() as writing:  # the model and its log are written whole
            manifest = _manifest(dataset, metric, options, best, search, refit_rows)
            manifest["ensemble"] = ensemble.record
            model = keep_better_than_baseline(evaluator, model, manifest, on_notice)
            explained_by = search.finish.refit_end(bundle.serialized_bytes(model))
            manifest["explanations"] = explain(
                evaluator, model, manifest, best, ranked, search.log.predictions, explained_by
            )
            model = Model(model, dataset.schema, dataset.task, dataset.classes, manifest)
            if options.out is not None:
                model.save(options.out)
            search.log.keep()
    stop_signal = late.signum or writing.signum
    if stop_signal:
        raise Interrupted(options.out, stop_signal, model)
    if outcome.lost is not None:
        raise ClusterError(f"{outcome.lost}; the best model so far was written to {options.out}")
    return FitResult(options.out, manifest, outcome.trials, list(dataset.notices), model)


def _fit_ensemble(search, ranked, options, on_notice):
    """The ensemble of the search's trials (automl_cli/ensemble/build.py); its model is None
    when the best single model ships."""
    from automl_cli.ensemble.build import FittedEnsemble, fit_ensemble

    if options.ensemble_size == 0:
        return FittedEnsemble(None, {"kind": "single", "size": 0, "members": []})
    return fit_ensemble(
        search.executor,
        search.evaluator,
        ranked,
        search.log.predictions,
        size=options.ensemble_size,
        finish=search.finish,
        n_threads=search.executor.n_workers,
        on_notice=on_notice,
    )


def _refit_best(executor, evaluator, ranked, refit_end, n_threads, on_notice):
    """Refit the best trial that can be refitted by `refit_end`; fall back down the ranks.

    Returns the model, its trial and the fraction of the rows it was fitted on. A refit that fails,
    or that fits its own rows far worse than its trial promised (`Evaluator.refit_is_sound`), gives
    way to the next. When none of the best few can be refitted on all rows in the time left (a
    large table, a short budget), the best is fitted on the largest fraction of the rows that fits,
    never fewer than its trial saw: a model on a subsample beats no model. On a large table no
    refit uses more rows than `scale.refit_rows` allows. The last resort is the best trial expected
    to refit within QUICK_REFIT_SECONDS (else the cheapest to refit), given that long even when the
    clock has run out, and so does the best refused one. (The cheapest alone was once a 2-NN with 3
    times the best trial's log loss.)
    """
    from automl_cli.execute import RefitError
    from automl_cli.scale import refit_rows
    from automl_cli.search.budget import QUICK_REFIT_SECONDS, REFIT_SAFETY

    def most_rows(trial) -> float:
        return refit_rows(trial.budget, *evaluator.X.shape)

    def rows_that_fit(trial, left: float) -> float | None:
        """The largest fraction of the rows, down to the trial's own, refitted in time."""
        ceiling = most_rows(trial)
        fractions = [f for f in PARTIAL_REFIT_ROWS if trial.budget < f < ceiling]
        fractions = [ceiling, *fractions, trial.budget]
        fits = [f for f in fractions if evaluator.refit_estimate(trial, f) * REFIT_SAFETY <= left]
        return fits[0] if fits else None

    quick = [t for t in ranked if evaluator.refit_estimate(t) <= QUICK_REFIT_SECONDS]
    last_resort = quick[0] if quick else min(ranked, key=evaluator.refit_estimate)
    candidates = [*((t, "all") for t in ranked[:5]), (ranked[0], "part"), (last_resort, "last")]
    refused, tried, failure = None, set(), ""
    for trial, kind in candidates:
        left = refit_end - time.monotonic()
        rows = most_rows(trial) if kind != "part" else rows_that_fit(trial, left)
        if (trial.job_id, rows) in tried or rows is None:
            continue
        if kind == "all" and evaluator.refit_estimate(trial, rows) * REFIT_SAFETY > left:
            continue
        tried.add((trial.job_id, rows))
        limit = max(left, QUICK_REFIT_SECONDS * REFIT_SAFETY) if kind == "last" else left
        try:
            model = executor.refit(trial.config, limit, n_threads, rows)
        except RefitError as error:
            failure = str(error)
            on_notice(f"refit of trial {trial.job_id} ({trial.algorithm}) failed: {failure}")
            continue
        if evaluator.refit_is_sound(model, trial.loss):
            if rows < 1.0:
                on_notice(
                    f"the model was fitted on {rows:.0%} of the rows, as many as the time left "
                    "allows; raise --time-budget for a refit on more"
                )
            return model, trial, rows
        on_notice(
            f"refit of trial {trial.job_id} ({trial.algorithm}) fits its own rows far worse "
            f"than its validation {evaluator.metric.name} promised"
        )
        refused = refused or (model, trial, rows)
    if refused is not None:
        on_notice(f"no sounder refit was possible; keeping trial {refused[1].job_id}'s")
        return refused
    if "memory limit" in failure:
        raise AutoMLError(
            f"no model could be refitted on all rows ({failure}); raise --trial-memory-limit"
        )
    last = f" (the last refit: {failure})" if failure else ""
    raise AutoMLError(
        f"no model could be refitted on all rows within the time budget{last}; raise --time-budget"
    )


def _manifest(dataset, metric, options, best, search, refit_rows: float) -> dict:
    from automl_cli.search.loop import rank_trials

    state = search.state
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "task": dataset.task,
        "metric": metric.name,
        "target": dataset.schema.target,
        "weight": options.weight,  # like the group column, never a feature nor needed at predict
        "group": options.group,
        "schema": dataset.schema.to_dict(),
        "classes": list(dataset.classes),
        "training_rows": len(dataset.y),
        "refit_rows": refit_rows,  # the fraction of them the model was fitted on
        "best_config": best.config,
        "algorithm": best.algorithm,
        "validation_score": best.score,
        "validation_loss": best.loss,
        "validation": search.evaluator.validation,
        "budget": best.budget,
        "run_id": search.log.run_id,  # so does every line of its trial log
        "trial_count": len(state.trials),
        "failed_trials": state.failed,
        "stopped_by": state.stopped_by,
        "search": {
            "optimizer": options.optimizer,
            "seed": options.seed,
            "time_budget": options.time_budget,
            "max_trials": options.max_trials,
            "min_budget": search.min_budget,
            "eta": options.eta,
            "early_stopping": options.early_stopping,
            "seconds": round(time.monotonic() - state.started, 2),
        },
        "leaderboard": [t.to_dict() for t in rank_trials(state.trials)[:LEADERBOARD_SIZE]],
        "notices": list(dataset.notices),
        "warm_start": search.warm_start(),
    }


def predict(
    model_path: str | Path, data: str | Path, strict: bool = False
) -> tuple[pd.DataFrame, list[str]]:
    """Predictions for every row of `data` (contract 2), and notes about the model file and
    the cells read as missing because they do not fit the trained type (with `strict`, such
    cells are a DataError instead). The rows are read and their columns checked by the
    manifest's schema before the model and its libraries load, so bad data is refused fast."""
    from automl_cli.data import Schema, read_csv
    from automl_cli.model import read

    schema = Schema.from_dict(bundle.read_manifest(model_path)["schema"])
    frame = read_csv(data, text_columns=schema.formatted_columns)
    schema.check_columns(frame)
    model, notes = read(model_path)
    predictions, unreadable = model.predictions(frame, strict=strict)
    if unreadable:
        problem = model.schema.describe_unreadable(unreadable)
        notes.append(f"{problem}; they were read as missing (--strict makes this an error)")
    return predictions, notes


def write_predictions(predictions: pd.DataFrame, out: str | Path) -> None:
    from automl_cli.files import atomic_write

    with atomic_write(out, "w") as stream:
        predictions.to_csv(stream, index=False)
