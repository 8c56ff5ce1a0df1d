"""The learning-curve forecast: bounded, decisive on two points, and its effect in Hyperband."""

import math

import numpy as np
import pytest
from ConfigSpace import ConfigurationSpace, Float

from automl_cli.optimize.early_stopping import (
    LOSS_FLOOR,
    CurveStopper,
    forecast,
    predict_final_loss,
)
from automl_cli.optimize.hyperband import Hyperband

TWO = (1 / 9, 1 / 3)


def test_predictions_never_fall_below_the_floor_and_stay_finite():
    rng = np.random.default_rng(0)
    for _ in range(300):
        budgets = np.sort(rng.choice([1 / 81, 1 / 27, 1 / 9, 1 / 3], size=rng.integers(2, 5)))
        losses = np.abs(rng.normal(0.3, 0.3, len(budgets))) * rng.choice([1e-6, 1, 100])
        result = forecast(list(zip(budgets, losses, strict=True)), 1.0)
        if result is None:  # the same budget drawn twice
            continue
        assert np.all(np.isfinite(result.predictions))
        assert result.predictions.min() >= LOSS_FLOOR
        assert result.weights.sum() == pytest.approx(1.0)
        assert 0.0 <= result.chance_below(0.1) <= 1.0


def test_a_steep_fall_is_not_extrapolated_below_zero():
    # the old straight line in log budget predicted 0.9 - 2 * 0.8 = -0.7 here
    steep = [(1 / 9, 0.9), (1 / 3, 0.1)]
    assert 0.0 <= predict_final_loss(steep, 1.0) < 0.1


def test_a_rising_curve_is_not_extrapolated_upwards():
    assert predict_final_loss([(1 / 9, 0.2), (1 / 3, 0.3)], 1.0) <= 0.3


def test_too_short_curves_have_no_forecast():
    assert forecast([(1 / 9, 0.2)], 1.0) is None
    assert forecast([(1 / 9, 0.2), (1 / 3, math.inf)], 1.0) is None
    assert forecast([(1 / 9, 0.2), (1 / 9, 0.3)], 1.0) is None


def test_two_points_stop_a_clearly_bad_curve():
    stopper = CurveStopper(max_budget=1.0)
    bad = list(zip(TWO, (0.30, 0.28), strict=True))
    assert stopper.chance_to_beat(bad, incumbent_loss=0.05) < 0.01
    assert stopper.should_stop(bad, incumbent_loss=0.05)


def test_two_points_keep_a_curve_that_is_still_falling_fast():
    # a real curve (phoneme, gradient boosting): 0.148, 0.112 went on to 0.071 and 0.0375
    stopper = CurveStopper(max_budget=1.0)
    good = [(1 / 27, 0.148), (1 / 9, 0.112)]
    assert stopper.chance_to_beat(good, incumbent_loss=0.045) > 0.2
    assert not stopper.should_stop(good, incumbent_loss=0.045)


def test_a_flat_curve_is_stopped_only_when_the_incumbent_is_clearly_better():
    stopper = CurveStopper(max_budget=1.0)
    flat = list(zip(TWO, (0.5, 0.5), strict=True))
    assert stopper.should_stop(flat, incumbent_loss=0.4)
    assert not stopper.should_stop(flat, incumbent_loss=0.48)
    assert not stopper.should_stop(flat, incumbent_loss=None)


def test_losses_below_the_floor_are_not_judged():
    stopper = CurveStopper(max_budget=1.0)
    assert stopper.chance_to_beat([(1 / 9, -0.5), (1 / 3, -0.5)], incumbent_loss=-0.9) is None
    assert stopper.chance_to_beat([(1 / 9, 0.5), (1 / 3, 0.5)], incumbent_loss=-0.9) is None


def test_the_forecast_is_deterministic():
    curve = [(1 / 27, 0.4), (1 / 9, 0.3), (1 / 3, 0.26)]
    first, second = forecast(curve, 1.0), forecast(curve, 1.0)
    assert np.array_equal(first.predictions, second.predictions)
    assert np.array_equal(first.weights, second.weights)


@pytest.mark.parametrize("min_chance", [-0.1, 1.0, math.nan])
def test_bad_min_chance(min_chance):
    with pytest.raises(ValueError, match=r"early_stopping_min_chance must be a number in \[0, 1\)"):
        CurveStopper(max_budget=1.0, min_chance=min_chance)


def run_hyperband(early_stopping, n_jobs=300):
    space = ConfigurationSpace()
    space.add(Float("x", (0.0, 1.0)))
    opt = Hyperband(space, min_budget=1 / 9, eta=3, seed=3, early_stopping=early_stopping)
    for _ in range(n_jobs):
        job = opt.ask()
        # low budgets rank configs like the full budget, with a loss that falls with budget
        opt.tell(job, job.config["x"] + 0.2 * (1 - job.budget))
    return opt


def test_hyperband_early_stopping_drops_configs_with_little_chance():
    plain = run_hyperband(early_stopping=False)
    pruned = run_hyperband(early_stopping=True)
    assert plain.stopped_configs == []
    stopped = [(b, entry) for b in pruned.brackets for entry in b.stopped]
    assert stopped
    assert len(pruned.stopped_configs) == len(stopped)
    for bracket, entry in stopped:
        curve = bracket.curve(entry)
        assert len(curve) >= 2
        assert len(curve) < len(bracket.rungs)  # never ran at the top rung
        assert bracket.config(entry)["x"] > pruned.incumbent[0]["x"]  # truly worse
    assert pruned.incumbent[2] == 1.0
    assert pruned.incumbent[1] <= plain.incumbent[1] + 0.05
