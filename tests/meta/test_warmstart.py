"""Warm start: config adaptation, neighbours, the greedy portfolio and the plan, on real parts.

The knowledge bases here are real SQLite files; meta-features are computed on the shipped
datasets, configs come from the real search space.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from ConfigSpace import Configuration

from automl_cli.choices import DEFAULT_METRIC
from automl_cli.data import load_training_data
from automl_cli.meta.features import FEATURES_VERSION, compute_meta_features
from automl_cli.meta.fingerprint import data_fingerprint
from automl_cli.meta.records import Evaluation, Task
from automl_cli.meta.store import MetaBase
from automl_cli.meta.warmstart import (
    BANDWIDTH,
    MAX_CONFIGS,
    MAX_DISTANCE,
    KnownTask,
    expected_cost,
    greedy_portfolio,
    known_tasks,
    learner_key,
    nearest,
    plan_for,
    plan_warm_start,
    similarity_weights,
)
from automl_cli.space import SPACE_VERSION, default_configs, space_for
from automl_cli.space.adapt import adapt_config

REPO = Path(__file__).resolve().parents[2]
SHIPPED = {"iris": "species", "breast_cancer": "diagnosis", "diabetes": "progression"}


@pytest.fixture(scope="module")
def described() -> dict[str, tuple]:
    """Each shipped dataset with its meta-features and fingerprint, computed once."""
    out = {}
    for name, target in SHIPPED.items():
        data = load_training_data(REPO / "datasets" / f"{name}.csv", target)
        features = compute_meta_features(data.X, data.y, data.task, seed=0)
        out[name] = (data, features, data_fingerprint(data.X, data.y))
    return out


def valid_in(config: dict, space) -> bool:  # noqa: ANN001 - ConfigurationSpace
    Configuration(space, values=config).check_valid_configuration()
    return True


def known(name: str, losses: dict[str, float], task_type: str = "binary", **features) -> KnownTask:
    configs = {f"k{i}": {"algorithm": "lightgbm", "lightgbm:num_leaves": 4 + i} for i in range(9)}
    task = KnownTask(name, task_type, f"fp-{name}", {"rows": 500.0, **features})
    for key, loss in losses.items():
        config = configs[key]
        task.configs[learner_key(config)] = config
        task.losses[learner_key(config)] = loss
    return task


def test_learner_key_ignores_column_type_preprocessing_only() -> None:
    a = {"algorithm": "linear", "linear:C": 1.0, "scale:method": "standard", "encode:method": "x"}
    b = {"algorithm": "linear", "linear:C": 1.0, "scale:method": "standard", "impute:numeric": "m"}
    c = {"algorithm": "linear", "linear:C": 1.0, "scale:method": "robust"}
    assert learner_key(a) == learner_key(b) != learner_key(c)


# -- normalized losses and the portfolio ------------------------------------------------------
def test_normalized_losses_put_the_best_at_zero_and_the_median_at_one() -> None:
    task = known("t", {"k0": 0.10, "k1": 0.20, "k2": 0.30, "k3": 0.90})
    norm = {key: round(value, 6) for key, value in task.normalized().items()}
    assert sorted(norm.values()) == [0.0, 0.666667, 1.0, 1.0]
    flat = known("flat", {"k0": 0.5, "k1": 0.5})
    assert set(flat.normalized().values()) == {0.0}


def test_greedy_portfolio_covers_the_most_tasks_first_and_stops_without_gain() -> None:
    # k0 is best on a and b, k1 on c only; k2 is never anyone's best.
    tasks = [
        known("a", {"k0": 0.1, "k1": 0.5, "k2": 0.6}),
        known("b", {"k0": 0.1, "k1": 0.5, "k2": 0.6}),
        known("c", {"k0": 0.9, "k1": 0.1, "k2": 0.6}),
    ]
    chosen = [c["lightgbm:num_leaves"] for c in greedy_portfolio(tasks, size=5)]
    assert chosen == [4, 5]  # k0 then k1; k2 adds nothing, so the portfolio stops
    assert greedy_portfolio([], size=3) == []


def test_the_portfolio_counts_configs_that_run_anyway_as_already_in() -> None:
    tasks = [
        known("a", {"k0": 0.1, "k1": 0.5, "k2": 0.6}),
        known("b", {"k0": 0.1, "k1": 0.5, "k2": 0.6}),
        known("c", {"k0": 0.9, "k1": 0.1, "k2": 0.6}),
    ]
    given = (learner_key({"algorithm": "lightgbm", "lightgbm:num_leaves": 4}),)  # k0
    chosen = [c["lightgbm:num_leaves"] for c in greedy_portfolio(tasks, size=5, given=given)]
    assert chosen == [5]  # only k1 adds to what k0 already covers


def test_a_config_never_evaluated_on_a_task_earns_nothing_there() -> None:
    tasks = [known("a", {"k0": 0.1, "k1": 0.2}), known("b", {"k2": 0.1, "k3": 0.2})]
    chosen = [c["lightgbm:num_leaves"] for c in greedy_portfolio(tasks, size=1)]
    assert chosen in ([4], [6])  # one best per task; neither helps the other task


def test_a_weighted_portfolio_covers_the_heavy_tasks_first() -> None:
    # k0 is best on a and b, k1 on c only: alike, a and b win; c weighing most, c wins.
    tasks = [
        known("a", {"k0": 0.1, "k1": 0.5}),
        known("b", {"k0": 0.1, "k1": 0.5}),
        known("c", {"k0": 0.9, "k1": 0.1}),
    ]
    first = greedy_portfolio(tasks, size=1)[0]["lightgbm:num_leaves"]
    weighted = greedy_portfolio(tasks, size=1, weights=np.array([0.1, 0.1, 1.0]))
    assert (first, weighted[0]["lightgbm:num_leaves"]) == (4, 5)


def test_an_extra_candidate_joins_the_portfolio_when_it_covers_best() -> None:
    # k2 is third on both tasks, so no task offers it, yet it alone serves both well.
    poor = {"k5": 0.9, "k6": 0.9, "k7": 0.9}
    tasks = [
        known("a", {"k0": 0.10, "k3": 0.11, "k2": 0.12, "k1": 0.9, **poor}),
        known("b", {"k1": 0.10, "k4": 0.11, "k2": 0.12, "k0": 0.9, **poor}),
    ]
    extra = ({"algorithm": "lightgbm", "lightgbm:num_leaves": 6},)  # k2
    assert greedy_portfolio(tasks, size=1) != list(extra)
    assert greedy_portfolio(tasks, size=1, extra=extra) == list(extra)


def test_the_portfolio_weighs_gain_against_expected_cost() -> None:
    # k0 is best on both tasks, k1 a close second on both; k1 is 9 times cheaper.
    tasks = [known(n, {"k0": 0.10, "k1": 0.12, "k2": 0.9, "k3": 0.9}) for n in ("a", "b")]
    costs = {learner_key({"algorithm": "lightgbm", "lightgbm:num_leaves": 4}): 9.0}
    chosen = greedy_portfolio(tasks, size=2, cost=costs.get)  # k1 unknown: cost 1
    assert [c["lightgbm:num_leaves"] for c in chosen] == [5, 4]  # cheap first, then k0's edge
    assert [c["lightgbm:num_leaves"] for c in greedy_portfolio(tasks, size=2)] == [4]


def test_similarity_weights_favour_near_tasks_and_level_out_when_none_is_close() -> None:
    a, b, c = known("a", {"k0": 0.1}), known("b", {"k0": 0.1}), known("c", {"k0": 0.1})
    near = similarity_weights([(a, 0.2), (b, 0.6), (c, 1.4)])
    assert near[0] > near[1] > near[2] > 0
    assert near[0] / near[1] == pytest.approx(
        math.exp(((0.6 / BANDWIDTH) ** 2) - (0.2 / BANDWIDTH) ** 2)
    )
    far = similarity_weights([(a, MAX_DISTANCE + 0.1), (b, MAX_DISTANCE + 0.5)])
    assert list(far) == [1.0, 1.0]


# -- neighbours and the plan ------------------------------------------------------------------
def test_nearest_scales_features_and_ranks_an_identical_task_first() -> None:
    tasks = [
        known("same", {"k0": 0.1}, rows=1000.0, landmark_1nn=0.8),
        known("other", {"k0": 0.1}, rows=100_000.0, landmark_1nn=0.5),
        known("third", {"k0": 0.1}, rows=10.0, landmark_1nn=0.6),
    ]
    ranked = nearest({"rows": 1000.0, "landmark_1nn": 0.8}, tasks)
    assert [t.name for t, _ in ranked][0] == "same"
    assert ranked[0][1] == pytest.approx(0.0)
    assert all(d > 0.5 for _, d in ranked[1:])


def test_plan_puts_the_portfolio_then_close_neighbours_and_falls_back_to_it(described) -> None:
    data, features, fingerprint = described["breast_cancer"]
    space = space_for(data)
    twin = known("twin", {"k0": 0.1, "k1": 0.3, "k2": 0.5}, **features)
    # Two identical far tasks and the twin: every differing coordinate scales to about 2.1.
    elsewhere = {k: 3 * v + 1 for k, v in features.items()}
    far = [known(name, {"k3": 0.1, "k4": 0.3}, **elsewhere) for name in ("far", "farther")]
    plan = plan_for(features, "binary", fingerprint, space, [twin, *far], "test")
    assert [name for name, _ in plan.neighbours] == ["twin"]
    assert plan.configs[0] == adapt_config({"algorithm": "lightgbm"}, space)  # cheap first
    leaves = [c.get("lightgbm:num_leaves") for c in plan.configs[1:]]
    # the portfolio, where the close twin weighs most: its best k0, then k3 (best on the two far
    # tasks, which count for little but not nothing); then the twin's next best, k1
    assert leaves[:3] == [4, 7, 5] and plan.portfolio == 2
    assert len({learner_key(c) for c in plan.configs}) == len(plan.configs) <= MAX_CONFIGS
    assert all(valid_in(c, space) for c in plan.configs)
    assert plan.history and all(0.0 <= o.loss <= 1.0 and o.budget == 1.0 for o in plan.history)
    alone = plan_for(features, "binary", fingerprint, space, far[:1], "test")
    assert alone.neighbours == [] and alone.portfolio >= 1 and alone.history == []
    assert "no close neighbour" in alone.notice()


def test_plan_excludes_the_same_data_and_other_task_families(described) -> None:
    data, features, fingerprint = described["breast_cancer"]
    space = space_for(data)
    leak = known("leak", {"k0": 0.1}, **features)
    leak.fingerprint = fingerprint
    regression = known("reg", {"k1": 0.1}, "regression", **features)
    plan = plan_for(features, "binary", fingerprint, space, [leak, regression], "test")
    assert plan.neighbours == [] and plan.portfolio == 0
    assert plan.configs == default_configs(space)[: len(plan.configs)]
    assert "default configs" in plan.notice()


# -- a real knowledge base --------------------------------------------------------------------
def store_task(base: MetaBase, name: str, described: dict, losses: list[float]) -> None:
    data, features, fingerprint = described[name]
    base.add_or_update_task(
        Task(
            name,
            fingerprint,
            data.task,
            SHIPPED[name],
            len(data.y),
            len(data.schema.feature_names),
            features,
            FEATURES_VERSION,
        )
    )
    metric = DEFAULT_METRIC[data.task]
    configs = default_configs(space_for(data))
    evaluations = [
        Evaluation(config, config["algorithm"], 1.0, loss, metric, SPACE_VERSION)
        for config, loss in zip(configs, losses, strict=False)
    ]
    evaluations.append(
        Evaluation(configs[-1], configs[-1]["algorithm"], 1 / 9, 0.0, metric, SPACE_VERSION)
    )  # a low-budget result must not count
    evaluations.append(Evaluation(configs[0], "lightgbm", 1.0, 0.0, "accuracy", SPACE_VERSION))
    evaluations.append(
        Evaluation(configs[1], "hist_gb", 1.0, math.inf, metric, SPACE_VERSION, status="failed")
    )
    base.add_evaluations(name, evaluations)


def test_known_tasks_read_full_budget_successes_of_the_default_metric(tmp_path, described):
    path = tmp_path / "kb.sqlite"
    with MetaBase.open(path) as base:
        store_task(base, "iris", described, [0.3, 0.2, 0.1])
        store_task(base, "diabetes", described, [50.0, 60.0])
        tasks = {t.name: t for t in known_tasks(base)}
    assert sorted(tasks) == ["diabetes", "iris"]
    assert sorted(tasks["iris"].losses.values()) == [0.1, 0.2, 0.3]
    best = tasks["iris"].configs[tasks["iris"].ranked()[0]]
    assert best["algorithm"] == "random_forest"
    assert sorted(tasks["diabetes"].losses.values()) == [50.0, 60.0]


def test_plan_warm_start_reads_the_base_and_measures_its_cost(tmp_path, described):
    path = tmp_path / "kb.sqlite"
    with MetaBase.open(path) as base:
        store_task(base, "iris", described, [0.3, 0.2, 0.1])
        store_task(base, "breast_cancer", described, [0.01, 0.02, 0.05])
    data = described["breast_cancer"][0]
    plan = plan_warm_start(data, space_for(data), path, seed=0)
    assert plan.source == str(path)
    names = {name for name, _ in plan.nearest}
    assert names == {"iris"}  # the same data (breast_cancer) is never its own neighbour
    entry = plan.to_manifest()
    assert entry["enabled"] and entry["configs"] == len(plan.configs) >= 1
    assert entry["seconds"] >= 0
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database at all")
    fallback = plan_warm_start(data, space_for(data), garbage, seed=0)
    assert fallback.source.startswith("no knowledge base") and "garbage" in fallback.source
    assert fallback.configs == default_configs(space_for(data))


def test_configs_much_slower_than_their_tasks_median_queue_last(described) -> None:
    data, features, fingerprint = described["breast_cancer"]
    space = space_for(data)
    twin = KnownTask("twin", "binary", "fp-twin", dict(features))
    for config, loss in zip(default_configs(space)[1:4], (0.1, 0.2, 0.3), strict=True):
        twin.configs[learner_key(config)] = config
        twin.losses[learner_key(config)] = loss
    slow_best = twin.ranked()[0]  # the best config, but ten times the median's seconds
    twin.runtimes = {key: 1.0 for key in twin.losses} | {slow_best: 10.0}
    assert twin.relative_cost(slow_best) == pytest.approx(10.0)
    plan = plan_for(features, "binary", fingerprint, space, [twin], "test")
    keys = [learner_key(c) for c in plan.configs]
    assert keys[-1] == slow_best and keys[1] == twin.ranked()[1]


def test_a_boosters_cost_grows_with_the_classes_of_the_new_task() -> None:
    booster = {"algorithm": "xgboost", "xgboost:max_depth": 8}
    forest = {"algorithm": "random_forest", "random_forest:max_features": 0.5}
    cheap = [{"algorithm": "linear", "linear:C": c} for c in (0.1, 1.0, 10.0)]  # median: 1 s
    binary = KnownTask("binary", "binary", "fp-binary", {"classes": 2.0})
    for config, seconds in ((booster, 2.0), (forest, 2.0), *((c, 1.0) for c in cheap)):
        binary.configs[learner_key(config)] = config
        binary.runtimes[learner_key(config)] = seconds
    ten = {"classes": 10.0}
    assert expected_cost(learner_key(booster), [binary], {"classes": 2.0}) == pytest.approx(2.0)
    assert expected_cost(learner_key(booster), [binary], ten) == pytest.approx(2.0 * 10**0.5)
    assert expected_cost(learner_key(forest), [binary], ten) == pytest.approx(2.0)
    assert expected_cost(learner_key(booster), [binary], {"classes": math.nan}) == 2.0
    assert expected_cost(learner_key({"algorithm": "knn"}), [binary], ten) is None
