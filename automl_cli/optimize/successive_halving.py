"""Successive halving (Jamieson & Talwalkar 2016; Karnin et al. 2013), finite horizon.

One bracket: n configs start at the bottom rung, and after each rung the best 1/eta move up
an eta-times larger budget, until max_budget. Strictly synchronous: `ask()` returns None
while a rung waits for results, and None with nothing pending once the bracket is done.

`SuccessiveHalving` also carries the bracket driver (job bookkeeping, config drawing, the
early-stopping hook) that Hyperband and BOHB reuse: they differ only in which brackets they
open and where new configs come from.
"""

from __future__ import annotations

import math
import numbers

from ConfigSpace import ConfigurationSpace

from automl_cli.optimize.base import Config, Job, Optimizer, seeded_space, to_plain
from automl_cli.optimize.brackets import (
    Bracket,
    Curve,
    StopRule,
    bracket_rungs,
    max_stage,
)
from automl_cli.optimize.early_stopping import CurveStopper


class SuccessiveHalving(Optimizer):
    """One successive-halving bracket from min_budget to max_budget.

    Options: `n_configs` (default eta**s_max, so exactly one config reaches max_budget).
    No early stopping: in a single bracket nothing reaches max_budget before the last rung,
    so the learning-curve rule (`early_stopping.py`) would have no incumbent to compare with.
    """

    def __init__(
        self,
        space: ConfigurationSpace,
        *,
        min_budget: float = 1 / 27,
        max_budget: float = 1.0,
        eta: int = 3,
        seed: int = 0,
        n_configs: int | None = None,
    ) -> None:
        super().__init__(space, min_budget=min_budget, max_budget=max_budget, eta=eta, seed=seed)
        self.s_max = max_stage(self.min_budget, self.max_budget, self.eta)
        if n_configs is not None and (
            isinstance(n_configs, bool)
            or not isinstance(n_configs, numbers.Integral)
            or n_configs < 1
        ):
            raise ValueError(f"n_configs must be a whole number >= 1, got {n_configs!r}")
        self.n_configs = None if n_configs is None else int(n_configs)
        self.stopper: CurveStopper | None = None  # Hyperband and BOHB may set one
        self.brackets: list[Bracket] = []  # every bracket started, oldest first
        self._open: list[Bracket] = []
        self._jobs: dict[int, tuple[Bracket, int]] = {}
        self._sampler = seeded_space(space, self.rng)

    def _ask(self) -> Job | None:
        for bracket in self._open:
            trial = bracket.next_trial(self._draw)
            if trial is not None:
                return self._start(bracket, *trial)
        if self._open and not self._may_open_while_waiting():
            return None
        bracket = self._next_bracket()
        if bracket is None:
            return None
        self.brackets.append(bracket)
        self._open.append(bracket)
        trial = bracket.next_trial(self._draw)
        if trial is None:  # every bracket has at least one config at stage 0
            raise RuntimeError("a new bracket offered no trial")
        return self._start(bracket, *trial)

    def _tell(self, job: Job, loss: float) -> None:
        bracket, entry = self._jobs.pop(job.id)
        bracket.report(entry, loss)
        if bracket.finished:
            self._open.remove(bracket)

    # -- what subclasses change -----------------------------------------------------------
    def _next_bracket(self) -> Bracket | None:
        """The bracket to open now, or None when the search is over (SHA: after its one)."""
        if self.brackets:
            return None
        rungs = bracket_rungs(
            self.s_max, self.min_budget, self.max_budget, self.eta, n_configs=self.n_configs
        )
        return Bracket(rungs, self._stop_rule())

    def _may_open_while_waiting(self) -> bool:
        """Whether a new bracket may start while an open one waits (False: synchronous)."""
        return False

    def _propose(self, budget: float) -> Config:
        """A new config for a bracket's first stage at `budget` (here: uniform at random)."""
        return to_plain(self._sampler.sample_configuration())

    # -- shared machinery -----------------------------------------------------------------
    def _draw(self, budget: float) -> Config:
        config = self._pop_warm()
        return config if config is not None else self._propose(budget)

    def _start(self, bracket: Bracket, entry: int, config: Config, budget: float) -> Job:
        job = self._new_job(config, budget)
        self._jobs[job.id] = (bracket, entry)
        return job

    def _stop_rule(self) -> StopRule | None:
        return None if self.stopper is None else self._should_stop

    def _should_stop(self, curve: Curve) -> bool:
        stopper = self.stopper
        return stopper is not None and stopper.should_stop(curve, self.incumbent_loss_at_max())

    @property
    def stopped_configs(self) -> list[Config]:
        """The configs the learning-curve rule kept from moving up, bracket by bracket."""
        return [b.config(entry) for b in self.brackets for entry in b.stopped]

    def incumbent_loss_at_max(self) -> float | None:
        """The incumbent's loss if it was measured at max_budget, else None."""
        incumbent = self.incumbent
        if incumbent is None or not math.isclose(incumbent[2], self.max_budget):
            return None
        return incumbent[1]
