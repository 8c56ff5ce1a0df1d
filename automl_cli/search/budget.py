"""The time and fidelity arithmetic of a search: the smallest budget, the per-trial time limit,
and when the search stops so that the refit, the model file and the workers' shutdown all end
within the time budget.

The time budget is a wall with three exceptions, all of which trade a little lateness for a
model rather than none: while no trial has succeeded, the search may run NO_RESULT_GRACE of
the budget past it; when no refit fits in the time left, the last resort gets
QUICK_REFIT_SECONDS * REFIT_SAFETY seconds anyway (api._refit_best); and a single model is
written whatever its size, which is known only once it is refitted (an ensemble's members are
dropped instead, `Finish`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from automl_cli.evaluate import FULL_BUDGET
from automl_cli.scale import refit_rows
from automl_cli.search.loop import rank_trials

if TYPE_CHECKING:
    from automl_cli.evaluate import Evaluator, TrialResult

MIN_ROWS_AT_MIN_BUDGET = 100
DEEPEST_MIN_BUDGET = 1 / 27
TRIAL_LIMIT_FRACTION = 0.25  # default per-trial time limit: this share of the time budget
MIN_TRIAL_LIMIT = 10.0  # seconds; the default per-trial time limit never goes below this
NO_RESULT_GRACE = 0.05  # share of the budget the search may overrun while no trial has succeeded
REFIT_SAFETY = 1.5  # a refit's time estimate is multiplied by this before it is trusted
REFIT_FLOOR_SECONDS = 1.0
QUICK_REFIT_SECONDS = 1.0  # a last-resort refit expected to take this long may run late
# at most this share of the budget is kept for the refit: a slower one is fitted on a fraction
# of the rows (api._refit_best); a 1M x 30 search at 120 s stopped at 60 s under a cap of 1/2
# for a refit that took 15 s (benchmarks/results/scale.md)
REFIT_RESERVE_CAP = 1 / 3
FINISH_SECONDS = 1.0  # kept after the refit: the baseline check, the model file's fixed cost
# writing a model file grows with the model: 82 MB/s of pickled size at zlib level 1 (0.9 s
# for 12 MB, 4.2 s for 283 MB; benchmarks/results/model_write.md), counted here with a margin
MODEL_WRITE_BYTES_PER_SECOND = 50 * 2**20
ENSEMBLE_PLANNED_MEMBERS = 5  # the reserve of an ensemble covers the refits of this many trials
ENSEMBLE_SELECTION_SECONDS = 1.0  # and the selection itself (automl_cli/ensemble/selection.py)
# kept for the model's explanations (automl_cli/explain), mostly permutation importance: on a
# 40 s breast-cancer fit with a stacking ensemble none was left without it
EXPLANATION_SHARE = 0.05
EXPLANATION_CAP_SECONDS = 15.0


def auto_min_budget(n_train: int, eta: int) -> float:
    """The smallest eta^-k (down to 1/27) that still trains on MIN_ROWS_AT_MIN_BUDGET rows."""
    budget = 1.0
    while (
        budget / eta >= DEEPEST_MIN_BUDGET - 1e-12
        and n_train * budget / eta >= MIN_ROWS_AT_MIN_BUDGET
    ):
        budget /= eta
    return budget


def default_trial_limit(time_budget: float) -> float:
    """Seconds after which one trial is stopped when --trial-time-limit is not given."""
    return max(MIN_TRIAL_LIMIT, TRIAL_LIMIT_FRACTION * time_budget)


def refit_reserve(estimate_seconds: float, time_budget: float) -> float:
    """Seconds to keep free for the final refit, from the incumbent's estimated refit time."""
    wanted = estimate_seconds * REFIT_SAFETY + REFIT_FLOOR_SECONDS
    return min(max(wanted, 0.05 * time_budget), REFIT_RESERVE_CAP * time_budget)


def explanation_reserve(time_budget: float) -> float:
    """Seconds kept after the refit's reserve for the model's explanations; a refit that runs
    long may take them (the model comes first, its explanations are then skipped)."""
    return min(EXPLANATION_SHARE * time_budget, EXPLANATION_CAP_SECONDS)


@dataclass(frozen=True)
class Finish:
    """The end of the time budget, and how long before it the refit must end for what follows
    it to end in time too: FINISH_SECONDS, and the writing of the model, by its size.

    On 40,000 rows an ensemble with two deep forests is a 300-500 MB model that takes 4-7 s to
    write: a plan of FINISH_SECONDS alone ended such fits 3 s late. The members' sizes are known
    as they come back from their refits, so each refit ends early enough to write those kept
    before it (automl_cli/ensemble/build.py), and the explanations end early enough to write
    the model that ships (api.py).
    """

    hard_end: float
    write_bytes_per_second: float = MODEL_WRITE_BYTES_PER_SECOND

    def refit_end(self, model_bytes: int = 0) -> float:
        """When the work before the writing must be done, for a model of `model_bytes`
        (`bundle.serialized_bytes`)."""
        return self.hard_end - FINISH_SECONDS - model_bytes / self.write_bytes_per_second


def search_deadline(
    evaluator: Evaluator,
    hard_end: float,
    time_budget: float,
    *,
    keep_for_refit: bool,
    ensemble: bool = False,
) -> Callable[[list[TrialResult]], float]:
    """When the search must stop, given the trials so far: early enough to refit the best, or
    with `ensemble` the ENSEMBLE_PLANNED_MEMBERS best trials, one after the other (the reserve's
    cap still holds: members that do not fit in it are dropped, automl_cli/ensemble/build.py)."""

    def search_end(trials: list[TrialResult]) -> float:
        ranked = rank_trials(trials)
        if not ranked:  # without any result there is no model: wait into the grace period
            return hard_end + NO_RESULT_GRACE * time_budget
        if not keep_for_refit:
            return hard_end
        rows = refit_rows(ranked[0].budget, *evaluator.X.shape)
        estimate = evaluator.refit_estimate(ranked[0], rows)
        if ensemble:
            members = [t for t in ranked if t.budget >= FULL_BUDGET][:ENSEMBLE_PLANNED_MEMBERS]
            estimate = max(estimate, sum(evaluator.refit_estimate(t) for t in members))
            estimate += ENSEMBLE_SELECTION_SECONDS
        reserve = refit_reserve(estimate, time_budget) + explanation_reserve(time_budget)
        return Finish(hard_end).refit_end() - reserve

    return search_end
