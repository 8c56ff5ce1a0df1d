"""BOHB through the project's optimizer interface (contract 3): the space in ConfigSpace
(space.configspace), a budget as the fraction of MAX_EPOCHS (or `--max-epochs`) a candidate
trains for.

Only trials at the full budget compete for the best: a loss after a few epochs is BOHB's
low-fidelity signal, not a model's score.
"""

from __future__ import annotations

import math

from automl_cli.nas import space
from automl_cli.nas.pool import Pool
from automl_cli.nas.strategy import Limits, Outcome, Problem, best_of
from automl_cli.optimize import create_optimizer

MAX_EPOCHS = 50
MIN_BUDGET = 1 / 9
ETA = 3


def search(problem: Problem, limits: Limits) -> Outcome:
    optimizer = create_optimizer(
        "bohb",
        space.configspace(problem.seed),
        min_budget=MIN_BUDGET,
        max_budget=1.0,
        eta=ETA,
        seed=problem.seed,
    )
    max_epochs = limits.epochs(MAX_EPOCHS)
    trials, full, asked = [], [], 0
    with Pool(problem, limits) as pool:
        while not limits.done(asked) or pool.running:
            while pool.free() and not limits.done(asked):
                job = optimizer.ask()
                if job is None:  # a rung waits for its results
                    break
                epochs = max(1, math.ceil(job.budget * max_epochs - 1e-9))
                pool.submit(space.from_config(dict(job.config), max_epochs), epochs, tag=job)
                asked += 1
            if not pool.running:
                break
            for job, trial in pool.finished():
                optimizer.tell(job, trial.loss)
                trials.append(trial)
                if job.budget >= 1.0 - 1e-9:
                    full.append(trial)
    return Outcome(best_of(full or trials), trials)
