"""The options of a search, checked before any work; light to import, for the front door."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from automl_cli.errors import UsageError
from automl_cli.fidelity import check_fidelity

DEFAULT_TIME_BUDGET = 300.0
EARLY_STOPPING_STRATEGIES = ("hyperband", "bohb", "asha")  # see optimize/early_stopping.py
# rounds of ensemble selection (automl_cli/ensemble/selection.py); 0 ships the best single model
DEFAULT_ENSEMBLE_SIZE = 25


@dataclass(kw_only=True)
class SearchOptions:
    """How to search; the CLI's options of the same names."""

    time_budget: float = DEFAULT_TIME_BUDGET
    max_trials: int | None = None
    optimizer: str = "bohb"
    seed: int = 0
    n_jobs: int | None = None
    min_budget: float | None = None
    eta: int = 3
    trial_time_limit: float | None = None
    trial_memory_limit: float | None = None  # MB
    cluster: str | None = None  # a Dask scheduler address
    metabase: Path | None = None  # knowledge base to warm-start from (None: the default one)
    warm_start: bool = True  # False: only the space's default configs are tried first
    early_stopping: bool = False  # learning-curve stop of EARLY_STOPPING_STRATEGIES
    ensemble_size: int = DEFAULT_ENSEMBLE_SIZE  # 0: the best single model

    def check(self) -> None:
        """Option values that no search could use, refused before any work."""
        if not math.isfinite(self.time_budget) or self.time_budget <= 0:
            raise UsageError(
                f"--time-budget must be a positive number of seconds, got {self.time_budget:g}"
            )
        if self.max_trials is not None and self.max_trials < 1:
            raise UsageError(f"--max-trials must be at least 1, got {self.max_trials}")
        if self.ensemble_size < 0:
            raise UsageError(
                f"--ensemble-size must be 0 (the best single model) or more, got "
                f"{self.ensemble_size}"
            )
        if self.n_jobs is not None and self.n_jobs < 1:
            raise UsageError(f"--n-jobs must be at least 1, got {self.n_jobs}")
        min_budget = 1.0 if self.min_budget is None else self.min_budget
        try:
            check_fidelity(min_budget, 1.0, self.eta, min_name="--min-budget", eta_name="--eta")
        except ValueError as error:
            raise UsageError(str(error)) from None
        if self.trial_time_limit is not None and not self.trial_time_limit > 0:  # nan too
            raise UsageError(f"--trial-time-limit must be positive, got {self.trial_time_limit:g}")
        if self.trial_memory_limit is not None and not self.trial_memory_limit > 0:
            raise UsageError(
                f"--trial-memory-limit must be a positive number of MB, got "
                f"{self.trial_memory_limit:g}"
            )
        if self.early_stopping and self.optimizer not in EARLY_STOPPING_STRATEGIES:
            raise UsageError(
                f"--early-stopping works with {', '.join(EARLY_STOPPING_STRATEGIES)}"
                f" only, not {self.optimizer}; drop it or pick one of those"
            )
