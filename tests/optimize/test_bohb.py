"""BOHB and its density model: the KDE maths, random fallback, concentration, warm start."""

import math

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

from automl_cli.optimize import create_optimizer
from automl_cli.optimize.base import Observation
from automl_cli.optimize.bohb import BOHB
from automl_cli.optimize.kde import KDEProposer, ProductKDE, SpaceCoder


@pytest.fixture
def space():
    cs = ConfigurationSpace()
    cs.add([Float("x", (0.0, 1.0)), Float("y", (0.0, 1.0))])
    return cs


@pytest.fixture
def conditional_space():
    cs = ConfigurationSpace()
    algo = Categorical("algo", ["a", "b", "c"])
    lr = Float("lr", (1e-4, 1.0), log=True)
    depth = Integer("depth", (1, 32))
    kind = Categorical("kind", ["u", "v", "w"])
    cs.add([algo, lr, depth, kind, Float("frac", (0.0, 1.0))])
    cs.add([EqualsCondition(lr, algo, "a"), EqualsCondition(depth, algo, "b")])
    return cs


def assert_valid_plain(space, config):
    Configuration(space, values=config).check_valid_configuration()
    assert all(type(v) in (bool, int, float, str) for v in config.values())


def naive_log_pdf(kde, points):
    """The product-kernel density written out point by point."""
    data, is_cat = kde.data, kde.is_cat
    h, lam, choices = kde.bandwidth_cont, kde.bandwidth_cat, kde._choices
    out = []
    for x in points:
        total = 0.0
        for row in data:
            k = 1.0
            for j, (xj, rj) in enumerate(zip(x[~is_cat], row[~is_cat], strict=True)):
                k *= math.exp(-0.5 * ((xj - rj) / h[j]) ** 2) / (h[j] * math.sqrt(2 * math.pi))
            for j, (xj, rj) in enumerate(zip(x[is_cat], row[is_cat], strict=True)):
                k *= 1 - lam[j] if xj == rj else lam[j] / (choices[j] - 1)
            total += k
        out.append(math.log(total / len(data)))
    return np.array(out)


def test_product_kde_matches_the_written_out_density():
    rng = np.random.default_rng(0)
    data = np.column_stack([rng.random(30), rng.integers(3, size=30), rng.random(30)])
    is_cat = np.array([False, True, False])
    kde = ProductKDE(data, is_cat, np.array([0, 3, 0]), min_bandwidth=1e-3)
    points = np.column_stack([rng.random(7), rng.integers(3, size=7), rng.random(7)])
    np.testing.assert_allclose(kde.log_pdf(points), naive_log_pdf(kde, points), rtol=1e-9)


def test_bandwidths_follow_the_normal_reference_rule():
    rng = np.random.default_rng(1)
    data = np.column_stack([rng.random(50), np.zeros(50), np.arange(50) % 2])
    kde = ProductKDE(data, np.array([False, False, True]), np.array([0, 0, 2]), 1e-3)
    scott = 50 ** (-1 / 7)
    assert kde.bandwidth_cont[0] == pytest.approx(1.06 * data[:, 0].std() * scott)
    assert kde.bandwidth_cont[1] == 1e-3  # a constant column gets the minimum
    assert kde.bandwidth_cat[0] == pytest.approx(1.06 * 0.5 * scott)  # std of a fair 0/1 code


def test_samples_stay_in_the_unit_box_and_valid_categories():
    rng = np.random.default_rng(2)
    data = np.column_stack([rng.random(20), rng.integers(4, size=20)])
    kde = ProductKDE(data, np.array([False, True]), np.array([0, 4]), 1e-3)
    draws = kde.sample(rng, 500, bandwidth_factor=3.0)
    assert draws[:, 0].min() >= 0.0 and draws[:, 0].max() <= 1.0
    assert set(np.unique(draws[:, 1])) <= {0.0, 1.0, 2.0, 3.0}


def test_coder_round_trip_with_conditions(conditional_space):
    coder = SpaceCoder(conditional_space)
    assert coder.dim == 5
    config = {"algo": "b", "depth": 7, "frac": 0.25, "kind": "w"}
    row = coder.encode(config)
    assert np.isnan(row).sum() == 1  # lr is inactive
    row = np.where(np.isnan(row), 0.5, row)  # an imputed value for the inactive lr
    assert coder.decode(row) == config
    assert coder.encode({"algo": "b", "lr": 0.1}) is None


def test_random_until_a_budget_has_enough_points(space):
    # one budget; d = 2, so the model needs at least 4 good and 4 bad results
    opt = BOHB(space, min_budget=1.0, max_budget=1.0, seed=0, random_fraction=0.0)
    for i in range(8):
        assert opt.model.model_budget() is None
        job = opt.ask()
        assert opt.n_model_proposals == 0
        opt.tell(job, float(i))
    assert opt.model.model_budget() == 1.0
    opt.ask()
    assert opt.n_model_proposals == 1


def test_model_uses_the_largest_budget_that_is_ready(space):
    opt = BOHB(space, min_budget=1 / 9, seed=0)
    rng = np.random.default_rng(0)
    for _ in range(40):
        job = opt.ask()
        opt.tell(job, float(rng.random()))
    counts = {b: len(store.losses) for b, store in opt.model._own.items()}
    ready = [b for b, n in counts.items() if n >= 8]
    assert opt.model.model_budget() == max(ready)


def quadratic_run(space, n_jobs, seed):
    opt = create_optimizer("bohb", space, min_budget=1 / 9, seed=seed)
    model_configs = []
    for _ in range(n_jobs):
        before = opt.n_model_proposals
        job = opt.ask()
        if opt.n_model_proposals > before:
            model_configs.append(job.config)
        noise = 0.05 * (1 - job.budget)
        opt.tell(job, (job.config["x"] - 0.8) ** 2 + noise * job.config["y"])
    return opt, model_configs


def test_proposals_concentrate_where_the_loss_is_low(space):
    opt, model_configs = quadratic_run(space, n_jobs=200, seed=3)
    late = model_configs[-30:]
    assert len(late) == 30
    assert np.median([abs(c["x"] - 0.8) for c in late]) < 0.1  # uniform draws: about 0.3
    assert abs(opt.incumbent[0]["x"] - 0.8) < 0.1


def test_categorical_and_conditional_proposals(conditional_space):
    opt = BOHB(conditional_space, min_budget=1 / 3, seed=1)
    model_configs = []
    for _ in range(150):
        before = opt.n_model_proposals
        job = opt.ask()
        assert_valid_plain(conditional_space, job.config)
        if opt.n_model_proposals > before:
            model_configs.append(job.config)
        c = job.config
        loss = {"a": 0.5, "b": 0.0, "c": 0.6}[c["algo"]] + abs(c.get("depth", 16) - 4) / 32
        opt.tell(job, loss)
    late = model_configs[-20:]
    assert len(late) == 20
    assert sum(c["algo"] == "b" for c in late) >= 15


def prior_around_x_0_2() -> list[Observation]:
    """Evaluations of an earlier task whose loss is lowest at x = 0.2."""
    return [
        Observation({"x": float(x), "y": 0.5}, 1.0, (float(x) - 0.2) ** 2)
        for x in np.linspace(0, 1, 40)
    ]


def test_warm_start_configs_fill_the_first_bracket_and_history_seeds_the_model(space):
    history = prior_around_x_0_2()
    warm = [{"x": 0.21, "y": 0.5}, {"x": 0.19, "y": 0.4}]
    opt = BOHB(space, min_budget=1 / 9, seed=0, random_fraction=0.0)
    opt.warm_start(warm, history)
    jobs = [opt.ask() for _ in range(9)]
    assert [job.config for job in jobs[:2]] == warm
    assert opt.n_model_proposals == 7  # the prior model proposes before any own result
    assert np.median([abs(job.config["x"] - 0.2) for job in jobs[2:]]) < 0.15


def test_history_that_arrives_after_the_first_config_still_seeds_the_model(space):
    history = prior_around_x_0_2()
    opt = BOHB(space, min_budget=1 / 9, seed=0, random_fraction=0.0)
    opt.warm_start([{"x": 0.21, "y": 0.5}], then=lambda: ([{"x": 0.19, "y": 0.4}], history))
    jobs = [opt.ask() for _ in range(9)]
    assert [job.config["x"] for job in jobs[:2]] == [0.21, 0.19]
    assert opt.n_model_proposals == 7
    assert np.median([abs(job.config["x"] - 0.2) for job in jobs[2:]]) < 0.15


def test_prior_history_steps_aside_once_own_results_suffice(space):
    model = KDEProposer(space, np.random.default_rng(0))
    model.observe_prior([Observation({"x": 0.1, "y": 0.1}, 1.0, 0.0)] * 30)
    model.observe_prior([Observation({"x": 0.1, "zzz": 1}, 1.0, 0.0)])  # not in this space
    assert model._prior[1.0].losses == [0.0] * 30
    for i in range(8):
        model.observe({"x": 0.9, "y": 0.9 - i / 100}, 0.5, float(i))
    assert model.model_budget() == 0.5
    draws = [model.propose()["x"] for _ in range(10)]
    assert np.median(draws) > 0.5


def test_same_seed_same_asks(conditional_space):
    def run():
        opt = BOHB(conditional_space, min_budget=1 / 3, seed=7)
        out = []
        for i in range(60):
            job = opt.ask()
            out.append((job.config, job.budget))
            opt.tell(job, math.inf if i % 7 == 0 else float(len(str(job.config)) % 5))
        return out

    assert run() == run()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"random_fraction": 1.5}, r"random_fraction must be a number in \[0, 1\], got 1.5"),
        ({"top_fraction": 0.0}, r"top_fraction must be a number in \(0, 1\], got 0.0"),
        ({"n_candidates": 0}, r"n_candidates must be a whole number >= 1, got 0"),
        ({"bandwidth_factor": -1.0}, r"bandwidth_factor must be a number > 0, got -1.0"),
        ({"min_bandwidth": 0.0}, r"min_bandwidth must be a number > 0, got 0.0"),
        ({"min_points_in_model": 1}, r"min_points_in_model must be a whole number >= 2, got 1"),
        ({"eta": 1}, r"eta must be an integer >= 2"),
    ],
)
def test_bad_options(space, options, message):
    with pytest.raises(ValueError, match=message):
        BOHB(space, **options)


def test_model_proposals_are_valid_in_a_nested_conditional_space(cash_space):
    # the CASH-like space: conditions two levels deep (algorithm -> boosting -> drop rate)
    opt = BOHB(cash_space, min_budget=1 / 3, seed=2, random_fraction=0.0)
    rng = np.random.default_rng(0)
    for _ in range(200):
        job = opt.ask()
        assert_valid_plain(cash_space, job.config)
        opt.tell(job, float(rng.random()))
    assert opt.n_model_proposals > 20
