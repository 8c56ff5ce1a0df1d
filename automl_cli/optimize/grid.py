"""Grid search over a conditional space, enumerated lazily in a seeded shuffled order.

Each hyperparameter gets a list of levels: every choice of a categorical or ordinal, `resolution`
evenly spaced points of a float (in ConfigSpace's vector encoding, so a log-scaled float gets
a log grid), at most as many points of an integer as its range holds. Conditions split the grid
into branches: one per combination of levels of the hyperparameters that conditions read
("parents"), keeping only the active ones. A branch is the product of the levels of the
hyperparameters it activates, so an inactive hyperparameter is simply absent and no two grid
points differ only in inactive values.

The grid is never materialized: point i of the grid is found from the branch sizes and a
mixed-radix split of i, and the order of visits is a seeded pseudo-random permutation of
0 .. size-1 (a Feistel network with cycle walking), so a grid of 10**30 points costs nothing.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
from collections.abc import Mapping

import numpy as np
from ConfigSpace import ConfigurationSpace

from automl_cli.optimize.base import Config, Job, Optimizer
from automl_cli.optimize.encoding import CONSTANT, NUMERIC, SpaceEncoding

DEFAULT_RESOLUTION = 5


class SeededPermutation:
    """A bijection of range(size) chosen by a seed, evaluated one index at a time.

    Four Feistel rounds over the smallest even number of bits that covers `size` give a
    permutation of a power-of-two range; indices that land outside range(size) are mapped
    again (cycle walking), which stays a bijection and needs fewer than four steps on average.
    """

    def __init__(self, size: int, rng: np.random.Generator, rounds: int = 4) -> None:
        if size < 1:
            raise ValueError(f"a permutation needs size >= 1, got {size}")
        self.size = size
        bits = max(2, (size - 1).bit_length())
        bits += bits % 2
        self._half = bits // 2
        self._mask = (1 << self._half) - 1
        self._nbytes = bits // 8 + 2
        self._digest = min(64, max(8, (self._half + 7) // 8))
        self._keys = [bytes(rng.integers(0, 256, size=16, dtype=np.uint8)) for _ in range(rounds)]

    def __call__(self, index: int) -> int:
        if not 0 <= index < self.size:
            raise IndexError(f"index {index} outside range({self.size})")
        x = index
        while True:
            x = self._encrypt(x)
            if x < self.size:
                return x

    def _encrypt(self, x: int) -> int:
        left, right = x >> self._half, x & self._mask
        for key in self._keys:
            digest = hashlib.blake2b(
                right.to_bytes(self._nbytes, "little"), key=key, digest_size=self._digest
            ).digest()
            left, right = right, left ^ (int.from_bytes(digest, "little") & self._mask)
        return (left << self._half) | right


class GridSearch(Optimizer):
    """Every grid point once at max_budget, in a seeded order; warm-start configs first.

    `resolution` is the number of levels of each float (and the most of each integer); a
    mapping gives it per hyperparameter name, DEFAULT_RESOLUTION for names it leaves out.
    `ask()` returns None once the grid is exhausted.
    """

    def __init__(
        self,
        space: ConfigurationSpace,
        *,
        resolution: int | Mapping[str, int] = DEFAULT_RESOLUTION,
        **options,
    ) -> None:
        super().__init__(space, **options)
        self.encoding = SpaceEncoding(space)
        self.levels = [
            self._levels_of(j, self._resolution_of(name, resolution))
            for j, name in enumerate(self.encoding.names)
        ]
        self._branches: list[tuple[np.ndarray, list[int], list[int]]] = []
        self._offsets: list[int] = []
        self.size = 0
        self._expand(np.full(self.encoding.dim, np.nan), 0)
        self._order = SeededPermutation(max(self.size, 1), self.rng)
        self._position = 0
        self._asked: set[str] = set()

    def _ask(self) -> Job | None:
        config = self._pop_warm()
        if config is not None:
            self._asked.add(_key(config))
            return self._new_job(config, self.max_budget)
        while self._position < self.size:
            row = self.point(self._order(self._position))
            self._position += 1
            if self.encoding.forbidden(row[None, :])[0]:
                continue
            config = self.encoding.decode(row)
            if _key(config) not in self._asked:
                self._asked.add(_key(config))
                return self._new_job(config, self.max_budget)
        return None

    def point(self, index: int) -> np.ndarray:
        """Grid point `index` (0 <= index < size) as a consistent row of the encoding."""
        branch = bisect.bisect_right(self._offsets, index) - 1
        row, columns, radices = self._branches[branch]
        row = row.copy()
        rest = index - self._offsets[branch]
        for j, radix in zip(columns, radices, strict=True):
            rest, digit = divmod(rest, radix)
            row[j] = self.levels[j][digit]
        return row

    # -- building the grid --------------------------------------------------------------------
    @staticmethod
    def _resolution_of(name: str, resolution: int | Mapping[str, int]) -> int:
        steps = (
            resolution.get(name, DEFAULT_RESOLUTION)
            if isinstance(resolution, Mapping)
            else resolution
        )
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"resolution of {name!r} must be an integer >= 1, got {steps!r}")
        return steps

    def _levels_of(self, j: int, steps: int) -> np.ndarray:
        """The vector values hyperparameter j takes on the grid."""
        encoding = self.encoding
        kind, hp = encoding.kinds[j], encoding.hyperparameters[j]
        if kind == CONSTANT:
            return encoding.defaults[j : j + 1]
        if kind != NUMERIC:
            return np.arange(encoding.n_choices[j], dtype=float)
        if steps == 1:
            return encoding.defaults[j : j + 1]
        points = np.linspace(0.0, 1.0, steps)
        if math.isfinite(hp.size):  # an integer: several points may round to one value
            points = np.unique(hp.to_vector(hp.to_value(points)))
        return points

    def _expand(self, row: np.ndarray, start: int) -> None:
        """Depth-first over the parent columns from `start` on; one branch per leaf."""
        encoding = self.encoding
        parents = encoding.parents
        if start == len(parents):
            self._add_branch(row)
            return
        j = parents[start]
        if not encoding.active(j, row[None, :])[0]:
            self._expand(row, start + 1)
            return
        for level in self.levels[j]:
            child = row.copy()
            child[j] = level
            self._expand(child, start + 1)

    def _add_branch(self, row: np.ndarray) -> None:
        parents = set(self.encoding.parents)
        columns = [
            j
            for j in range(self.encoding.dim)
            if j not in parents and self.encoding.active(j, row[None, :])[0]
        ]
        radices = [len(self.levels[j]) for j in columns]
        self._branches.append((row, columns, radices))
        self._offsets.append(self.size)
        self.size += math.prod(radices)


def _key(config: Config) -> str:
    return json.dumps(config, sort_keys=True)
