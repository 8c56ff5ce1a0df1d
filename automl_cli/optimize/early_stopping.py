"""Early termination by learning curve: do not promote a config that is clearly going nowhere.

Accepted as `early_stopping=True` (with `early_stopping_margin`) by hyperband, bohb and asha,
whose results at max_budget arrive while configs at lower rungs still wait for promotion. sha
does not take it: its single bracket reaches max_budget only at its last rung, so the rule
would never have an incumbent to compare with.

The rule. A config that has finite losses at two or more budgets gets a predicted loss at
max_budget from a least-squares line in log(budget): loss(b) = a + c * log(b). The prediction
is kept optimistic: it is the smaller of the line's value at max_budget and the config's last
observed loss (a loss that grows with the budget is not extrapolated upwards). The config is
stopped (not promoted, even if its rank allows it) when

    prediction > incumbent + margin * |incumbent|

where `incumbent` is the best finite loss at max_budget so far. With no result at max_budget
yet, or fewer than two points on the curve, nothing is stopped. A straight line in log budget
overshoots the gains of a flattening curve, so the rule only stops configs that stay worse
than the incumbent even under that generous extrapolation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def predict_final_loss(curve: Sequence[tuple[float, float]], max_budget: float) -> float | None:
    """Optimistic extrapolation of a (budget, loss) curve to max_budget, or None if too short."""
    points = [(b, loss) for b, loss in curve if math.isfinite(loss)]
    if len({b for b, _ in points}) < 2:
        return None
    budgets = np.log([b for b, _ in points])
    losses = np.array([loss for _, loss in points])
    slope, intercept = np.polyfit(budgets, losses, 1)
    line = float(intercept + slope * math.log(max_budget))
    return min(line, points[-1][1])


@dataclass(frozen=True)
class CurveStopper:
    """The rule of the module docstring, for one search (its max_budget and margin)."""

    max_budget: float
    margin: float = 0.05

    def __post_init__(self) -> None:
        if not (self.margin >= 0 and math.isfinite(self.margin)):
            raise ValueError(
                f"early_stopping_margin must be a finite number >= 0, got {self.margin!r}"
            )

    def should_stop(
        self, curve: Sequence[tuple[float, float]], incumbent_loss: float | None
    ) -> bool:
        """True when the curve predicts a final loss clearly worse than the incumbent's."""
        if incumbent_loss is None or not math.isfinite(incumbent_loss):
            return False
        predicted = predict_final_loss(curve, self.max_budget)
        if predicted is None:
            return False
        return predicted > incumbent_loss + self.margin * abs(incumbent_loss)
