"""The conformance suite every search strategy in STRATEGIES must pass (docs/architecture.md,
contract 3).

One generic loop drives each strategy: keep up to k jobs pending, ask until None, tell the
oldest pending job a loss that is a seeded function of its config and budget. The checks:
only valid configs of plain Python values, budgets within bounds, unique job ids, failed
trials and ties never break the loop, the same seed and tells give the same asks (also in a
fresh interpreter), warm-start configs come out first, and the incumbent is the best finite
loss at the largest budget seen.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from ConfigSpace import Configuration, ConfigurationSpace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automl_cli.optimize import STRATEGIES, Job, Optimizer, create_optimizer

NAMES = list(STRATEGIES)
FIDELITY = {"min_budget": 1 / 9, "max_budget": 1.0, "eta": 3}
FINITE = {"grid", "sha"}  # strategies with a finite horizon: they may run out of jobs
BRACKETED = {"sha", "hyperband", "bohb", "asha"}  # warm starts go into the first bracket
PLAIN = (str, int, float, bool)

Loss = Callable[[Job], float]


def make(name: str, space: ConfigurationSpace, seed: int = 0) -> Optimizer:
    return create_optimizer(name, space, seed=seed, **FIDELITY)


def _unit(job: Job, salt: int) -> float:
    """A number in [0, 1) fixed by the job's config, budget and `salt`, in any process."""
    text = json.dumps([job.config, job.budget, salt], sort_keys=True)
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2**64


def tied_loss(job: Job, salt: int = 0) -> float:
    """Failures (inf, some NaN) for a fifth of the configs; four loss levels for the rest."""
    u = _unit(job, salt)
    if u < 0.05:
        return math.nan
    if u < 0.2:
        return math.inf
    return float(round(u * 3)) / 4


def budget_loss(job: Job) -> float:
    """Lower at larger budgets, failures for a sixth of the configs, rounded so ties occur."""
    u = _unit(job, 1)
    if u < 1 / 6:
        return math.inf
    return round(u + 0.5 * (1.0 - job.budget), 2)


@dataclass
class Run:
    asked: list[Job] = field(default_factory=list)
    told: list[tuple[Job, float]] = field(default_factory=list)
    exhausted: bool = False  # ask() gave None with nothing pending


def drive(optimizer: Optimizer, loss: Loss, n_tells: int, k: int) -> Run:
    """Keep up to k jobs pending, ask until None, tell the oldest pending one."""
    run, pending = Run(), deque()
    while len(run.told) < n_tells:
        while len(pending) < k:
            job = optimizer.ask()
            if job is None:
                break
            pending.append(job)
            run.asked.append(job)
        if not pending:
            run.exhausted = True
            break
        job = pending.popleft()
        value = loss(job)
        optimizer.tell(job, value)
        run.told.append((job, value))
    return run


def record_asks(name: str, space: ConfigurationSpace, seed: int = 3) -> str:
    """The asks of a k=3 run with tied losses, as JSON (what the fresh-process test compares)."""
    run = drive(make(name, space, seed), tied_loss, n_tells=16, k=3)
    return json.dumps([[j.id, j.config, j.budget] for j in run.asked], sort_keys=True)


def check_job(job: Job, space: ConfigurationSpace) -> None:
    Configuration(space, values=job.config)  # raises unless bounds and conditions hold
    for name, value in job.config.items():
        assert type(value) in PLAIN, f"{name}={value!r} is a {type(value).__name__}"
    assert FIDELITY["min_budget"] <= job.budget <= FIDELITY["max_budget"]


@pytest.fixture(scope="module")
def spaces(cash_space, tiny_space) -> dict[str, ConfigurationSpace]:
    return {"cash": cash_space, "tiny": tiny_space}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("space_name", ["cash", "tiny"])
@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**16), salt=st.integers(0, 100))
def test_jobs_are_valid_with_legal_budgets_and_unique_ids_under_failures_and_ties(
    name, k, space_name, spaces, seed, salt
):
    space = spaces[space_name]
    optimizer = make(name, space, seed)
    run = drive(optimizer, lambda job: tied_loss(job, salt), n_tells=24, k=k)
    assert run.asked, "no job at all"
    for job in run.asked:
        check_job(job, space)
    assert len({job.id for job in run.asked}) == len(run.asked)
    if run.exhausted:
        assert name in FINITE, f"{name} stopped proposing after {len(run.told)} tells"
        assert optimizer.ask() is None, "an exhausted strategy must stay exhausted"
    else:
        assert len(run.told) == 24


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("k", [1, 3])
def test_keeps_proposing_when_every_trial_fails(name, k, cash_space):
    optimizer = make(name, cash_space, seed=k)
    run = drive(optimizer, lambda job: math.inf, n_tells=20, k=k)
    assert len(run.told) == 20 or name in FINITE
    assert len(run.told) >= 9  # even a finite strategy runs its first rung
    assert optimizer.incumbent is None


@pytest.fixture(scope="module")
def fresh_process_asks(cash_space, tmp_path_factory) -> dict[str, str]:
    """record_asks for every strategy in another interpreter, with another hash seed."""
    path = tmp_path_factory.mktemp("space") / "space.json"
    cash_space.to_json(path)
    child = (
        "import importlib.util, json, sys\n"
        "from ConfigSpace import ConfigurationSpace\n"
        "spec = importlib.util.spec_from_file_location('conformance', sys.argv[1])\n"
        "suite = sys.modules['conformance'] = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(suite)\n"
        "space = ConfigurationSpace.from_json(sys.argv[2])\n"
        "out = {}\n"
        "for name in sys.argv[3:]:\n"
        "    try:\n"
        "        out[name] = suite.record_asks(name, space)\n"
        "    except Exception as error:\n"
        "        out[name] = f'error: {error!r}'\n"
        "print(json.dumps(out))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4321"}
    done = subprocess.run(
        [sys.executable, "-c", child, __file__, str(path), *NAMES],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    return {"space": str(path), **json.loads(done.stdout.strip().splitlines()[-1])}


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_and_tells_give_the_same_asks_also_in_a_fresh_process(name, fresh_process_asks):
    space = ConfigurationSpace.from_json(fresh_process_asks["space"])
    here = record_asks(name, space)
    assert here == record_asks(name, space), "two runs in this process differ"
    assert fresh_process_asks[name] == here


@pytest.mark.parametrize("name", NAMES)
def test_seed_changes_the_asks(name, cash_space):
    def first_configs(seed: int) -> list:
        run = drive(make(name, cash_space, seed), tied_loss, n_tells=10, k=1)
        return [job.config for job in run.asked]

    assert first_configs(0) != first_configs(1)


@pytest.mark.parametrize("name", NAMES)
def test_warm_start_configs_come_out_first(name, cash_space):
    warm = [
        dict(cash_space.get_default_configuration()),
        {"algorithm": "linear", "linear_C": 3.5, "linear_max_iter": 250,
         "linear_penalty": "elasticnet", "linear_l1_ratio": 0.25,
         "max_bins": 64, "scaler": "quantile"},
    ]  # fmt: skip
    invalid = {"algorithm": "linear", "linear_C": -1.0}
    optimizer = make(name, cash_space, seed=5)
    optimizer.warm_start([warm[0], invalid, warm[1]])
    first = []
    while len(first) < 40 and (job := optimizer.ask()) is not None:
        check_job(job, cash_space)
        first.append(job.config)
    expected = [dict(sorted(config.items())) for config in warm]
    if name in BRACKETED:
        assert all(config in first for config in expected), "warm start not in first bracket"
    else:
        assert first[:2] == expected
    assert all(config.get("linear_C") != -1.0 for config in first)


@pytest.mark.parametrize("name", NAMES)
def test_a_later_warm_start_is_asked_for_once_when_the_first_configs_are_out(name, cash_space):
    default = dict(cash_space.get_default_configuration())
    later = {"algorithm": "linear", "linear_C": 3.5, "linear_max_iter": 250,
             "linear_penalty": "elasticnet", "linear_l1_ratio": 0.25,
             "max_bins": 64, "scaler": "quantile"}  # fmt: skip
    calls = []

    def then():
        calls.append(len(calls))
        return [later], []

    optimizer = make(name, cash_space, seed=5)
    optimizer.warm_start([default], then=then)
    first = optimizer.ask()
    assert first.config == dict(sorted(default.items())) and calls == []
    asked = [first.config]
    while len(asked) < 40 and (job := optimizer.ask()) is not None:
        asked.append(job.config)
    assert calls == [0]  # once, and only when the first configs were all handed out
    if name in BRACKETED:
        assert dict(sorted(later.items())) in asked
    else:
        assert asked[1] == dict(sorted(later.items()))


@pytest.mark.parametrize("name", NAMES)
def test_incumbent_is_the_best_finite_loss_at_the_largest_budget(name, cash_space):
    optimizer = make(name, cash_space, seed=11)
    run = drive(optimizer, budget_loss, n_tells=40, k=3)
    finite = [(job, loss) for job, loss in run.told if math.isfinite(loss)]
    assert finite, "the loss function should leave some trials finite"
    top = max(job.budget for job, _ in finite)
    best = min(loss for job, loss in finite if job.budget == top)
    config, loss, budget = optimizer.incumbent
    assert (loss, budget) == (best, top)
    assert budget_loss(Job(-1, config, budget)) == best
