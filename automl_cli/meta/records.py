"""The records the knowledge base stores: tasks and evaluated configurations."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from automl_cli.bundle import library_versions as bundle_library_versions

STATUS_OK = "ok"
FULL_BUDGET = 1.0 - 1e-9  # a budget at least this is a run on all rows


@cache
def _versions() -> tuple[tuple[str, str], ...]:
    return tuple(bundle_library_versions().items())


def library_versions() -> dict[str, str]:
    """The versions a model file records too; they decide if a stored config still holds.

    Looked up once per process, since every evaluation carries them.
    """
    return dict(_versions())


@dataclass(frozen=True)
class Task:
    """A task as the knowledge base describes it; meta-features map names to floats or NaN."""

    name: str
    fingerprint: str
    task_type: str
    target: str
    n_rows: int
    n_features: int
    meta_features: dict[str, float]
    features_version: int


@dataclass(frozen=True)
class TaskRecord:
    """A stored task with its bookkeeping; best_loss counts runs on all rows (inf: none yet).

    A loss on a subsample is not comparable: few rows can look better than all of them.
    """

    task: Task
    created: str
    updated: str
    n_evaluations: int
    best_loss: float


@dataclass(frozen=True)
class Evaluation:
    """One evaluated configuration; a failed trial has loss inf (stored as NULL)."""

    config: dict[str, Any]
    algorithm: str
    budget: float
    loss: float
    metric: str
    space_version: str
    status: str = STATUS_OK
    runtime: float = math.nan
    seed: int | None = None
    library_versions: dict[str, str] = field(default_factory=library_versions)


@dataclass(frozen=True)
class EvaluationRecord:
    """A stored evaluation: its row id, the task it belongs to and when it was written."""

    id: int
    task_name: str
    created: str
    evaluation: Evaluation


@dataclass(frozen=True, slots=True)
class ScoredConfig:
    """A successful evaluation with only what a warm start reads (`MetaBase.scored_configs`);
    runtime is NaN when it was not timed."""

    task_name: str
    config: dict[str, Any]
    loss: float
    metric: str
    runtime: float
