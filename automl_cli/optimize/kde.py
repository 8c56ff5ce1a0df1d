"""BOHB's config generator: a TPE model that follows the CASH space's structure.

One joint density over every column of a conditional space needs d + 2 results per set before
it exists and spreads itself over columns that are mostly inactive. This model instead splits
the choice the way the space does:

- The algorithm (`SpaceEncoding.top_categorical`, the categorical that switches the most
  hyperparameters on) is drawn with probability proportional to its own smoothed good/bad
  ratio l(k) / g(k), where the good set is the best `top_fraction` of the results; a floor
  (`algorithm_floor`, shared evenly) keeps every algorithm in play.
- Inside the drawn algorithm, each hyperparameter that can be active there has its own
  univariate Parzen estimator with a prior (`parzen.py`), fitted on that algorithm's results
  where the hyperparameter was active, split into the algorithm's own best `top_fraction` and
  the rest. `n_candidates` draws from l are scored by the sum of log l - log g over their
  active hyperparameters; the best one wins. So an algorithm has a model after two results.
- A space without such a categorical is one group: plain TPE over all its hyperparameters.
- Results are kept per budget; the model uses the largest budget with `min_points` results.
- The warm start's results of earlier tasks (`observe_prior`) form a second set of densities,
  blended with the task's own: the prior's share is m / (m + n), n the own results in use and
  m = `prior_strength`, so it leads at first and fades as the task's own results grow.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ConfigSpace import ConfigurationSpace

from automl_cli.optimize.base import Config, Observation, is_valid
from automl_cli.optimize.encoding import CATEGORICAL, NUMERIC, ORDINAL, SpaceEncoding
from automl_cli.optimize.parzen import PRIOR_WEIGHT, CategoricalParzen, NumericParzen

Parzen = NumericParzen | CategoricalParzen


@dataclass
class _Store:
    """The results of one source at one budget, rows in model units."""

    rows: list[np.ndarray] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.losses)


class KDEProposer:
    """The model of BOHB: observe results, propose configs (None: no model yet)."""

    def __init__(
        self,
        space: ConfigurationSpace,
        rng: np.random.Generator,
        *,
        top_fraction: float = 0.25,
        n_candidates: int = 24,
        min_points: int | None = None,
        algorithm_floor: float = 0.2,
        prior_strength: float = 10.0,
    ) -> None:
        self.space = space
        self.rng = rng
        self.top_fraction = top_fraction
        self.n_candidates = n_candidates
        self.algorithm_floor = algorithm_floor
        self.prior_strength = prior_strength
        self.encoding = encoding = SpaceEncoding(space)
        kinds, choices = encoding.kinds, encoding.n_choices
        self.top = encoding.top_categorical
        self.n_algorithms = 1 if self.top is None else int(choices[self.top])
        self._steps = np.array(
            [
                choices[j] - 1.0 if kind == ORDINAL and choices[j] > 1 else 1.0
                for j, kind in enumerate(kinds)
            ]
        )
        modelled = [
            j
            for j, kind in enumerate(kinds)
            if j != self.top
            and (kind == NUMERIC or (kind in (CATEGORICAL, ORDINAL) and choices[j] > 1))
        ]
        self.groups = [self._group(k, modelled) for k in range(self.n_algorithms)]
        self.min_points = max(self.n_algorithms + 2, 5) if min_points is None else min_points
        self._own: dict[float, _Store] = {}
        self._prior = _Store()
        self._fitted: dict[tuple[int, float, int], tuple[int, dict[int, tuple[Parzen, Parzen]]]]
        self._fitted = {}

    def _group(self, algorithm: int, modelled: list[int]) -> list[int]:
        """The modelled columns that can be active when the algorithm is `algorithm`."""
        n = 256
        rows = np.full((n, self.encoding.dim), np.nan)
        if self.top is not None:
            rows[:, self.top] = algorithm
        fill = self.encoding.sample_raw(n, np.random.default_rng(0))
        active = ~np.isnan(self.encoding.repair(rows, fill)).all(axis=0)
        return [j for j in modelled if active[j]]

    # -- results ------------------------------------------------------------------------------
    def observe(self, config: Mapping[str, Any], budget: float, loss: float) -> None:
        """Add one of this task's results."""
        row = self._encode(config)
        if row is not None:
            self._add(self._own.setdefault(float(budget), _Store()), row, loss)

    def observe_prior(self, history: Iterable[Observation]) -> None:
        """Add results of earlier tasks (configs invalid in this space are skipped)."""
        for obs in history:
            row = self._encode(obs.config)
            if row is not None:
                self._add(self._prior, row, obs.loss)

    def model_budget(self) -> float | None:
        """The largest budget with enough of this task's results to fit a model, or None."""
        ready = [
            b
            for b, store in self._own.items()
            if len(store) >= self.min_points and any(map(math.isfinite, store.losses))
        ]
        return max(ready) if ready else None

    def prior_share(self) -> float:
        """The warm start's share of the model now (0 without prior results)."""
        if not len(self._prior):
            return 0.0
        own = self._own_in_use()
        n_own = 0 if own is None else len(own[1])
        return self.prior_strength / (self.prior_strength + n_own)

    # -- proposals ----------------------------------------------------------------------------
    def algorithm_probabilities(self) -> np.ndarray:
        """The chance of each algorithm in the next proposal (ones divided evenly: no model)."""
        sources = self._sources()
        K = self.n_algorithms
        if not sources:
            return np.full(K, 1.0 / K)
        good_p, bad_p = np.zeros(K), np.zeros(K)
        for share, _, store in sources:
            rows, losses = np.array(store.rows), np.array(store.losses)
            algorithms = np.zeros(len(rows), int) if self.top is None else rows[:, self.top]
            good = self._good_mask(losses)
            for mask, out in ((good, good_p), (~good, bad_p)):
                counts = np.bincount(algorithms[mask].astype(int), minlength=K)
                out += share * (counts + PRIOR_WEIGHT / K) / (mask.sum() + PRIOR_WEIGHT)
        ratio = good_p / bad_p
        return self.algorithm_floor / K + (1 - self.algorithm_floor) * ratio / ratio.sum()

    def propose(self) -> Config | None:
        """The best of `n_candidates` draws from l by l/g, or None when there is no model."""
        sources = self._sources()
        if not sources:
            return None
        algorithm = int(self.rng.choice(self.n_algorithms, p=self.algorithm_probabilities()))
        group = self.groups[algorithm]
        estimators = self._blended(sources, algorithm)
        m = self.n_candidates
        rows = np.full((m, self.encoding.dim), np.nan)
        if self.top is not None:
            rows[:, self.top] = algorithm
        for j in group:
            rows[:, j] = estimators[j][0].sample(self.rng, m) * self._steps[j]
        rows = self.encoding.repair(rows, fill=self.encoding.defaults)
        allowed = ~self.encoding.forbidden(rows)
        if not allowed.any():
            return None
        score = np.zeros(m)
        for j in group:
            active = ~np.isnan(rows[:, j])
            if active.any():
                good, bad = estimators[j]
                x = rows[active, j] / self._steps[j]
                score[active] += good.log_pdf(x) - bad.log_pdf(x)
        score[~allowed] = -np.inf
        return self.encoding.decode(rows[int(np.argmax(score))])

    # -- internals ----------------------------------------------------------------------------
    def _encode(self, config: Mapping[str, Any]) -> np.ndarray | None:
        if not is_valid(config, self.space):
            return None
        return self.encoding.encode([config])[0] / self._steps

    @staticmethod
    def _add(store: _Store, row: np.ndarray, loss: float) -> None:
        store.rows.append(row)
        store.losses.append(float(loss) if math.isfinite(loss) else math.inf)

    def _good_mask(self, losses: np.ndarray) -> np.ndarray:
        """The best top_fraction of the finite losses (at least one), earlier first on ties."""
        n_good = min(
            max(1, math.ceil(self.top_fraction * len(losses))), int(np.isfinite(losses).sum())
        )
        mask = np.zeros(len(losses), dtype=bool)
        mask[np.argsort(losses, kind="stable")[:n_good]] = True
        return mask

    def _own_in_use(self) -> tuple[float, _Store] | None:
        """The own results the model uses: the largest ready budget's; with a prior to lean
        on, else the budget with the most results."""
        budget = self.model_budget()
        if budget is None and len(self._prior) and self._own:
            budget = max(self._own, key=lambda b: (len(self._own[b]), b))
        return None if budget is None else (budget, self._own[budget])

    def _sources(self) -> list[tuple[float, float, _Store]]:
        """(share, key, store) of the prior and the own results in use; shares sum to 1."""
        own = self._own_in_use()
        sources = []
        prior_share = self.prior_share()
        if prior_share > 0:
            sources.append((prior_share, -1.0, self._prior))
        if own is not None and prior_share < 1:
            sources.append((1 - prior_share, own[0], own[1]))
        return sources

    def _blended(
        self, sources: list[tuple[float, float, _Store]], algorithm: int
    ) -> dict[int, tuple[Parzen, Parzen]]:
        fitted = [(share, self._fit(key, store, algorithm)) for share, key, store in sources]
        return {
            j: tuple(
                type(fitted[0][1][j][side]).blend([(share, fit[j][side]) for share, fit in fitted])
                for side in (0, 1)
            )
            for j in self.groups[algorithm]
        }

    def _fit(self, key: float, store: _Store, algorithm: int) -> dict[int, tuple[Parzen, Parzen]]:
        """Good and bad densities of each of the algorithm's columns, cached per store size."""
        cached = self._fitted.get((algorithm, key, id(store)))
        if cached is not None and cached[0] == len(store):
            return cached[1]
        rows, losses = np.array(store.rows), np.array(store.losses)
        if self.top is not None:
            mine = rows[:, self.top] == algorithm
            rows, losses = rows[mine], losses[mine]
        good = self._good_mask(losses) if len(losses) >= 2 else np.zeros(len(losses), bool)
        bad = ~good if len(losses) >= 2 else good
        fits = {}
        for j in self.groups[algorithm]:
            fits[j] = tuple(self._fit_column(j, rows[part, j]) for part in (good, bad))
        self._fitted[(algorithm, key, id(store))] = (len(store), fits)
        return fits

    def _fit_column(self, j: int, values: np.ndarray) -> Parzen:
        values = values[~np.isnan(values)]
        if self.encoding.kinds[j] == CATEGORICAL:
            return CategoricalParzen.fit(values, int(self.encoding.n_choices[j]))
        return NumericParzen.fit(values)
