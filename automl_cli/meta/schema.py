"""The knowledge base's tables, and the steps that upgrade a file of an older schema.

Version 1: the first tables. Version 2: an evaluation's budget must lie in (0, 1], the fraction
of training rows it was fitted on (docs/architecture.md, contract 4), so no writer can store a
budget that the warm start would misread; SQLite adds a CHECK only by rebuilding the table.

A change of schema adds the new version's statements to UPGRADES and raises SCHEMA_VERSION.
A base opened read-only (the shipped one) cannot be upgraded and is read as it is, which holds
while every upgrade only adds a constraint or an index; an upgrade that changes what the
queries see must make the store refuse an older read-only file instead.
"""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 2


def _evaluations(table: str) -> str:
    return f"""CREATE TABLE {table} (
        id INTEGER PRIMARY KEY, task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        config TEXT NOT NULL, algorithm TEXT NOT NULL,
        budget REAL NOT NULL CHECK (budget > 0 AND budget <= 1), loss REAL,
        metric TEXT NOT NULL, space_version TEXT NOT NULL, status TEXT NOT NULL, runtime REAL,
        seed INTEGER, library_versions TEXT NOT NULL, created TEXT NOT NULL)"""


_EVALUATIONS_INDEX = "CREATE INDEX evaluations_by_task ON evaluations (task_id, loss)"

# The tables of a new base, at SCHEMA_VERSION.
CREATE = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE tasks (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, fingerprint TEXT NOT NULL UNIQUE,
        task_type TEXT NOT NULL, target TEXT NOT NULL, n_rows INTEGER NOT NULL,
        n_features INTEGER NOT NULL, meta_features TEXT NOT NULL,
        features_version INTEGER NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL)""",
    _evaluations("evaluations"),
    _EVALUATIONS_INDEX,
)

# UPGRADES[v]: the statements that turn a file of version v into one of version v + 1.
UPGRADES: dict[int, tuple[str, ...]] = {
    1: (
        _evaluations("evaluations_v2"),
        "INSERT INTO evaluations_v2 SELECT * FROM evaluations",
        "DROP TABLE evaluations",
        "ALTER TABLE evaluations_v2 RENAME TO evaluations",
        _EVALUATIONS_INDEX,
    ),
}


def upgrade(conn: sqlite3.Connection, version: int) -> None:
    """Bring a file of `version` to SCHEMA_VERSION, inside the caller's transaction."""
    for step in range(version, SCHEMA_VERSION):
        for statement in UPGRADES[step]:
            conn.execute(statement)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
