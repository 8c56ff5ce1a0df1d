"""GP-BO and the vector encoding it shares: round trips, repair, the GP, and search behaviour."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from ConfigSpace import Configuration, ConfigurationSpace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import approx_fprime

from automl_cli.optimize import create_optimizer
from automl_cli.optimize.encoding import CATEGORICAL, NUMERIC, SpaceEncoding
from automl_cli.optimize.gp_bo import (
    GaussianProcessBO,
    MaternGP,
    copula_transform,
    expected_improvement,
)


@pytest.fixture(scope="module")
def smooth_space() -> ConfigurationSpace:
    return ConfigurationSpace({"x": (-1.0, 1.0), "y": (-1.0, 1.0), "kind": ["a", "b", "c"]})


def bowl(config: dict) -> float:
    """Minimum 0 at x = 0.3, y = -0.2, kind = 'b'."""
    penalty = 0.0 if config["kind"] == "b" else 0.3
    return (config["x"] - 0.3) ** 2 + (config["y"] + 0.2) ** 2 + penalty


def best_after(name: str, space, seed: int, trials: int) -> float:
    optimizer = create_optimizer(name, space, seed=seed)
    best = math.inf
    for _ in range(trials):
        job = optimizer.ask()
        assert job.budget == optimizer.max_budget
        loss = bowl(job.config)
        optimizer.tell(job, loss)
        best = min(best, loss)
    return best


# -- the encoding -------------------------------------------------------------------------------
def test_encode_then_decode_gives_back_the_config(cash_space):
    encoding = SpaceEncoding(cash_space)
    cash_space.seed(1)
    configs = [dict(c) for c in cash_space.sample_configuration(100)]
    decoded = [encoding.decode(row) for row in encoding.encode(configs)]
    for original, back in zip(configs, decoded, strict=True):
        assert back.keys() == original.keys()
        for name, value in original.items():
            assert back[name] == pytest.approx(value, rel=1e-9)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_repair_turns_any_matrix_into_valid_configs(cash_space, seed):
    encoding = SpaceEncoding(cash_space)
    rng = np.random.default_rng(seed)
    garbage = rng.uniform(-1.0, 4.0, size=(20, encoding.dim))
    garbage[rng.random(garbage.shape) < 0.3] = np.nan
    rows = encoding.repair(garbage, encoding.sample_raw(20, rng))
    for row in rows:
        config = encoding.decode(row)
        Configuration(cash_space, values=config)  # bounds and conditions hold
        assert len(config) == np.isfinite(row).sum()


def test_features_one_hot_categoricals_and_impute_inactive_with_defaults(cash_space):
    encoding = SpaceEncoding(cash_space)
    assert encoding.names[encoding.top_categorical] == "algorithm"
    rows = encoding.sample(50, np.random.default_rng(0))
    features = encoding.features(rows)
    n_numeric = encoding.kinds.count(NUMERIC)
    n_onehot = sum(encoding.n_choices[j] for j, k in enumerate(encoding.kinds) if k == CATEGORICAL)
    assert features.shape == (50, n_numeric + n_onehot)
    assert features.min() >= 0.0 and features.max() <= 1.0
    assert np.all(features[:, :3].sum(axis=1) == 1.0)  # 'algorithm' comes first, one-hot
    linear = [i for i, row in enumerate(rows) if encoding.decode(row)["algorithm"] == "linear"]
    gbm_rate = encoding.names.index("gbm_learning_rate")
    imputed = encoding.features(np.where(np.isnan(rows), encoding.defaults, rows))
    assert np.array_equal(features[linear], imputed[linear])
    assert np.all(np.isnan(rows[linear, gbm_rate]))


# -- the model ----------------------------------------------------------------------------------
def test_gp_likelihood_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    X = rng.random((30, 4))
    y = np.sin(4 * X[:, 0]) + 0.1 * rng.normal(size=30)
    y = (y - y.mean()) / y.std()
    gp = MaternGP(4)
    theta = gp.theta + rng.normal(0.0, 0.3, size=gp.theta.size)
    analytic = gp.neg_log_likelihood(theta, X, y)[1]
    numeric = approx_fprime(theta, lambda t: gp.neg_log_likelihood(t, X, y)[0], 1e-6)
    assert analytic == pytest.approx(numeric, rel=1e-3, abs=1e-3)


def test_gp_fits_a_smooth_function_and_is_unsure_far_from_data():
    rng = np.random.default_rng(1)
    X = rng.random((40, 2)) * 0.5  # data only in the lower-left quarter
    y = np.sin(6 * X[:, 0]) + X[:, 1]
    gp = MaternGP(2)
    gp.fit_hyperparameters(X, y, rng, restarts=1)
    gp.condition(X, y)
    test = rng.random((20, 2)) * 0.5
    mean, std_near = gp.predict(test)
    assert np.abs(mean - (np.sin(6 * test[:, 0]) + test[:, 1])).max() < 0.1
    _, std_far = gp.predict(np.full((1, 2), 1.0))
    assert std_far[0] > 5 * std_near.max()


def test_copula_ranks_ties_together_and_expected_improvement_prefers_low_means():
    targets = copula_transform(np.array([3.0, 1.0, 1.0, 7.0, 2.0]))
    assert targets[1] == targets[2]
    assert list(np.argsort(targets, kind="stable")) == [1, 2, 4, 0, 3]
    assert copula_transform(np.array([5.0, -2.0, 9.0])).sum() == pytest.approx(0.0, abs=1e-12)
    ei = expected_improvement(np.array([-1.0, 0.0, 1.0]), np.full(3, 0.5), best=0.0)
    assert ei[0] > ei[1] > ei[2] > 0.0


# -- the strategy -------------------------------------------------------------------------------
def test_bo_beats_random_search_on_a_smooth_loss(smooth_space):
    seeds = range(3)
    bo = [best_after("bo", smooth_space, s, 30) for s in seeds]
    random = [best_after("random", smooth_space, s, 30) for s in seeds]
    assert statistics.median(bo) < statistics.median(random)
    assert statistics.median(bo) < 0.01


def test_failed_region_is_learned_and_avoided(smooth_space):
    bo = GaussianProcessBO(smooth_space, n_initial=8, seed=2)
    late = []
    for step in range(36):
        job = bo.ask()
        fails = job.config["x"] > 0.0
        bo.tell(job, math.inf if fails else (job.config["x"] + 0.5) ** 2)
        if step >= 8:
            late.append(fails)
    assert sum(late) / len(late) < 0.35  # random search would fail half the time
    assert bo.incumbent[1] < 0.01


def test_pending_jobs_push_parallel_asks_apart(smooth_space):
    bo = GaussianProcessBO(smooth_space, n_initial=6, seed=4)
    for _ in range(12):
        job = bo.ask()
        bo.tell(job, bowl(job.config))
    batch = [bo.ask().config for _ in range(5)]
    points = np.array([[c["x"], c["y"]] for c in batch])
    gaps = [np.linalg.norm(a - b) for i, a in enumerate(points) for b in points[i + 1 :]]
    assert len({tuple(sorted(c.items())) for c in batch}) == 5
    assert min(gaps) > 1e-3


def test_a_finite_space_is_not_asked_twice_until_it_is_used_up():
    space = ConfigurationSpace({"a": ["p", "q", "r"], "b": [1, 2]})
    bo = GaussianProcessBO(space, n_initial=2, seed=0)
    seen = []
    for _ in range(6):
        job = bo.ask()
        seen.append(tuple(sorted(job.config.items())))
        bo.tell(job, 1.0 if job.config["a"] == "q" else 2.0)
    assert len(set(seen)) == 6
    assert bo.ask() is not None  # a used-up space repeats rather than stalls


def test_bad_options_are_refused(smooth_space):
    with pytest.raises(ValueError, match="n_initial"):
        GaussianProcessBO(smooth_space, n_initial=1)
    with pytest.raises(ValueError, match="n_random_candidates"):
        GaussianProcessBO(smooth_space, n_random_candidates=0)
