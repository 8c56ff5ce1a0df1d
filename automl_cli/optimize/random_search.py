"""Random search: uniform over the space, log scales and conditions respected."""

from __future__ import annotations

from automl_cli.optimize.base import Job, Optimizer, seeded_space


class RandomSearch(Optimizer):
    """Every job is an independent draw at the full budget (warm-start configs first)."""

    def __init__(self, space, **options) -> None:
        super().__init__(space, **options)
        self._sampler = seeded_space(space, self.rng)

    def _ask(self) -> Job | None:
        config = self._pop_warm()
        if config is None:
            config = self._sampler.sample_configuration()
        return self._new_job(config, self.max_budget)
