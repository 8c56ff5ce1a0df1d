"""Publishing a knowledge base: a compact SQLite copy and CSV exports any reader can open."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from automl_cli.errors import MetabaseError
from automl_cli.meta.publish import publish
from automl_cli.meta.records import Evaluation, Task, library_versions
from automl_cli.meta.store import MetaBase


def build_base(path: Path) -> None:
    with MetaBase.open(path) as base:
        base.add_or_update_task(
            Task("iris", "f1", "multiclass", "species", 150, 4, {"rows": 150.0}, 1)
        )
        config = {"algorithm": "lightgbm", "lightgbm:num_leaves": 15}
        base.add_evaluations(
            "iris",
            [
                Evaluation(config, "lightgbm", 1.0, 0.25, "log_loss", "1", runtime=1.5, seed=3),
                Evaluation(config, "lightgbm", 1 / 3, math.inf, "log_loss", "1", "failed"),
            ],
        )


def test_publish_writes_a_compact_base_and_plain_exports(tmp_path: Path) -> None:
    build_base(tmp_path / "build.sqlite")
    folder = tmp_path / "published"
    folder.mkdir()
    target = publish(tmp_path / "build.sqlite", folder)

    assert target == folder / "metabase.sqlite"
    with sqlite3.connect(target) as connection:  # readable without the tool
        assert connection.execute("SELECT COUNT(*) FROM evaluations").fetchone() == (2,)
    tasks = pd.read_csv(folder / "tasks.csv")
    assert tasks.loc[0, ["name", "evaluations", "best_loss", "rows"]].tolist() == [
        "iris", 2, 0.25, 150.0,
    ]  # fmt: skip
    evaluations = pd.read_csv(folder / "evaluations.csv.gz")
    ok, failed = evaluations.sort_values("status", ascending=False).to_dict("records")
    assert ok["status"] == "ok" and ok["loss"] == 0.25 and ok["seed"] == 3
    assert json.loads(ok["config"])["lightgbm:num_leaves"] == 15
    assert json.loads(ok["library_versions"]) == library_versions()
    assert failed["status"] == "failed" and math.isnan(failed["loss"])  # inf exported as empty


def test_publish_refuses_a_file_that_is_not_a_base(tmp_path: Path) -> None:
    build = tmp_path / "build.sqlite"
    build.write_text("not a database")
    with pytest.raises(MetabaseError):
        publish(build, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build.sqlite"]
