"""Hyperband (Li et al. 2018): successive-halving brackets that trade many cheap configs
against few expensive ones.

With R = max_budget / min_budget and s_max = floor(log_eta R) (exact integers, see
`brackets.py`), bracket s starts n = ceil((s_max + 1) / (s + 1) * eta**s) configs at budget
max_budget * eta**-s. Brackets cycle s = s_max, ..., 0, s_max, ... until the runner stops
asking.

Warm start: configs handed to `warm_start` (in `automl fit`, the knowledge base's picks or the
space's default portfolio) are known to do well, so screening them on a sliver of the data
would only add noise. When there are some, the cycle begins with bracket s = 0 (its s_max + 1
configs run straight at max_budget) and then goes on s_max, ..., 0 as usual; the warm configs
left over fill the next bracket's first rung. The search thus has a full-budget incumbent from
its first trials on, as auto-sklearn's meta-learned configs do. With `warm_full_budget=False`
(what `automl fit` asks on large data, where one trial on all rows can take a large part of
the time budget) the cycle starts at s_max as usual and the warm configs fill its first rung,
so the first trials are the cheapest.

Parallelism (as in HpBandSter): each bracket is synchronous, but when every open bracket waits
for results and a worker is free, the next bracket starts. So `ask()` never returns None;
older brackets get their jobs handed out first, and at most one bracket per running job plus
one is open at a time. With a single worker this is exactly the sequential algorithm.
"""

from __future__ import annotations

from ConfigSpace import ConfigurationSpace

from automl_cli.optimize.brackets import Bracket, bracket_rungs
from automl_cli.optimize.early_stopping import CurveStopper
from automl_cli.optimize.successive_halving import SuccessiveHalving


class Hyperband(SuccessiveHalving):
    """Hyperband's bracket cycle over random configs.

    Options: min_budget, max_budget, eta, seed, early_stopping and early_stopping_min_chance
    (the learning-curve rule of `early_stopping.py`, applied when a stage advances), and
    warm_full_budget (True: warm configs first run at max_budget, see the module docstring).
    """

    def __init__(
        self,
        space: ConfigurationSpace,
        *,
        min_budget: float = 1 / 27,
        max_budget: float = 1.0,
        eta: int = 3,
        seed: int = 0,
        early_stopping: bool = False,
        early_stopping_min_chance: float = 0.05,
        warm_full_budget: bool = True,
    ) -> None:
        super().__init__(
            space,
            min_budget=min_budget,
            max_budget=max_budget,
            eta=eta,
            seed=seed,
        )
        stopper = CurveStopper(self.max_budget, early_stopping_min_chance)
        self.stopper = stopper if early_stopping else None
        self._bracket_offset = 0  # 1 when a full-budget bracket for warm configs came first
        self.warm_full_budget = bool(warm_full_budget)

    def _next_bracket(self) -> Bracket:
        if not self.brackets and self._warm and self.warm_full_budget:
            self._bracket_offset = 1
        s = self.s_max - (len(self.brackets) - self._bracket_offset) % (self.s_max + 1)
        rungs = bracket_rungs(s, self.min_budget, self.max_budget, self.eta)
        return Bracket(rungs, self._stop_rule())

    def _may_open_while_waiting(self) -> bool:
        return True
