"""How a search starts on a large table: cheap trials first, so that a model exists early.

On a small table Hyperband and BOHB run the warm start's configs straight on all rows
(`optimize/hyperband.py`): each takes a moment, and the search has a full-budget incumbent
at once. On a large one (`data/size.py`) a single such trial can take much of the time
budget: on 200,000 x 500 numbers at 60 s the first three configs all ran into the trial time
limit on all rows and the fit ended without a model. There the warm configs fill the first
rung of the deepest bracket instead, on the smallest subsamples, LightGBM's defaults first,
and the bracket moves the best of them up to more rows. Among them the fast learners go
first (`cheap_first`): on 1M x 30 numbers at 120 s a random forest and an extra-trees config
of the warm start each held a worker for the whole 30 s trial limit on 1/27 of the rows,
while the boosters and the linear model took 1 to 12 s there (busy machine).
"""

from __future__ import annotations

from typing import Any

from automl_cli.data.size import is_large

WARM_FULL_BUDGET_STRATEGIES = ("hyperband", "bohb")  # the strategies with that rule
FAST_LEARNERS = ("lightgbm", "xgboost", "hist_gb", "linear")
REFIT_GROWTH = 3  # on a large table a refit uses at most this many times its trial's rows
LARGE_TRIAL_BUDGET = 1 / 3  # on a large table, trials on this share of the rows run one at a time


def optimizer_options(strategy: str, n_rows: int, n_columns: int) -> dict[str, Any]:
    """Options for `create_optimizer` that keep the first trials of `strategy` cheap on a
    table of this shape (none on a small table)."""
    if strategy in WARM_FULL_BUDGET_STRATEGIES and is_large(n_rows, n_columns):
        return {"warm_full_budget": False}
    return {}


def cheap_first(configs: list[dict[str, Any]], n_rows: int, n_columns: int) -> list[dict]:
    """The warm configs, on a large table those of FAST_LEARNERS first (else in plan order)."""
    if not is_large(n_rows, n_columns):
        return list(configs)
    return sorted(configs, key=lambda config: config.get("algorithm") not in FAST_LEARNERS)


def refit_rows(trial_budget: float, n_rows: int, n_columns: int) -> float:
    """The fraction of the rows the final refit of a trial at `trial_budget` may use.

    All of them on a small table. On a large one at most REFIT_GROWTH times the trial's own
    rows: a refit time extrapolated further is a guess, and a wrong guess, found out only when
    the clock runs out, leaves no time for another refit. On 200,000 x 500 numbers at 60 s a
    logistic regression fitted 1/27 of the rows in 0.2 s; refits planned on all rows, then on
    9 times its rows, overran their 9.5 s and 4.3 s and the fit ended without a model; on 3
    times its rows the model was written at 58 s (benchmarks/results/scale.md).
    """
    if not is_large(n_rows, n_columns):
        return 1.0
    return min(1.0, trial_budget * REFIT_GROWTH)


def may_start(budget: float, running: list[float], n_rows: int, n_columns: int) -> bool:
    """Whether a trial at `budget` may start beside trials running at the `running` budgets.

    On a large table at most one trial on LARGE_TRIAL_BUDGET of the rows or more runs at a
    time: such a trial is the peak of a fit's memory (on 1M x 30 numbers its worker held
    915 MB beside 137 MB for an idle one, and the CLI and the forkserver 760 MB), so two of
    them side by side would take the process tree past 2 GB. A trial held back waits for the
    running one to end, then starts.
    """
    if budget < LARGE_TRIAL_BUDGET or not is_large(n_rows, n_columns):
        return True
    return all(other < LARGE_TRIAL_BUDGET for other in running)
