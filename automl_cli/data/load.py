"""From a data file and a target name to a Dataset: target checks, task detection, typing."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl_cli.choices import TASKS
from automl_cli.data.formats import table_name
from automl_cli.data.frame import read_frame
from automl_cli.data.infer import infer_schema
from automl_cli.data.read import read_table
from automl_cli.data.roles import Roles, read_roles
from automl_cli.data.schema import Schema
from automl_cli.data.size import is_large
from automl_cli.data.values import parse_number, to_number, to_text
from automl_cli.errors import DataError

MAX_INT_CLASSES = 20  # an integer target with at most this many values may be classes ...
MIN_ROWS_PER_INT_CLASS = 5  # ... if there are, on average, at least this many rows per value


@dataclass
class Dataset:
    """A training table ready for search: model input, encoded target, and how it was read."""

    name: str
    X: pd.DataFrame
    y: np.ndarray
    task: str
    schema: Schema
    classes: tuple
    notices: list[str]
    roles: Roles = Roles()  # the weight and group columns (data/roles.py), never features

    @property
    def weights(self) -> np.ndarray | None:
        return self.roles.weights

    @property
    def groups(self) -> np.ndarray | None:
        return self.roles.groups


@dataclass(frozen=True)
class _Target:
    """The target's non-missing values: as labels (str/int/float) and, if all numeric, floats."""

    labels: list[Any]
    numbers: np.ndarray | None


def load_training_data(
    path: str | Path | pd.DataFrame,
    target: str,
    task: str = "auto",
    *,
    weight: str | None = None,
    group: str | None = None,
) -> Dataset:
    """Read a training table (CSV, Parquet or Feather, or a DataFrame), check the target,
    detect or check the task, and type the columns; `weight` and `group` name the columns of
    data/roles.py.

    `task` is "auto" or one of TASKS. Every problem with the file, the target or the task
    raises DataError with a one-line message that names the problem and the fix.
    """
    if task != "auto" and task not in TASKS:
        raise DataError(f"unknown task {task!r}; use one of: auto, {', '.join(TASKS)}")
    if isinstance(path, pd.DataFrame):
        file = Path("dataframe")  # the name its messages and the search give it
        raw, notices = read_frame(path)
    else:
        file = Path(path)
        raw, notices = read_table(file)
    target = target.strip()
    if raw.shape[1] < 2:
        raise DataError(
            f"{file}: only one column ({raw.columns[0]!r}) was found; a CSV needs a header row "
            "and at least two columns separated by commas"
        )
    if target not in raw.columns:
        raise DataError(_target_not_found(file, target, [str(c) for c in raw.columns]))

    text = to_text(raw[target])
    values, n_text = to_number(raw[target])
    rows = text.notna().to_numpy()
    if not rows.any():
        raise DataError(f"target {target!r} has no values (all missing); choose another column")
    if not rows.all():
        notices.append(f"dropped {int((~rows).sum())} row(s) whose target {target!r} is missing")
    labels = list(text[rows])
    textual = n_text > 0 or set(labels) <= {"True", "False"}  # booleans are labels, not 0/1
    kept = _Target(labels=labels, numbers=None if textual else values[rows])
    task, classes, y = _resolve_task(kept, target, task, notices)

    roles = read_roles(raw, rows, target, weight, group)
    typed = raw.drop(columns=roles.columns) if roles.columns else raw
    schema, typing_notes = infer_schema(typed, rows, target)
    del typed
    notices.extend(typing_notes)
    if not schema.columns:
        reasons = "; ".join(f"{name}: {reason}" for name, reason in schema.dropped[:5])
        raise DataError(
            f"no feature columns left: all were dropped ({reasons}); "
            "add informative columns besides the target"
        )
    compact = is_large(int(rows.sum()), len(schema.feature_names))
    X = schema.features(raw if rows.all() else raw[rows], compact=compact)
    del raw
    _release_reader_memory()
    return Dataset(table_name(file), X, y, task, schema, classes, notices, roles)


def _release_reader_memory() -> None:
    """Hand the memory the CSV reader freed back to the system.

    pyarrow's allocator keeps freed memory for reuse: after a 1M x 30 file the process held
    790 MB where the model input needs 120 MB, and gave 500 MB back when asked.
    """
    import pyarrow

    from automl_cli.heap import release_freed_memory

    pyarrow.default_memory_pool().release_unused()
    release_freed_memory()  # and what the typing of the columns freed in glibc's heap


def _target_not_found(file: Path, target: str, columns: list[str]) -> str:
    lowered = {c.lower(): c for c in columns}
    close = [lowered[m] for m in difflib.get_close_matches(target.lower(), lowered, n=3)]
    if close:
        hint = f"did you mean {' or '.join(repr(c) for c in close)}?"
    elif sum(parse_number(c) is not None for c in columns) * 2 >= len(columns):
        hint = "the first row looks like data, not column names; add a header row"
    else:
        shown = ", ".join(repr(c) for c in columns[:10])
        more = f" and {len(columns) - 10} more" if len(columns) > 10 else ""
        hint = f"the columns are {shown}{more}"
    return f"target column {target!r} not found in {file.name}: {hint}"


def _resolve_task(
    kept: _Target, target: str, task: str, notices: list[str]
) -> tuple[str, tuple, np.ndarray]:
    """The task, the sorted class labels and y, checked against an explicit `task`."""
    numbers = kept.numbers
    n_distinct = len(set(kept.labels))
    if n_distinct == 1:
        raise DataError(
            f"target {target!r} is constant (every row is {kept.labels[0]!r}); "
            "choose a target that varies"
        )
    if task == "regression" and numbers is None:
        examples = ", ".join(repr(v) for v in sorted(set(kept.labels))[:3])
        raise DataError(
            f"target {target!r} has non-numeric values ({examples}); regression needs numbers: "
            "use --task auto, binary or multiclass"
        )
    if task == "regression" or (task == "auto" and not _is_classes(numbers, n_distinct)):
        notices.append(f"task: regression (target {target!r} is numeric)")
        return "regression", (), numbers
    classes, y = _encode_classes(kept)
    detected = "binary" if len(classes) == 2 else "multiclass"
    if task not in ("auto", detected):
        fix = "use --task multiclass or auto" if detected == "multiclass" else "use --task binary"
        raise DataError(f"target {target!r} has {len(classes)} classes, not {task}; {fix}")
    shown = ", ".join(map(str, classes[:10])) + (", ..." if len(classes) > 10 else "")
    notices.append(f"task: {detected} (target {target!r} has {len(classes)} classes: {shown})")
    rare = [(c, n) for c, n in zip(classes, np.bincount(y), strict=True) if n < 2]
    if rare:
        named = ", ".join(repr(c) for c, _ in rare[:5]) + (" ..." if len(rare) > 5 else "")
        raise DataError(
            f"class(es) {named} of target {target!r} have only 1 row; every class needs at "
            "least 2: add rows, merge the class into another, or remove its rows"
        )
    return detected, classes, y


def _is_classes(numbers: np.ndarray | None, n_distinct: int) -> bool:
    """Text targets are classes; integers are when there are two, or a few codes with rows each.

    Codes (1..7, perhaps with gaps) span less than twice their count; a scale such as
    0, 10, ..., 100 does not, and is regression.
    """
    if numbers is None:
        return True
    if not np.all(numbers == np.round(numbers)):
        return False
    if n_distinct == 2:
        return True
    return (
        n_distinct <= MAX_INT_CLASSES
        and len(numbers) >= MIN_ROWS_PER_INT_CLASS * n_distinct
        and numbers.max() - numbers.min() < 2 * n_distinct
    )


def _encode_classes(kept: _Target) -> tuple[tuple, np.ndarray]:
    """Sorted labels as plain Python values (int/float if all numeric, else str) and codes."""
    if kept.numbers is None:
        labels: list[Any] = kept.labels
    else:
        labels = [int(v) if float(v).is_integer() else float(v) for v in kept.numbers]
    classes = tuple(sorted(set(labels)))
    index = {label: code for code, label in enumerate(classes)}
    return classes, np.array([index[label] for label in labels], dtype=np.int64)
