"""Facts with one home: the names in choices.py (the README and the CLI agree with them) and
the fidelity rule in fidelity.py (the CLI and the optimizers refuse the same values)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from automl_cli.choices import DEFAULT_METRIC, OPTIMIZERS, TASK_OPTIONS, TASKS
from automl_cli.errors import UsageError
from automl_cli.metrics import resolve_metric
from automl_cli.optimize import create_optimizer
from automl_cli.search.options import SearchOptions
from automl_cli.space import build_space
from tests.conftest import run_cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def table_row(option: str) -> list[str]:
    """The cells of the README's options table row for `option`."""
    line = next(line for line in README.splitlines() if line.startswith(f"| `{option}`"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_the_readme_lists_the_tasks_of_choices():
    assert re.search(r"--task ([a-z|]+)\]", README).group(1).split("|") == list(TASK_OPTIONS)


def test_the_readme_lists_the_optimizers_of_choices_in_order():
    meaning = table_row("--optimizer")[1]
    assert re.findall(r"`([a-z]+)`", meaning) == list(OPTIMIZERS)


def test_the_readme_gives_the_default_metric_of_choices_for_every_task():
    default = table_row("--metric")[2]
    assert dict(re.findall(r"([a-z]+) `([a-z_]+)`", default)) == DEFAULT_METRIC
    assert set(DEFAULT_METRIC) == set(TASKS)


def test_every_default_metric_exists_and_fits_its_task():
    for task, name in DEFAULT_METRIC.items():
        assert resolve_metric(None, task).name == name
        assert task in resolve_metric(name, task).tasks


def test_every_optimizer_name_builds_a_strategy():
    space = build_space("binary", n_rows=200, n_features=4, n_categorical=0)
    for name in OPTIMIZERS:
        assert create_optimizer(name, space, seed=0).ask() is not None


def test_the_cli_offers_exactly_the_names_of_choices():
    done = run_cli("fit", "--help")
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert f"--task <{'|'.join(TASK_OPTIONS)}>" in text
    assert f"--optimizer <{'|'.join(OPTIMIZERS)}>" in text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"eta": 1}, r"^--eta must be an integer >= 2 \(the factor between rungs\), got 1$"),
        ({"min_budget": 2.0}, r"^--min-budget must be in \(0, 1\] \(a fraction of the rows\)"),
        ({"min_budget": 0.0}, r"^--min-budget must be in \(0, 1\]"),
    ],
)
def test_the_cli_refuses_fidelity_options_by_the_optimizers_own_rule(options, message):
    with pytest.raises(UsageError, match=message):
        SearchOptions(**options).check()
    with pytest.raises(ValueError):  # the optimizers refuse the same values
        create_optimizer("sha", build_space("binary", 200, 4, 0), max_budget=1.0, **options)
