"""`automl fit --early-stopping`: on for the strategies that take it, a usage error otherwise."""

from __future__ import annotations

import json

import pytest

from automl_cli import bundle


def test_early_stopping_reaches_the_search_and_the_model_file(cli, datasets, tmp_path):
    out = tmp_path / "model.automl"
    done = cli(
        "fit",
        datasets / "breast_cancer.csv",
        "--target",
        "diagnosis",
        "--optimizer",
        "hyperband",
        "--early-stopping",
        "--max-trials",
        "5",
        "--n-jobs",
        "1",
        "--no-warm-start",
        "--seed",
        "1",
        "--out",
        out,
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    search = bundle.load(out).manifest["search"]
    assert search["optimizer"] == "hyperband"
    assert search["early_stopping"] is True
    log = (tmp_path / "model.automl.trials.jsonl").read_text().splitlines()
    assert len(log) == 5
    assert all(json.loads(line)["status"] == "ok" for line in log)


@pytest.mark.parametrize("optimizer", ["random", "sha"])
def test_early_stopping_with_a_strategy_without_it_is_a_usage_error(
    cli, datasets, tmp_path, optimizer
):
    out = tmp_path / "model.automl"
    done = cli(
        "fit",
        datasets / "breast_cancer.csv",
        "--target",
        "diagnosis",
        "--optimizer",
        optimizer,
        "--early-stopping",
        "--max-trials",
        "2",
        "--out",
        out,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "--early-stopping" in lines[0] and f"not {optimizer};" in lines[0]
    assert "Traceback" not in done.stderr
    assert not out.exists()
    assert not (tmp_path / "model.automl.trials.jsonl").exists()
