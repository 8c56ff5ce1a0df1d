"""What a search strategy receives and returns (contract 10).

A strategy is a module `automl_cli.nas.<name>` with one function

    search(problem: Problem, limits: Limits) -> Outcome

It proposes candidates (Architecture + TrainingParams), scores them with the shared trainer
(`automl_cli.nas.training.evaluate(candidate, problem, epochs, deadline)`, which trains on each
split's training rows and scores the pooled validation rows with `automl fit`'s protocol), and
returns the best one found. The command then retrains the winner on every row and saves it, so
a strategy never writes files. `random`, `evolution` and `bohb` live beside this module;
`darts` plugs in the same way (its one-shot model uses `problem.splits[0]`, its discretized
cell is scored with `training.evaluate`).
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from automl_cli.errors import AutoMLError
from automl_cli.nas.architecture import Candidate
from automl_cli.nas.encoding import InputLayout

if TYPE_CHECKING:
    from automl_cli.evaluate import Split
    from automl_cli.metrics import Metric

NAMES = ("random", "evolution", "bohb", "darts")


@dataclass(frozen=True)
class Problem:
    """The prepared task: every row's tensors on `device`, the splits of `automl fit`'s
    validation protocol, and how to score. `y` holds class codes (int64) or the target
    standardized (float32); `y_raw` the codes or values the metric scores against."""

    numeric: Any  # torch.Tensor float32 (rows, len(layout.numeric))
    categorical: Any  # torch.Tensor int64 (rows, len(layout.categorical))
    y: Any  # torch.Tensor
    y_raw: np.ndarray
    y_scale: tuple[float, float]  # mean and std of a regression target (0, 1 otherwise)
    splits: list[Split]
    task: str
    n_outputs: int  # classes, or 1 for regression
    metric: Metric
    layout: InputLayout
    device: str
    seed: int


@dataclass(frozen=True)
class Limits:
    """When a search stops: at `deadline` (time.monotonic()), after `max_trials` candidates
    (None: no limit), with `n_jobs` candidates trained at once; `max_epochs` caps the epochs
    of every candidate (None: each trains to its own TrainingParams.max_epochs)."""

    deadline: float
    max_trials: int | None = None
    n_jobs: int = 1
    max_epochs: int | None = None

    def epochs(self, wanted: int) -> int:
        return wanted if self.max_epochs is None else max(1, min(wanted, self.max_epochs))

    def time_left(self) -> float:
        return self.deadline - time.monotonic()

    def done(self, trials: int) -> bool:
        over = self.max_trials is not None and trials >= self.max_trials
        return over or self.time_left() <= 0


@dataclass(frozen=True)
class Trial:
    """One scored candidate: its validation score and loss (metric's own direction / lower is
    better), the epochs it trained for (fewer when stopped early), and its cost."""

    candidate: Candidate
    score: float
    loss: float
    epochs: int
    seconds: float
    stopped_early: bool = False
    curve: tuple[float, ...] = field(default=(), compare=False)  # validation loss per epoch

    @property
    def ok(self) -> bool:
        return math.isfinite(self.loss)


@dataclass(frozen=True)
class Outcome:
    """What a strategy found: the best trial and every trial, in the order they ended."""

    best: Trial
    trials: list[Trial]


Strategy = Callable[[Problem, Limits], Outcome]


def load_strategy(name: str) -> Strategy:
    """The `search` function of strategy `name` (one of NAMES)."""
    if name not in NAMES:
        raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(NAMES)}")
    return importlib.import_module(f"automl_cli.nas.{name}").search


class NothingTrained(AutoMLError):
    """The budget ended before any candidate finished an epoch (exit 2, like any budget
    too small for a model)."""


def best_of(trials: list[Trial]) -> Trial:
    """The trial of lowest loss (the first among equals); NothingTrained when none finished."""
    finished = [t for t in trials if t.ok]
    if not finished:
        raise NothingTrained(
            f"no network finished an epoch of training within the time budget "
            f"({len(trials)} tried); raise --time-budget"
        )
    return min(finished, key=lambda t: t.loss)
