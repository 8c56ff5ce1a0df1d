"""The search loop holds back a job its `may_start` rule refuses until a running job ends."""

from __future__ import annotations

from automl_cli.execute import ProcessExecutor
from automl_cli.optimize.base import Job, Optimizer
from automl_cli.scale import may_start
from automl_cli.search.loop import SearchState, run_search
from tests.execute.scripted import ScriptedEvaluator, config
from tests.optimize.conftest import build_tiny_space

BUDGETS = [1.0, 1 / 3, 1 / 27, 1.0]  # the second waits for the first, the third runs beside it


class Listed(Optimizer):
    """Jobs that sleep a moment, at BUDGETS in turn, then none."""

    def _ask(self) -> Job | None:
        if self._next_id >= len(BUDGETS):
            return None
        return self._new_job(config("sleep", seconds=1.0), BUDGETS[self._next_id])

    def _tell(self, job: Job, loss: float) -> None:
        pass


def _search(pool, rule) -> tuple[SearchState, list[list[float]]]:
    """The finished search, and the budgets running at each turn of the loop."""
    seen: list[list[float]] = []
    state = run_search(
        Listed(build_tiny_space()),
        pool,
        n_workers=2,
        search_end=lambda trials: float("inf"),
        state=SearchState(started=0.0, time_budget=60.0),
        on_event=lambda state: seen.append([job.budget for job in state.running]),
        may_start=rule,
    )
    return state, seen


def test_large_trials_of_a_large_table_never_run_side_by_side():
    def one_large(job, running):
        return may_start(job.budget, [other.budget for other in running], 1_000_000, 30)

    with ProcessExecutor(ScriptedEvaluator(), 2) as pool:
        state, seen = _search(pool, one_large)
        assert sorted(t.job_id for t in state.trials if t.ok) == [0, 1, 2, 3]
        assert all(sum(budget >= 1 / 3 for budget in running) <= 1 for running in seen)
        assert [1 / 3, 1 / 27] in seen  # a small trial runs beside a large one
        # without the rule the first two large trials run together
        _, seen = _search(pool, lambda job, running: True)
        assert any(sum(budget >= 1 / 3 for budget in running) == 2 for running in seen)
