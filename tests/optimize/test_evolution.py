"""Regularized evolution: aging population, tournament, valid mutations and crossover."""

from __future__ import annotations

import math
import statistics

import pytest
from ConfigSpace import Configuration

from automl_cli.optimize import create_optimizer
from automl_cli.optimize.evolution import RegularizedEvolution


def branch_loss(config: dict) -> float:
    """Best at linear with C = 100 and l2; the other branches are worse plateaus."""
    algorithm = config["algorithm"]
    if algorithm == "linear":
        penalty = 0.0 if config["linear_penalty"] == "l2" else 0.1
        return (math.log10(config["linear_C"]) - 2.0) ** 2 / 16 + penalty
    if algorithm == "gbm":
        return 0.4 + (config["gbm_subsample"] - 0.7) ** 2
    return 0.6 + config["forest_max_features"] / 10


def best_after(name: str, space, seed: int, trials: int) -> float:
    optimizer = create_optimizer(name, space, seed=seed)
    best = math.inf
    for _ in range(trials):
        job = optimizer.ask()
        loss = branch_loss(job.config)
        optimizer.tell(job, loss)
        best = min(best, loss)
    return best


def active_differences(first: dict, second: dict) -> int:
    return sum(first.get(n) != second.get(n) for n in set(first) | set(second))


def test_population_keeps_the_last_results_and_the_oldest_dies(cash_space):
    evolution = RegularizedEvolution(cash_space, population_size=5, seed=1)
    told = []
    for i in range(12):
        job = evolution.ask()
        evolution.tell(job, float(i % 4))
        told.append((job.config, float(i % 4)))
        assert job.budget == evolution.max_budget
    assert [(m.config, m.loss) for m in evolution.population] == told[-5:]


def test_first_asks_fill_the_population_then_children_stay_close(cash_space):
    evolution = RegularizedEvolution(
        cash_space, population_size=8, crossover_rate=0.0, switch_rate=0.0, seed=3
    )
    for _ in range(8):
        job = evolution.ask()
        evolution.tell(job, branch_loss(job.config))
    differences = []
    for _ in range(30):
        members = [m.config for m in evolution.population]
        job = evolution.ask()
        nearest = min(members, key=lambda m: active_differences(m, job.config))
        assert nearest["algorithm"] == job.config["algorithm"]
        differences.append(active_differences(nearest, job.config))
        evolution.tell(job, branch_loss(job.config))
    assert min(differences) >= 1
    assert statistics.median(differences) <= 2


def test_mutation_keeps_the_algorithm_unless_it_switches(cash_space):
    parent = dict(cash_space.get_default_configuration())
    keep = RegularizedEvolution(cash_space, switch_rate=0.0, seed=4)
    switch = RegularizedEvolution(cash_space, switch_rate=1.0, seed=4)
    for _ in range(40):
        child = keep.mutate(parent)
        Configuration(cash_space, values=child)
        assert child != parent
        assert child["algorithm"] == parent["algorithm"]
        moved = switch.mutate(parent)
        Configuration(cash_space, values=moved)
        assert moved["algorithm"] != parent["algorithm"]
        assert not any(name.startswith("gbm_") for name in moved)


def test_mutation_activates_and_deactivates_nested_hyperparameters(cash_space):
    evolution = RegularizedEvolution(cash_space, switch_rate=0.0, seed=6)
    parent = {
        "algorithm": "gbm", "gbm_boosting": "gbdt", "gbm_learning_rate": 0.05,
        "gbm_n_estimators": 100, "gbm_num_leaves": 31, "gbm_subsample": 0.9,
        "max_bins": 64, "scaler": "none",
    }  # fmt: skip
    children = [evolution.mutate(parent) for _ in range(200)]
    darts = [c for c in children if c["gbm_boosting"] == "dart"]
    assert darts, "the boosting choice was never mutated"
    assert all("gbm_drop_rate" in c for c in darts)
    assert all("gbm_drop_rate" not in c for c in children if c["gbm_boosting"] == "gbdt")
    for child in children:
        Configuration(cash_space, values=child)


def test_crossover_takes_every_value_from_one_parent(cash_space):
    evolution = RegularizedEvolution(cash_space, seed=8)
    first = {
        "algorithm": "forest", "forest_bootstrap": True, "forest_criterion": "gini",
        "forest_max_features": 0.2, "forest_max_samples": 0.5, "forest_n_estimators": 60,
        "max_bins": 32, "scaler": "none",
    }  # fmt: skip
    second = {
        "algorithm": "forest", "forest_bootstrap": False, "forest_criterion": "entropy",
        "forest_max_features": 0.9, "forest_n_estimators": 250,
        "max_bins": 200, "scaler": "quantile",
    }  # fmt: skip
    children = [evolution.crossover(first, second) for _ in range(50)]
    for child in children:
        Configuration(cash_space, values=child)
        for name, value in child.items():
            assert value in (first.get(name), second.get(name))
    assert len({tuple(sorted(c.items())) for c in children}) > 5


def test_asks_never_wait_for_tells(cash_space):
    evolution = RegularizedEvolution(cash_space, population_size=4, seed=2)
    jobs = [evolution.ask() for _ in range(10)]
    assert all(job is not None for job in jobs)
    for job in jobs[:6]:
        evolution.tell(job, branch_loss(job.config))
    assert all(evolution.ask() is not None for _ in range(10))


def test_failed_members_lose_every_tournament(cash_space):
    evolution = RegularizedEvolution(
        cash_space,
        population_size=4,
        tournament_size=4,
        crossover_rate=0.0,
        switch_rate=0.0,
        seed=5,
    )
    jobs = [evolution.ask() for _ in range(4)]
    survivor = jobs[0]
    for job in jobs:
        evolution.tell(job, 1.0 if job is survivor else math.inf)
    for _ in range(10):
        child = evolution.ask()
        assert child.config["algorithm"] == survivor.config["algorithm"]
        assert active_differences(child.config, survivor.config) >= 1


def test_evolution_beats_random_search_on_a_branchy_loss(cash_space):
    seeds = range(3)
    evolution = statistics.median(best_after("evolution", cash_space, s, 80) for s in seeds)
    random = statistics.median(best_after("random", cash_space, s, 80) for s in seeds)
    assert evolution < random


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"population_size": 1}, "population_size"),
        ({"population_size": 5, "tournament_size": 6}, "tournament_size"),
        ({"crossover_rate": 1.5}, "crossover_rate"),
        ({"switch_rate": -0.1}, "switch_rate"),
        ({"mutation_scale": 0.0}, "mutation_scale"),
    ],
)
def test_bad_options_are_refused(cash_space, options, message):
    with pytest.raises(ValueError, match=message):
        RegularizedEvolution(cash_space, **options)
