"""Asynchronous successive halving, ASHA (Li et al. 2020).

Rungs are the budgets max_budget * eta**-k down to min_budget (`brackets.rung_budgets`; with
the default 1/27..1 and eta 3 they are 1/27, 1/9, 1/3, 1). On every ask, from the rung just
below the top downwards: a config whose result at rung k is among the top floor(n_k / eta) of
the n_k results at rung k, and that was not promoted from rung k yet, goes to rung k + 1 (the
best such config first). With no promotable config a new one starts at the bottom rung
(warm-start configs first). `ask()` never returns None.

Failed trials (inf) are never promoted; ties rank by the order the configs were started.
With `early_stopping=True` a config whose curve gives it little chance of beating the incumbent
at max_budget (`early_stopping.py`) is not promoted even if its rank allows it.
"""

from __future__ import annotations

import bisect
import math

from ConfigSpace import ConfigurationSpace

from automl_cli.optimize.base import Config, Job, Optimizer, seeded_space, to_plain
from automl_cli.optimize.brackets import Curve, rung_budgets
from automl_cli.optimize.early_stopping import CurveStopper


class ASHA(Optimizer):
    """Asynchronous successive halving; options: early_stopping, early_stopping_min_chance."""

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
    ) -> None:
        super().__init__(space, min_budget=min_budget, max_budget=max_budget, eta=eta, seed=seed)
        self.rungs = rung_budgets(self.min_budget, self.max_budget, self.eta)
        self.stopper = CurveStopper(self.max_budget, early_stopping_min_chance)
        self.early_stopping = bool(early_stopping)
        self._sampler = seeded_space(space, self.rng)
        self._configs: list[Config] = []  # trial index -> config
        self._curves: list[Curve] = []  # trial index -> (budget, loss) per rung reached
        # per rung: finished results as sorted (loss, trial) and the trials promoted from it
        self._results: list[list[tuple[float, int]]] = [[] for _ in self.rungs]
        self._promoted: list[set[int]] = [set() for _ in self.rungs]
        self._stopped: set[int] = set()
        self._jobs: dict[int, tuple[int, int]] = {}  # job id -> (trial, rung)

    def _ask(self) -> Job | None:
        for k in range(len(self.rungs) - 2, -1, -1):
            trial = self._promotable(k)
            if trial is not None:
                self._promoted[k].add(trial)
                return self._start(trial, k + 1)
        config = self._pop_warm()
        if config is None:
            config = to_plain(self._sampler.sample_configuration())
        self._configs.append(config)
        self._curves.append([])
        return self._start(len(self._configs) - 1, 0)

    def _tell(self, job: Job, loss: float) -> None:
        trial, k = self._jobs.pop(job.id)
        self._curves[trial].append((job.budget, loss))
        bisect.insort(self._results[k], (loss, trial))

    def _promotable(self, k: int) -> int | None:
        """The best config in the top 1/eta of rung k that may still move up, or None."""
        results = self._results[k]
        for loss, trial in results[: len(results) // self.eta]:
            if not math.isfinite(loss):
                return None
            if trial in self._promoted[k] or trial in self._stopped:
                continue
            if self.early_stopping and self._should_stop(trial):
                self._stopped.add(trial)
                continue
            return trial
        return None

    @property
    def stopped_configs(self) -> list[Config]:
        """The configs the learning-curve rule kept from moving up, in the order started."""
        return [self._configs[trial] for trial in sorted(self._stopped)]

    def _should_stop(self, trial: int) -> bool:
        incumbent = self.incumbent
        at_max = incumbent is not None and math.isclose(incumbent[2], self.max_budget)
        return self.stopper.should_stop(self._curves[trial], incumbent[1] if at_max else None)

    def _start(self, trial: int, k: int) -> Job:
        job = self._new_job(self._configs[trial], self.rungs[k])
        self._jobs[job.id] = (trial, k)
        return job
