"""The ask/tell contract that every search strategy implements (docs/architecture.md, contract 3).

An optimizer only sees configurations, budgets and losses: no data, no clock, no processes.
The runner asks while a worker is free and tells as results arrive; `ask()` returns None when
the strategy must wait for a tell (a synchronous rung) or has nothing left to propose.
"""

from __future__ import annotations

import copy
import math
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ConfigSpace import Configuration, ConfigurationSpace

from automl_cli.fidelity import check_fidelity

Config = dict[str, Any]


@dataclass(frozen=True)
class Job:
    """One trial to run: a configuration at a budget (fraction of training rows)."""

    id: int
    config: Config = field(hash=False)
    budget: float


@dataclass(frozen=True)
class Observation:
    """A finished trial as an optimizer remembers it."""

    config: Config = field(hash=False)
    budget: float
    loss: float


WarmStart = tuple[list[Config], list[Observation]]  # configs to try first, earlier evaluations


def to_plain(configuration: Configuration | Mapping[str, Any]) -> Config:
    """A configuration as a dict of plain Python values (no numpy scalars), sorted by name."""
    plain: Config = {}
    for name, value in sorted(dict(configuration).items()):
        if isinstance(value, np.generic):
            value = value.item()
        plain[name] = value
    return plain


def seeded_space(space: ConfigurationSpace, rng: np.random.Generator) -> ConfigurationSpace:
    """A private copy of `space` with its sampler seeded from `rng`; the original is untouched."""
    own = copy.deepcopy(space)
    own.seed(int(rng.integers(2**31 - 1)))
    return own


def is_valid(config: Mapping[str, Any], space: ConfigurationSpace) -> bool:
    """Whether `config` is a complete, valid config of `space`, by ConfigSpace's own check.

    The one definition of validity: the configs that `SpaceEncoding.repair` + `decode` and
    `space.adapt.SpaceAdapter` build (each valid by construction, for speed) are tested
    against it.
    """
    try:
        Configuration(space, values=dict(config)).check_valid_configuration()
    except (ValueError, KeyError, TypeError):
        return False
    return True


class Optimizer(ABC):
    """Base of every strategy: job ids, the incumbent, and the warm-start queue.

    Subclasses implement `_ask` and `_tell`. Losses are lower-is-better; `math.inf` marks a
    failed trial. Same seed and same tells give the same asks.
    """

    def __init__(
        self,
        space: ConfigurationSpace,
        *,
        min_budget: float = 1 / 27,
        max_budget: float = 1.0,
        eta: int = 3,
        seed: int = 0,
    ) -> None:
        eta = check_fidelity(min_budget, max_budget, eta)
        self.space = space
        self.min_budget = float(min_budget)
        self.max_budget = float(max_budget)
        self.eta = int(eta)
        self.rng = np.random.default_rng(seed)
        self.observations: list[Observation] = []
        self._warm: deque[Config] = deque()
        self._warm_then: Callable[[], WarmStart] | None = None
        self._next_id = 0
        self._untold: set[int] = set()  # ids asked and not yet told
        self._incumbent: tuple[Config, float, float] | None = None

    # -- the contract -------------------------------------------------------------------------
    def ask(self) -> Job | None:
        """The next job to run, or None to wait for a tell (or when nothing is left)."""
        return self._ask()

    def tell(self, job: Job, loss: float) -> None:
        """Record the loss of a finished job (math.inf for a failed one).

        A job this optimizer is not waiting for (told twice, or asked elsewhere) is refused.
        """
        if job.id not in self._untold:
            raise ValueError(
                f"job {job.id} is not running in this optimizer (told twice, or asked elsewhere)"
            )
        self._untold.discard(job.id)
        loss = float(loss)
        if math.isnan(loss):
            loss = math.inf
        self.observations.append(Observation(job.config, job.budget, loss))
        self._update_incumbent(job, loss)
        self._tell(job, loss)

    @property
    def asks(self) -> int:
        """How many jobs have been asked so far (job ids run from 0)."""
        return self._next_id

    @property
    def incumbent(self) -> tuple[Config, float, float] | None:
        """(config, loss, budget): the best result at the largest budget seen, or None.

        Only finite losses count, so a run whose every trial failed has no incumbent.
        """
        return self._incumbent

    def warm_start(
        self,
        configs: Iterable[Mapping[str, Any]],
        history: Iterable[Observation] = (),
        *,
        then: Callable[[], WarmStart] | None = None,
    ) -> None:
        """Configs to evaluate before any the strategy proposes itself.

        `history` holds evaluations from earlier, similar tasks; strategies with a model may
        use it as prior data, the others ignore it. `then`, if given, is called once, when
        `configs` have all been handed out, for more configs and history: `automl fit` plans
        the knowledge base's picks while the first of them runs.
        """
        for config in configs:
            self._warm.append(to_plain(config))
        self._absorb_history(list(history))
        self._warm_then = then

    # -- for subclasses -----------------------------------------------------------------------
    @abstractmethod
    def _ask(self) -> Job | None: ...

    def _tell(self, job: Job, loss: float) -> None:
        """Strategy-specific bookkeeping after a tell; the base already stored the observation."""

    def _absorb_history(self, history: list[Observation]) -> None:
        """Use transferred evaluations; by default they are ignored."""

    def _new_job(self, config: Mapping[str, Any], budget: float) -> Job:
        job = Job(self._next_id, to_plain(config), float(budget))
        self._next_id += 1
        self._untold.add(job.id)
        return job

    def _pop_warm(self) -> Config | None:
        """The next warm-start config that is valid in this space, or None."""
        if not self._warm and self._warm_then is not None:
            then, self._warm_then = self._warm_then, None
            self.warm_start(*then())
        while self._warm:
            config = self._warm.popleft()
            if is_valid(config, self.space):
                return config
        return None

    def _update_incumbent(self, job: Job, loss: float) -> None:
        """Best finite loss at the largest budget that has one; failures never become it."""
        if math.isinf(loss):
            return
        current = self._incumbent
        if (
            current is None
            or job.budget > current[2]
            or (job.budget == current[2] and loss < current[1])
        ):
            self._incumbent = (dict(job.config), loss, job.budget)
