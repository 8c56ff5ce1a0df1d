"""The ensemble of a finished search: select it, refit its members within the time budget,
and record it for the manifest.

The members are refitted on every row (Evaluator.fit_final), heaviest first, each only when
its estimated refit still fits before the refit deadline (the search stopped early enough for
ENSEMBLE_PLANNED_MEMBERS of them, search/budget.py), which comes earlier as the members kept
grow the model to be written (`Finish`); a member that does not fit in the time left, fails,
fits its own rows far worse than it promised (Evaluator.refit_is_sound), or is too large to be
written in the time left once refitted is dropped and the weights of the others are
renormalized. The rule is to refit, not to keep
each member's fold models as a bag: on the public suite at 60 s (three seeds) the bagged
ensemble tested behind the refitted one in 23 of 30 runs, small tables included, and a bag
costs k times the model file and the prediction time (benchmarks/results/suite_bagging.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from threadpoolctl import threadpool_limits

from automl_cli.bundle import serialized_bytes
from automl_cli.ensemble.estimator import Ensemble
from automl_cli.ensemble.selection import LIBRARY_SIZE, Choice, choose, loss_of
from automl_cli.evaluate import FULL_BUDGET

if TYPE_CHECKING:
    from automl_cli.evaluate import Evaluator, TrialResult
    from automl_cli.execute import Executor
    from automl_cli.search.budget import Finish


@dataclass
class FittedEnsemble:
    """What `fit_ensemble` gives: the model to ship (None: ship the best single model) and the
    manifest's record of the choice."""

    model: Ensemble | None
    record: dict[str, Any] = field(default_factory=dict)


def fit_ensemble(
    executor: Executor,
    evaluator: Evaluator,
    ranked: list[TrialResult],
    predictions: Callable[[list[TrialResult]], dict[int, np.ndarray]],
    *,
    size: int,
    finish: Finish,
    n_threads: int,
    on_notice: Callable[[str], None],
) -> FittedEnsemble:
    """The ensemble of the full-budget trials in `ranked` (best first), its members refitted
    in time to be written by the end of the budget (`finish`)."""
    candidates = [t for t in ranked if t.budget >= FULL_BUDGET][:LIBRARY_SIZE]
    kept = predictions(candidates)
    library_trials = [t for t in candidates if t.job_id in kept]
    if len(library_trials) < 2:
        return FittedEnsemble(None, {"kind": "single", "size": size, "members": []})
    library = np.stack([kept[t.job_id] for t in library_trials]).astype(float)
    y = evaluator.y[evaluator.validation_rows]
    row_weights = evaluator.weights_of(evaluator.validation_rows)
    with threadpool_limits(1):  # selection on one BLAS thread: the workers have the cores
        choice = choose(
            library, y, evaluator.metric, evaluator.task, size, evaluator.seed, row_weights
        )
    record = {"kind": choice.kind, "size": size, "held_out_losses": choice.held_out}
    record["single_validation_score"] = library_trials[0].score
    if choice.kind == "single":
        return FittedEnsemble(None, record | {"members": []})
    members = refit_members(
        executor, evaluator, library_trials, choice, finish, n_threads, on_notice
    )
    if not members:
        on_notice(
            "the ensemble's members could not be refitted in time; "
            "the best single model ships instead"
        )
        return FittedEnsemble(None, record | {"kind": "single", "members": []})
    weights = np.zeros(len(library_trials))
    for index, _, weight in members:
        weights[index] = weight
    weights /= weights.sum()
    loss = loss_of(evaluator.metric, y, np.tensordot(weights, library, axes=1), row_weights)
    model = Ensemble(
        [m for _, m, _ in members], [w for _, _, w in members], evaluator.task, evaluator.n_classes
    )
    record |= {
        "members": [
            {
                "job_id": library_trials[i].job_id,
                "algorithm": library_trials[i].algorithm,
                "weight": round(float(weights[i]), 4),
                "validation_score": library_trials[i].score,
            }
            for i, _, _ in members
        ],
        "validation_score": evaluator.metric.score_of_loss(loss),
        "validation_loss": loss,
        "held_out_loss": choice.held_out["ensemble"],
    }
    return FittedEnsemble(model, record)


def refit_members(
    executor: Executor,
    evaluator: Evaluator,
    trials: list[TrialResult],
    choice: Choice,
    finish: Finish,
    n_threads: int,
    on_notice: Callable[[str], None],
) -> list[tuple[int, Any, float]]:
    """(library index, refitted model, weight) of each member refitted in time, heaviest first:
    each refit ends early enough to write the members kept before it, and a member that leaves
    too little time to write itself is dropped."""
    from automl_cli.execute import RefitError
    from automl_cli.search.budget import REFIT_SAFETY

    fitted, kept_bytes = [], 0
    for index in np.argsort(-choice.weights, kind="stable"):
        if choice.weights[index] <= 0:
            break
        trial = trials[index]
        left = finish.refit_end(kept_bytes) - time.monotonic()
        if evaluator.refit_estimate(trial) * REFIT_SAFETY > left:
            on_notice(
                f"member trial {trial.job_id} ({trial.algorithm}) dropped: no time to refit it"
            )
            continue
        try:
            model = executor.refit(trial.config, left, n_threads, 1.0)
        except RefitError as error:
            on_notice(f"member trial {trial.job_id} ({trial.algorithm}) dropped: {error}")
            continue
        if not evaluator.refit_is_sound(model, trial.loss):
            on_notice(
                f"member trial {trial.job_id} ({trial.algorithm}) dropped: its refit fits its "
                "own rows far worse than its validation promised"
            )
            continue
        size = serialized_bytes(model)
        if time.monotonic() > finish.refit_end(kept_bytes + size):
            on_notice(
                f"member trial {trial.job_id} ({trial.algorithm}) dropped: no time to write its "
                f"{size / 2**20:.0f} MB into the model file"
            )
            continue
        kept_bytes += size
        fitted.append((int(index), model, float(choice.weights[index])))
    return fitted
