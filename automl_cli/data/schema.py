"""The input schema: which CSV columns a model reads, as what, and how raw rows become model input.

`Schema.features` is the one conversion from raw CSV rows to model input; training calls it
too, so the model sees exactly the same encoding when fitted and when predicting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from automl_cli.data.values import (
    NUMBER_FORMATS,
    detect_number_format,
    is_present,
    to_boolean,
    to_datetime,
    to_number,
    to_text,
)
from automl_cli.errors import DataError

KINDS = ("numeric", "categorical", "boolean", "datetime")
DATE_PARTS = ("year", "month", "day", "dayofweek")
TIME_PARTS = ("hour", "minute")
# Version 2 adds the number format of numeric columns; a schema that uses none is written as
# version 1, so older versions of the tool still read it, and refuse what they would misread.
SCHEMA_VERSIONS = (1, 2)
UNREADABLE_AS = {"numeric": "not numbers", "boolean": "not true/false", "datetime": "not dates"}
_ACCESSORS = {part: part for part in DATE_PARTS + TIME_PARTS} | {"dayofweek": "day_of_week"}


@dataclass(frozen=True)
class Column:
    """One feature column as found in the training CSV.

    `levels` (categorical only) are the canonical texts kept at training, sorted; any other
    value is missing. `parts` (datetime only) are the numeric parts the column expands to.
    `number_format` (numeric only) is how text numbers were written at training: "" as Python
    reads them, else a key of NUMBER_FORMATS ("1,234.5" or "1.234,5").
    """

    name: str
    kind: str
    levels: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    number_format: str = ""

    @property
    def feature_names(self) -> list[str]:
        """The model-input column(s) this CSV column becomes."""
        if self.kind == "datetime":
            return [f"{self.name}__{part}" for part in self.parts]
        return [self.name]

    def convert(self, raw: pd.Series, compact: bool = False) -> tuple[dict[str, pd.Series], int]:
        """Raw cells of this column as model-input columns (see `Schema.read`), and how
        many present cells could not be read as this kind (categorical: always 0, since an
        unseen level is a value the model handles, not a misread one)."""
        raw = raw.reset_index(drop=True)
        number = "float32" if compact else "float64"
        if self.kind == "categorical":
            text = to_text(raw)
            if compact:
                categories = pd.Categorical(text, categories=list(self.levels))
                return {self.name: pd.Series(categories)}, 0
            kept = text.to_numpy(dtype=object, copy=True)
            kept[~text.isin(self.levels).to_numpy()] = np.nan
            return {self.name: pd.Series(kept, dtype=object)}, 0
        if self.kind == "boolean":
            values = to_boolean(raw)
            unreadable = int((np.isnan(values) & is_present(raw)).sum())
            return {self.name: pd.Series(values, dtype=number)}, unreadable
        if self.kind == "numeric":
            values, unreadable = to_number(raw, self.number_format)
            if unreadable and not self.number_format:  # written with separators this time?
                written_as, _ = detect_number_format(raw)
                if written_as:
                    values, unreadable = to_number(raw, written_as)
            return {self.name: pd.Series(values, dtype=number)}, unreadable
        stamps = to_datetime(raw)
        unreadable = int((stamps.isna().to_numpy() & is_present(raw)).sum())
        return {
            f"{self.name}__{part}": pd.Series(getattr(stamps.dt, _ACCESSORS[part]), dtype=number)
            for part in self.parts
        }, unreadable


@dataclass(frozen=True)
class Schema:
    """The feature columns a model was trained on, the columns dropped, and the target."""

    columns: tuple[Column, ...]
    dropped: tuple[tuple[str, str], ...]
    target: str

    def __post_init__(self) -> None:
        names = self.feature_names
        if len(set(names)) != len(names):
            clash = sorted({n for n in names if names.count(n) > 1})
            raise DataError(
                f"column name(s) {', '.join(map(repr, clash))} clash with the parts of a date "
                "column (<date>__year, ...); rename those columns"
            )

    @property
    def feature_names(self) -> list[str]:
        """The columns of the model input, in order."""
        return [name for column in self.columns for name in column.feature_names]

    @property
    def categorical(self) -> list[str]:
        """Model-input columns that hold category text (object dtype)."""
        return [column.name for column in self.columns if column.kind == "categorical"]

    @property
    def formatted_columns(self) -> list[str]:
        """CSV columns of numbers written with a number format (to be read as text)."""
        return [column.name for column in self.columns if column.number_format]

    def features(self, frame: pd.DataFrame, *, compact: bool = False) -> pd.DataFrame:
        """Model input for raw CSV rows, exactly as at training (see `read`)."""
        return self.read(frame, compact=compact)[0]

    def read(
        self, frame: pd.DataFrame, *, compact: bool = False
    ) -> tuple[pd.DataFrame, dict[str, int]]:
        """Model input for raw CSV rows, exactly as at training; index 0..n-1; and per column,
        the count of present cells that could not be read as its kind (only counts above 0).

        Every feature column must be present (else a DataError naming the missing ones);
        extra columns, the target and the column order are ignored. Cells are parsed per
        column kind, whatever dtype the reader gave them, and anything that does not parse
        becomes missing (NaN), never an error:
        numeric: numbers after stripping spaces, written as at training (`number_format`), or,
        in a column trained on plain numbers, in one format of NUMBER_FORMATS that every cell fits;
        words and infinities -> NaN.
        boolean: true/false, yes/no, t/f, y/n (any case) and 1/0 -> 1.0/0.0; other -> NaN.
        datetime: timestamps or year-first date text (2021-03-04[ 10:30[:00]][Z|+02:00]),
        offsets converted to UTC; other text or impossible dates -> NaN parts.
        categorical: canonical text (numbers print as "3" or "2.5"); a value not among the
        training levels (unseen or rare at training) -> NaN.
        `compact` (large tables at training, `data/size.py`) holds numbers as float32 and
        categories as pandas categoricals over the training levels: half the memory or less,
        for numbers that differ only past the 7th significant digit (tree learners bin them
        or cast them to float32 anyway).
        """
        self.check_columns(frame)
        parts: dict[str, pd.Series] = {}
        unreadable: dict[str, int] = {}
        for column in self.columns:
            converted, count = column.convert(frame[column.name], compact)
            parts.update(converted)
            if count:
                unreadable[column.name] = count
        if not parts:
            return pd.DataFrame(index=pd.RangeIndex(len(frame))), unreadable
        return pd.DataFrame(parts, index=pd.RangeIndex(len(frame))), unreadable

    def check_columns(self, frame: pd.DataFrame) -> None:
        """DataError naming the feature columns that `frame` lacks, if any."""
        absent = [column.name for column in self.columns if column.name not in frame.columns]
        if absent:
            listed = ", ".join(repr(name) for name in absent[:10])
            more = f" and {len(absent) - 10} more" if len(absent) > 10 else ""
            raise DataError(
                f"missing feature column(s) {listed}{more} that the model was trained on; "
                "add them to the CSV (empty values are allowed)"
            )

    def describe_unreadable(self, unreadable: dict[str, int]) -> str:
        """The columns of `read`'s counts in words, e.g. "2 columns hold values that cannot
        be read as the type the model was trained on: 'age' (12 rows, not numbers), ..."."""
        kinds = {column.name: column.kind for column in self.columns}
        named = [
            f"{name!r} ({count} row{'s' if count > 1 else ''}, {UNREADABLE_AS[kinds[name]]})"
            for name, count in unreadable.items()
        ]
        more = f" and {len(named) - 10} more" if len(named) > 10 else ""
        columns = f"{len(named)} columns hold" if len(named) > 1 else "1 column holds"
        return (
            f"{columns} values that cannot be read as the type the model was trained "
            f"on: {', '.join(named[:10])}{more}"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe description, for a model file's manifest."""
        columns = []
        for c in self.columns:
            column = {
                "name": c.name,
                "kind": c.kind,
                "levels": list(c.levels),
                "parts": list(c.parts),
            }
            if c.number_format:
                column["number_format"] = c.number_format
            columns.append(column)
        return {
            "version": 2 if any(c.number_format for c in self.columns) else 1,
            "target": self.target,
            "columns": columns,
            "dropped": [[name, reason] for name, reason in self.dropped],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Schema:
        """The inverse of `to_dict`; a malformed description raises DataError."""
        try:
            if d["version"] not in SCHEMA_VERSIONS:
                raise ValueError(f"schema version {d['version']!r}")
            columns = tuple(
                Column(
                    name=str(c["name"]),
                    kind=str(c["kind"]),
                    levels=tuple(str(level) for level in c.get("levels", ())),
                    parts=tuple(str(part) for part in c.get("parts", ())),
                    number_format=str(c.get("number_format", "")),
                )
                for c in d["columns"]
            )
            dropped = tuple((str(name), str(reason)) for name, reason in d["dropped"])
            target = str(d["target"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(
                f"the model's input schema is unreadable ({exc}); re-train the model"
            ) from None
        allowed_parts = set(DATE_PARTS + TIME_PARTS)
        for column in columns:
            known_format = column.number_format in ("", *NUMBER_FORMATS)
            if (
                column.kind not in KINDS
                or not set(column.parts) <= allowed_parts
                or not known_format
            ):
                raise DataError(
                    f"the model's input schema has an unknown column type {column.kind!r}; "
                    "re-train the model"
                )
        return cls(columns=columns, dropped=dropped, target=target)
