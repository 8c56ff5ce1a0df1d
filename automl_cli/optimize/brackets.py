"""Rung and bracket arithmetic for the multi-fidelity strategies, in exact integers.

Budgets are fractions of the training rows (docs/architecture.md, contract 4). With R = max/min
budget and a reduction factor eta, the number of halvings is s_max = the largest s with eta**s
<= R. It is found by repeated integer multiplication, never `int(log(R) / log(eta))`, which
gives 4 for 243 / 3. R itself is rounded to the nearest integer when it is within 1e-9
(relative) of one, so `1 / (1 / 27)` counts as 27.

Rung budgets are anchored at max_budget (the top rung is exactly max_budget); when R is a
power of eta the bottom rung is exactly min_budget, otherwise it is the smallest
max_budget / eta**k that is not below min_budget.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from automl_cli.optimize.base import Config

_REL_TOL = 1e-9

Curve = list[tuple[float, float]]  # (budget, loss) of one config, in the order it was run
StopRule = Callable[[Curve], bool]  # True: do not promote this config any further


def budget_ratio(min_budget: float, max_budget: float) -> float:
    """R = max_budget / min_budget, snapped to the nearest integer when within 1e-9 of it."""
    ratio = max_budget / min_budget
    nearest = round(ratio)
    if nearest >= 1 and abs(ratio - nearest) <= _REL_TOL * nearest:
        return float(nearest)
    return ratio


def max_stage(min_budget: float, max_budget: float, eta: int) -> int:
    """s_max: the largest s with eta**s <= R, by integer multiplication."""
    ratio = budget_ratio(min_budget, max_budget)
    s, power = 0, eta
    while power <= ratio * (1 + _REL_TOL):
        s += 1
        power *= eta
    return s


def rung_budget(max_budget: float, min_budget: float, eta: int, below_top: int) -> float:
    """The budget `below_top` rungs under max_budget, never below min_budget."""
    return max(min_budget, max_budget / eta**below_top)


def rung_budgets(min_budget: float, max_budget: float, eta: int) -> list[float]:
    """All rung budgets from the bottom to max_budget (ASHA's rungs, Hyperband's s_max bracket)."""
    s_max = max_stage(min_budget, max_budget, eta)
    return [rung_budget(max_budget, min_budget, eta, s_max - k) for k in range(s_max + 1)]


@dataclass(frozen=True)
class Rung:
    """One stage of a bracket: how many configs run, at which budget."""

    n_configs: int
    budget: float


def bracket_rungs(
    s: int,
    min_budget: float,
    max_budget: float,
    eta: int,
    n_configs: int | None = None,
) -> list[Rung]:
    """The stages of bracket s (s halvings, so s + 1 rungs ending at max_budget).

    By default n is Hyperband's ceil((s_max + 1) / (s + 1) * eta**s); stage i runs
    floor(n / eta**i) configs (at least 1) at budget max_budget / eta**(s - i).
    """
    s_max = max_stage(min_budget, max_budget, eta)
    if not 0 <= s <= s_max:
        raise ValueError(f"bracket index s must be in [0, {s_max}], got {s}")
    if n_configs is None:
        n_configs = -(-((s_max + 1) * eta**s) // (s + 1))  # exact integer ceiling
    return [
        Rung(max(1, n_configs // eta**i), rung_budget(max_budget, min_budget, eta, s - i))
        for i in range(s + 1)
    ]


def hyperband_brackets(min_budget: float, max_budget: float, eta: int) -> list[list[Rung]]:
    """Li et al.'s brackets in the order Hyperband runs them: s = s_max, ..., 0."""
    s_max = max_stage(min_budget, max_budget, eta)
    return [bracket_rungs(s, min_budget, max_budget, eta) for s in range(s_max, -1, -1)]


@dataclass
class _Entry:
    config: Config
    curve: Curve = field(default_factory=list)


class Bracket:
    """One synchronous successive-halving bracket.

    Stage 0 draws its configs lazily (a model sees every result that came in before a config
    is drawn). A stage advances when all its results are in: the best n_{i+1} by loss (ties
    by draw order) move up, except failed trials (inf), which are never promoted, and configs
    the stop rule rejects, which are dropped without replacement. The bracket ends after its
    last stage or when no config is left to promote.
    """

    def __init__(self, rungs: Sequence[Rung], stop: StopRule | None = None) -> None:
        self.rungs = list(rungs)
        self.stage = 0
        self.finished = False
        self._stop = stop
        self.stopped: list[int] = []  # entries the stop rule kept from moving up
        self._entries: list[_Entry] = []
        self._to_draw = self.rungs[0].n_configs
        self._queue: deque[int] = deque()
        self._stage_size = self.rungs[0].n_configs
        self._results: list[tuple[float, int]] = []

    @property
    def budget(self) -> float:
        """The budget of the current stage."""
        return self.rungs[self.stage].budget

    def next_trial(self, draw: Callable[[float], Config]) -> tuple[int, Config, float] | None:
        """(entry, config, budget) of the next trial of this stage, or None if there is none.

        `draw(budget)` supplies each new config of stage 0.
        """
        if self.finished:
            return None
        if self._to_draw:
            self._to_draw -= 1
            self._entries.append(_Entry(draw(self.budget)))
            return len(self._entries) - 1, self._entries[-1].config, self.budget
        if self._queue:
            entry = self._queue.popleft()
            return entry, self._entries[entry].config, self.budget
        return None

    def report(self, entry: int, loss: float) -> None:
        """Record the loss of `entry` at the current stage; advance once the stage is full."""
        self._entries[entry].curve.append((self.budget, loss))
        self._results.append((loss, entry))
        if len(self._results) == self._stage_size:
            self._advance()

    def curve(self, entry: int) -> Curve:
        """(budget, loss) pairs of one config so far."""
        return list(self._entries[entry].curve)

    def config(self, entry: int) -> Config:
        """The config of one entry."""
        return self._entries[entry].config

    def _advance(self) -> None:
        if self.stage + 1 == len(self.rungs):
            self.finished = True
            return
        keep = self.rungs[self.stage + 1].n_configs
        # tuples sort by loss (inf last), ties by draw order
        ranked = sorted(self._results)[:keep]
        best = [entry for loss, entry in ranked if math.isfinite(loss)]
        if self._stop is not None:
            self.stopped += [entry for entry in best if self._stop(self.curve(entry))]
            best = [entry for entry in best if entry not in self.stopped]
        self._results = []
        if not best:
            self.finished = True
            return
        self.stage += 1
        self._stage_size = len(best)
        self._queue.extend(best)
