"""The knowledge base on real SQLite files: records, rules, refusals and concurrent writers."""

from __future__ import annotations

import math
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl_cli.errors import MetabaseError
from automl_cli.meta.fingerprint import data_fingerprint
from automl_cli.meta.records import Evaluation, Task, library_versions
from automl_cli.meta.store import SCHEMA_VERSION, MetaBase, copy_base


def make_task(name: str = "iris", fingerprint: str = "f1", **changes: object) -> Task:
    fields = dict(
        name=name,
        fingerprint=fingerprint,
        task_type="multiclass",
        target="species",
        n_rows=150,
        n_features=4,
        meta_features={"rows": 150.0, "class_balance": 1.0, "landmark_naive_bayes": math.nan},
        features_version=1,
    )
    fields.update(changes)
    return Task(**fields)


def make_eval(loss: float, **changes: object) -> Evaluation:
    fields = dict(
        config={"algorithm": "rf", "rf:n_estimators": 100},
        algorithm="rf",
        budget=1.0,
        loss=loss,
        metric="log_loss",
        space_version="1",
    )
    fields.update(changes)
    return Evaluation(**fields)


@pytest.fixture
def base_path(tmp_path: Path) -> Path:
    path = tmp_path / "kb.sqlite"
    with MetaBase.open(path) as base:
        base.add_or_update_task(make_task())
        base.add_evaluations("iris", [make_eval(0.3), make_eval(0.2, config={"rf:depth": 3})])
    return path


def snapshot(path: Path) -> tuple[bytes, int, list[str]]:
    return path.read_bytes(), path.stat().st_mtime_ns, sorted(os.listdir(path.parent))


# -- creating and reading ---------------------------------------------------------------------
def test_open_creates_parent_folders_and_a_versioned_schema(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "kb.sqlite"
    with MetaBase.open(path) as base:
        assert base.tasks() == []
    with sqlite3.connect(path) as conn:
        settings = dict(conn.execute("SELECT key, value FROM meta"))
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert settings == {"application": "automl-cli", "schema_version": str(SCHEMA_VERSION)}
    assert {"meta", "tasks", "evaluations"} <= tables


def test_task_round_trip_keeps_nan_meta_features(base_path: Path) -> None:
    with MetaBase.open(base_path) as base:
        record = base.task("iris")
    assert record.task.target == "species" and record.task.n_rows == 150
    assert list(record.task.meta_features) == ["rows", "class_balance", "landmark_naive_bayes"]
    assert record.task.meta_features["rows"] == 150.0
    assert math.isnan(record.task.meta_features["landmark_naive_bayes"])
    assert record.n_evaluations == 2 and record.best_loss == pytest.approx(0.2)
    assert record.created <= record.updated


def test_same_data_under_another_name_updates_the_stored_task(base_path: Path) -> None:
    with MetaBase.open(base_path) as base:
        record = base.add_or_update_task(
            make_task("iris_again", meta_features={"rows": 151.0}, n_rows=151)
        )
        names = [r.task.name for r in base.tasks()]
    assert record.task.name == "iris"  # the stored name wins, evaluations stay attached
    assert record.task.meta_features == {"rows": 151.0} and record.task.n_rows == 151
    assert record.n_evaluations == 2
    assert names == ["iris"]


def test_same_name_with_other_data_is_refused_unless_replaced(base_path: Path) -> None:
    with MetaBase.open(base_path) as base:
        with pytest.raises(MetabaseError, match=r"different data; choose another --name"):
            base.add_or_update_task(make_task("iris", fingerprint="f2"))
        assert base.task("iris").task.fingerprint == "f1"
        replaced = base.add_or_update_task(make_task("iris", fingerprint="f2"), replace=True)
        assert replaced.task.fingerprint == "f2" and replaced.n_evaluations == 0
        assert base.evaluations() == []


def test_unknown_task_type_is_a_programming_error(tmp_path: Path) -> None:
    with MetaBase.open(tmp_path / "kb.sqlite") as base, pytest.raises(ValueError, match="task"):
        base.add_or_update_task(make_task(task_type="ranking"))


def test_evaluations_round_trip_with_failed_losses_and_versions(base_path: Path) -> None:
    failed = make_eval(math.inf, status="failed", runtime=2.5, seed=7, config={"x": np.int64(3)})
    with MetaBase.open(base_path) as base:
        assert base.add_evaluations("iris", [failed]) == 1
        stored = base.evaluations("iris", status="failed")
    assert len(stored) == 1
    back = stored[0].evaluation
    assert back.loss == math.inf and back.runtime == 2.5 and back.seed == 7
    assert back.config == {"x": 3}
    assert back.library_versions == library_versions()
    assert back.library_versions["scikit-learn"]
    assert stored[0].task_name == "iris"


def test_a_batch_that_cannot_be_stored_writes_nothing(base_path: Path) -> None:
    bad = make_eval(0.1, config={"x": object()})
    with MetaBase.open(base_path) as base:
        with pytest.raises(TypeError, match="not JSON"):
            base.add_evaluations("iris", [make_eval(0.05), bad])
        with pytest.raises(MetabaseError, match="has no task named 'nope'"):
            base.add_evaluations("nope", [make_eval(0.05)])
        assert len(base.evaluations()) == 2


def test_best_configs_are_distinct_successful_and_filterable(base_path: Path) -> None:
    rf = {"algorithm": "rf", "rf:n_estimators": 100}
    batch = [
        make_eval(0.1, config=rf, budget=1 / 3),
        make_eval(0.1, config=rf, budget=1.0),  # same loss, larger budget: preferred
        make_eval(0.05, config={"lr": 1}, algorithm="lr", status="failed"),
        make_eval(0.01, config={"old": 1}, space_version="0"),
        make_eval(0.0, config={"acc": 1}, metric="accuracy_loss"),
    ]
    with MetaBase.open(base_path) as base:
        base.add_evaluations("iris", batch)
        best = base.best_configs("iris", 3, metric="log_loss", space_version="1")
        everything = base.best_configs("iris", 10)
    assert [(r.evaluation.loss, r.evaluation.budget) for r in best] == [
        (0.1, 1.0),
        (0.2, 1.0),
    ]
    assert [r.evaluation.config for r in best] == [rf, {"rf:depth": 3}]
    assert [r.evaluation.loss for r in everything] == [0.0, 0.01, 0.1, 0.2]
    assert all(r.evaluation.status == "ok" for r in everything)
    with MetaBase.open(base_path, readonly=True) as base, pytest.raises(ValueError, match="k "):
        base.best_configs("iris", 0)


def test_evaluations_filter_by_least_budget(base_path: Path) -> None:
    with MetaBase.open(base_path) as base:
        base.add_evaluations("iris", [make_eval(0.1, budget=b) for b in (1 / 9, 1 / 3, 1.0)])
        budgets = [r.evaluation.budget for r in base.evaluations(min_budget=1 / 3)]
        subsampled = base.evaluations("iris", min_budget=1.0, status="failed")
    assert sorted(budgets) == [1 / 3, 1.0, 1.0, 1.0]  # the fixture's two ran on all rows
    assert subsampled == []


def test_scored_configs_are_the_successful_finite_evaluations_of_every_task(
    base_path: Path,
) -> None:
    batch = [
        make_eval(0.1, budget=1 / 3),
        make_eval(0.4, runtime=1.5),
        make_eval(math.inf),  # a diverged run: no loss to learn from
        make_eval(0.05, status="failed"),
        make_eval(0.01, space_version="0"),
    ]
    with MetaBase.open(base_path) as base:
        base.add_or_update_task(make_task("adult", fingerprint="f9", task_type="binary"))
        base.add_evaluations("adult", [make_eval(0.3, metric="roc_auc", runtime=2.0)])
        base.add_evaluations("iris", batch)
        scored = base.scored_configs(space_version="1", min_budget=1.0)
        records = base.evaluations(status="ok", space_version="1", min_budget=1.0)
    expected = [
        (r.task_name, r.evaluation.config, r.evaluation.loss, r.evaluation.metric)
        for r in records
        if math.isfinite(r.evaluation.loss)
    ]
    assert [(s.task_name, s.config, s.loss, s.metric) for s in scored] == expected
    assert [s.loss for s in scored] == [0.3, 0.2, 0.3, 0.4]  # insertion order, finite only
    assert [s.runtime for s in scored][2:] == [2.0, 1.5]
    assert math.isnan(scored[0].runtime) and math.isnan(scored[1].runtime)  # not timed
    assert scored[0].config is scored[2].config is scored[3].config  # decoded once


def test_tasks_list_counts_and_best_losses(base_path: Path) -> None:
    with MetaBase.open(base_path) as base:
        base.add_or_update_task(make_task("adult", fingerprint="f9", task_type="binary"))
        base.add_evaluations("adult", [make_eval(math.inf, status="failed")])
        base.add_evaluations("iris", [make_eval(0.05, budget=1 / 9)])  # on a subsample only
        listing = {r.task.name: (r.n_evaluations, r.best_loss) for r in base.tasks()}
    assert listing == {"adult": (1, math.inf), "iris": (3, 0.2)}


def test_remove_task_takes_its_evaluations_along(base_path: Path) -> None:
    with MetaBase.open(base_path) as base:
        base.add_or_update_task(make_task("other", fingerprint="f3"))
        base.add_evaluations("other", [make_eval(0.4)])
        assert base.remove_task("iris") == 2
        assert [r.task_name for r in base.evaluations()] == ["other"]
        with pytest.raises(MetabaseError, match="`automl meta list` shows the names"):
            base.task("iris")
        with pytest.raises(MetabaseError, match="no task named 'iris'"):
            base.remove_task("iris")


# -- concurrency ------------------------------------------------------------------------------
WRITER = """
import sys, time
from pathlib import Path
from automl_cli.meta.records import Evaluation, Task
from automl_cli.meta.store import MetaBase
path, tag, other, folder = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])

def wait_for(name):
    while not (folder / name).exists():
        time.sleep(0.005)

(folder / f"ready-{tag}").touch()
wait_for("go")
with MetaBase.open(path) as base:  # both processes create the same new base at once
    base.add_or_update_task(Task("shared", "fp", "binary", "y", 10, 2, {"rows": 10.0}, 1))
    for batch in range(40):
        base.add_evaluations("shared", [
            Evaluation({"tag": tag, "i": batch * 5 + j}, "rf", 1.0, 0.5, "log_loss", "1")
            for j in range(5)
        ])
        if batch == 0:  # neither goes on before both have written: the writes interleave
            (folder / f"wrote-{tag}").touch()
            wait_for(f"wrote-{other}")
"""


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "new" / "kb.sqlite"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag, other, str(tmp_path)])
        for tag, other in (("a", "b"), ("b", "a"))
    ]
    try:
        deadline = time.monotonic() + 60
        while not all((tmp_path / f"ready-{t}").exists() for t in "ab"):
            assert time.monotonic() < deadline, "writers did not start"
            time.sleep(0.01)
        (tmp_path / "go").touch()
        assert [w.wait(timeout=120) for w in writers] == [0, 0]
    finally:
        for writer in writers:
            writer.kill()
    with MetaBase.open(path) as base:
        tasks = base.tasks()
        rows = [(r.evaluation.config["tag"], r.evaluation.config["i"]) for r in base.evaluations()]
    assert [(t.task.name, t.n_evaluations) for t in tasks] == [("shared", 400)]
    assert sorted(rows) == sorted((tag, i) for tag in "ab" for i in range(200))
    # in the order they were stored, each writer's first batch precedes the other's last one
    tags = [tag for tag, _ in rows]
    for tag, other in (("a", "b"), ("b", "a")):
        assert tags.index(tag) < len(tags) - 1 - tags[::-1].index(other)


# -- refusals: never touch a file that is not ours --------------------------------------------
def foreign(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE meta (key TEXT, value TEXT)")  # a common table name
        conn.execute("CREATE TABLE photos (id INTEGER, blob BLOB)")
    conn.close()


def newer(path: Path) -> None:
    with MetaBase.open(path):
        pass
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION + 1,)
        )
    conn.close()


def garbage(path: Path) -> None:
    path.write_bytes(np.random.default_rng(0).bytes(5000))


def damaged(path: Path) -> None:
    with MetaBase.open(path):
        pass
    data = bytearray(path.read_bytes())
    data[100:] = np.random.default_rng(1).bytes(len(data) - 100)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("make", "problem", "fix"),
    [
        (garbage, "is not an SQLite file", "move it away"),
        (damaged, "damaged", "restore it from a backup"),
        (foreign, "belongs to another application (tables: meta, photos)", "new path"),
        (newer, f"schema version {SCHEMA_VERSION + 1}", "upgrade automl-cli"),
    ],
)
@pytest.mark.parametrize("readonly", [False, True])
def test_files_that_are_not_ours_are_refused_and_left_untouched(
    tmp_path: Path, make, problem: str, fix: str, readonly: bool
) -> None:
    path = tmp_path / "kb.sqlite"
    make(path)
    before = snapshot(path)
    with pytest.raises(MetabaseError) as caught, MetaBase.open(path, readonly=readonly) as base:
        base.add_or_update_task(make_task())
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    assert problem in message and fix in message
    assert snapshot(path) == before


def test_copy_refuses_a_source_that_is_not_a_base(tmp_path: Path) -> None:
    garbage(tmp_path / "src.sqlite")
    with pytest.raises(MetabaseError, match="is not an SQLite file"):
        copy_base(tmp_path / "src.sqlite", tmp_path / "user" / "kb.sqlite")
    assert not (tmp_path / "user" / "kb.sqlite").exists()


def test_opening_and_reading_never_write(base_path: Path) -> None:
    before = snapshot(base_path)
    with MetaBase.open(base_path) as base:
        assert base.task("iris").n_evaluations == 2
    assert snapshot(base_path) == before
    base_path.chmod(0o444)
    with MetaBase.open(base_path, readonly=True) as base:
        assert [r.task.name for r in base.tasks()] == ["iris"]
        assert len(base.best_configs("iris", 5)) == 2
        with pytest.raises(MetabaseError, match="read-only.*--metabase"):
            base.add_evaluations("iris", [make_eval(0.0)])
        with pytest.raises(MetabaseError, match="read-only"):
            base.remove_task("iris")
    assert snapshot(base_path) == before


def test_readonly_needs_an_existing_base(tmp_path: Path) -> None:
    with pytest.raises(MetabaseError, match="does not exist"):
        MetaBase.open(tmp_path / "missing.sqlite", readonly=True)
    (tmp_path / "empty.sqlite").touch()
    with pytest.raises(MetabaseError, match="is empty"):
        MetaBase.open(tmp_path / "empty.sqlite", readonly=True)
    assert not (tmp_path / "missing.sqlite").exists()
    assert (tmp_path / "empty.sqlite").stat().st_size == 0


def test_copy_base_is_complete_and_never_replaces(base_path: Path, tmp_path: Path) -> None:
    user = tmp_path / "user" / "data" / "kb.sqlite"
    assert copy_base(base_path, user) == user
    assert os.listdir(user.parent) == ["kb.sqlite"]  # no temporary file left behind
    with MetaBase.open(user) as base:
        assert base.task("iris").n_evaluations == 2
        base.add_evaluations("iris", [make_eval(0.01)])
    with MetaBase.open(base_path, readonly=True) as shipped:
        assert shipped.task("iris").n_evaluations == 2  # the copy is independent
    before = snapshot(user)
    with pytest.raises(MetabaseError, match="already exists"):
        copy_base(base_path, user)
    assert snapshot(user) == before


# -- fingerprint ------------------------------------------------------------------------------
def frame() -> tuple[pd.DataFrame, np.ndarray]:
    X = pd.DataFrame(
        {
            "age": [30.0, 41.0, np.nan, 25.0],
            "city": pd.Series(["Oslo", "Rome", np.nan, "Oslo"], dtype=object),
            "score": [0.5, -0.0, 2.0, 1.0],
        }
    )
    return X, np.array([0, 1, 1, 0])


def test_fingerprint_ignores_row_and_column_order_and_string_dtype() -> None:
    X, y = frame()
    reference = data_fingerprint(X, y)
    order = [2, 0, 3, 1]
    shuffled = X.iloc[order][["score", "city", "age"]].reset_index(drop=True)
    as_str = X.assign(city=X["city"].astype("str"), score=X["score"].abs())
    assert len(reference) == 64 and reference == data_fingerprint(X, y)
    assert data_fingerprint(shuffled, y[order]) == reference
    assert data_fingerprint(as_str, y) == reference  # -0.0 and 0.0 are the same value


@pytest.mark.parametrize(
    "change",
    ["value", "missing", "target", "target_kind", "column_name", "duplicate_row"],
)
def test_fingerprint_changes_with_the_content(change: str) -> None:
    X, y = frame()
    reference = data_fingerprint(X, y)
    if change == "value":
        X.loc[1, "age"] = 42.0
    elif change == "missing":
        X.loc[0, "city"] = np.nan
    elif change == "target":
        y = y[[1, 0, 2, 3]]
    elif change == "target_kind":
        y = y.astype(float)
    elif change == "column_name":
        X = X.rename(columns={"age": "years"})
    else:
        X, y = pd.concat([X, X.iloc[[0]]], ignore_index=True), np.append(y, y[0])
    assert data_fingerprint(X, y) != reference
