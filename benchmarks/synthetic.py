"""Synthetic multi-fidelity test problems with a known optimum.

A budget b in (0, 1] is a fraction of the full evaluation; lower budgets are cheaper,
noisier or biased estimates of the full one. `loss(config, budget, rng)` is what an optimizer
sees; `regret(config)` is the noise-free full-budget loss minus the optimum, what a benchmark
reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from ConfigSpace import Categorical, ConfigurationSpace, EqualsCondition, Float, Integer


@dataclass(frozen=True)
class CountingOnes:
    """The counting-ones problem of the BOHB paper (Falkner et al. 2018, section 5.1).

    n_cat binary categoricals and n_cont floats in [0, 1]. The full objective is
    -(sum of the categoricals + sum of the floats) / d, optimum -1 (everything at 1). At
    budget b each float x_i is replaced by the mean of round(b * max_samples) Bernoulli(x_i)
    draws, so low budgets are unbiased but noisy.
    """

    n_cat: int = 8
    n_cont: int = 8
    max_samples: int = 729
    name: str = "counting ones (8 + 8)"

    def space(self) -> ConfigurationSpace:
        cs = ConfigurationSpace()
        cs.add([Categorical(f"cat_{i}", [0, 1]) for i in range(self.n_cat)])
        cs.add([Float(f"cont_{i}", (0.0, 1.0)) for i in range(self.n_cont)])
        return cs

    def _parts(self, config: Mapping[str, Any]) -> tuple[float, np.ndarray]:
        ones = float(sum(config[f"cat_{i}"] for i in range(self.n_cat)))
        return ones, np.array([config[f"cont_{i}"] for i in range(self.n_cont)])

    def loss(self, config: Mapping[str, Any], budget: float, rng: np.random.Generator) -> float:
        ones, p = self._parts(config)
        samples = max(1, round(budget * self.max_samples))
        estimate = rng.binomial(samples, p) / samples
        return -(ones + float(estimate.sum())) / (self.n_cat + self.n_cont)

    def regret(self, config: Mapping[str, Any]) -> float:
        ones, p = self._parts(config)
        return 1.0 - (ones + float(p.sum())) / (self.n_cat + self.n_cont)


_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H6_MIN = -3.32236801141551


@dataclass(frozen=True)
class Hartmann6:
    """Hartmann-6 on [0, 1]^6 with a biased, noisy low fidelity.

    At budget b the term weights are alpha + (1 - b) * bias (shallower basins at low budget)
    and Gaussian noise with standard deviation noise * (1 - b) is added; at b = 1 it is the
    exact function, minimum -3.32237.
    """

    bias: tuple[float, float, float, float] = (-0.1, -0.1, -0.1, -0.1)
    noise: float = 0.1
    name: str = "Hartmann-6 (biased, noisy low fidelity)"

    def space(self) -> ConfigurationSpace:
        cs = ConfigurationSpace()
        cs.add([Float(f"x{i}", (0.0, 1.0)) for i in range(6)])
        return cs

    def _value(self, config: Mapping[str, Any], alpha: np.ndarray) -> float:
        x = np.array([config[f"x{i}"] for i in range(6)])
        return float(-(alpha * np.exp(-(_H6_A * (x - _H6_P) ** 2).sum(axis=1))).sum())

    def loss(self, config: Mapping[str, Any], budget: float, rng: np.random.Generator) -> float:
        alpha = _H6_ALPHA + (1.0 - budget) * np.array(self.bias)
        noise = self.noise * (1.0 - budget) * rng.standard_normal()
        return self._value(config, alpha) + noise

    def regret(self, config: Mapping[str, Any]) -> float:
        return self._value(config, _H6_ALPHA) - _H6_MIN


def conditional_space_20d() -> ConfigurationSpace:
    """A CASH-shaped space with 20 hyperparameters for timing the optimizers themselves.

    One 'algo' choice with three branches of six conditional hyperparameters each (log floats,
    log integers, categoricals) plus one unconditional float.
    """
    cs = ConfigurationSpace()
    algo = Categorical("algo", ["a", "b", "c"])
    cs.add(algo)
    for branch in ("a", "b", "c"):
        hps = []
        for j in range(6):
            if j % 3 == 0:
                hps.append(Float(f"{branch}_rate{j}", (1e-4, 1.0), log=True))
            elif j % 3 == 1:
                hps.append(Integer(f"{branch}_size{j}", (1, 256), log=True))
            else:
                hps.append(Categorical(f"{branch}_kind{j}", ["u", "v", "w", "z"]))
        cs.add(hps)
        cs.add([EqualsCondition(hp, algo, branch) for hp in hps])
    cs.add(Float("shared", (0.0, 1.0)))
    return cs
