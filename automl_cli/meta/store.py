"""The knowledge base: earlier tasks, their meta-features, and every configuration evaluated.

One SQLite file (docs/architecture.md, contract 6). Writes run in `BEGIN IMMEDIATE`
transactions under a busy timeout, with SQLite's default rollback journal rather than WAL: the
base stays one file that can be shipped, copied and opened read-only from a read-only folder
(WAL needs writable side files), and concurrent writers simply queue for the short write lock.
A file that is not ours (garbage, another application's database, a newer schema) is refused
and never modified. A file of an older schema is upgraded when it is opened for writing, in one
transaction, after a copy of it is kept beside it (`NAME.v1.bak`); see schema.py.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from automl_cli.choices import TASKS
from automl_cli.errors import MetabaseError
from automl_cli.meta.records import (
    FULL_BUDGET,
    STATUS_OK,
    Evaluation,
    EvaluationRecord,
    ScoredConfig,
    Task,
    TaskRecord,
)
from automl_cli.meta.schema import CREATE, SCHEMA_VERSION, upgrade

APPLICATION = "automl-cli"
BUSY_TIMEOUT_S = 60.0
_MAGIC = b"SQLite format 3\x00"
_TASK_FIELDS = ("name", "fingerprint", "task_type", "target", "n_rows", "n_features")
_TASK_FIELDS += ("meta_features", "features_version")
_EVAL_FIELDS = ("config", "algorithm", "budget", "loss", "metric", "space_version", "status")
_EVAL_FIELDS += ("runtime", "seed", "library_versions")
_RESTORE = "restore it from a backup, or move it away to start a new base"


class MetaBase:
    """An open knowledge base. Use `MetaBase.open(path)`, ideally as a context manager."""

    def __init__(self, path: Path, connection: sqlite3.Connection, readonly: bool) -> None:
        self.path, self.readonly, self._conn = path, readonly, connection
        self.schema_version = SCHEMA_VERSION  # of the file, once open; older only if read-only

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, readonly: bool = False) -> MetaBase:
        """Open a base, creating it (and its folder) unless `readonly`.

        Read-only mode is for the shipped base: SQLite opens the file with mode=ro, so nothing
        can write into it. Garbage, foreign and newer files are refused without being touched.
        """
        path = Path(path)
        _check_file(path, readonly)
        try:
            if not readonly:
                path.parent.mkdir(parents=True, exist_ok=True)
            uri = f"{path.resolve().as_uri()}?mode={'ro' if readonly else 'rwc'}"
            conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise _error(path, f"cannot be opened ({exc})", "check path and permissions") from exc
        base = cls(path, conn, readonly)
        try:
            with base._guard():
                conn.execute("PRAGMA foreign_keys = ON")
                base._check_schema()
        except BaseException:
            conn.close()
            raise
        return base

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> MetaBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_or_update_task(self, task: Task, *, replace: bool = False) -> TaskRecord:
        """Store a task; returns the stored record, whose name may differ from `task.name`.

        The same data (fingerprint) already stored under any name updates that task, keeping
        its name and evaluations: re-adding a dataset never duplicates it. The same name with
        other data is refused, because its evaluations belong to the old data; `replace=True`
        drops the old task with its evaluations instead.
        """
        if task.task_type not in TASKS:
            raise ValueError(f"task_type must be one of {TASKS}, got {task.task_type!r}")
        values = [_encode(f, getattr(task, f)) for f in _TASK_FIELDS]
        now = _now()
        with self._write() as conn:
            same_data = conn.execute(
                "SELECT id, name FROM tasks WHERE fingerprint = ?", (task.fingerprint,)
            ).fetchone()
            same_name = conn.execute("SELECT id FROM tasks WHERE name = ?", (task.name,)).fetchone()
            if same_data is not None:  # refresh the description, keep name and evaluations
                changes = ", ".join(f"{f} = ?" for f in _TASK_FIELDS[2:])
                conn.execute(
                    f"UPDATE tasks SET {changes}, updated = ? WHERE id = ?",
                    (*values[2:], now, same_data[0]),
                )
                return self._task_records("WHERE t.id = ?", (same_data[0],))[0]
            if same_name is not None and not replace:
                raise self._error(
                    f"already holds a task named {task.name!r} with different data",
                    f"choose another --name, or first run `automl meta remove {task.name}`",
                )
            if same_name is not None:
                conn.execute("DELETE FROM evaluations WHERE task_id = ?", same_name)
                conn.execute("DELETE FROM tasks WHERE id = ?", same_name)
            marks = ", ".join("?" * (len(values) + 2))
            conn.execute(
                f"INSERT INTO tasks ({', '.join(_TASK_FIELDS)}, created, updated) VALUES ({marks})",
                (*values, now, now),
            )
            return self._task_records("WHERE t.name = ?", (task.name,))[0]

    def tasks(self) -> list[TaskRecord]:
        """Every task by name, with its evaluation count and best successful loss."""
        return self._task_records("", ())

    def task(self, name: str) -> TaskRecord:
        """One task; an unknown name is a MetabaseError that says how to list the names."""
        found = self._task_records("WHERE t.name = ?", (name,))
        if not found:
            raise self._unknown(name)
        return found[0]

    def remove_task(self, name: str) -> int:
        """Delete a task and its evaluations; returns how many evaluations went with it."""
        with self._write() as conn:
            task_id = self._task_id(conn, name)
            removed = conn.execute("DELETE FROM evaluations WHERE task_id = ?", (task_id,))
            conn.execute("DELETE FROM tasks WHERE id = ?", (task_id,))
            return removed.rowcount

    def add_evaluations(self, name: str, evaluations: Iterable[Evaluation]) -> int:
        """Append evaluations of task `name` in one transaction; returns how many."""
        rows = [[_encode(f, getattr(e, f)) for f in _EVAL_FIELDS] for e in evaluations]
        now = _now()
        with self._write() as conn:
            task_id = self._task_id(conn, name)
            conn.executemany(
                f"INSERT INTO evaluations (task_id, {', '.join(_EVAL_FIELDS)}, created) "
                f"VALUES ({', '.join('?' * (len(_EVAL_FIELDS) + 2))})",
                [(task_id, *row, now) for row in rows],
            )
        return len(rows)

    def evaluations(
        self,
        name: str | None = None,
        *,
        status: str | None = None,
        metric: str | None = None,
        space_version: str | None = None,
        min_budget: float | None = None,
    ) -> list[EvaluationRecord]:
        """Stored evaluations in insertion order, of one task or all, optionally filtered.

        Filters run in SQL: decoding the configs is what costs time on a large base.
        """
        if name is not None:
            self.task(name)  # an unknown name is an error, not an empty list
        filters = {"t.name =": name, "e.status =": status, "e.metric =": metric}
        filters |= {"e.space_version =": space_version, "e.budget >=": min_budget}
        used = {column: value for column, value in filters.items() if value is not None}
        where = " AND ".join(f"{column} ?" for column in used) or "1"
        return self._evaluation_records(f"WHERE {where} ORDER BY e.id", tuple(used.values()))

    def scored_configs(self, *, space_version: str, min_budget: float) -> list[ScoredConfig]:
        """Successful evaluations with a finite loss of every task, in insertion order, lean.

        A warm start's plan reads all of them while the search waits for its second config.
        Through full records (`evaluations`) its read of the shipped base took 0.29 s instead
        of 0.17 s, so only the columns it needs are read here, and each distinct config is
        decoded once (a base holds the same config on many rows: search, re-evaluation and
        transfer). Rows that hold equal configs share one dict: read it, never change it.
        """
        query = (
            "SELECT t.name, e.config, e.loss, e.metric, e.runtime "
            "FROM evaluations e JOIN tasks t ON t.id = e.task_id "
            "WHERE e.status = ? AND e.loss IS NOT NULL AND e.space_version = ? "
            "AND e.budget >= ? ORDER BY e.id"
        )
        with self._guard():
            rows = self._conn.execute(query, (STATUS_OK, space_version, min_budget)).fetchall()
        configs: dict[str, dict[str, Any]] = {}
        scored = []
        for name, text, loss, metric, runtime in rows:
            config = configs.get(text)
            if config is None:
                config = configs[text] = json.loads(text)
            scored.append(
                ScoredConfig(name, config, loss, metric, math.nan if runtime is None else runtime)
            )
        return scored

    def best_configs(
        self, name: str, k: int = 1, *, metric: str | None = None, space_version: str | None = None
    ) -> list[EvaluationRecord]:
        """The k best distinct configs of a task: successful, lowest loss, larger budget first.

        Pass `space_version` to skip configs of another search space (stale ones), and `metric`
        when a task was evaluated under several metrics (their losses do not compare).
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        found = self.evaluations(name, status=STATUS_OK, metric=metric, space_version=space_version)
        found.sort(key=lambda r: (r.evaluation.loss, -r.evaluation.budget, r.id))
        best: dict[str, EvaluationRecord] = {}
        for record in found:
            if len(best) == k or not math.isfinite(record.evaluation.loss):
                break
            best.setdefault(
                _encode("config", [record.evaluation.algorithm, record.evaluation.config]), record
            )
        return list(best.values())

    def _check_schema(self) -> None:
        tables = self._tables()
        if not tables and self.readonly:
            raise self._error("is empty, not a knowledge base", "pass a base made by automl-cli")
        if not tables:
            with self._write() as conn:
                if not self._tables():  # another process may have created it meanwhile
                    for statement in CREATE:
                        conn.execute(statement)
                    settings = {"application": APPLICATION, "schema_version": SCHEMA_VERSION}
                    conn.executemany("INSERT INTO meta VALUES (?, ?)", settings.items())
            tables = self._tables()
        try:
            settings = dict(self._conn.execute("SELECT key, value FROM meta"))
        except sqlite3.OperationalError:  # no such table or columns: not one of ours
            settings = {}
        version = settings.get("schema_version", "")
        if settings.get("application") != APPLICATION:
            problem = f"belongs to another application (tables: {', '.join(sorted(tables))})"
            raise self._error(problem, "pass --metabase a new path; the file was left untouched")
        if version.isdigit() and int(version) > SCHEMA_VERSION:
            raise self._error(
                f"has schema version {version}, newer than this automl-cli reads "
                f"({SCHEMA_VERSION})",
                "upgrade automl-cli, or pass --metabase another path; the file was left untouched",
            )
        known = version.isdigit() and 1 <= int(version) <= SCHEMA_VERSION
        if not known or not {"tasks", "evaluations"} <= tables:
            raise self._error(f"is damaged (schema version {version!r})", _RESTORE)
        self.schema_version = int(version)
        if self.schema_version < SCHEMA_VERSION and not self.readonly:
            self._upgrade()

    def _upgrade(self) -> None:
        """Bring the file to SCHEMA_VERSION in one transaction, after keeping a copy beside it.

        Should a step fail (a stored row that breaks a new constraint), the transaction rolls
        back and the file stays as it was. Another process may upgrade it meanwhile: the
        version is read again under the write lock.
        """
        old = self.schema_version
        copy = self.path.with_name(f"{self.path.name}.v{old}.bak")
        if not copy.exists():
            with self._guard(), contextlib.suppress(FileExistsError):  # kept by another process
                _write_copy(self._conn, copy)
        try:
            with self._write() as conn:
                (now,) = conn.execute(
                    "SELECT value FROM meta WHERE key = 'schema_version'"
                ).fetchone()
                if now == str(old):
                    upgrade(conn, old)
        except sqlite3.IntegrityError as exc:
            problem = f"cannot be upgraded from schema version {old} to {SCHEMA_VERSION} ({exc})"
            raise self._error(f"{problem}, left as it was", _RESTORE) from exc
        self.schema_version = SCHEMA_VERSION

    def _tables(self) -> set[str]:
        rows = self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {row[0] for row in rows}

    def _task_records(self, where: str, params: tuple[Any, ...]) -> list[TaskRecord]:
        query = (
            f"SELECT {', '.join('t.' + f for f in _TASK_FIELDS)}, t.created, t.updated, "
            "COUNT(e.id), MIN(CASE WHEN e.status = ? AND e.budget >= ? THEN e.loss END) "
            "FROM tasks t "
            f"LEFT JOIN evaluations e ON e.task_id = t.id {where} GROUP BY t.id ORDER BY t.name"
        )
        with self._guard():
            rows = self._conn.execute(query, (STATUS_OK, FULL_BUDGET, *params)).fetchall()
        return [
            TaskRecord(
                Task(*map(_decode, _TASK_FIELDS, row[:8])), *row[8:11], _decode("loss", row[11])
            )
            for row in rows
        ]

    def _evaluation_records(self, where: str, params: tuple[Any, ...]) -> list[EvaluationRecord]:
        query = (
            f"SELECT e.id, t.name, e.created, {', '.join('e.' + f for f in _EVAL_FIELDS)} "
            f"FROM evaluations e JOIN tasks t ON t.id = e.task_id {where}"
        )
        with self._guard():
            rows = self._conn.execute(query, params).fetchall()
        return [
            EvaluationRecord(*row[:3], Evaluation(*map(_decode, _EVAL_FIELDS, row[3:])))
            for row in rows
        ]

    def _task_id(self, conn: sqlite3.Connection, name: str) -> int:
        row = conn.execute("SELECT id FROM tasks WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise self._unknown(name)
        return row[0]

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; BEGIN IMMEDIATE takes the write lock up front (no deadlock)."""
        if self.readonly:
            raise self._error(
                "is open read-only (the shipped base)",
                "write to your own base: pass --metabase PATH or set AUTOML_METABASE",
            )
        with self._guard():
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            finally:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn SQLite failures into one-line MetabaseErrors that name the file and the fix."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                problem = f"stayed locked by another process for {BUSY_TIMEOUT_S:.0f} s"
                raise self._error(problem, "retry once the other command has finished") from exc
            if "readonly" in str(exc):
                problem, fix = "cannot be written (read-only)", "pass --metabase a writable path"
                raise self._error(problem, fix) from exc
            raise self._error(f"cannot be used ({exc})", _RESTORE) from exc
        except sqlite3.IntegrityError:
            raise  # a record that breaks a constraint is a bug in the caller, not a bad file
        except sqlite3.DatabaseError as exc:
            raise self._error(f"is damaged ({exc})", _RESTORE) from exc

    def _error(self, problem: str, fix: str) -> MetabaseError:
        return _error(self.path, problem, fix)

    def _unknown(self, name: str) -> MetabaseError:
        return self._error(f"has no task named {name!r}", "`automl meta list` shows the names")


def _error(path: Path, problem: str, fix: str) -> MetabaseError:
    return MetabaseError(f"metabase {path}: {problem}; {fix}")


def _check_file(path: Path, readonly: bool) -> None:
    """Refuse what SQLite must not open: a folder, a missing read-only base, non-SQLite bytes."""
    if path.is_dir():
        raise _error(path, "is a folder, not a file", "pass the path of a .sqlite file")
    if not path.exists():
        if readonly:
            raise _error(path, "does not exist", "check the path, or reinstall automl-cli")
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(len(_MAGIC))
    except OSError as exc:
        raise _error(path, f"cannot be read ({exc.strerror})", "check its permissions") from exc
    if head and head != _MAGIC:
        raise _error(path, "is not an SQLite file (garbage or damaged)", _RESTORE)


def copy_base(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> Path:
    """Copy a base atomically, e.g. the shipped base to the user's base on first use.

    SQLite's backup API takes a consistent snapshot (even while others write) into a temporary
    file beside `dst`, which is then moved in place: `dst` is either absent or complete. An
    existing `dst`, also one created meanwhile by a concurrent copy, is refused, never replaced.
    A source of an older schema (a read-only shipped base) is upgraded in the copy.
    """
    dst = Path(dst)
    if dst.exists():
        raise _error(dst, "already exists", "open it directly, or move it away first")
    with MetaBase.open(src, readonly=True) as source:  # validates: garbage is never copied
        try:
            with source._guard():
                _write_copy(source._conn, dst, upgrade_from=source.schema_version)
        except FileExistsError as exc:
            raise _error(dst, "already exists", "open it directly, or move it away first") from exc
    return dst


def _write_copy(
    source: sqlite3.Connection, dst: Path, *, upgrade_from: int = SCHEMA_VERSION
) -> None:
    """A consistent snapshot of `source` at `dst`, upgraded from `upgrade_from` if older.

    Written to a temporary file beside `dst` and moved in place: `dst` is absent or complete.
    An existing `dst` is never replaced (FileExistsError).
    """
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
        os.close(handle)
    except OSError as exc:
        raise _error(dst, f"cannot be created ({exc.strerror})", "check the folder") from exc
    tmp = Path(name)
    try:
        target = sqlite3.connect(tmp, isolation_level=None)
        try:
            source.backup(target)
            if upgrade_from < SCHEMA_VERSION:
                target.execute("BEGIN IMMEDIATE")
                upgrade(target, upgrade_from)
                target.execute("COMMIT")
        finally:
            target.close()
        _publish(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)


def _publish(tmp: Path, dst: Path) -> None:
    """Move `tmp` to `dst` unless `dst` exists; a hard link is the no-clobber atomic rename."""
    try:
        os.link(tmp, dst)
    except FileExistsError:
        raise
    except OSError:  # a filesystem without hard links: rename after one more look
        if dst.exists():
            raise FileExistsError(dst) from None
        os.replace(tmp, dst)


def _encode(name: str, value: Any) -> Any:
    """A field as stored: JSON for structures (NaN as null), NULL for a non-finite loss/runtime."""
    if name == "meta_features":
        value = {k: float(v) if math.isfinite(v) else None for k, v in value.items()}
    if name in ("config", "meta_features", "library_versions"):  # configs sorted: comparable
        return json.dumps(value, sort_keys=name == "config", allow_nan=False, default=_plain)
    if name in ("loss", "runtime"):
        return float(value) if math.isfinite(value) else None
    if name in ("n_rows", "n_features", "features_version", "seed") and value is not None:
        return int(value)
    return float(value) if name == "budget" else value


def _decode(name: str, value: Any) -> Any:
    if name == "meta_features":
        return {k: math.nan if v is None else v for k, v in json.loads(value).items()}
    if name in ("config", "library_versions"):
        return json.loads(value)
    if name in ("loss", "runtime") and value is None:
        return math.inf if name == "loss" else math.nan
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"config value {value!r} of type {type(value).__name__} is not JSON")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
