"""A knowledge base of each schema version: older ones upgraded with a copy kept, newer refused."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from automl_cli.errors import MetabaseError
from automl_cli.meta.records import Evaluation
from automl_cli.meta.store import SCHEMA_VERSION, MetaBase, copy_base

# Version 1's tables, as the first knowledge base created them.
SCHEMA_V1 = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE tasks (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, fingerprint TEXT NOT NULL UNIQUE,
        task_type TEXT NOT NULL, target TEXT NOT NULL, n_rows INTEGER NOT NULL,
        n_features INTEGER NOT NULL, meta_features TEXT NOT NULL,
        features_version INTEGER NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL)""",
    """CREATE TABLE evaluations (
        id INTEGER PRIMARY KEY, task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        config TEXT NOT NULL, algorithm TEXT NOT NULL, budget REAL NOT NULL, loss REAL,
        metric TEXT NOT NULL, space_version TEXT NOT NULL, status TEXT NOT NULL, runtime REAL,
        seed INTEGER, library_versions TEXT NOT NULL, created TEXT NOT NULL)""",
    "CREATE INDEX evaluations_by_task ON evaluations (task_id, loss)",
)
NOW = "2026-01-01T00:00:00+00:00"


def version_1_base(path: Path, budgets: tuple[float, ...] = (1 / 9, 1.0)) -> Path:
    """A base as version 1 wrote it: one task, one evaluation per budget."""
    with sqlite3.connect(path) as conn:
        for statement in SCHEMA_V1:
            conn.execute(statement)
        conn.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("application", "automl-cli"), ("schema_version", "1")],
        )
        conn.execute(
            "INSERT INTO tasks VALUES (1, 'iris', 'f1', 'multiclass', 'species', 150, 4, "
            "'{\"rows\": 150.0}', 1, ?, ?)",
            (NOW, NOW),
        )
        conn.executemany(
            "INSERT INTO evaluations (task_id, config, algorithm, budget, loss, metric, "
            "space_version, status, runtime, seed, library_versions, created) "
            "VALUES (1, ?, 'rf', ?, ?, 'log_loss', '1', 'ok', 0.5, 0, '{}', ?)",
            [
                (f'{{"algorithm": "rf", "i": {i}}}', b, 0.5 - i / 10, NOW)
                for i, b in enumerate(budgets)
            ],
        )
    conn.close()
    return path


def raw(path: Path) -> tuple[str, list[tuple]]:
    """The file's schema version and evaluation rows, read without our code."""
    with sqlite3.connect(path) as conn:
        (version,) = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        rows = conn.execute("SELECT * FROM evaluations ORDER BY id").fetchall()
    conn.close()
    return version, rows


def bad_budget(budget: float) -> Evaluation:
    return Evaluation({"algorithm": "rf"}, "rf", budget, 0.1, "log_loss", "1")


def test_an_older_base_opened_for_writing_is_upgraded_and_a_copy_kept(tmp_path: Path) -> None:
    path = version_1_base(tmp_path / "kb.sqlite")
    _, rows = raw(path)
    with MetaBase.open(path) as base:
        assert base.schema_version == SCHEMA_VERSION == 2
        assert base.task("iris").n_evaluations == 2
        assert [r.evaluation.budget for r in base.evaluations("iris")] == [1 / 9, 1.0]
        with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
            base.add_evaluations("iris", [bad_budget(1.5)])  # version 2 holds budgets to (0, 1]
        base.add_evaluations("iris", [bad_budget(0.5)])
    assert raw(path)[0] == "2" and raw(path)[1][:2] == rows
    copy = tmp_path / "kb.sqlite.v1.bak"
    assert raw(copy) == ("1", rows)
    before = copy.read_bytes()
    with MetaBase.open(path) as base:  # already upgraded: nothing more to do
        assert base.task("iris").n_evaluations == 3
    assert sorted(os.listdir(tmp_path)) == ["kb.sqlite", "kb.sqlite.v1.bak"]
    assert copy.read_bytes() == before


def test_an_older_base_opened_read_only_is_read_as_it_is(tmp_path: Path) -> None:
    path = version_1_base(tmp_path / "kb.sqlite")
    before = path.read_bytes()
    with MetaBase.open(path, readonly=True) as base:
        assert base.schema_version == 1
        assert base.task("iris").n_evaluations == 2
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["kb.sqlite"]


def test_an_upgrade_that_fails_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = version_1_base(tmp_path / "kb.sqlite", budgets=(0.0, 1.0))  # 0 was allowed in 1
    before = raw(path)
    with pytest.raises(MetabaseError) as caught:
        MetaBase.open(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    assert "cannot be upgraded from schema version 1 to 2" in message
    assert "CHECK constraint failed" in message and "restore it from a backup" in message
    assert raw(path) == before


def test_a_copy_of_an_older_base_is_upgraded_and_the_source_untouched(tmp_path: Path) -> None:
    source = version_1_base(tmp_path / "shipped.sqlite")
    before = source.read_bytes()
    copy_base(source, tmp_path / "user" / "kb.sqlite")
    assert raw(tmp_path / "user" / "kb.sqlite") == ("2", raw(source)[1])
    assert os.listdir(tmp_path / "user") == ["kb.sqlite"]
    assert source.read_bytes() == before


def test_the_cli_refuses_a_newer_base_with_exit_2_and_reads_an_older_one(tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite"
    with MetaBase.open(newer):
        pass
    with sqlite3.connect(newer) as conn:
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION + 1,)
        )
    conn.close()
    older = version_1_base(tmp_path / "older.sqlite")
    env = {k: v for k, v in os.environ.items() if k != "AUTOML_DEBUG"}
    runs = {
        name: subprocess.run(
            [sys.executable, "-m", "automl_cli", "meta", "list", "--metabase", str(path)],
            capture_output=True,
            text=True,
            timeout=240,
            env=env,
        )
        for name, path in (("newer", newer), ("older", older))
    }
    refused = runs["newer"]
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.strip().count("\n") == 0
    assert f"has schema version {SCHEMA_VERSION + 1}, newer than this automl-cli reads" in (
        refused.stderr
    )
    assert runs["older"].returncode == 0, runs["older"].stderr
    assert "iris" in runs["older"].stdout
