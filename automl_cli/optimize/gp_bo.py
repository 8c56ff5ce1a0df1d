"""Bayesian optimization with a Gaussian process and expected improvement.

Model inputs are `SpaceEncoding.features`: numeric hyperparameters in [0, 1] (log scale where
the space says so), ordinals as index / (k - 1), categoricals one-hot, inactive values imputed
with their default, so a config's features do not depend on values it does not use.

The GP has a Matern 5/2 kernel with one length scale per feature (ARD), a signal variance and
a noise variance, fitted by maximizing the log marginal likelihood with L-BFGS-B and its
analytic gradient. Refitting is the expensive part, so it happens only when the data has grown
by an eighth since the last fit, starting from the previous optimum (plus `n_restarts` random
starts); in between, the model is only re-conditioned on the new data. Linear algebra runs on
one BLAS thread: the matrices are small, and threads only fight the trials for the cores.

Losses are rank-normalized (normal quantiles of their ranks, ties averaged) before modelling:
the GP sees a well-scaled target whatever the metric, and a failed trial (inf), imputed with
the worst finite loss, ranks last without stretching the scale. Jobs asked but not told yet
enter the model with the mean target as a constant lie, which shrinks the uncertainty around
them so parallel asks spread out; candidates equal to an observed or pending config are
skipped. Expected improvement is maximized over random configs plus local perturbations of
the best observed ones, all in the vector encoding and scored in one batch.
"""

from __future__ import annotations

import math

import numpy as np
from ConfigSpace import ConfigurationSpace
from scipy.linalg import LinAlgError, cho_factor, cho_solve, solve_triangular
from scipy.optimize import minimize
from scipy.special import ndtr, ndtri
from scipy.stats import rankdata
from threadpoolctl import threadpool_limits

from automl_cli.optimize.base import Job, Optimizer
from automl_cli.optimize.encoding import CATEGORICAL, NUMERIC, ORDINAL, SpaceEncoding

_SQRT5 = math.sqrt(5.0)
_SCALES = np.array([0.02, 0.05, 0.1, 0.2])  # step sizes of the local candidates, unit cube
_DUPLICATE = 1e-12  # squared feature distance under which two configs count as the same
_N_BEST = 5  # observed configs whose neighbourhoods are searched


def copula_transform(losses: np.ndarray) -> np.ndarray:
    """Normal quantiles of the ranks of `losses` (ties share their average rank)."""
    ranks = rankdata(losses, method="average")
    return ndtri((ranks - 0.5) / len(losses))


def expected_improvement(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    """EI of a minimization target under independent normal predictions."""
    std = np.maximum(std, 1e-12)
    z = (best - mean) / std
    return (best - mean) * ndtr(z) + std * np.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)


def _matern_parts(Z1: np.ndarray, Z2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scaled distances r between rows and exp(-sqrt(5) r)."""
    sq = (Z1**2).sum(1)[:, None] + (Z2**2).sum(1)[None, :] - 2.0 * Z1 @ Z2.T
    r = np.sqrt(np.maximum(sq, 0.0))
    return r, np.exp(-_SQRT5 * r)


class MaternGP:
    """Zero-mean GP regression with a Matern 5/2 ARD kernel plus noise, on standardized y.

    theta = (log length scales..., log signal variance, log noise variance).
    """

    def __init__(self, width: int) -> None:
        self.width = width
        self.theta = np.concatenate([np.full(width, math.log(0.5)), [0.0, math.log(1e-2)]])
        self.bounds = np.array(
            [(math.log(0.03), math.log(30.0))] * width
            + [(math.log(0.05), math.log(20.0)), (math.log(1e-6), math.log(0.5))]
        )

    def neg_log_likelihood(
        self, theta: np.ndarray, X: np.ndarray, y: np.ndarray
    ) -> tuple[float, np.ndarray]:
        """Negative log marginal likelihood of standardized y and its gradient in theta."""
        w = self.width
        signal, noise = math.exp(theta[w]), math.exp(theta[w + 1])
        Z = X / np.exp(theta[:w])
        r, e = _matern_parts(Z, Z)
        K_f = signal * (1.0 + _SQRT5 * r + (5.0 / 3.0) * r**2) * e
        try:
            factor = cho_factor(K_f + (noise + 1e-9) * np.eye(len(y)), lower=True)
        except LinAlgError:
            return 1e25, np.zeros_like(theta)
        alpha = cho_solve(factor, y)
        log_det = 2.0 * np.log(np.diag(factor[0])).sum()
        nll = 0.5 * (y @ alpha + log_det + len(y) * math.log(2 * math.pi))
        W = np.outer(alpha, alpha) - cho_solve(factor, np.eye(len(y)))
        # dK/dlog(l_d) = G * (z_id - z_jd)^2 with G the radial factor below
        M = W * (signal * (5.0 / 3.0) * (1.0 + _SQRT5 * r) * e)
        grad = np.empty_like(theta)
        grad[:w] = (Z**2).T @ M.sum(1) - (Z * (M @ Z)).sum(0)
        grad[w] = 0.5 * (W * K_f).sum()
        grad[w + 1] = 0.5 * noise * np.trace(W)
        return float(nll), -grad

    def fit_hyperparameters(
        self, X: np.ndarray, y: np.ndarray, rng: np.random.Generator, restarts: int
    ) -> None:
        """Maximize the marginal likelihood from the current theta and `restarts` random ones."""
        y = _standardize(y)
        starts = [self.theta] + [
            rng.uniform(self.bounds[:, 0], self.bounds[:, 1]) for _ in range(restarts)
        ]
        best = None
        for start in starts:
            result = minimize(
                self.neg_log_likelihood,
                start,
                args=(X, y),
                jac=True,
                method="L-BFGS-B",
                bounds=self.bounds,
                options={"maxiter": 200},
            )
            if best is None or result.fun < best.fun:
                best = result
        self.theta = best.x

    def condition(self, X: np.ndarray, y: np.ndarray) -> None:
        """Fix the data the predictions are conditioned on (theta unchanged)."""
        w = self.width
        self._signal = math.exp(self.theta[w])
        self._scales = np.exp(self.theta[:w])
        self._Z = X / self._scales
        self._shift, self._scale = y.mean(), y.std() or 1.0
        r, e = _matern_parts(self._Z, self._Z)
        K = self._signal * (1.0 + _SQRT5 * r + (5.0 / 3.0) * r**2) * e
        noise = math.exp(self.theta[w + 1])
        jitter = 1e-9
        while True:  # more jitter only if rounding broke positive definiteness
            try:
                self._L = np.linalg.cholesky(K + (noise + jitter) * np.eye(len(K)))
                break
            except np.linalg.LinAlgError:
                if jitter >= 1e-3:
                    raise
                jitter *= 1e3
        self._alpha = cho_solve((self._L, True), (y - self._shift) / self._scale)

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation of the latent function at rows of X."""
        r, e = _matern_parts(X / self._scales, self._Z)
        K_s = self._signal * (1.0 + _SQRT5 * r + (5.0 / 3.0) * r**2) * e
        v = solve_triangular(self._L, K_s.T, lower=True)
        var = np.maximum(self._signal - (v**2).sum(0), 1e-12)
        return self._shift + self._scale * (K_s @ self._alpha), self._scale * np.sqrt(var)


def _standardize(y: np.ndarray) -> np.ndarray:
    return (y - y.mean()) / (y.std() or 1.0)


class GaussianProcessBO(Optimizer):
    """GP-EI proposals at max_budget after an initial design of `n_initial` random configs."""

    def __init__(
        self,
        space: ConfigurationSpace,
        *,
        n_initial: int = 8,
        n_random_candidates: int = 500,
        n_local_candidates: int = 300,
        n_restarts: int = 1,
        **options,
    ) -> None:
        super().__init__(space, **options)
        if n_initial < 2:
            raise ValueError(f"n_initial must be at least 2 to fit a model, got {n_initial}")
        if n_random_candidates < 1 or n_local_candidates < 0 or n_restarts < 0:
            raise ValueError(
                "need n_random_candidates >= 1, n_local_candidates >= 0 and n_restarts >= 0, "
                f"got {n_random_candidates}, {n_local_candidates}, {n_restarts}"
            )
        self.n_initial = n_initial
        self.n_random_candidates = n_random_candidates
        self.n_local_candidates = n_local_candidates
        self.n_restarts = n_restarts
        self.encoding = SpaceEncoding(space)
        self.gp = MaternGP(self.encoding.features(self.encoding.defaults[None, :]).shape[1])
        self._fitted_at = 0  # observations the kernel hyperparameters were last fitted on
        self._rows: list[np.ndarray] = []  # observed configs, encoded
        self._losses: list[float] = []
        self._pending: dict[int, np.ndarray] = {}

    # -- the contract -------------------------------------------------------------------------
    def _ask(self) -> Job | None:
        config = self._pop_warm()
        if config is not None:
            row = self.encoding.encode([config])[0]
        else:
            modelled = len(self._rows) >= self.n_initial and np.isfinite(self._losses).any()
            if modelled and self.gp.width > 0:
                with threadpool_limits(limits=1, user_api="blas"):
                    row = self._propose()
            else:
                row = self._fresh(self.encoding.sample(8, self.rng))
            config = self.encoding.decode(row)
        job = self._new_job(config, self.max_budget)
        self._pending[job.id] = row
        return job

    def _tell(self, job: Job, loss: float) -> None:
        row = self._pending.pop(job.id, None)
        self._rows.append(self.encoding.encode([job.config])[0] if row is None else row)
        self._losses.append(loss)

    # -- proposing ----------------------------------------------------------------------------
    def _targets(self) -> np.ndarray:
        losses = np.array(self._losses)
        finite = np.isfinite(losses)
        losses[~finite] = losses[finite].max()
        return copula_transform(losses)

    def _propose(self) -> np.ndarray:
        enc = self.encoding
        observed = np.array(self._rows)
        targets = self._targets()
        features = enc.features(observed)
        n = len(targets)
        if n - self._fitted_at >= max(1, self._fitted_at // 8):
            self.gp.fit_hyperparameters(features, targets, self.rng, self.n_restarts)
            self._fitted_at = n
        pending = np.array(list(self._pending.values())).reshape(-1, enc.dim)
        known = np.vstack([features, enc.features(pending)])
        lies = np.full(len(pending), targets.mean())
        self.gp.condition(known, np.concatenate([targets, lies]))
        best = observed[np.argsort(targets, kind="stable")[:_N_BEST]]
        candidates = np.vstack(
            [enc.sample(self.n_random_candidates, self.rng), self._local_candidates(best)]
        )
        candidate_features = enc.features(candidates)
        mean, std = self.gp.predict(candidate_features)
        score = expected_improvement(mean, std, float(targets.min()))
        score[_duplicates(candidate_features, known)] = -np.inf
        return candidates[int(np.argmax(score))]

    def _local_candidates(self, best: np.ndarray) -> np.ndarray:
        """Perturbations of the best rows: Gaussian steps of mixed sizes, a few choice flips."""
        enc, rng = self.encoding, self.rng
        rows = best[rng.integers(len(best), size=self.n_local_candidates)]
        numeric = np.array([k == NUMERIC for k in enc.kinds])
        discrete = np.array([k in (CATEGORICAL, ORDINAL) for k in enc.kinds])
        change = rng.random(rows.shape) < max(0.2, 1.0 / max(numeric.sum(), 1))
        steps = rng.normal(size=rows.shape) * rng.choice(_SCALES, size=(len(rows), 1))
        moved = np.abs(1.0 - np.abs(1.0 - np.mod(rows + steps, 2.0)))  # reflect into [0, 1]
        rows = np.where(change & numeric, moved, rows)
        flip = (rng.random(rows.shape) < 0.1) & discrete
        choices = np.floor(rng.random(rows.shape) * np.maximum(enc.n_choices, 1))
        rows = np.where(flip, choices, rows)
        rows = enc.repair(rows, enc.sample_raw(len(rows), rng))
        return rows[~enc.forbidden(rows)]

    def _fresh(self, rows: np.ndarray) -> np.ndarray:
        """The first of `rows` that is not already observed or pending (else the first)."""
        known = self._rows + list(self._pending.values())
        if not known:
            return rows[0]
        enc = self.encoding
        taken = _duplicates(enc.features(rows), enc.features(np.array(known)))
        return rows[int(np.argmin(taken))]


def _duplicates(features: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Which rows of `features` coincide with a row of `known`."""
    sq = (features**2).sum(1)[:, None] + (known**2).sum(1)[None, :] - 2.0 * features @ known.T
    return (sq < _DUPLICATE).any(axis=1)
