"""The search's optimizer, warm-started from the knowledge base or the space's defaults."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from automl_cli.errors import UsageError
from automl_cli.heap import release_freed_memory
from automl_cli.meta.warmstart import WarmStartPlan, first_config, plan_warm_start
from automl_cli.optimize import Optimizer, create_optimizer
from automl_cli.scale import cheap_first, optimizer_options
from automl_cli.space import default_configs

if TYPE_CHECKING:
    from ConfigSpace import ConfigurationSpace

    from automl_cli.data import Dataset
    from automl_cli.search.options import SearchOptions


def warm_started_optimizer(
    dataset: Dataset,
    space: ConfigurationSpace,
    min_budget: float,
    options: SearchOptions,
    on_notice: Callable[[str], None],
) -> tuple[Optimizer, Callable[[], dict[str, Any]]]:
    """The chosen strategy with its first configs from the knowledge base (or the defaults),
    and a function that describes the warm start for the manifest."""
    extra = {"early_stopping": True} if options.early_stopping else {}
    extra |= optimizer_options(options.optimizer, *dataset.X.shape)  # cheap first on large data
    try:
        optimizer = create_optimizer(
            options.optimizer,
            space,
            min_budget=min_budget,
            max_budget=1.0,
            eta=options.eta,
            seed=options.seed,
            **extra,
        )
    except ValueError as error:
        raise UsageError(str(error)) from None
    if not options.warm_start:
        optimizer.warm_start(cheap_first(default_configs(space), *dataset.X.shape))
        return optimizer, lambda: {"enabled": False}
    planner = WarmStartPlanner(dataset, space, options, on_notice)
    first = first_config(space)
    if first is None:
        plan = planner.plan()
        optimizer.warm_start(plan.configs, plan.history)
    else:
        optimizer.warm_start([first], then=planner.after_first)
    return optimizer, lambda: planner.plan().to_manifest()


class WarmStartPlanner:
    """The knowledge base's warm start, planned in a thread while the first trial runs.

    Planning (meta-features, reading the base) takes a few tenths of a second, and every plan
    starts with LightGBM's defaults, which need none of it: so the search starts at once, as
    a cold one does, and the plan is waited for only when the second config is due.
    """

    def __init__(
        self,
        dataset: Dataset,
        space: ConfigurationSpace,
        options: SearchOptions,
        on_notice: Callable[[str], None],
    ) -> None:
        pool = ThreadPoolExecutor(1, thread_name_prefix="warm-start")
        self._future = pool.submit(
            plan_warm_start, dataset, space, options.metabase, seed=options.seed
        )
        pool.shutdown(wait=False)  # its one thread ends with the plan
        self._on_notice = on_notice
        self._shape = dataset.X.shape
        self._plan: WarmStartPlan | None = None

    def plan(self) -> WarmStartPlan:
        """The finished plan (waiting for it if need be); its notice is shown once."""
        if self._plan is None:
            self._plan = self._future.result()
            release_freed_memory()  # what the meta-features and the fingerprint took
            self._plan.configs = cheap_first(self._plan.configs, *self._shape)
            self._on_notice(self._plan.notice())
        return self._plan

    def after_first(self):
        """The plan's configs after the first one, which is already running, and its history."""
        plan = self.plan()
        return plan.configs[1:], plan.history
