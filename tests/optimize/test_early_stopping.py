"""The learning-curve rule: extrapolation, the margin, and its effect inside Hyperband."""

import math

import pytest
from ConfigSpace import ConfigurationSpace, Float

from automl_cli.optimize.early_stopping import CurveStopper, predict_final_loss
from automl_cli.optimize.hyperband import Hyperband


def test_log_linear_curve_is_extrapolated_exactly():
    curve = [(b, 0.5 - 0.1 * math.log(b)) for b in (1 / 27, 1 / 9, 1 / 3)]
    assert predict_final_loss(curve, 1.0) == pytest.approx(0.5)


def test_prediction_never_exceeds_the_last_loss():
    rising = [(1 / 9, 0.2), (1 / 3, 0.3)]
    assert predict_final_loss(rising, 1.0) == 0.3


def test_too_short_curves_have_no_prediction():
    assert predict_final_loss([(1 / 9, 0.2)], 1.0) is None
    assert predict_final_loss([(1 / 9, 0.2), (1 / 3, math.inf)], 1.0) is None
    assert predict_final_loss([(1 / 9, 0.2), (1 / 9, 0.3)], 1.0) is None


def test_stop_only_when_clearly_worse_than_the_incumbent():
    stopper = CurveStopper(max_budget=1.0, margin=0.1)
    flat = [(1 / 9, 0.5), (1 / 3, 0.5)]
    assert stopper.should_stop(flat, incumbent_loss=0.4)
    assert not stopper.should_stop(flat, incumbent_loss=0.46)  # within 10 %
    assert not stopper.should_stop(flat, incumbent_loss=None)
    steep = [(1 / 9, 0.9), (1 / 3, 0.6)]  # heads for 0.3 at the full budget
    assert not stopper.should_stop(steep, incumbent_loss=0.4)


def test_margin_is_relative_to_the_size_of_a_negative_incumbent():
    stopper = CurveStopper(max_budget=1.0, margin=0.1)
    curve = [(1 / 9, -0.85), (1 / 3, -0.85)]
    assert not stopper.should_stop(curve, incumbent_loss=-0.9)  # -0.85 < -0.9 + 0.09
    assert stopper.should_stop(curve, incumbent_loss=-1.0)


@pytest.mark.parametrize("margin", [-0.1, math.inf, math.nan])
def test_bad_margin(margin):
    with pytest.raises(ValueError, match="early_stopping_margin must be a finite number >= 0"):
        CurveStopper(max_budget=1.0, margin=margin)


def run_hyperband(early_stopping, n_jobs=300):
    space = ConfigurationSpace()
    space.add(Float("x", (0.0, 1.0)))
    opt = Hyperband(space, min_budget=1 / 9, eta=3, seed=3, early_stopping=early_stopping)
    for _ in range(n_jobs):
        job = opt.ask()
        # low budgets rank configs like the full budget, with a loss that falls with budget
        opt.tell(job, job.config["x"] + 0.2 * (1 - job.budget))
    return opt


def test_hyperband_early_stopping_drops_configs_predicted_worse():
    plain = run_hyperband(early_stopping=False)
    pruned = run_hyperband(early_stopping=True)
    assert sum(len(b.stopped) for b in plain.brackets) == 0
    stopped = [(b, entry) for b in pruned.brackets for entry in b.stopped]
    assert stopped
    best = pruned.incumbent[1]
    for bracket, entry in stopped:
        curve = bracket.curve(entry)
        assert len(curve) >= 2
        assert predict_final_loss(curve, 1.0) > best * 1.05
        assert len(curve) < len(bracket.rungs)  # never ran at the top rung
    assert pruned.incumbent[2] == 1.0
    assert pruned.incumbent[1] <= plain.incumbent[1] + 0.05
