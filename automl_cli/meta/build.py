"""Grow the knowledge base: evaluate the search space on a task and store every evaluation.

`add_dataset` (`automl meta add DATA.csv`) runs two phases on one dataset:
1. search (2/3 of the time budget): the space's default portfolio first, then BOHB, exactly as
   `automl fit --no-warm-start` searches, without refitting; every trial is stored.
2. cross-evaluation (the remaining third): the search's own OWN_BEST configs, the space's
   default configs and the best config of every other stored task of the same family, each
   unless already run on all rows, are scored at full budget on this task, in that order. This
   fills the config x task loss table that the greedy portfolio of `warmstart.py` is built
   from; without it a config only ever counts on its own task.
Validation is the search's: repeated 5-fold cross-validation below 1,000 rows, one holdout above.

`add_manifest` (`automl meta add --manifest`) runs phase 1 on every dataset of a manifest, then
phase 2 on every dataset, so early datasets also see the best configs of later ones. It resumes
after an interruption: a task that already has evaluations skips phase 1, and phase 2 only
scores configs not yet scored on full budget for that task.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from automl_cli.errors import AutoMLError, DataError
from automl_cli.meta.fingerprint import data_fingerprint
from automl_cli.meta.records import Evaluation, Task
from automl_cli.meta.store import MetaBase
from automl_cli.meta.warmstart import family, known_tasks, learner_key
from automl_cli.optimize.base import Job, Optimizer

if TYPE_CHECKING:
    from ConfigSpace import ConfigurationSpace

    from automl_cli.data import Dataset
    from automl_cli.evaluate import TrialResult

SEARCH_SHARE = 2 / 3
OWN_BEST = 3  # the search's best configs, scored on all rows if it only tried them on fewer
MIN_TRIAL_LIMIT = 10.0


@dataclass(frozen=True)
class AddSummary:
    """What one `meta add` did to one task."""

    name: str
    task_type: str
    rows: int
    features: int
    searched: int  # evaluations stored by the search (0 when skipped on resume)
    cross: int  # evaluations stored by the cross-evaluation
    best_loss: float
    seconds: float


@dataclass(frozen=True)
class ManifestEntry:
    """One dataset of a manifest; `task` is "auto" unless the manifest names it."""

    name: str
    path: Path
    target: str
    task: str = "auto"


class FixedJobs(Optimizer):
    """Asks each given config once at full budget, then nothing: a plain evaluation queue."""

    def __init__(self, space: ConfigurationSpace, configs: list[dict]) -> None:
        super().__init__(space)
        self._queue = list(configs)

    def _ask(self) -> Job | None:
        return self._new_job(self._queue.pop(0), 1.0) if self._queue else None


def read_manifest(path: Path) -> list[ManifestEntry]:
    """Rows of a manifest CSV with columns name, file (relative to the manifest) and target."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise DataError(f"cannot read manifest {path} ({error.strerror}); check the path") from None
    if not rows or not {"name", "file", "target"} <= set(rows[0]):
        raise DataError(f"manifest {path} needs a header with columns name, file and target")
    for line, row in enumerate(rows, start=2):
        if not all(row.get(column) for column in ("name", "file", "target")):
            raise DataError(f"manifest {path} line {line}: needs a name, a file and a target")
    names = [r["name"] for r in rows]
    if len(set(names)) < len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise DataError(f"manifest {path} names {', '.join(twice)} more than once; rename them")
    return [
        ManifestEntry(r["name"], path.parent / r["file"], r["target"], r.get("task") or "auto")
        for r in rows
    ]


def add_dataset(
    base_path: Path,
    data: Path,
    target: str,
    *,
    name: str | None = None,
    time_budget: float = 60.0,
    n_jobs: int | None = None,
    seed: int = 0,
    task: str = "auto",
    cross: bool = True,
    resume: bool = False,
) -> AddSummary:
    """Describe, search and (with `cross`) cross-evaluate one dataset into the base.

    With `resume`, a task that already has evaluations is not searched again.
    """
    from automl_cli import forkserver
    from automl_cli.data import load_training_data
    from automl_cli.meta.features import FEATURES_VERSION, compute_meta_features

    forkserver.start_early()  # it preloads while the data is read and described
    started = time.monotonic()
    dataset = load_training_data(data, target, task)
    features = compute_meta_features(dataset.X, dataset.y, dataset.task, seed=seed)
    described = Task(
        name=name or dataset.name,
        fingerprint=data_fingerprint(dataset.X, dataset.y),
        task_type=dataset.task,
        target=dataset.schema.target,
        n_rows=len(dataset.y),
        n_features=len(dataset.schema.feature_names),
        meta_features=features,
        features_version=FEATURES_VERSION,
    )
    with MetaBase.open(base_path) as base:
        created = all(r.task.fingerprint != described.fingerprint for r in base.tasks())
        record = base.add_or_update_task(described)
    searched = 0
    if not (resume and record.n_evaluations):
        budget = time_budget * (SEARCH_SHARE if cross else 1.0)
        try:
            searched = _search(base_path, record.task.name, dataset, budget, n_jobs, seed)
        except BaseException:  # a task this call created, still without evaluations, goes
            if created:
                _remove_if_empty(base_path, record.task.name)
            raise
    crossed = 0
    if cross:
        end = started + time_budget
        crossed = cross_evaluate(base_path, record.task.name, dataset, end, n_jobs, seed)
    with MetaBase.open(base_path) as base:
        stored = base.task(record.task.name)
    return AddSummary(
        stored.task.name,
        dataset.task,
        described.n_rows,
        described.n_features,
        searched,
        crossed,
        stored.best_loss,
        time.monotonic() - started,
    )


def _remove_if_empty(base_path: Path, name: str) -> None:
    with MetaBase.open(base_path) as base:
        if base.task(name).n_evaluations == 0:
            base.remove_task(name)


def _search(
    base_path: Path, name: str, dataset: Dataset, budget: float, n_jobs: int | None, seed: int
) -> int:
    """Search as `automl fit --no-warm-start` does, without the refit; store every trial."""
    from automl_cli.metrics import resolve_metric
    from automl_cli.search.options import SearchOptions
    from automl_cli.search.session import search
    from automl_cli.space import SPACE_VERSION

    metric = resolve_metric(None, dataset.task)
    options = SearchOptions(
        time_budget=budget, n_jobs=n_jobs, seed=seed, warm_start=False, ensemble_size=0
    )
    outcome = search(dataset, metric, options)
    evaluations = [_evaluation(t, metric.name, SPACE_VERSION, seed) for t in outcome.trials]
    with MetaBase.open(base_path) as base:
        return base.add_evaluations(name, evaluations)


def cross_evaluate(
    base_path: Path, name: str, dataset: Dataset, end: float, n_jobs: int | None, seed: int
) -> int:
    """Score on task `name` the configs the portfolio needs there; stop at monotonic `end`."""
    from automl_cli.metrics import resolve_metric
    from automl_cli.search.options import SearchOptions
    from automl_cli.search.session import Search
    from automl_cli.space import SPACE_VERSION, default_configs, space_for
    from automl_cli.space.adapt import adapt_config

    space = space_for(dataset)
    metric = resolve_metric(None, dataset.task)
    with MetaBase.open(base_path, readonly=True) as base:
        tasks = known_tasks(base)
        own_best = [
            r.evaluation.config for r in base.best_configs(name, OWN_BEST, metric=metric.name)
        ]
    own = next((t for t in tasks if t.name == name), None)
    done = set(own.losses) if own is not None else set()
    wanted: dict[str, dict] = {}
    others = [t for t in tasks if t.name != name and family(t.task_type) == family(dataset.task)]
    candidates = own_best + default_configs(space) + [t.configs[t.ranked()[0]] for t in others]
    for config in candidates:
        adapted = adapt_config(config, space)
        if adapted is not None and learner_key(adapted) not in done:
            wanted.setdefault(learner_key(adapted), adapted)
    left = end - time.monotonic()
    if not wanted or left <= 1.0:
        return 0
    options = SearchOptions(
        time_budget=left,
        n_jobs=n_jobs,
        seed=seed,
        trial_time_limit=max(MIN_TRIAL_LIMIT, left / 2),
        ensemble_size=0,
    )
    queue = FixedJobs(space, list(wanted.values()))
    with Search(dataset, metric, options, optimizer=queue) as scoring:
        outcome = scoring.run(lambda trials: end)
    if outcome.interrupted:
        raise KeyboardInterrupt
    evaluations = [_evaluation(t, metric.name, SPACE_VERSION, seed) for t in outcome.trials]
    with MetaBase.open(base_path) as base:
        return base.add_evaluations(name, evaluations)


def add_manifest(
    base_path: Path,
    entries: list[ManifestEntry],
    *,
    time_budget: float,
    n_jobs: int | None = None,
    seed: int = 0,
    on_step: Callable[[str, str, int, int], None] = lambda phase, name, done, total: None,
) -> list[AddSummary]:
    """Phase 1 on every entry, then phase 2 on every entry; resumable (module docstring)."""
    from automl_cli.data import load_training_data

    total = 2 * len(entries)
    summaries: dict[ManifestEntry, AddSummary] = {}
    for i, entry in enumerate(entries):
        on_step("search", entry.name, i, total)
        try:
            summaries[entry] = add_dataset(
                base_path,
                entry.path,
                entry.target,
                name=entry.name,
                time_budget=time_budget * SEARCH_SHARE,
                n_jobs=n_jobs,
                seed=seed,
                task=entry.task,
                cross=False,
                resume=True,
            )
        except AutoMLError as error:  # one bad dataset must not stop the batch; rerun resumes
            on_step(f"skipped: {error}", entry.name, i + 1, total)
    crossed: dict[str, int] = {}
    for i, (entry, searched) in enumerate(summaries.items()):
        on_step("cross", searched.name, len(entries) + i, total)
        if searched.name in crossed:  # two manifest names, one dataset
            continue
        dataset = load_training_data(entry.path, entry.target, entry.task)
        end = time.monotonic() + time_budget * (1 - SEARCH_SHARE)
        crossed[searched.name] = cross_evaluate(
            base_path, searched.name, dataset, end, n_jobs, seed
        )
    on_step("done", "", total, total)
    with MetaBase.open(base_path) as base:
        best = {r.task.name: r.best_loss for r in base.tasks()}
    return [
        AddSummary(
            s.name,
            s.task_type,
            s.rows,
            s.features,
            s.searched,
            crossed.get(s.name, 0),
            best.get(s.name, math.inf),
            s.seconds,
        )
        for s in summaries.values()
    ]


def _evaluation(trial: TrialResult, metric: str, space_version: str, seed: int) -> Evaluation:
    return Evaluation(
        config=trial.config,
        algorithm=trial.algorithm,
        budget=trial.budget,
        loss=trial.loss,
        metric=metric,
        space_version=space_version,
        status=trial.status,
        runtime=trial.seconds,
        seed=seed,
    )
