"""BOHB's config generator: a TPE-style ratio of two kernel density estimates.

Falkner et al. 2018, as HpBandSter implements it, in vectorized numpy (no statsmodels):

- Configs become rows of numbers (`SpaceCoder`, on the shared `encoding.SpaceEncoding`):
  float, integer and ordinal hyperparameters as a value in [0, 1] (log where the space says
  so); categoricals as a category index. Inactive (conditional) values are NaN.
- Per budget the observations are split into a good set (the best `top_fraction`, at least
  `min_points`, finite losses only) and a bad set (the rest, failures included). The model
  uses the largest budget where both sets hold at least `min_points` = d + 2 rows, i.e. more
  than d + 1 (d = number of modelled hyperparameters).
- Each set gets a product-kernel density (`ProductKDE`): Gaussian kernels on continuous
  columns, an Aitchison-Aitken kernel on categorical ones. Before fitting, the NaNs of a set
  are imputed with values drawn from that set's active values of the same column (or
  uniformly when there are none).
- Bandwidths are normal-reference (Scott's rule, statsmodels' and HpBandSter's default):
  h_j = 1.06 * std_j * n**(-1 / (d + 4)), at least `min_bandwidth`. For a categorical column
  the same rule is applied to the order-free spread sqrt((1 - sum_k p_k**2) / 2) (for two
  categories exactly the standard deviation of the 0/1 code, what statsmodels uses) and kept
  inside the kernel's valid range [min_bandwidth, (c - 1) / c].
- A proposal: `n_candidates` points drawn around random rows of the good set: continuous
  columns from a normal truncated to [0, 1] with `bandwidth_factor` times the bandwidth;
  categorical ones keep the row's value with probability 1 - lambda and are otherwise redrawn
  uniformly (HpBandSter's rule, a little narrower than the kernel). The candidate that
  maximizes log l(x) - log g(x) wins.
- Observations from earlier tasks (`observe_prior`) form a separate prior model that is used
  only while the task's own observations cannot fit one at any budget.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ConfigSpace import ConfigurationSpace
from scipy.special import ndtr, ndtri
from threadpoolctl import ThreadpoolController

from automl_cli.optimize.base import Config, Observation, is_valid
from automl_cli.optimize.encoding import CATEGORICAL, NUMERIC, ORDINAL, SpaceEncoding


@functools.cache
def _blas_controller() -> ThreadpoolController:
    """Made on first use (it inspects the loaded libraries); the matrices here are small,
    and more BLAS threads would only compete with the trials for the cores."""
    return ThreadpoolController()


class SpaceCoder:
    """Configs <-> rows of the density model, on top of the shared `SpaceEncoding`.

    The model's columns are the hyperparameters that can take more than one value; ordinal
    indices are scaled to [0, 1] so they are smoothed like numbers.
    """

    def __init__(self, space: ConfigurationSpace) -> None:
        self.space = space
        self.encoding = SpaceEncoding(space)
        kinds, choices = self.encoding.kinds, self.encoding.n_choices
        self.columns = [
            j
            for j, kind in enumerate(kinds)
            if kind == NUMERIC or (kind in (CATEGORICAL, ORDINAL) and choices[j] > 1)
        ]
        self.n_choices = np.array(
            [choices[j] if kinds[j] == CATEGORICAL else 0 for j in self.columns], dtype=int
        )
        self.is_cat = self.n_choices > 0
        self._steps = np.array(
            [choices[j] - 1.0 if kinds[j] == ORDINAL else 1.0 for j in self.columns]
        )

    @property
    def dim(self) -> int:
        return len(self.columns)

    def encode(self, config: Mapping[str, Any]) -> np.ndarray | None:
        """The row of a config, or None if the config is not valid in this space."""
        if not is_valid(config, self.space):
            return None
        return self.encoding.encode([config])[0, self.columns] / self._steps

    def decode(self, row: np.ndarray) -> Config | None:
        """The valid config nearest to a (fully imputed) row, inactive values dropped, or None
        if it breaks a forbidden clause."""
        full = self.encoding.defaults.astype(float)
        full[self.columns] = np.asarray(row, dtype=float) * self._steps
        consistent = self.encoding.repair(full[None, :], fill=full[None, :])
        if self.encoding.forbidden(consistent)[0]:
            return None
        return self.encoding.decode(consistent[0])


def _impute(data: np.ndarray, coder: SpaceCoder, rng: np.random.Generator) -> np.ndarray:
    """Fill NaNs column by column from the column's active values (uniform if none)."""
    data = data.copy()
    for j in np.flatnonzero(np.isnan(data).any(axis=0)):
        missing = np.isnan(data[:, j])
        active = data[~missing, j]
        if active.size:
            data[missing, j] = rng.choice(active, size=int(missing.sum()))
        elif coder.is_cat[j]:
            data[missing, j] = rng.integers(coder.n_choices[j], size=int(missing.sum()))
        else:
            data[missing, j] = rng.random(int(missing.sum()))
    return data


class ProductKDE:
    """Product-kernel density over rows without NaNs, normal-reference bandwidths."""

    def __init__(
        self, data: np.ndarray, is_cat: np.ndarray, n_choices: np.ndarray, min_bandwidth: float
    ) -> None:
        n, d = data.shape
        self.data = data
        self.is_cat = is_cat
        scott = n ** (-1.0 / (d + 4))
        cont = data[:, ~is_cat]
        self.bandwidth_cont = np.maximum(1.06 * cont.std(axis=0) * scott, min_bandwidth)
        scaled = cont / self.bandwidth_cont
        # categorical columns as one block of one-hot indicators
        choices = n_choices[is_cat]
        self._choices = choices
        self._offsets = np.concatenate([[0], np.cumsum(choices)[:-1]]).astype(int)
        self._width = int(choices.sum())
        onehot = self._onehot(data[:, is_cat])
        squares = onehot.mean(axis=0) ** 2
        gini = 1.0 - (np.add.reduceat(squares, self._offsets) if self._width else squares)
        upper = (choices - 1) / np.maximum(choices, 1)
        self.bandwidth_cat = np.clip(1.06 * np.sqrt(gini / 2) * scott, min_bandwidth, upper)
        lam = self.bandwidth_cat
        other = np.log(lam / np.maximum(choices - 1, 1))  # log-kernel of a mismatch
        match_gain = np.log1p(-lam) - other
        # log k(x, x_i) = x_feat . data_feat_i + row_term_i - |z_x|^2 / 2: one matrix product
        self._features = np.hstack([scaled, onehot * np.repeat(match_gain, choices)])
        self._row_term = -0.5 * (scaled**2).sum(axis=1)
        self._log_norm = (
            other.sum()
            - np.log(self.bandwidth_cont).sum()
            - 0.5 * cont.shape[1] * math.log(2 * math.pi)
            - math.log(n)
        )

    def _onehot(self, cats: np.ndarray) -> np.ndarray:
        out = np.zeros((cats.shape[0], self._width))
        if self._width:
            cols = cats.astype(int) + self._offsets
            np.put_along_axis(out, cols, 1.0, axis=1)
        return out

    def log_pdf(self, points: np.ndarray) -> np.ndarray:
        """log density at each row of `points` (m, d)."""
        z = points[:, ~self.is_cat] / self.bandwidth_cont
        features = np.hstack([z, self._onehot(points[:, self.is_cat])])
        log_k = features @ self._features.T
        log_k += self._row_term
        top = log_k.max(axis=1)
        log_sum = np.log(np.exp(log_k - top[:, None]).sum(axis=1)) + top
        return log_sum - 0.5 * (z**2).sum(axis=1) + self._log_norm

    def sample(self, rng: np.random.Generator, m: int, bandwidth_factor: float) -> np.ndarray:
        """m draws around random rows; continuous kernels widened and truncated to [0, 1]."""
        centers = self.data[rng.integers(len(self.data), size=m)]
        out = centers.copy()
        mu = centers[:, ~self.is_cat]
        scale = bandwidth_factor * self.bandwidth_cont
        lo, hi = ndtr(-mu / scale), ndtr((1.0 - mu) / scale)
        u = lo + rng.random(mu.shape) * (hi - lo)
        out[:, ~self.is_cat] = np.clip(mu + scale * ndtri(u), 0.0, 1.0)
        cats = centers[:, self.is_cat].astype(int)
        redraw = rng.random(cats.shape) < self.bandwidth_cat
        uniform = (rng.random(cats.shape) * self._choices).astype(int)
        out[:, self.is_cat] = np.where(redraw, uniform, cats)
        return out


@dataclass
class _Store:
    rows: list[np.ndarray] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    n_finite: int = 0


class KDEProposer:
    """The density model of BOHB: observe results, propose configs (None: no model yet)."""

    def __init__(
        self,
        space: ConfigurationSpace,
        rng: np.random.Generator,
        *,
        top_fraction: float = 0.15,
        n_candidates: int = 64,
        bandwidth_factor: float = 3.0,
        min_bandwidth: float = 1e-3,
        min_points: int | None = None,
    ) -> None:
        self.coder = SpaceCoder(space)
        self.rng = rng
        self.top_fraction = top_fraction
        self.n_candidates = n_candidates
        self.bandwidth_factor = bandwidth_factor
        self.min_bandwidth = min_bandwidth
        self.min_points = self.coder.dim + 2 if min_points is None else min_points
        self._own: dict[float, _Store] = {}
        self._prior: dict[float, _Store] = {}
        self._fitted: dict[tuple[bool, float], tuple[int, ProductKDE, ProductKDE]] = {}

    def observe(self, config: Mapping[str, Any], budget: float, loss: float) -> None:
        """Add one of this task's results."""
        self._add(self._own, config, budget, loss)

    def observe_prior(self, history: Iterable[Observation]) -> None:
        """Add results of earlier tasks (configs invalid in this space are skipped)."""
        for obs in history:
            self._add(self._prior, obs.config, obs.budget, obs.loss)

    def model_budget(self) -> float | None:
        """The budget whose own observations drive proposals, or None."""
        return self._largest_ready(self._own)

    def propose(self) -> Config | None:
        """The best of `n_candidates` draws from l by l/g, or None when there is no model."""
        source, budget = True, self._largest_ready(self._own)
        if budget is None:
            source, budget = False, self._largest_ready(self._prior)
        if budget is None:
            return None
        with _blas_controller().limit(limits=1, user_api="blas"):
            good, bad = self._model(source, budget)
            candidates = good.sample(self.rng, self.n_candidates, self.bandwidth_factor)
            score = good.log_pdf(candidates) - bad.log_pdf(candidates)
        for index in np.argsort(-score, kind="stable"):
            config = self.coder.decode(candidates[index])
            if config is not None:
                return config
        return None

    def _add(
        self, stores: dict[float, _Store], config: Mapping[str, Any], budget: float, loss: float
    ) -> None:
        row = self.coder.encode(config)
        if row is None:
            return
        store = stores.setdefault(float(budget), _Store())
        store.rows.append(row)
        finite = math.isfinite(loss)
        store.losses.append(float(loss) if finite else math.inf)
        store.n_finite += finite

    def _n_good(self, store: _Store) -> int | None:
        """Size of the good set, or None while the store cannot fit both densities."""
        n = len(store.losses)
        n_good = max(self.min_points, int(self.top_fraction * n))
        if store.n_finite < n_good or n - n_good < self.min_points:
            return None
        return n_good

    def _largest_ready(self, stores: dict[float, _Store]) -> float | None:
        ready = [b for b, store in stores.items() if self._n_good(store) is not None]
        return max(ready) if ready else None

    def _model(self, own: bool, budget: float) -> tuple[ProductKDE, ProductKDE]:
        store = (self._own if own else self._prior)[budget]
        cached = self._fitted.get((own, budget))
        if cached is not None and cached[0] == len(store.losses):
            return cached[1], cached[2]
        n_good = self._n_good(store)
        order = np.argsort(np.array(store.losses), kind="stable")  # ties: earlier result first
        rows = np.array(store.rows)[order]
        kdes = [
            ProductKDE(
                _impute(part, self.coder, self.rng),
                self.coder.is_cat,
                self.coder.n_choices,
                self.min_bandwidth,
            )
            for part in (rows[:n_good], rows[n_good:])
        ]
        self._fitted[(own, budget)] = (len(store.losses), kdes[0], kdes[1])
        return kdes[0], kdes[1]
