"""`automl fit --resume`: continue the run logged beside the model (docs/architecture.md, 9).

The earlier run is read from its trial log: the model's own (MODEL.trials.jsonl), or the log of
a fit that ended without a model (MODEL.trials.failed.jsonl, where a killed fit's side log is
settled), whichever was written last. Its trials are not run again: the optimizer is rebuilt by
replaying them, asking as many jobs as the run had asked before each tell (the line's `asked`)
and telling them in the log's order, which is the order they were told. Same seed and same
tells give the same asks (contract 3), so the replay hands out the very jobs the run ran; those
it asked but never told (running when it stopped) are run first.

A log whose `setup` (the data's fingerprint and the options that shape the search) differs
from this fit's is refused: its trials would mean something else here.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from automl_cli.errors import UsageError
from automl_cli.evaluate import TrialResult
from automl_cli.meta.fingerprint import data_fingerprint  # imported here, not in its thread
from automl_cli.optimize import Job, Optimizer

if TYPE_CHECKING:
    from automl_cli.data import Dataset
    from automl_cli.metrics import Metric
    from automl_cli.search.options import SearchOptions

# the options a resumed run must share with the run it continues, as the log records them
SHARED_OPTIONS = (
    "optimizer",
    "seed",
    "eta",
    "early_stopping",
    "warm_start",
    "ensemble_size",
)


@dataclass
class EarlierRun:
    """The trials of the run a resumed fit continues, as its log holds them."""

    log: Path
    lines: list[dict[str, Any]]
    trials: list[TrialResult]


def run_setup(
    dataset: Dataset, metric: Metric, options: SearchOptions, min_budget: float
) -> dict[str, Any]:
    """What a log records so that a resumed run can check it continues the same search."""
    setup = {name: getattr(options, name) for name in SHARED_OPTIONS}
    return {
        "data": data_fingerprint(dataset.X, dataset.y),
        "task": dataset.task,
        "metric": metric.name,
        "min_budget": min_budget,
        "weight": dataset.roles.weight,  # the columns change what each trial fits and scores
        "group": dataset.roles.group,
        **setup,
    }


def read_earlier_run(trial_log: Path) -> EarlierRun:
    """The run logged at `trial_log` (or its failed fit's log); a UsageError when none is."""
    failed = trial_log.with_suffix(".failed.jsonl")
    logs = [log for log in (trial_log, failed) if log.is_file()]
    if not logs:
        raise UsageError(
            f"--resume: no trial log {trial_log} to continue; check --out, or drop --resume "
            "to start a new fit"
        )
    log = max(logs, key=lambda path: path.stat().st_mtime_ns)
    lines = _read_lines(log)
    if any(line.get("asked") is None or "setup" not in line for line in lines):
        raise UsageError(
            f"--resume: the trial log {log} was written by an older version that cannot be "
            "resumed; drop --resume to start a new fit"
        )
    return EarlierRun(log, lines, [_trial(line) for line in lines])


def check_same_setup(earlier: EarlierRun, setup: dict[str, Any]) -> None:
    """Refuse a log of other data or other options, naming what differs and the fix."""
    if not earlier.lines:
        return
    logged = earlier.lines[0]["setup"]
    if logged.get("data") != setup["data"]:
        raise UsageError(
            f"--resume: the trial log {earlier.log} is of other training data; resume with the "
            "data it was written from, or drop --resume to start a new fit"
        )
    differ = [name for name in setup if name != "data" and logged.get(name) != setup[name]]
    if differ:
        said = ", ".join(
            f"{name} {logged.get(name)!r} there, {setup[name]!r} here" for name in differ
        )
        raise UsageError(
            f"--resume: the trial log {earlier.log} was written with other options ({said}); "
            "resume with the same options, or drop --resume to start a new fit"
        )


def replay(optimizer: Optimizer, earlier: EarlierRun) -> list[Job]:
    """Ask and tell `optimizer` what the earlier run did; the jobs asked but never told."""
    asked: dict[int, Job] = {}
    for line, trial in zip(earlier.lines, earlier.trials, strict=True):
        while optimizer.asks < line["asked"]:
            job = optimizer.ask()
            if job is None:
                break
            asked[job.id] = job
        job = asked.pop(trial.job_id, None)
        if job is None or job.config != trial.config or job.budget != trial.budget:
            raise UsageError(
                f"--resume: replaying {earlier.log} did not give back its trial {trial.job_id} "
                "(was the knowledge base changed since?); drop --resume to start a new fit"
            )
        optimizer.tell(job, trial.loss)
    return sorted(asked.values(), key=lambda job: job.id)


def _read_lines(log: Path) -> list[dict[str, Any]]:
    """The log's lines; a last one cut short by a kill is left out (its trial runs again)."""
    text = log.read_text(encoding="utf-8").splitlines()
    lines = []
    for number, line in enumerate(text, 1):
        try:
            lines.append(json.loads(line))
        except ValueError:
            if number < len(text):
                raise UsageError(
                    f"--resume: line {number} of the trial log {log} is damaged; drop --resume "
                    "to start a new fit"
                ) from None
    return lines


def _trial(line: dict[str, Any]) -> TrialResult:
    """A logged trial as the search keeps it (its predictions stay in their file)."""
    loss, score = line["loss"], line["score"]
    return TrialResult(
        job_id=line["job_id"],
        config=line["config"],
        budget=line["budget"],
        loss=math.inf if loss is None else loss,
        score=math.nan if score is None else score,
        status=line["status"],
        fit_seconds=line.get("fit_seconds", 0.0),
        seconds=line.get("seconds", 0.0),
        error=line.get("error"),
    )
