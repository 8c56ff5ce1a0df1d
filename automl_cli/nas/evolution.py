"""Regularized (aging) evolution (Real et al. 2019): a population of the POPULATION most
recent candidates; each child mutates the best of SAMPLE members drawn at random, and the
oldest member dies, whatever its score, so old luck does not rule the population."""

from __future__ import annotations

from collections import deque

import numpy as np

from automl_cli.nas import space
from automl_cli.nas.pool import Pool
from automl_cli.nas.strategy import Limits, Outcome, Problem, Trial, best_of

POPULATION = 20
SAMPLE = 5


def search(problem: Problem, limits: Limits) -> Outcome:
    rng = np.random.default_rng(problem.seed)
    population: deque[Trial] = deque(maxlen=POPULATION)  # appending drops the oldest
    trials: list[Trial] = []
    asked = 0
    with Pool(problem, limits) as pool:
        while not limits.done(asked) or pool.running:
            while pool.free() and not limits.done(asked):
                pool.submit(*_next(population, asked, rng))
                asked += 1
            for _, trial in pool.finished():
                trials.append(trial)
                population.append(trial)
    return Outcome(best_of(trials), trials)


def _next(population: deque[Trial], asked: int, rng: np.random.Generator):
    """A random candidate until the population is full, then a mutated tournament winner."""
    if asked < POPULATION or not population:
        candidate = space.sample(rng)
    else:
        members = [population[i] for i in rng.choice(len(population), SAMPLE)]
        parent = min(members, key=lambda t: t.loss)
        candidate = space.mutate(parent.candidate, rng)
    return candidate, candidate.training.max_epochs
