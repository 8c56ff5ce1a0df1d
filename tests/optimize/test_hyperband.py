"""Hyperband: bracket cycle, budgets per bracket, and opening brackets while others wait."""

import numpy as np
import pytest
from ConfigSpace import ConfigurationSpace, Float

from automl_cli.optimize import create_optimizer
from automl_cli.optimize.brackets import hyperband_brackets
from automl_cli.optimize.hyperband import Hyperband


@pytest.fixture
def space():
    cs = ConfigurationSpace()
    cs.add(Float("x", (0.0, 1.0)))
    return cs


def test_sequential_run_follows_the_bracket_table_and_cycles(space):
    opt = create_optimizer("hyperband", space, seed=0)
    schedule = hyperband_brackets(1 / 27, 1.0, 3)
    expected = [rung.budget for rungs in schedule for rung in rungs for _ in range(rung.n_configs)]
    budgets = []
    for _ in range(2 * len(expected)):
        job = opt.ask()
        budgets.append(job.budget)
        opt.tell(job, (job.config["x"] - 0.5) ** 2)
    assert budgets == expected + expected
    assert [len(b.rungs) for b in opt.brackets] == [4, 3, 2, 1, 4, 3, 2, 1]


def test_a_new_bracket_starts_when_the_open_ones_wait(space):
    opt = Hyperband(space, min_budget=1 / 9, seed=0)
    first = [opt.ask() for _ in range(9)]
    assert {job.budget for job in first} == {1 / 9}
    # bracket s=2 waits for results: the next ask opens bracket s=1 (5 configs at 1/3)
    second = [opt.ask() for _ in range(5)]
    assert {job.budget for job in second} == {1 / 3}
    assert len(opt.brackets) == 2
    for i, job in enumerate(first):
        opt.tell(job, i)
    # the older bracket's promotions come first
    promoted = opt.ask()
    assert promoted.config == first[0].config
    assert promoted.budget == 1 / 3


def test_open_brackets_stay_bounded_by_running_jobs(space):
    opt = Hyperband(space, min_budget=1 / 27, seed=5)
    rng = np.random.default_rng(0)
    running, budgets = [], set()
    for _ in range(400):
        while len(running) < 4:
            job = opt.ask()
            assert job is not None  # a free worker always gets a trial
            running.append(job)
            budgets.add(job.budget)
        done = running.pop(int(rng.integers(len(running))))
        opt.tell(done, float(rng.random()))
        assert sum(not b.finished for b in opt.brackets) <= len(running) + 1
    assert budgets == {1 / 27, 1 / 9, 1 / 3, 1.0}


def test_same_seed_same_jobs(space):
    def run(seed):
        opt = Hyperband(space, seed=seed)
        out = []
        for _ in range(60):
            job = opt.ask()
            out.append((job.config["x"], job.budget))
            opt.tell(job, job.config["x"])
        return out

    assert run(4) == run(4)
    assert run(4) != run(5)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"eta": 1}, r"eta must be an integer >= 2 \(the factor between rungs\), got 1"),
        ({"min_budget": 2.0, "max_budget": 1.0}, r"min_budget must be in \(0, "),
        (
            {"early_stopping_min_chance": -0.1},
            r"early_stopping_min_chance must be a number in \[0, 1\)",
        ),
    ],
)
def test_bad_options(space, options, message):
    with pytest.raises(ValueError, match=message):
        Hyperband(space, **options)


@pytest.mark.parametrize("name", ["hyperband", "bohb"])
def test_warm_configs_run_at_full_budget_first_then_the_cycle_goes_on(space, name):
    warm = [{"x": x} for x in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)]
    opt = create_optimizer(name, space, min_budget=1 / 9, seed=0)
    opt.warm_start(warm)
    jobs = []
    for _ in range(3 + 9 + 5):
        job = opt.ask()
        jobs.append(job)
        opt.tell(job, abs(job.config["x"] - 0.35))
    # bracket s=0 (s_max + 1 = 3 configs at max_budget), then s=2 starting with the rest
    assert [(j.config, j.budget) for j in jobs[:3]] == [(c, 1.0) for c in warm[:3]]
    assert [j.config for j in jobs[3:6]] == warm[3:]
    assert {j.budget for j in jobs[3:12]} == {1 / 9}
    assert [len(b.rungs) for b in opt.brackets[:2]] == [1, 3]
    assert opt.incumbent[2] == 1.0  # a full-budget incumbent from the first trials on


def test_without_warm_configs_the_cycle_starts_at_the_smallest_budget(space):
    opt = Hyperband(space, min_budget=1 / 9, seed=0)
    assert opt.ask().budget == pytest.approx(1 / 9)
