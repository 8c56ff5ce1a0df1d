"""BOHB (Falkner, Klein & Hutter 2018): Hyperband's brackets, model-based configs.

The scheduler is Hyperband's, unchanged (`hyperband.py`): brackets cycle, and a new bracket
starts whenever the open ones wait, so `ask()` never returns None and free workers always get
a trial. Only the configs that start a bracket differ: a `random_fraction` of them (1/3) is
drawn uniformly, the rest come from the structured TPE model in `kde.py` (the algorithm by
its good/bad ratio, then one set of univariate densities per algorithm), fitted on the largest
budget with enough observations. Until some budget has enough, every config is random.

Warm start: `warm_start(configs, history)` puts the configs first in line (the first ones
run at max_budget in a bracket of their own, see `hyperband.py`); the history of earlier
tasks is a prior blended into the model, leading while the task's own results are few and
fading as they grow.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from ConfigSpace import ConfigurationSpace

from automl_cli.optimize.base import Config, Job, Observation
from automl_cli.optimize.hyperband import Hyperband
from automl_cli.optimize.kde import KDEProposer


def _check_fraction(name: str, value: float, *, open_low: bool) -> None:
    low_ok = value > 0 if open_low else value >= 0
    if not (isinstance(value, numbers.Real) and low_ok and value <= 1):
        bounds = "(0, 1]" if open_low else "[0, 1]"
        raise ValueError(f"{name} must be a number in {bounds}, got {value!r}")


class BOHB(Hyperband):
    """Hyperband whose new configs come from a TPE density ratio (see module docstring).

    Options beyond Hyperband's: random_fraction (1/3), top_fraction (0.25), n_candidates
    (24), min_points_in_model (results at one budget before a model: the number of
    algorithms + 2, at least 5), algorithm_floor (0.2: the share of algorithm draws spread
    evenly), prior_strength (10: own results at which the warm start's prior weighs half).
    """

    def __init__(
        self,
        space: ConfigurationSpace,
        *,
        min_budget: float = 1 / 27,
        max_budget: float = 1.0,
        eta: int = 3,
        seed: int = 0,
        random_fraction: float = 1 / 3,
        top_fraction: float = 0.25,
        n_candidates: int = 24,
        min_points_in_model: int | None = None,
        algorithm_floor: float = 0.2,
        prior_strength: float = 10.0,
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
            early_stopping=early_stopping,
            early_stopping_min_chance=early_stopping_min_chance,
            warm_full_budget=warm_full_budget,
        )
        _check_fraction("random_fraction", random_fraction, open_low=False)
        _check_fraction("top_fraction", top_fraction, open_low=True)
        if isinstance(n_candidates, bool) or not isinstance(n_candidates, int) or n_candidates < 1:
            raise ValueError(f"n_candidates must be a whole number >= 1, got {n_candidates!r}")
        _check_fraction("algorithm_floor", algorithm_floor, open_low=False)
        if not (prior_strength > 0 and math.isfinite(prior_strength)):
            raise ValueError(f"prior_strength must be a number > 0, got {prior_strength!r}")
        if min_points_in_model is not None and (
            isinstance(min_points_in_model, bool)
            or not isinstance(min_points_in_model, int)
            or min_points_in_model < 2
        ):
            raise ValueError(
                f"min_points_in_model must be a whole number >= 2, got {min_points_in_model!r}"
            )
        self.random_fraction = float(random_fraction)
        self.model = KDEProposer(
            space,
            np.random.default_rng(self.rng.integers(2**63)),
            top_fraction=float(top_fraction),
            n_candidates=n_candidates,
            min_points=min_points_in_model,
            algorithm_floor=float(algorithm_floor),
            prior_strength=float(prior_strength),
        )
        self.n_model_proposals = 0  # configs that came from the density model

    def _propose(self, budget: float) -> Config:
        if self.rng.random() >= self.random_fraction:
            config = self.model.propose()
            if config is not None:
                self.n_model_proposals += 1
                return config
        return super()._propose(budget)

    def _tell(self, job: Job, loss: float) -> None:
        self.model.observe(job.config, job.budget, loss)
        super()._tell(job, loss)

    def _absorb_history(self, history: list[Observation]) -> None:
        self.model.observe_prior(history)
