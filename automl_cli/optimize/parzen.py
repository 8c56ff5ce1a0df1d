"""Univariate Parzen estimators with a prior, the building block of BOHB's model (`kde.py`).

As in TPE (Bergstra et al. 2011) and Optuna's sampler, each hyperparameter gets its own
one-dimensional density, fitted only on the results where it was active, with one extra
"prior" component (uniform-like) so that a density exists from the first result on and never
rules a region out. Estimators are weighted mixtures, so two of them (the warm start's and the
task's own) blend into one by concatenating their components.

- Numeric columns live in [0, 1] (log scale where the space says so): Gaussian kernels
  truncated to [0, 1]; each kernel's width is the larger gap to its sorted neighbours,
  clipped to [1 / min(100, n + 1), 1]; the prior is N(0.5, 1).
- Categorical columns: the smoothed share of each choice, prior weight spread evenly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

PRIOR_WEIGHT = 1.0


@dataclass(frozen=True)
class NumericParzen:
    """Mixture of Gaussians truncated to [0, 1]: centres, widths and weights (summing to 1)."""

    mu: np.ndarray
    sigma: np.ndarray
    weight: np.ndarray

    @classmethod
    def fit(cls, values: np.ndarray, prior_weight: float = PRIOR_WEIGHT) -> NumericParzen:
        values = np.asarray(values, dtype=float)
        mu = np.append(values, 0.5)
        order = np.argsort(mu, kind="stable")
        ordered = mu[order]
        padded = np.concatenate([[0.0], ordered, [1.0]])
        gaps = np.maximum(padded[1:-1] - padded[:-2], padded[2:] - padded[1:-1])
        sigma = np.empty_like(mu)
        sigma[order] = np.clip(gaps, 1.0 / min(100.0, len(mu)), 1.0)
        sigma[-1] = 1.0  # the prior component
        weight = np.append(np.ones(len(values)), prior_weight)
        return cls(mu, sigma, weight / weight.sum())

    @classmethod
    def blend(cls, parts: list[tuple[float, NumericParzen]]) -> NumericParzen:
        """One mixture of several, each part scaled by its share (shares sum to 1)."""
        return cls(
            np.concatenate([p.mu for _, p in parts]),
            np.concatenate([p.sigma for _, p in parts]),
            np.concatenate([share * p.weight for share, p in parts]),
        )

    def sample(self, rng: np.random.Generator, m: int) -> np.ndarray:
        k = rng.choice(len(self.mu), size=m, p=self.weight)
        mu, sigma = self.mu[k], self.sigma[k]
        lo, hi = ndtr(-mu / sigma), ndtr((1.0 - mu) / sigma)
        u = lo + rng.random(m) * (hi - lo)
        return np.clip(mu + sigma * ndtri(u), 0.0, 1.0)

    def log_pdf(self, x: np.ndarray) -> np.ndarray:
        z = (x[:, None] - self.mu) / self.sigma
        mass = ndtr((1.0 - self.mu) / self.sigma) - ndtr(-self.mu / self.sigma)
        log_k = -0.5 * z**2 + np.log(self.weight / (self.sigma * np.sqrt(2 * np.pi) * mass))
        top = log_k.max(axis=1)
        return top + np.log(np.exp(log_k - top[:, None]).sum(axis=1))


@dataclass(frozen=True)
class CategoricalParzen:
    """Probabilities of the choices 0 .. n - 1 (summing to 1)."""

    p: np.ndarray

    @classmethod
    def fit(
        cls, values: np.ndarray, n_choices: int, prior_weight: float = PRIOR_WEIGHT
    ) -> CategoricalParzen:
        counts = np.bincount(np.asarray(values, dtype=int), minlength=n_choices).astype(float)
        counts += prior_weight / n_choices
        return cls(counts / counts.sum())

    @classmethod
    def blend(cls, parts: list[tuple[float, CategoricalParzen]]) -> CategoricalParzen:
        return cls(sum(share * p.p for share, p in parts))

    def sample(self, rng: np.random.Generator, m: int) -> np.ndarray:
        return rng.choice(len(self.p), size=m, p=self.p).astype(float)

    def log_pdf(self, x: np.ndarray) -> np.ndarray:
        return np.log(self.p[x.astype(int)])
