"""ASHA: the promotion rule on hand-made loss sequences, and that it never waits."""

import math

import numpy as np
import pytest
from ConfigSpace import ConfigurationSpace, Float

from automl_cli.optimize import create_optimizer
from automl_cli.optimize.asha import ASHA


@pytest.fixture
def space():
    cs = ConfigurationSpace()
    cs.add(Float("x", (0.0, 1.0)))
    return cs


def test_rungs(space):
    assert create_optimizer("asha", space).rungs == [1 / 27, 1 / 9, 1 / 3, 1.0]
    assert ASHA(space, min_budget=0.01, max_budget=1.0).rungs[0] == pytest.approx(1 / 81)


def test_promotes_as_soon_as_a_config_is_in_the_top_third(space):
    opt = ASHA(space, min_budget=1 / 9, seed=0)
    a, b = opt.ask(), opt.ask()
    opt.tell(a, 0.5)
    opt.tell(b, 0.2)
    c = opt.ask()  # two results at rung 0: top floor(2/3) = 0 configs, so a new config
    assert c.budget == 1 / 9
    assert c.config not in (a.config, b.config)
    opt.tell(c, 0.9)
    up = opt.ask()  # three results: b (0.2) is the top third
    assert (up.config, up.budget) == (b.config, 1 / 3)
    fresh = opt.ask()  # b is promoted already, nothing else qualifies
    assert fresh.budget == 1 / 9
    opt.tell(fresh, 0.1)
    d = opt.ask()  # four results, top 1: fresh (0.1)
    assert (d.config, d.budget) == (fresh.config, 1 / 3)


def test_higher_rungs_are_served_first(space):
    opt = ASHA(space, min_budget=1 / 9, seed=0)
    bottom = [opt.ask() for _ in range(9)]
    for i, job in enumerate(bottom):
        opt.tell(job, i / 10)
    middle = [opt.ask() for _ in range(3)]  # top 3 of 9, best first
    assert [job.config for job in middle] == [job.config for job in bottom[:3]]
    assert {job.budget for job in middle} == {1 / 3}
    for job, loss in zip(middle, [0.3, 0.1, 0.2], strict=True):
        opt.tell(job, loss)
    top = opt.ask()  # rung 1 has a promotable config: it goes before any rung-0 promotion
    assert (top.config, top.budget) == (bottom[1].config, 1.0)
    opt.tell(top, 0.05)
    assert opt.incumbent == (bottom[1].config, 0.05, 1.0)


def test_failures_never_promoted_and_ties_by_start_order(space):
    opt = ASHA(space, min_budget=1 / 3, seed=0)
    jobs = [opt.ask() for _ in range(6)]
    for job in jobs[:3]:
        opt.tell(job, math.inf)
    assert opt.ask().budget == 1 / 3  # only failures: nothing to promote
    for job in jobs[3:]:
        opt.tell(job, 0.4)
    first = opt.ask()
    second = opt.ask()
    assert (first.config, first.budget) == (jobs[3].config, 1.0)
    assert (second.config, second.budget) == (jobs[4].config, 1.0)


def test_never_waits(space):
    opt = ASHA(space, seed=0)
    jobs = [opt.ask() for _ in range(50)]
    assert all(job is not None and job.budget == 1 / 27 for job in jobs)
    assert len({job.id for job in jobs}) == 50


# losses by (config label, budget); labels A, B, ... in the order configs first appear
SCRIPT = {
    ("A", 1 / 4): 0.3,
    ("B", 1 / 4): 0.6,
    ("A", 1 / 2): 0.2,
    ("C", 1 / 4): 0.35,
    ("D", 1 / 4): 0.9,
    ("C", 1 / 2): 0.45,
    ("A", 1.0): 0.2,
    ("E", 1 / 4): 0.31,
    ("E", 1 / 2): 0.95,
    ("F", 1 / 4): 0.32,
    ("F", 1 / 2): 0.96,
}


def first_unscripted_job(opt):
    """Run the script; return (label, budget) of the first job it has no loss for."""
    labels = {}
    while True:
        job = opt.ask()
        label = labels.setdefault(job.config["x"], "ABCDEFGH"[len(labels)])
        if (label, job.budget) not in SCRIPT:
            return label, job.budget
        opt.tell(job, SCRIPT[label, job.budget])


@pytest.mark.parametrize(
    ("early_stopping", "expected"), [(False, ("C", 1.0)), (True, ("G", 1 / 4))]
)
def test_early_stopping_blocks_promotion_of_predicted_losers(space, early_stopping, expected):
    # C is in the top half of rung 1/2 (0.2 promoted, 0.45, 0.95, 0.96), but its curve
    # 0.35 -> 0.45 predicts 0.45 at the full budget, far above the incumbent's 0.2
    opt = ASHA(space, min_budget=1 / 4, eta=2, seed=0, early_stopping=early_stopping)
    assert first_unscripted_job(opt) == expected
    assert opt.incumbent[1:] == (0.2, 1.0)


def test_same_seed_same_jobs(space):
    def run():
        opt = ASHA(space, seed=11)
        rng = np.random.default_rng(0)
        out = []
        for _ in range(80):
            job = opt.ask()
            out.append((job.config["x"], job.budget))
            opt.tell(job, float(rng.random()))
        return out

    assert run() == run()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"eta": 1}, r"eta must be an integer >= 2 \(the factor between rungs\), got 1"),
        ({"min_budget": 1.0, "max_budget": 0.5}, r"min_budget must be in \(0, "),
    ],
)
def test_bad_options(space, options, message):
    with pytest.raises(ValueError, match=message):
        ASHA(space, **options)
