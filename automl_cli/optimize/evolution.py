"""Regularized (aging) evolution, after Real et al., "Regularized Evolution for Image
Classifier Architecture Search" (AAAI 2019), for a conditional CASH space.

The population is a queue of the last `population_size` results. A child comes from a
tournament (sample `tournament_size` members, take the best) and is mutated in the unit-cube
encoding of `SpaceEncoding`: a Gaussian step on one or a few numeric hyperparameters, a new
choice for a categorical one, and, at the lower `switch_rate`, a new value of the top-level
categorical (the algorithm) whose newly active hyperparameters are sampled afresh. With
probability `crossover_rate` the child first mixes, hyperparameter by hyperparameter, the
winner with a second tournament winner that runs the same algorithm. Every told result joins
the queue and the oldest member leaves it, so old lucky results cannot dominate forever.

Asynchronous: `ask()` never waits. Jobs not told yet are simply not in the population; until
`population_size` configs have been asked (warm-start configs first) the asks are random.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from ConfigSpace import ConfigurationSpace

from automl_cli.optimize.base import Config, Job, Optimizer
from automl_cli.optimize.encoding import CATEGORICAL, CONSTANT, NUMERIC, ORDINAL, SpaceEncoding

_ATTEMPTS = 10  # tries to make a child that differs from its parent before accepting a copy


@dataclass(frozen=True)
class Member:
    """One told result in the population: its config, encoded row and loss."""

    config: Config
    row: np.ndarray
    loss: float


class RegularizedEvolution(Optimizer):
    """Aging evolution with tournament selection, mutation and same-algorithm crossover.

    Options: population_size (20), tournament_size (population_size // 4, at least 2),
    crossover_rate (0.2), switch_rate (0.1, how often a mutation changes the algorithm) and
    mutation_scale (0.15, the standard deviation of a numeric step in the unit cube).
    """

    def __init__(
        self,
        space: ConfigurationSpace,
        *,
        population_size: int = 20,
        tournament_size: int | None = None,
        crossover_rate: float = 0.2,
        switch_rate: float = 0.1,
        mutation_scale: float = 0.15,
        **options,
    ) -> None:
        super().__init__(space, **options)
        if population_size < 2:
            raise ValueError(f"population_size must be at least 2, got {population_size}")
        if tournament_size is None:
            tournament_size = max(2, population_size // 4)
        if not 1 <= tournament_size <= population_size:
            raise ValueError(
                f"tournament_size must be in [1, population_size={population_size}], "
                f"got {tournament_size}"
            )
        for name, rate in (("crossover_rate", crossover_rate), ("switch_rate", switch_rate)):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {rate}")
        if mutation_scale <= 0:
            raise ValueError(f"mutation_scale must be positive, got {mutation_scale}")
        self.population_size = population_size
        self.tournament_size = tournament_size
        self.crossover_rate = crossover_rate
        self.switch_rate = switch_rate
        self.mutation_scale = mutation_scale
        self.encoding = SpaceEncoding(space)
        self.population: deque[Member] = deque(maxlen=population_size)
        self._initial_asked = 0
        enc = self.encoding
        self._mutable = np.array(
            [
                j != enc.top_categorical
                and kind != CONSTANT
                and (kind == NUMERIC and hp.size > 1 or kind != NUMERIC and enc.n_choices[j] > 1)
                for j, (kind, hp) in enumerate(zip(enc.kinds, enc.hyperparameters, strict=True))
            ],
            dtype=bool,
        )

    # -- the contract -------------------------------------------------------------------------
    def _ask(self) -> Job | None:
        config = self._pop_warm()
        if config is None and (self._initial_asked < self.population_size or not self.population):
            config = self.encoding.decode(self.encoding.sample(1, self.rng)[0])
        if config is not None:
            self._initial_asked += 1
            return self._new_job(config, self.max_budget)
        parent = self._tournament(list(self.population))
        row = parent.row
        if self.rng.random() < self.crossover_rate:
            top = self.encoding.top_categorical
            kin = [
                m
                for m in self.population
                if m is not parent and (top is None or m.row[top] == parent.row[top])
            ]
            if kin:
                row = self._crossover(row, self._tournament(kin).row)
        return self._new_job(self.encoding.decode(self._mutate(row)), self.max_budget)

    def _tell(self, job: Job, loss: float) -> None:
        row = self.encoding.encode([job.config])[0]
        self.population.append(Member(dict(job.config), row, loss))

    # -- variation, public so its rules can be checked directly -------------------------------
    def mutate(self, config: Config) -> Config:
        """A valid mutant of a valid config."""
        return self.encoding.decode(self._mutate(self.encoding.encode([config])[0]))

    def crossover(self, first: Config, second: Config) -> Config:
        """A valid uniform crossover of two valid configs (meant for the same algorithm)."""
        rows = self.encoding.encode([first, second])
        return self.encoding.decode(self._crossover(rows[0], rows[1]))

    # -- internals ----------------------------------------------------------------------------
    def _tournament(self, members: list[Member]) -> Member:
        """The best of a random sample; ties go to whichever the shuffle put first."""
        size = min(self.tournament_size, len(members))
        picks = self.rng.choice(len(members), size=size, replace=False)
        return min((members[i] for i in picks), key=lambda m: m.loss)

    def _mutate(self, row: np.ndarray) -> np.ndarray:
        for _ in range(_ATTEMPTS):
            child = self._mutate_once(row)
            if not np.array_equal(child, row, equal_nan=True):
                return child
        return child

    def _mutate_once(self, row: np.ndarray) -> np.ndarray:
        enc, rng = self.encoding, self.rng
        child = row.copy()
        top = enc.top_categorical
        candidates = np.flatnonzero(self._mutable & ~np.isnan(row))
        can_switch = top is not None and enc.n_choices[top] > 1
        if can_switch and (len(candidates) == 0 or rng.random() < self.switch_rate):
            child[top] = _other_choice(row[top], enc.n_choices[top], rng)
        elif len(candidates) == 0:
            return enc.sample(1, rng)[0]
        else:
            count = 1 + rng.binomial(len(candidates) - 1, 1 / len(candidates))
            for j in rng.choice(candidates, size=count, replace=False):
                child[j] = self._step(j, row[j])
        fill = enc.sample_raw(1, rng)[0]
        return enc.repair(child[None, :], fill)[0]

    def _step(self, j: int, value: float) -> float:
        """A local change of one value: Gaussian in [0, 1], a neighbour, or another choice."""
        kind, rng = self.encoding.kinds[j], self.rng
        if kind == CATEGORICAL:
            return _other_choice(value, self.encoding.n_choices[j], rng)
        if kind == ORDINAL:
            top = self.encoding.n_choices[j] - 1
            step = rng.choice([-1.0, 1.0]) if 0 < value < top else (1.0 if value == 0 else -1.0)
            return value + step
        moved = value + rng.normal(0.0, self.mutation_scale)
        return float(np.abs(1.0 - np.abs(1.0 - np.mod(moved, 2.0))))  # reflect into [0, 1]

    def _crossover(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        take_first = self.rng.random(len(first)) < 0.5
        child = np.where(take_first, first, second)
        child = np.where(np.isnan(child), np.where(take_first, second, first), child)
        fill = self.encoding.sample_raw(1, self.rng)[0]
        return self.encoding.repair(child[None, :], fill)[0]


def _other_choice(value: float, n_choices: int, rng: np.random.Generator) -> float:
    """A uniformly drawn index in range(n_choices) other than `value`."""
    pick = int(rng.integers(n_choices - 1))
    return float(pick + (pick >= value))
