"""Successive halving: the schedule, exactly which configs move up, and its waiting rules."""

import math

import pytest
from ConfigSpace import ConfigurationSpace, Float

from automl_cli.optimize import create_optimizer
from automl_cli.optimize.brackets import Rung
from automl_cli.optimize.successive_halving import SuccessiveHalving


@pytest.fixture
def space():
    cs = ConfigurationSpace()
    cs.add(Float("x", (0.0, 1.0)))
    return cs


def ask_all(opt):
    """Every job the optimizer hands out before it must wait."""
    jobs = []
    while (job := opt.ask()) is not None:
        jobs.append(job)
    return jobs


def test_default_schedule_starts_at_min_budget(space):
    opt = create_optimizer("sha", space, seed=0)
    assert isinstance(opt, SuccessiveHalving)
    jobs = ask_all(opt)
    assert len(jobs) == 27
    assert {job.budget for job in jobs} == {1 / 27}
    assert len({job.id for job in jobs}) == 27
    assert opt.brackets[0].rungs == [
        Rung(27, 1 / 27),
        Rung(9, 1 / 9),
        Rung(3, 1 / 3),
        Rung(1, 1.0),
    ]


def test_promotes_exactly_the_best_third_at_each_rung(space):
    opt = SuccessiveHalving(space, min_budget=1 / 9, max_budget=1.0, eta=3, seed=1)
    first = ask_all(opt)
    assert len(first) == 9
    assert {job.budget for job in first} == {1 / 9}
    # hand-made losses: the rank of each job is fixed by this permutation
    order = [4, 8, 0, 6, 2, 7, 1, 5, 3]
    for job, rank in zip(first, order, strict=True):
        opt.tell(job, rank / 10)
    second = ask_all(opt)
    expected = [first[order.index(rank)].config for rank in (0, 1, 2)]
    assert [job.config for job in second] == expected
    assert {job.budget for job in second} == {1 / 3}
    for job, loss in zip(second, [0.5, 0.05, 0.3], strict=True):
        opt.tell(job, loss)
    third = ask_all(opt)
    assert [job.config for job in third] == [expected[1]]
    assert third[0].budget == 1.0
    opt.tell(third[0], 0.04)
    assert opt.ask() is None  # finished, nothing pending
    assert opt.incumbent == (expected[1], 0.04, 1.0)


def test_waits_for_the_whole_rung(space):
    opt = SuccessiveHalving(space, min_budget=1 / 3, max_budget=1.0, seed=0)
    jobs = ask_all(opt)
    assert len(jobs) == 3
    opt.tell(jobs[0], 0.1)
    opt.tell(jobs[1], 0.2)
    assert opt.ask() is None
    opt.tell(jobs[2], 0.3)
    top = opt.ask()
    assert top.config == jobs[0].config
    assert top.budget == 1.0
    assert opt.ask() is None


def test_failures_are_not_promoted_and_ties_go_to_the_earlier_config(space):
    opt = SuccessiveHalving(space, min_budget=1 / 9, max_budget=1.0, seed=0)
    jobs = ask_all(opt)
    losses = [math.inf, 0.7, math.inf, 0.2, math.inf, 0.2, math.nan, math.inf, math.inf]
    for job, loss in zip(jobs, losses, strict=True):
        opt.tell(job, loss)
    promoted = ask_all(opt)
    assert [job.config for job in promoted] == [jobs[3].config, jobs[5].config, jobs[1].config]


def test_all_failed_ends_the_search(space):
    opt = SuccessiveHalving(space, min_budget=1 / 3, max_budget=1.0, seed=0)
    for job in ask_all(opt):
        opt.tell(job, math.inf)
    assert opt.ask() is None
    assert opt.incumbent is None


def test_n_configs_option(space):
    opt = SuccessiveHalving(space, min_budget=1 / 9, max_budget=1.0, n_configs=5, seed=0)
    jobs = ask_all(opt)
    assert len(jobs) == 5
    for i, job in enumerate(jobs):
        opt.tell(job, i)
    assert [job.config for job in ask_all(opt)] == [jobs[0].config]  # 5 // 3 == 1


def test_tell_of_unknown_or_repeated_job_is_refused(space):
    opt = SuccessiveHalving(space, min_budget=1 / 3, seed=0)
    job = opt.ask()
    opt.tell(job, 0.5)
    with pytest.raises(ValueError, match=f"job {job.id} is not running in this optimizer"):
        opt.tell(job, 0.5)
    assert len(opt.observations) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"eta": 1}, r"eta must be an integer >= 2"),
        ({"min_budget": 0.5, "max_budget": 0.25}, r"min_budget must be in \(0, "),
        ({"n_configs": 0}, r"n_configs must be a whole number >= 1, got 0"),
        ({"n_configs": 2.5}, r"n_configs must be a whole number >= 1, got 2.5"),
    ],
)
def test_bad_options(space, options, message):
    with pytest.raises(ValueError, match=message):
        SuccessiveHalving(space, **options)


def test_sha_does_not_take_early_stopping(space):
    with pytest.raises(TypeError, match="early_stopping"):
        SuccessiveHalving(space, early_stopping=True)
