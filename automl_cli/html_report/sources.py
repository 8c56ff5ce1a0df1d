"""What a report is drawn from: the model file's manifest and, when it is there, the trial log
beside it (MODEL.trials.jsonl, automl_cli/search/log.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from automl_cli import bundle


@dataclass
class ReportSources:
    """The manifest, the trials of its run (None without a log) and what to say about the log."""

    model_path: Path
    manifest: dict[str, Any]
    trials: list[dict[str, Any]] | None
    log_note: str

    @property
    def log_path(self) -> Path:
        return trial_log_path(self.model_path)


def trial_log_path(model_path: Path) -> Path:
    return model_path.with_name(model_path.name + ".trials.jsonl")


def read_sources(model_path: Path) -> ReportSources:
    """The model file's manifest (BundleError for anything else) and its run's trials.

    A log of another run (the model was written again without it, or copied) is not this
    model's story: its lines are left out by run id. Lines cut short by a killed fit are
    skipped and counted.
    """
    manifest = bundle.read_manifest(model_path)
    log = trial_log_path(model_path)
    if not log.is_file():
        return ReportSources(
            model_path, manifest, None, f"no trial log beside the model ({log.name})"
        )
    trials, unreadable = [], 0
    run_id = manifest.get("run_id")
    with log.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                trial = json.loads(line)
            except json.JSONDecodeError:
                unreadable += 1
                continue
            if run_id is None or trial.get("run_id") == run_id:
                trials.append(trial)
    if not trials:
        return ReportSources(
            model_path,
            manifest,
            None,
            f"the trial log {log.name} holds no trial of this model's run",
        )
    _add_elapsed(trials)
    skipped = f"; {unreadable} unreadable lines skipped" if unreadable else ""
    return ReportSources(
        model_path, manifest, trials, f"{len(trials)} trials from {log.name}{skipped}"
    )


def _add_elapsed(trials: list[dict[str, Any]]) -> None:
    """Each trial's finish time in seconds since the first trial started."""
    start = min(t["time"] - t.get("seconds", 0.0) for t in trials)
    for trial in trials:
        trial["elapsed"] = trial["time"] - start
