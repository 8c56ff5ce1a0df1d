"""The one rule for the multi-fidelity settings: eta and the range of budgets.

A budget is a fraction of the training rows (docs/architecture.md, contract 4). Every optimizer
checks its settings here (optimize/base.py), and `automl fit` checks --eta and --min-budget
here before any work, with the options' names. Plain Python, so the front door imports it
cheaply.
"""

from __future__ import annotations

import math
import numbers


def check_fidelity(
    min_budget: float,
    max_budget: float,
    eta: object,
    *,
    min_name: str = "min_budget",
    eta_name: str = "eta",
) -> int:
    """Validate the multi-fidelity settings; return eta as an int.

    Raises ValueError with a message that names the bad setting (as `min_name` or `eta_name`)
    and the accepted range.
    """
    if isinstance(eta, bool) or not isinstance(eta, numbers.Real) or eta != int(eta) or eta < 2:
        raise ValueError(
            f"{eta_name} must be an integer >= 2 (the factor between rungs), got {eta!r}"
        )
    if not (math.isfinite(min_budget) and math.isfinite(max_budget)):
        raise ValueError(f"budgets must be finite, got {min_budget!r} and {max_budget!r}")
    if not 0 < min_budget <= max_budget:
        raise ValueError(
            f"{min_name} must be in (0, {max_budget:g}] (a fraction of the rows), "
            f"got {min_budget:g}"
        )
    return int(eta)
