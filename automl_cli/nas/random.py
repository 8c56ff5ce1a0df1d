"""Random search: candidates drawn uniformly from the space, each trained to its epochs."""

from __future__ import annotations

import numpy as np

from automl_cli.nas import space
from automl_cli.nas.pool import Pool
from automl_cli.nas.strategy import Limits, Outcome, Problem, best_of


def search(problem: Problem, limits: Limits) -> Outcome:
    rng = np.random.default_rng(problem.seed)
    trials, asked = [], 0
    with Pool(problem, limits) as pool:
        while not limits.done(asked) or pool.running:
            while pool.free() and not limits.done(asked):
                candidate = space.sample(rng)
                pool.submit(candidate, candidate.training.max_epochs)
                asked += 1
            trials.extend(trial for _, trial in pool.finished())
    return Outcome(best_of(trials), trials)
