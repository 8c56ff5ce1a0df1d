"""Warm start from the knowledge base: which configs a new search tries first, and why.

The plan for a new task, in the spirit of auto-sklearn's kND (Feurer et al. 2015) and FLAML's
zero-shot portfolios (Wang et al. 2021):
1. Describe the task by `similarity_vector` (fixed log transforms of counts and moments, shares
   and landmark scores as they are), then divide every coordinate by its spread (standard
   deviation) over the stored tasks of the same family, so each meta-feature weighs by how
   much it separates known tasks rather than by its unit. Distance: root mean square over the
   coordinates both tasks define. Two unrelated tasks sit at about sqrt(2) in these units.
2. The queue starts with LightGBM's library defaults (cheap and strong, the cold start's
   first config too), so the first model comes as early as without a warm start: `automl fit`
   runs them while it plans the rest (`first_config`).
3. Next, a greedy portfolio over every stored task of the family: each step adds the config
   that most lowers the weighted sum over tasks of the best normalized loss so far (0 = the
   task's best config, 1 = its median config or never evaluated there), per square root of its
   expected cost (`expected_cost`, relative to the task's median config), counting the
   defaults as already in. So its first pick is the config that best covers, for its time,
   where the defaults fall short; one that gains twice as much but takes four times as long
   is no better a start. The square root and not the cost itself, as a foreseen cost is often
   off by half (benchmarks/results/warmstart.md, "cost of a config on a new task"), and left
   out task by task the full cost put fewer tasks ahead. A task weighs by its similarity,
   exp(-(distance / BANDWIDTH) ** 2), so the picks cover the tasks like this one first; when
   none lies within MAX_DISTANCE all weigh alike (the plain portfolio is the fallback). The
   candidates are each task's best configs and the space's default portfolio, which the base
   evaluated on every task. Left out task by task and timed by the stored runtimes, this
   queue finds a good config sooner than the unweighted, cost-blind portfolio did
   (benchmarks/results/warmstart.md, "the queue in time", and "What was run").
4. Neighbours fill the rest: the N_NEIGHBOURS nearest stored tasks of the same family
   (classification or regression: their spaces differ) within MAX_DISTANCE; each gives its
   best configs. Configs expected to run much slower than the new task's median config go
   last (`expected_cost`).
   The portfolio comes before the neighbours because, left out task by task on the stored
   evaluations, its first picks find a good config sooner; the fitted benchmark has not shown
   that gain yet (benchmarks/results/warmstart_unscaled_cost.md, against the neighbours-first
   run of warmstart_seed0.md).
5. Configs are adapted to the new task's space: a learner the space lacks (SVM on large data)
   drops the config, values outside a range are clipped, unknown choices and hyperparameters
   the source task lacked take the space's defaults. Duplicates (same learner settings) go.
A stored task with the same data fingerprint as the new data is never used (no leakage).
Losses compare only within a task, so every loss here is first normalized per task.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from statistics import fmean
from typing import TYPE_CHECKING, Any

import numpy as np

from automl_cli.choices import DEFAULT_METRIC
from automl_cli.errors import MetabaseError
from automl_cli.meta.records import FULL_BUDGET

if TYPE_CHECKING:
    from ConfigSpace import ConfigurationSpace

    from automl_cli.data import Dataset
    from automl_cli.meta.store import MetaBase
    from automl_cli.optimize.base import Observation

Config = dict[str, Any]
N_NEIGHBOURS = 5
MAX_DISTANCE = 1.0
BANDWIDTH = 0.5  # distance scale of the portfolio's task weights (similarity_weights)
COST_POWER = 0.5  # the portfolio weighs a config's gain against its cost ** this
CONFIGS_PER_NEIGHBOUR = 2
PORTFOLIO_SIZE = 6
MAX_CONFIGS = 12
MIN_CONFIGS = 4  # fewer transferred configs than this: the space's defaults are added
COSTLY = 3.0  # relative cost (seconds over the task's median config's) that queues a config last
CLASS_COST_EXPONENT = 0.5  # a booster's relative cost grows as (classes ratio) ** this


def family(task_type: str) -> str:
    """Tasks whose configs transfer: classification (binary, multiclass) or regression."""
    return "regression" if task_type == "regression" else "classification"


def learner_key(config: Config) -> str:
    """What identifies a config across tasks: the learner, its own settings and the scaling.

    Imputation, encoding and feature selection depend on a task's column types and are set
    per task, so two configs that differ only there count as the same candidate.
    """
    algorithm = str(config.get("algorithm"))
    kept = {
        k: v
        for k, v in config.items()
        if k == "algorithm" or k.startswith((f"{algorithm}:", "scale:"))
    }
    return json.dumps(kept, sort_keys=True)


@dataclass
class KnownTask:
    """A stored task as warm starting sees it: its description and full-budget losses."""

    name: str
    task_type: str
    fingerprint: str
    meta_features: dict[str, float]
    # learner key -> config; read only: tasks that stored the same config share its dict
    configs: dict[str, Config] = field(default_factory=dict)
    losses: dict[str, float] = field(default_factory=dict)  # learner key -> mean loss
    runtimes: dict[str, float] = field(default_factory=dict)  # learner key -> mean seconds

    @cached_property
    def median_runtime(self) -> float:
        """Seconds of the task's median config (runtimes are filled before any cost is asked)."""
        return max(float(np.median(list(self.runtimes.values()))), 1e-3)

    def relative_cost(self, key: str) -> float | None:
        """Seconds of `key` over the task's median config's seconds; None if never timed."""
        if key not in self.runtimes:
            return None
        return self.runtimes[key] / self.median_runtime

    def ranked(self) -> list[str]:
        """Learner keys, best first."""
        return sorted(self.losses, key=lambda key: (self.losses[key], key))

    def normalized(self) -> dict[str, float]:
        """Losses on [0, 1]: 0 for the best config, 1 for the median one or worse."""
        values = np.array(list(self.losses.values()))
        best, reference = float(values.min()), float(np.median(values))
        spread = reference - best
        return {
            key: (min(1.0, (loss - best) / spread) if spread > 0 else float(loss > best))
            for key, loss in self.losses.items()
        }


def known_tasks(base: MetaBase) -> list[KnownTask]:
    """Every stored task with its successful full-budget evaluations in this space version.

    A config evaluated several times (search and re-evaluation) gets its mean loss; only the
    task type's default metric is used, the metric `automl meta add` stores.
    """
    from automl_cli.space import SPACE_VERSION

    tasks = {
        r.task.name: KnownTask(
            r.task.name, r.task.task_type, r.task.fingerprint, r.task.meta_features
        )
        for r in base.tasks()
    }
    sums: dict[tuple[str, str], list[float]] = defaultdict(list)
    times: dict[tuple[str, str], list[float]] = defaultdict(list)
    for scored in base.scored_configs(space_version=SPACE_VERSION, min_budget=FULL_BUDGET):
        task = tasks[scored.task_name]
        if scored.metric != DEFAULT_METRIC[task.task_type]:
            continue
        key = learner_key(scored.config)
        sums[(task.name, key)].append(scored.loss)
        if math.isfinite(scored.runtime):
            times[(task.name, key)].append(scored.runtime)
        task.configs.setdefault(key, scored.config)
    for (name, key), losses in sums.items():
        tasks[name].losses[key] = fmean(losses)
    for (name, key), seconds in times.items():
        tasks[name].runtimes[key] = fmean(seconds)
    return [t for t in tasks.values() if t.losses]


def nearest(
    features: dict[str, float], candidates: list[KnownTask]
) -> list[tuple[KnownTask, float]]:
    """Candidates with their scaled meta-feature distance to `features`, nearest first."""
    from automl_cli.meta.similarity import similarity_distance, similarity_vector

    if not candidates:
        return []
    stored = np.array([similarity_vector(t.meta_features) for t in candidates])
    with warnings.catch_warnings():  # a feature no stored task defines has no spread
        warnings.simplefilter("ignore", RuntimeWarning)
        spread = np.nanstd(stored, axis=0) if len(stored) > 1 else np.ones(stored.shape[1])
    spread = np.where(np.isfinite(spread) & (spread > 0.05), spread, 0.05)
    here = similarity_vector(features) / spread
    found = [
        (task, similarity_distance(here, row / spread))
        for task, row in zip(candidates, stored, strict=True)
    ]
    found = [(task, d) for task, d in found if math.isfinite(d)]
    return sorted(found, key=lambda pair: (pair[1], pair[0].name))


def greedy_portfolio(
    tasks: list[KnownTask],
    size: int = PORTFOLIO_SIZE,
    *,
    given: tuple[str, ...] = (),
    weights: np.ndarray | None = None,
    extra: Sequence[Config] = (),
    cost: Callable[[str], float | None] | None = None,
) -> list[Config]:
    """Configs that together do best over `tasks` (each counting by its weight, 1 if none are
    given), beside the learner keys `given` that run anyway; the candidates are every task's
    best configs and the `extra` ones. With `cost` (a learner key's expected relative cost,
    None if unknown), each step takes the best gain per square root of cost (see the module
    docstring, step 3)."""
    if not tasks:
        return []
    weight = np.ones(len(tasks)) if weights is None else np.asarray(weights, dtype=float)
    normalized = [t.normalized() for t in tasks]
    candidates: dict[str, Config] = {}
    for task in tasks:
        for key in task.ranked()[:CONFIGS_PER_NEIGHBOUR]:
            candidates.setdefault(key, task.configs[key])
    for config in extra:
        candidates.setdefault(learner_key(config), config)
    keys = sorted(candidates)
    costs = [cost(key) if cost is not None else None for key in keys]
    # unknown: as dear as the median config; a config timed at 0 s must not divide by zero
    price = np.array([1.0 if c is None else max(c, 1e-3) for c in costs]) ** COST_POWER
    matrix = np.array([[n.get(key, 1.0) for n in normalized] for key in keys])
    current = np.ones(len(tasks))
    for key in given:
        current = np.minimum(current, [n.get(key, 1.0) for n in normalized])
    chosen: list[Config] = []
    while len(chosen) < size:
        gains = current @ weight - np.minimum(matrix, current) @ weight
        pick = int(np.argmax(gains / price))
        if gains[pick] <= 1e-9 * weight.sum():
            break
        current = np.minimum(matrix[pick], current)
        chosen.append(candidates[keys[pick]])
    return chosen


def similarity_weights(ranked: list[tuple[KnownTask, float]]) -> np.ndarray:
    """How much each ranked task counts in the portfolio: exp(-(distance / BANDWIDTH) ** 2),
    so a task at 0.5 counts e times less than an identical one and one at 1.0 e ** 4 less;
    all alike when none lies within MAX_DISTANCE (no task is known to resemble this one)."""
    distances = np.array([d for _, d in ranked])
    if not (distances <= MAX_DISTANCE).any():
        return np.ones(len(distances))
    return np.exp(-((distances / BANDWIDTH) ** 2))


@dataclass
class WarmStartPlan:
    """What a search tries first, and where it came from (for the display and the manifest)."""

    configs: list[Config]
    history: list[Observation]
    neighbours: list[tuple[str, float]]  # used neighbour tasks and their distances
    nearest: list[tuple[str, float]]  # the nearest tasks, used or not
    portfolio: int  # configs that came from the portfolio
    source: str  # the knowledge base file, or why there was none
    seconds: float = 0.0

    def to_manifest(self) -> dict[str, Any]:
        return {
            "enabled": True,
            "metabase": self.source,
            "neighbours": [{"task": n, "distance": round(d, 4)} for n, d in self.neighbours],
            "configs": len(self.configs),
            "from_portfolio": self.portfolio,
            "history": len(self.history),
            "seconds": round(self.seconds, 3),
        }

    def notice(self) -> str:
        if self.neighbours:
            names = describe_neighbours(self.neighbours)
            return f"warm start: {len(self.configs)} configs from neighbour tasks {names}"
        if self.portfolio:
            return f"warm start: no close neighbour task; {self.portfolio} portfolio configs"
        return f"warm start: the space's {len(self.configs)} default configs ({self.source})"


def describe_neighbours(neighbours: list[tuple[str, float]]) -> str:
    """Neighbour tasks as the display and `automl info` name them: "name (distance), ..."."""
    return ", ".join(f"{name} ({distance:.2f})" for name, distance in neighbours)


def first_config(space: ConfigurationSpace) -> Config | None:
    """The config every plan starts with, known before any planning: LightGBM's defaults
    (None when the space lacks LightGBM)."""
    from automl_cli.space.adapt import adapt_config
    from automl_cli.space.definition import DEFAULT_ALGORITHM

    return adapt_config({"algorithm": DEFAULT_ALGORITHM}, space)


def plan_for(
    features: dict[str, float],
    task_type: str,
    fingerprint: str,
    space: ConfigurationSpace,
    tasks: list[KnownTask],
    source: str,
) -> WarmStartPlan:
    """The warm start for a described task, from already loaded knowledge."""
    from automl_cli.optimize.base import Observation
    from automl_cli.space import default_configs
    from automl_cli.space.adapt import SpaceAdapter

    pool = [t for t in tasks if family(t.task_type) == family(task_type)]
    pool = [t for t in pool if t.fingerprint != fingerprint]
    ranked = nearest(features, pool)
    used = [(t, d) for t, d in ranked[:N_NEIGHBOURS] if d <= MAX_DISTANCE]
    configs: dict[str, Config] = {}
    adapt = SpaceAdapter(space)

    def offer(config: Config) -> bool:
        adapted = adapt(config)
        if adapted is None or len(configs) >= MAX_CONFIGS:
            return False
        return configs.setdefault(learner_key(adapted), adapted) is adapted

    first = first_config(space)
    given = () if first is None else (learner_key(first),)
    defaults = default_configs(space)
    cost = cache(lambda key: expected_cost(key, pool, features))
    portfolio = greedy_portfolio(
        [t for t, _ in ranked],
        given=given,
        weights=similarity_weights(ranked),
        extra=defaults,
        cost=cost,
    )
    from_portfolio = sum(offer(c) for c in portfolio)
    for task, _ in used:
        for key in task.ranked()[:CONFIGS_PER_NEIGHBOUR]:
            offer(task.configs[key])
    if len(configs) < MIN_CONFIGS:
        for config in defaults:
            offer(config)
    costly = {key: _costly(cost(key)) for key in configs}
    order = sorted(configs, key=lambda key: costly[key])  # stable: plan order within a tier
    if first is not None:  # library defaults first: a model as soon as in a cold start
        configs.setdefault(given[0], first)
        order = [given[0]] + [key for key in order if key != given[0]]
    history = []
    for task, _ in used:
        for key, loss in task.normalized().items():
            adapted = adapt(task.configs[key])
            if adapted is not None:
                history.append(Observation(adapted, 1.0, loss))
    return WarmStartPlan(
        configs=[configs[key] for key in order],
        history=history,
        neighbours=[(t.name, d) for t, d in used],
        nearest=[(t.name, d) for t, d in ranked[:N_NEIGHBOURS]],
        portfolio=from_portfolio,
        source=source,
    )


def trees_per_round(features: dict[str, float]) -> float:
    """Trees a booster grows per round on a task: one per class when there are more than two."""
    classes = features.get("classes", math.nan)
    return classes if math.isfinite(classes) and classes > 2 else 1.0


def expected_cost(
    key: str,
    tasks: list[KnownTask],
    features: dict[str, float],
    *,
    exponent: float = CLASS_COST_EXPONENT,
) -> float | None:
    """The relative cost `key` should have on the task described by `features`.

    The median of its relative costs where it was timed, each booster's scaled by
    (trees per round here / there) ** exponent: a booster grows a tree per class each round,
    while the task's other learners slow down less with classes. Left out task by task over
    the shipped base, boosters on multiclass tasks are foreseen too cheap without the scaling
    (35 of 60 costly ones missed), too dear with the full ratio (165 false alarms), and about
    right with its square root (benchmarks/results/warmstart.md, "cost of a config on a new
    task"). Unscaled, a deep XGBoost config at 1.6 times its tasks' median went early on
    10-class arrhythmia and took 11 times that task's median there; scaled, it is 3.2.
    """
    from automl_cli.space.definition import BOOSTERS

    here = trees_per_round(features)
    costs = []
    for task in tasks:
        cost = task.relative_cost(key)
        if cost is None:
            continue
        if task.configs[key].get("algorithm") in BOOSTERS:
            cost *= (here / trees_per_round(task.meta_features)) ** exponent
        costs.append(cost)
    return float(np.median(costs)) if costs else None


def _costly(cost: float | None) -> bool:
    """Whether a config of this expected cost should take clearly longer than the new task's
    median config.

    Such configs go to the back of the queue: cheap ones give a first model sooner, and the
    first brackets run them all anyway.
    """
    return cost is not None and cost > COSTLY


def plan_warm_start(
    dataset: Dataset, space: ConfigurationSpace, metabase: Path | None, *, seed: int = 0
) -> WarmStartPlan:
    """Describe `dataset`, read the knowledge base and plan the warm start of its search.

    A missing or unreadable base is no reason to stop a fit: the plan then holds the space's
    default configs and says why.
    """
    from automl_cli.meta.features import compute_meta_features
    from automl_cli.meta.fingerprint import data_fingerprint
    from automl_cli.meta.locate import open_for_reading, read_path

    started = time.perf_counter()
    try:
        with open_for_reading(metabase) as base:
            tasks, source = known_tasks(base), str(base.path)
    except MetabaseError as error:
        tasks, source = [], f"no knowledge base: {error}"
    if tasks:
        features = compute_meta_features(dataset.X, dataset.y, dataset.task, seed=seed)
        fingerprint = data_fingerprint(dataset.X, dataset.y)
    else:
        features, fingerprint = {}, ""
        if not source.startswith("no "):
            source = f"empty knowledge base {read_path(metabase)}"
    plan = plan_for(features, dataset.task, fingerprint, space, tasks, source)
    plan.seconds = time.perf_counter() - started
    return plan
