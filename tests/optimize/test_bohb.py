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
from automl_cli.optimize.kde import KDEProposer
from automl_cli.optimize.parzen import CategoricalParzen, NumericParzen


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


def test_numeric_parzen_is_a_density_on_the_unit_interval():
    rng = np.random.default_rng(0)
    parzen = NumericParzen.fit(rng.random(20) * 0.3)
    grid = np.linspace(0, 1, 20001)
    assert np.trapezoid(np.exp(parzen.log_pdf(grid)), grid) == pytest.approx(1.0, abs=1e-3)
    draws = parzen.sample(rng, 2000)
    assert draws.min() >= 0.0 and draws.max() <= 1.0
    assert np.mean(draws < 0.35) > 0.8  # mostly near the data, the prior keeps the rest


def test_parzen_blend_weighs_its_parts():
    data = NumericParzen.fit(np.full(30, 0.9))
    prior = NumericParzen.fit(np.full(30, 0.1))
    x = np.array([0.1, 0.9])
    leaning = np.exp(NumericParzen.blend([(0.9, prior), (0.1, data)]).log_pdf(x))
    assert leaning[0] > 5 * leaning[1]
    cats = CategoricalParzen.blend(
        [
            (0.25, CategoricalParzen.fit(np.zeros(9), 3)),
            (0.75, CategoricalParzen.fit(np.ones(9), 3)),
        ]
    )
    assert cats.p.sum() == pytest.approx(1.0)
    assert cats.p[1] > 2 * cats.p[0] > 0 and cats.p[2] > 0


def test_groups_hold_each_algorithms_active_hyperparameters(conditional_space):
    model = KDEProposer(conditional_space, np.random.default_rng(0))
    names = model.encoding.names
    groups = [sorted(names[j] for j in group) for group in model.groups]
    assert groups == [["frac", "kind", "lr"], ["depth", "frac", "kind"], ["frac", "kind"]]


def test_random_until_a_budget_has_enough_points(space):
    # one budget, no algorithm choice: the model needs 5 results
    opt = BOHB(space, min_budget=1.0, max_budget=1.0, seed=0, random_fraction=0.0)
    for i in range(5):
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
    ready = [b for b, n in counts.items() if n >= 5]
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
    assert sum(c["algo"] == "b" for c in late) >= 13
    assert opt.model.algorithm_probabilities()[1] > 0.7


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


def test_prior_and_own_results_blend_by_how_many_own_results_there_are(space):
    model = KDEProposer(space, np.random.default_rng(0))
    model.observe_prior(prior_around_x_0_2())
    model.observe_prior([Observation({"x": 0.1, "zzz": 1}, 1.0, 0.0)])  # not in this space
    assert len(model._prior) == 40 and model.prior_share() == 1.0

    def median_x():
        return np.median([model.propose()["x"] for _ in range(40)])

    assert abs(median_x() - 0.2) < 0.1  # no own result: the prior leads
    rng = np.random.default_rng(1)
    for n_own in (5, 200):
        while len(model._own.get(1.0, ())) < n_own:
            x = float(rng.random())
            model.observe({"x": x, "y": 0.5}, 1.0, (x - 0.8) ** 2)
        assert model.prior_share() == pytest.approx(10 / (10 + n_own))
    assert abs(median_x() - 0.8) < 0.1  # 200 own results: they lead


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
        ({"algorithm_floor": 1.5}, r"algorithm_floor must be a number in \[0, 1\], got 1.5"),
        ({"prior_strength": 0.0}, r"prior_strength must be a number > 0, got 0.0"),
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


def three_algorithm_space():
    """Three algorithms with three hyperparameters of their own each."""
    cs = ConfigurationSpace()
    algorithm = Categorical("algorithm", ["a", "b", "c"])
    cs.add(algorithm)
    for name in ("a", "b", "c"):
        own = [
            Float(f"{name}_x", (0.0, 1.0)),
            Float(f"{name}_rate", (1e-4, 1.0), log=True),
            Categorical(f"{name}_kind", ["u", "v", "w"]),
        ]
        cs.add(own)
        cs.add([EqualsCondition(hp, algorithm, name) for hp in own])
    return cs


def three_algorithm_loss(config):
    """Algorithm b is clearly best, and best near b_x = 0.8, b_rate = 1e-2, kind v."""
    name = config["algorithm"]
    base = {"a": 0.4, "b": 0.0, "c": 0.6}[name]
    rate = (math.log10(config[f"{name}_rate"]) + 2) / 4
    kind = 0.0 if config[f"{name}_kind"] == "v" else 0.1
    return base + abs(config[f"{name}_x"] - 0.8) + abs(rate) + kind


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_model_finds_the_right_algorithm_and_region_within_a_few_dozen_results(seed):
    space = three_algorithm_space()
    opt = BOHB(space, min_budget=1.0, max_budget=1.0, seed=seed)
    model_configs = []
    for _ in range(48):
        before = opt.n_model_proposals
        job = opt.ask()
        if opt.n_model_proposals > before:
            model_configs.append(job.config)
        opt.tell(job, three_algorithm_loss(job.config))
    late = model_configs[-15:]
    chosen_b = [c for c in late if c["algorithm"] == "b"]
    assert len(chosen_b) >= 9  # uniform: 5 of 15
    assert np.median([abs(c["b_x"] - 0.8) for c in chosen_b]) < 0.1  # uniform: about 0.25
    assert opt.incumbent[0]["algorithm"] == "b"


def test_the_floor_keeps_every_algorithm_in_play():
    space = three_algorithm_space()
    model = KDEProposer(space, np.random.default_rng(0), algorithm_floor=0.3)
    rng = np.random.default_rng(1)
    for i in range(60):
        name = "b" if i % 3 else "ac"[i % 2]
        x = float(rng.random())
        config = {"algorithm": name, f"{name}_x": x, f"{name}_rate": 0.01, f"{name}_kind": "u"}
        model.observe(config, 1.0, (0.0 if name == "b" else 1.0) + x)
    p = model.algorithm_probabilities()
    assert p.sum() == pytest.approx(1.0)
    assert p[1] > 0.6 and p.min() >= 0.1 - 1e-12  # the floor: 0.3 spread over 3
    drawn = [model.propose()["algorithm"] for _ in range(200)]
    assert min(drawn.count(name) for name in "ac") >= 10


def test_same_seed_same_asks_with_a_warm_start_prior():
    space = three_algorithm_space()
    rng = np.random.default_rng(3)
    history = []
    for name in rng.choice(list("abc"), size=30):
        config = {"algorithm": str(name), f"{name}_x": float(rng.random())}
        config |= {f"{name}_rate": 0.01, f"{name}_kind": "v"}
        history.append(Observation(config, 1.0, three_algorithm_loss(config)))

    def run():
        opt = BOHB(space, min_budget=1 / 9, seed=5)
        opt.warm_start([], history)
        out = []
        for _ in range(40):
            job = opt.ask()
            out.append((job.config, job.budget))
            opt.tell(job, three_algorithm_loss(job.config))
        return out, opt.n_model_proposals

    first, second = run(), run()
    assert first == second and first[1] > 15
