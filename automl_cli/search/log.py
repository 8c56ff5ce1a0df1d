"""The trial log beside a model: every finished trial as one JSON line, and the model's own."""

from __future__ import annotations

import dataclasses
import json
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np

from automl_cli import bundle
from automl_cli.ensemble.store import PredictionFile, predictions_path
from automl_cli.errors import BundleError

if TYPE_CHECKING:
    from automl_cli.evaluate import TrialResult


class TrialLog:
    """Every finished trial as one JSON line, flushed as it is told to the optimizer.

    A model and its log are replaced together or not at all. While a fit runs, its trials go
    to a side file (`running_path`, MODEL.trials.running.jsonl) and `path` keeps the log of the
    model already on disk. Right after the model's own atomic rename, `keep` renames the side
    file onto `path`; a fit that ends without a model moves it to `failed_path` instead. Every
    line carries the run's id, and so does the model's manifest (`run_id`).

    So a kill at any moment, SIGKILL included, leaves the model on disk with its own log at
    `path`, with one exception: a kill between the two renames leaves the new model's log in
    the side file, where `settle` finds it. The side file is created with the first trial: a
    fit that never ran one leaves no empty log.

    The validation predictions of the trials at the full budget (automl_cli/ensemble/store.py)
    go to a side file of their own that moves with the log, just before it; with a path they
    live on disk only, without one they stay on the trials in memory.

    Every line also carries `setup` (the data's fingerprint and the options a resumed run must
    share, `search/resume.py`; a function, so that it is computed while the first trial runs)
    and `asked`, the jobs asked when the trial was told.
    """

    def __init__(self, path: Path | None, setup: Callable[[], dict] | None = None) -> None:
        self.path = path
        self.setup = setup
        self.run_id = uuid.uuid4().hex[:16]
        self.running_path = path.with_suffix(".running.jsonl") if path else None
        self.failed_path = path.with_suffix(".failed.jsonl") if path else None
        self._file: IO[str] | None = None
        self._predictions = PredictionFile(predictions_path(self.running_path)) if path else None
        self._kept = False

    def __enter__(self) -> TrialLog:
        return self

    def write(self, result: TrialResult, asked: int | None = None) -> TrialResult:
        """Log `result`; returns it as the search should keep it (its predictions on disk)."""
        return self._write(result, {"time": time.time(), "asked": asked})

    def carry(self, trials: list[TrialResult], lines: list[dict], old: Path) -> None:
        """Start this log with an earlier run's `trials` (their log `lines`; predictions read
        from the log at `old`), so that the resumed run's log holds every trial."""
        kept = PredictionFile(predictions_path(old)).read() if self.path else {}
        for trial, line in zip(trials, lines, strict=True):
            with_predictions = dataclasses.replace(trial, predictions=kept.get(trial.job_id))
            self._write(with_predictions, {"time": line["time"], "asked": line["asked"]})

    def _write(self, result: TrialResult, when: dict) -> TrialResult:
        if self.running_path is None:
            return result
        if self._file is None:
            self._file = self.running_path.open("w", encoding="utf-8")
        setup = None if self.setup is None else self.setup()
        line = {"run_id": self.run_id, **when, **result.to_dict(), "setup": setup}
        self._file.write(json.dumps(line) + "\n")
        self._file.flush()
        if result.predictions is None:
            return result
        self._predictions.append(result.job_id, result.predictions)
        return dataclasses.replace(result, predictions=None)

    def predictions(self, trials: list[TrialResult]) -> dict[int, np.ndarray]:
        """The kept validation predictions of `trials`, by job id (those that have them)."""
        if self._predictions is None:
            return {t.job_id: t.predictions for t in trials if t.predictions is not None}
        return self._predictions.read({t.job_id for t in trials})

    def keep(self) -> None:
        """The model is on disk (or none is wanted): this log becomes the one at `path`."""
        self._close()
        self._kept = True
        if self.running_path is not None:
            final = predictions_path(self.path)
            if self._predictions.path.exists():
                self._predictions.move_to(final)
            else:  # no stale predictions beside a new log
                final.unlink(missing_ok=True)
        if self.running_path is not None and self.running_path.exists():
            os.replace(self.running_path, self.path)

    def __exit__(self, *exc_info: object) -> None:
        self._close()
        if not self._kept and self.running_path is not None:
            self._predictions.move_to(predictions_path(self.failed_path))
            if self.running_path.exists():
                os.replace(self.running_path, self.failed_path)

    def _close(self) -> None:
        if self._predictions is not None:
            self._predictions.close()
        if self._file is not None:
            self._file.close()
            self._file = None


def settle(path: Path | None, model: Path | None) -> None:
    """Put right the side log that a fit killed on this model left (call under its lock).

    A side log whose run id is the model's was killed between the model's rename and its own:
    it is the model's log, and moves into place. Any other is the log of a fit killed before
    it had a model, and goes where a failed fit's trials go.
    """
    if path is None:
        return
    log = TrialLog(path)
    if not log.running_path.exists():
        return
    run = _run_of_log(log.running_path)
    ours = run is not None and model is not None and run == _run_of_model(model)
    target = path if ours else log.failed_path
    PredictionFile(predictions_path(log.running_path)).move_to(predictions_path(target))
    os.replace(log.running_path, target)


def _run_of_log(path: Path) -> str | None:
    """The run id on a log's first line (None if it has none)."""
    with path.open(encoding="utf-8") as stream:
        try:
            return json.loads(stream.readline()).get("run_id")
        except (ValueError, AttributeError):
            return None


def _run_of_model(path: Path) -> str | None:
    """The run id in a model's manifest (None if there is no model of ours, or no id)."""
    try:
        return bundle.read_manifest(path).get("run_id")
    except BundleError:
        return None
