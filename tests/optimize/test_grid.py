"""Grid search: the exact grid, conditional branches without duplicates, seeded lazy order."""

from __future__ import annotations

import json
import math
import tracemalloc

import numpy as np
import pytest
from ConfigSpace import (
    Categorical,
    Configuration,
    ConfigurationSpace,
    EqualsCondition,
    Float,
    Integer,
)
from ConfigSpace.util import generate_grid

from automl_cli.optimize import create_optimizer
from automl_cli.optimize.grid import GridSearch, SeededPermutation


def exhaust(optimizer) -> list[dict]:
    configs = []
    while (job := optimizer.ask()) is not None:
        assert job.budget == optimizer.max_budget
        configs.append(job.config)
    return configs


def key(config) -> str:
    """A config as JSON with floats rounded, to compare against ConfigSpace's own grid."""
    plain = {}
    for name, value in dict(config).items():
        value = value.item() if isinstance(value, np.generic) else value
        plain[name] = round(value, 9) if isinstance(value, float) else value
    return json.dumps(plain, sort_keys=True)


def test_tiny_grid_is_visited_once_then_exhausted(tiny_space):
    grid = create_optimizer(
        "grid", tiny_space, resolution=4, seed=1, min_budget=0.1, max_budget=0.5
    )
    configs = exhaust(grid)
    assert grid.size == 8
    assert len({key(c) for c in configs}) == 8
    assert sorted({c["x"] for c in configs}) == pytest.approx([-1, -1 / 3, 1 / 3, 1])
    assert {c["kind"] for c in configs} == {"a", "b"}
    assert grid.ask() is None


def test_conditional_grid_equals_configspace_grid_without_duplicates(cash_space):
    grid = create_optimizer("grid", cash_space, resolution=2)
    configs = exhaust(grid)
    steps = {name: 2 for name, hp in cash_space.items() if hasattr(hp, "lower")}
    reference = {key(c) for c in generate_grid(cash_space, steps)}
    assert len(configs) == grid.size == len({key(c) for c in configs})
    assert {key(c) for c in configs} == reference
    for config in configs[:200]:
        Configuration(cash_space, values=config)


def test_inactive_hyperparameters_are_absent_not_varied():
    space = ConfigurationSpace({"use": [True, False], "x": (0.0, 1.0)})
    space.add(EqualsCondition(space["x"], space["use"], True))
    configs = exhaust(GridSearch(space, resolution=3))
    assert sorted(json.dumps(c, sort_keys=True) for c in configs) == sorted(
        [json.dumps({"use": False})]
        + [json.dumps({"use": True, "x": x}, sort_keys=True) for x in (0.0, 0.5, 1.0)]
    )


def test_log_floats_get_a_log_grid_and_integers_at_most_their_range():
    space = ConfigurationSpace(
        [
            Float("rate", (1e-3, 10.0), log=True),
            Integer("small", (1, 3)),
            Integer("wide", (1, 1000), log=True),
            Categorical("c", ["p", "q", "r"]),
        ]
    )
    configs = exhaust(GridSearch(space, resolution={"rate": 5, "small": 5, "wide": 4}))
    rates = sorted({c["rate"] for c in configs})
    assert rates == pytest.approx([1e-3, 1e-2, 1e-1, 1.0, 10.0])
    assert sorted({c["small"] for c in configs}) == [1, 2, 3]
    assert sorted({c["wide"] for c in configs}) == [1, 10, 100, 1000]
    assert len(configs) == 5 * 3 * 4 * 3


def test_resolution_one_takes_the_default_and_bad_resolutions_are_refused(tiny_space):
    configs = exhaust(GridSearch(tiny_space, resolution=1))
    assert sorted(configs, key=lambda c: c["kind"]) == [
        {"kind": "a", "x": 0.0},
        {"kind": "b", "x": 0.0},
    ]
    with pytest.raises(ValueError, match="resolution of 'x'"):
        GridSearch(tiny_space, resolution={"x": 0})
    with pytest.raises(ValueError, match="integer >= 1"):
        GridSearch(tiny_space, resolution=2.5)


def test_order_is_a_seeded_shuffle(cash_space):
    def order(seed: int) -> list[str]:
        return [key(c) for c in exhaust(GridSearch(cash_space, resolution=2, seed=seed))]

    first, again, other = order(4), order(4), order(5)
    assert first == again
    assert first != other
    assert sorted(first) == sorted(other)
    assert first != sorted(first)
    assert len({json.loads(k)["algorithm"] for k in first[:12]}) == 3  # branches interleave


def test_a_huge_grid_is_enumerated_lazily():
    space = ConfigurationSpace({f"x{i:02d}": (0.0, 1.0) for i in range(30)})
    tracemalloc.start()
    grid = GridSearch(space, resolution=10, seed=2)
    configs = [grid.ask().config for _ in range(200)]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert grid.size == 10**30
    assert len({key(c) for c in configs}) == 200
    assert peak < 20 * 2**20  # a list of its 10**30 points would never fit


@pytest.mark.parametrize("size", [1, 2, 3, 17, 1000, 4097])
def test_seeded_permutation_is_a_bijection(size):
    permutation = SeededPermutation(size, np.random.default_rng(size))
    values = [permutation(i) for i in range(size)]
    assert sorted(values) == list(range(size))
    if size > 16:
        assert values != list(range(size))
    with pytest.raises(IndexError):
        permutation(size)


def test_warm_start_first_and_a_warm_grid_point_is_not_repeated(tiny_space):
    grid = GridSearch(tiny_space, resolution=3, seed=0)
    on_grid, off_grid = {"kind": "a", "x": 0.0}, {"kind": "b", "x": 0.25}
    grid.warm_start([on_grid, off_grid])
    configs = exhaust(grid)
    assert configs[:2] == [on_grid, off_grid]
    assert len(configs) == 2 + 6 - 1
    assert configs.count(on_grid) == 1


def test_failed_trials_do_not_change_the_order(tiny_space):
    told, silent = GridSearch(tiny_space, seed=9), GridSearch(tiny_space, seed=9)
    for _ in range(10):
        job = told.ask()
        told.tell(job, math.inf)
        assert job.config == silent.ask().config
    assert told.incumbent is None
