"""Early termination by learning curve: do not promote a config that will not beat the best.

Accepted as `early_stopping=True` (with `early_stopping_min_chance`) by hyperband, bohb and
asha, whose results at max_budget arrive while configs at lower rungs still wait for
promotion. sha does not take it: its single bracket reaches max_budget only at its last rung,
so the rule would never have an incumbent to compare with.

The forecast (after Domhan et al. 2015, reduced to closed forms). A curve with finite losses
at two or more budgets is fitted by a small ensemble of curve families, each of two
parameters:

- power laws loss(b) = c + a * b**-alpha, one member per exponent in EXPONENTS, with a >= 0
  (the loss does not grow with more data) and c >= LOSS_FLOOR: every loss of `metrics.py` is
  >= 0 (1 - score for the scores that top out at 1, errors otherwise), so no member ever
  predicts below it;
- a straight line in log(budget), its value at max_budget clipped between LOSS_FLOOR and the
  loss at the largest budget so far: the curves of real tables often fall steadily in log
  budget up to the full data, which a power law with a floor calls flat too early.

Members are weighted by prior times fit, exp(-SSE / 2 sigma**2) with sigma = NOISE times the
curve's mean loss; with two points every unconstrained member fits exactly and the prior
(LINE_PRIOR for the line, the rest shared by the exponents) alone sets the weights, so two
points are enough. A measured loss at max_budget is taken as normal around each member's
prediction with the same sigma, and the chance that the config beats the incumbent is the
weighted chance of landing below the incumbent's loss. The config is stopped (not promoted,
even if its rank allows it) when that chance is below `min_chance`.

With no result at max_budget yet, fewer than two budgets on the curve, or a loss below
LOSS_FLOOR (a loss that is not one of ours), nothing is stopped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

LOSS_FLOOR = 0.0  # the lower bound of every loss the search minimizes (metrics.py)
EXPONENTS = (0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5)  # the power laws' exponents, equally likely
LINE_PRIOR = 0.5  # prior weight of the log-linear member; the power laws share the rest
NOISE = 0.05  # standard deviation of a measured loss, relative to the curve's mean loss


@dataclass(frozen=True)
class Forecast:
    """A curve's predicted loss at max_budget: one value per family member, with weights."""

    predictions: np.ndarray  # each member's loss at max_budget, all >= LOSS_FLOOR
    weights: np.ndarray  # posterior weights, summing to 1
    sigma: float  # standard deviation of a measured loss around a member's prediction

    @property
    def mean(self) -> float:
        return float(self.weights @ self.predictions)

    def chance_below(self, loss: float) -> float:
        """Probability that the loss measured at max_budget comes out below `loss`."""
        z = (loss - self.predictions) / (self.sigma * math.sqrt(2))
        chance = float(self.weights @ (0.5 * (1 + np.vectorize(math.erf)(z))))
        return min(max(chance, 0.0), 1.0)  # the weighted sum may round past 1


def _power_law(x: np.ndarray, y: np.ndarray, x_final: float) -> tuple[float, float]:
    """(prediction at x_final, SSE) of y = c + a * x with a >= 0 and c >= LOSS_FLOOR."""
    a = float(np.cov(x, y, bias=True)[0, 1] / np.var(x))  # x has two or more distinct values
    c = float(y.mean() - a * x.mean())
    if a < 0:
        a, c = 0.0, float(y.mean())
    elif c < LOSS_FLOOR:
        c = LOSS_FLOOR
        a = float(x @ (y - c) / (x @ x))
    return c + a * x_final, float(((c + a * x - y) ** 2).sum())


def forecast(curve: Sequence[tuple[float, float]], max_budget: float) -> Forecast | None:
    """The ensemble forecast of a (budget, loss) curve at max_budget, or None (module doc)."""
    points = sorted((b, loss) for b, loss in curve if math.isfinite(loss))
    if len({b for b, _ in points}) < 2:
        return None
    budgets = np.array([b for b, _ in points], dtype=float)
    losses = np.array([loss for _, loss in points], dtype=float)
    if losses.min() < LOSS_FLOOR:
        return None
    predictions, sses = [], []
    for alpha in EXPONENTS:
        final, sse = _power_law(budgets**-alpha, losses, max_budget**-alpha)
        predictions.append(final)
        sses.append(sse)
    log_b = np.log(budgets)
    slope, intercept = np.polyfit(log_b, losses, 1)
    line = intercept + slope * math.log(max_budget)
    predictions.append(min(max(float(line), LOSS_FLOOR), float(losses[-1])))
    sses.append(float(((intercept + slope * log_b - losses) ** 2).sum()))
    prior = np.append(np.full(len(EXPONENTS), (1 - LINE_PRIOR) / len(EXPONENTS)), LINE_PRIOR)
    sigma = max(NOISE * float(losses.mean()), 1e-12)
    log_weights = np.log(prior) - np.array(sses) / (2 * sigma**2)
    weights = np.exp(log_weights - log_weights.max())
    return Forecast(np.array(predictions), weights / weights.sum(), sigma)


def predict_final_loss(curve: Sequence[tuple[float, float]], max_budget: float) -> float | None:
    """The forecast's weighted mean at max_budget (never below LOSS_FLOOR), or None."""
    result = forecast(curve, max_budget)
    return None if result is None else result.mean


@dataclass(frozen=True)
class CurveStopper:
    """The rule of the module docstring, for one search (its max_budget and min_chance)."""

    max_budget: float
    min_chance: float = 0.05

    def __post_init__(self) -> None:
        if not 0 <= self.min_chance < 1:
            raise ValueError(
                f"early_stopping_min_chance must be a number in [0, 1), got {self.min_chance!r}"
            )

    def chance_to_beat(
        self, curve: Sequence[tuple[float, float]], incumbent_loss: float | None
    ) -> float | None:
        """The chance the config ends below the incumbent at max_budget; None: no judgement."""
        if incumbent_loss is None or not math.isfinite(incumbent_loss):
            return None
        if incumbent_loss < LOSS_FLOOR:
            return None
        result = forecast(curve, self.max_budget)
        return None if result is None else result.chance_below(incumbent_loss)

    def should_stop(
        self, curve: Sequence[tuple[float, float]], incumbent_loss: float | None
    ) -> bool:
        """True when the chance of beating the incumbent is below min_chance."""
        chance = self.chance_to_beat(curve, incumbent_loss)
        return chance is not None and chance < self.min_chance
