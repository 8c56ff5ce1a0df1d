"""Column typing at training time: each raw column becomes a Column or a dropped-with-reason.

The rules are listed in the package docstring (`automl_cli.data`); the constants below are
the knobs they mention.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from automl_cli.data.schema import DATE_PARTS, TIME_PARTS, Column, Schema
from automl_cli.data.values import (
    boolean_tokens,
    detect_number_format,
    format_number,
    looks_like_dates,
    parse_number,
    to_datetime,
    to_number,
    to_text,
)

MAX_LEVELS = 200  # categorical levels kept per column (most frequent first)
MIN_LEVEL_COUNT = 2  # a level seen once at training cannot generalise; it reads as missing
NUMERIC_SHARE = 0.95  # text columns whose cells are >= 95% numbers are numeric
CATEGORICAL_INT_LEVELS = range(3, 11)  # integer columns with 3..10 distinct values
_ID_NAME = re.compile(r"(^|[\s_.\-])(id|index|key|uuid|guid)$|^unnamed: \d+$", re.IGNORECASE)
_CAMEL_ID = re.compile(r"[a-z](Id|ID)$")


def infer_schema(raw: pd.DataFrame, rows: np.ndarray, target: str) -> tuple[Schema, list[str]]:
    """Type every column but the target, using the training rows `rows` (a boolean mask).

    `raw` holds all rows of the file: whether an integer column is a row index is a property
    of the whole file, while levels and constants are judged on the rows trained on.
    """
    columns: list[Column] = []
    dropped: list[tuple[str, str]] = []
    notices: list[str] = []
    for name in raw.columns:
        if name == target:
            continue
        column, reason, notes = _type_column(str(name), raw[name], rows)
        notices.extend(notes)
        if column is None:
            dropped.append((str(name), reason))
            notices.append(f"dropped column {name!r}: {reason}")
        else:
            columns.append(column)
    schema = Schema(columns=tuple(columns), dropped=tuple(dropped), target=target)
    return schema, notices


def _type_column(
    name: str, full: pd.Series, rows: np.ndarray
) -> tuple[Column | None, str, list[str]]:
    series = full[rows]
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
        values = to_number(series)[0]  # the fast path: no per-value text for parsed numbers
        present = values[~np.isnan(values)]
        n_distinct = 0 if not len(present) else 1 if present.min() == present.max() else 2
        first = format_number(present[0]) if len(present) else ""
        dropped = _empty_or_constant(n_distinct, len(present), len(series), first)
        return (None, dropped, []) if dropped else _type_numeric(name, full, values, [])
    text = to_text(series)
    present = int(text.notna().sum())
    first = text.dropna().iloc[0] if present else ""
    dropped = _empty_or_constant(text.nunique(), present, len(series), first)
    if dropped:
        return None, dropped, []
    if pd.api.types.is_bool_dtype(series.dtype) or boolean_tokens(text):
        return Column(name, "boolean"), "", []
    values, n_bad = to_number(series)
    if n_bad:
        number_format, example = detect_number_format(series)
        if number_format:
            return _type_formatted(name, number_format, example)
    if n_bad < present and n_bad <= (1 - NUMERIC_SHARE) * present:
        notes = []
        if n_bad:
            bad = sorted(set(text[np.isnan(values) & text.notna().to_numpy()]))[:3]
            shown = ", ".join(repr(value) for value in bad)
            notes.append(f"column {name!r}: {n_bad} non-numeric value(s) ({shown}) read as missing")
        return _type_numeric(name, full, values, notes)
    if looks_like_dates(series):
        stamps = to_datetime(series).dropna()
        timed = bool(((stamps.dt.hour != 0) | (stamps.dt.minute != 0)).any())
        return Column(name, "datetime", parts=DATE_PARTS + (TIME_PARTS if timed else ())), "", []
    return _type_categorical(name, text, [])


def _type_formatted(
    name: str, number_format: str, example: str
) -> tuple[Column | None, str, list[str]]:
    """A column of numbers written with thousands separators or a decimal comma: numeric.

    Such a column is a quantity, never a row index or a few codes, so the integer rules
    of `_type_numeric` do not apply.
    """
    notes = []
    if example:
        as_thousands = parse_number(example, number_format)
        notes.append(
            f"column {name!r}: values such as {example!r} read with ',' as a thousands "
            f"separator ({format_number(as_thousands)}), not as a decimal comma"
        )
    return Column(name, "numeric", number_format=number_format), "", notes


def _empty_or_constant(n_distinct: int, present: int, n_rows: int, first: str) -> str:
    """The reason to drop a column with no values or one value on every row, else ""."""
    if present == 0:
        return "all values missing"
    if n_distinct == 1 and present == n_rows:
        return f"constant (every value is {first!r})"
    return ""


def _type_numeric(
    name: str, full: pd.Series, values: np.ndarray, notes: list[str]
) -> tuple[Column | None, str, list[str]]:
    finite = values[~np.isnan(values)]
    integral = bool(np.all(finite == np.round(finite)))
    if integral and _looks_like_index(name, full):
        return None, "ID-like (a distinct integer per row)", notes
    if integral and len(np.unique(finite)) in CATEGORICAL_INT_LEVELS:
        return _type_categorical(name, to_text(pd.Series(values)), notes)
    return Column(name, "numeric"), "", notes


def _looks_like_index(name: str, full: pd.Series) -> bool:
    """A distinct integer on every row of the file that is named like a key or counts 1, 2, 3...

    A numeric feature that happens to be unique (a shuffled range, a measured count) is kept:
    only the name or an unbroken run in file order marks a row index.
    """
    values, n_bad = to_number(full)
    if n_bad or len(values) < 3 or np.isnan(values).any():
        return False
    if _ID_NAME.search(name) or _CAMEL_ID.search(name):
        return len(np.unique(values)) == len(values)
    return bool(np.all(np.diff(values) == 1))  # counts up by one, so distinct too


def _type_categorical(
    name: str, text: pd.Series, notes: list[str]
) -> tuple[Column | None, str, list[str]]:
    counts = text.value_counts()
    frequent = counts[counts >= MIN_LEVEL_COUNT]
    if frequent.empty:
        return None, "no value occurs twice (ID-like or free text)", notes
    ranked = sorted(frequent.items(), key=lambda item: (-item[1], item[0]))
    if len(ranked) > MAX_LEVELS:
        notes.append(
            f"column {name!r}: kept the {MAX_LEVELS} most frequent of {len(counts)} values; "
            "the others read as missing"
        )
        ranked = ranked[:MAX_LEVELS]
    levels = sorted(str(level) for level, _ in ranked)
    numbers = [parse_number(level) for level in levels]
    if all(number is not None for number in numbers):  # keep the order of codes and scales
        levels = [level for _, level in sorted(zip(numbers, levels, strict=True))]
    return Column(name, "categorical", levels=tuple(levels)), "", notes
