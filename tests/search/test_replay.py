"""Replaying a log rebuilds every strategy exactly, even when tells came out of ask order."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from automl_cli.errors import UsageError
from automl_cli.evaluate import TrialResult
from automl_cli.optimize import STRATEGIES, Job, Optimizer, create_optimizer
from automl_cli.search.resume import EarlierRun, replay
from tests.optimize.conftest import build_cash_space

IN_FLIGHT = 3


def make(name: str) -> Optimizer:
    return create_optimizer(name, build_cash_space(), min_budget=1 / 9, max_budget=1.0, eta=3)


def loss_of(job: Job) -> float:
    digest = hashlib.sha256(json.dumps([job.config, job.budget], sort_keys=True).encode())
    return int(digest.hexdigest()[:8], 16) / 2**32


def run(optimizer: Optimizer, tells: int, running: list[Job], lines: list[dict]) -> list[Job]:
    """Keep IN_FLIGHT jobs running and tell the newest first, logging each tell as the loop
    does; the jobs asked so far, in ask order."""
    asked = []
    for _ in range(tells):
        while len(running) < IN_FLIGHT and (job := optimizer.ask()) is not None:
            running.append(job)
            asked.append(job)
        if not running:
            break
        job = running.pop()  # the newest ends first
        lines.append({"asked": optimizer.asks, "job": job})
        optimizer.tell(job, loss_of(job))
    return asked


def earlier(lines: list[dict]) -> EarlierRun:
    trials = [
        TrialResult(
            line["job"].id, line["job"].config, line["job"].budget, loss_of(line["job"]), 0.0, "ok"
        )  # fmt: skip
        for line in lines
    ]
    return EarlierRun(Path("m.trials.jsonl"), [{"asked": x["asked"]} for x in lines], trials)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_a_replayed_optimizer_continues_as_the_original(name):
    original, lines, running = make(name), [], []
    run(original, 8, running, lines)

    rebuilt = make(name)
    pending = replay(rebuilt, earlier(lines))
    assert [job.id for job in pending] == sorted(job.id for job in running)
    assert rebuilt.asks == original.asks and rebuilt.incumbent == original.incumbent

    # both go on the same way: the pending jobs first, then the same asks
    running_again = sorted(pending, key=lambda job: job.id)
    assert run(original, 6, running, []) == run(rebuilt, 6, running_again, [])


def test_a_replay_that_does_not_give_back_a_logged_trial_is_refused():
    original, lines = make("random"), []
    run(original, 4, [], lines)
    other = create_optimizer("random", build_cash_space(), min_budget=1 / 9, seed=1)
    with pytest.raises(UsageError, match="did not give back its trial"):
        replay(other, earlier(lines))
