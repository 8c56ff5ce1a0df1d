"""Cell-level parsing shared by training-time typing and predict-time conversion.

Every function here accepts a column in whatever dtype the CSV reader produced (numbers, pandas
strings, Python objects, booleans, timestamps), because the same column can come out of the
reader with a different dtype at predict time (one stray word turns a numeric column into text).
Each works on the column's distinct values only, so a million rows with a few hundred distinct
values cost a few hundred Python calls.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

# Compared after stripping whitespace and lower-casing.
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "#n/a", "<na>", "nat"})
# The spellings handed to the reader, so numeric columns with these markers still parse fast.
READER_NA_VALUES = [
    *("", "NA", "N/A", "n/a", "na", "NaN", "nan", "NAN", "null", "NULL", "Null"),
    *("None", "none", "NONE", "?", "#N/A", "<NA>", "NaT"),
]
TRUE_TOKENS = frozenset({"true", "t", "yes", "y"})
FALSE_TOKENS = frozenset({"false", "f", "no", "n"})

# Year-first dates only (2021-03-04, 2021/03/04), optionally with a time and a UTC offset.
# Day-first and month-first dates (03/04/2021) are ambiguous and stay text.
_DATE_RE = re.compile(
    r"^(\d{4})[-/](\d{2})[-/](\d{2})"
    r"(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$"
)
_INT_EXACT = 2.0**53
# Numbers written for people, by the mark before the decimals: "1,234.5" (a decimal point,
# digits grouped by commas, spaces or apostrophes) and "1.234,5" (a decimal comma, digits
# grouped by points, spaces or apostrophes). Ungrouped values ("999", "3,14") fit too; one
# value groups with one character only.
_SPACES = " \u00a0\u202f"  # space, no-break space, narrow no-break space (French)
NUMBER_FORMATS = {"1,234.5": (".", "," + _SPACES + "'"), "1.234,5": (",", "." + _SPACES + "'")}


def _grouped_number(decimal: str, groups: str) -> re.Pattern[str]:
    group = "[" + re.escape(groups) + "]"
    return re.compile(
        rf"[+-]?(?:\d{{1,3}}(?P<sep>{group})\d{{3}}(?:(?P=sep)\d{{3}})*|\d+)"
        rf"(?:{re.escape(decimal)}\d+)?"
    )


_FORMAT_PATTERNS = {
    name: (_grouped_number(decimal, groups), str.maketrans(decimal, ".", groups))
    for name, (decimal, groups) in NUMBER_FORMATS.items()
}


def _is_missing(value: Any) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _map_distinct(series: pd.Series, fn: Callable[[Any], Any], dtype: Any) -> np.ndarray:
    """`fn` applied to each distinct value of `series`; missing cells get `fn(None)`."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = np.array([fn(u) for u in uniques] + [fn(None)], dtype=dtype)
    return mapped[codes]


def format_number(value: float) -> str:
    """Canonical text of a finite number: integral values without a fraction ("3", not "3.0")."""
    if float(value).is_integer() and abs(value) < _INT_EXACT:
        return str(int(value))
    return repr(float(value))


def _text_number(text: str) -> float | None:
    """Stripped text as a finite float, NaN for an infinity, None when it is not a number."""
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else math.nan


def _formatted_number(text: str, number_format: str) -> float | None:
    """Stripped text written in one of NUMBER_FORMATS as a float, None when it does not fit."""
    pattern, plain = _FORMAT_PATTERNS[number_format]
    if not pattern.fullmatch(text):
        return None
    return _text_number(text.translate(plain))  # NaN for a number too large for a float


def parse_number(value: Any, number_format: str = "") -> float | None:
    """A cell as a finite float; NaN when missing; None when it is not a number.

    Text is read as Python reads numbers, or in `number_format` (a key of NUMBER_FORMATS)
    when one is given. Infinite values count as missing: no model input may hold an infinity.
    """
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in MISSING_TOKENS:
            return math.nan
        return _formatted_number(text, number_format) if number_format else _text_number(text)
    if _is_missing(value):
        return math.nan
    if isinstance(value, (bool, np.bool_, int, float, np.integer, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else math.nan
    return None


def _text(value: Any) -> Any:
    """A cell as canonical text (see `to_text`), or NaN when missing."""
    if isinstance(value, str):  # first: by far the most common case
        text = value.strip()
        if text.lower() in MISSING_TOKENS:
            return np.nan
        number = _text_number(text)
        if number is None:
            return text
        return np.nan if math.isnan(number) else format_number(number)
    if _is_missing(value):
        return np.nan
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, (dt.date, np.datetime64)):
        stamp = pd.Timestamp(value)
        if stamp.tz is None and stamp == stamp.normalize():
            return stamp.strftime("%Y-%m-%d")
        return str(stamp)
    number = parse_number(value)
    if number is not None:
        return np.nan if math.isnan(number) else format_number(number)
    text = str(value).strip()
    return np.nan if text.lower() in MISSING_TOKENS else text


def is_present(series: pd.Series) -> np.ndarray:
    """Whether each cell holds a value: not empty, not a missing marker (see MISSING_TOKENS)."""

    def present(value: Any) -> bool:
        if isinstance(value, str):
            return value.strip().lower() not in MISSING_TOKENS
        return not _is_missing(value)

    return _map_distinct(series, present, bool)


def to_text(series: pd.Series) -> pd.Series:
    """Each cell as canonical text (object dtype, Python str or np.nan).

    Whitespace is stripped, missing markers become NaN, and anything that parses as a finite
    number prints canonically ("3.0", "03" and 3 all become "3"; 2.50 becomes "2.5"), so a
    category reads the same whether the reader saw the column as numbers or as text.
    """
    return pd.Series(_map_distinct(series, _text, object), index=series.index, dtype=object)


def to_number(series: pd.Series, number_format: str = "") -> tuple[np.ndarray, int]:
    """The column as float64 (NaN for missing or unparseable) and the count of unparseable cells.

    Text cells are read as `parse_number` reads them in `number_format`.
    """
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        return np.where(np.isfinite(values), values, np.nan), 0
    if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(series):
        return np.full(len(series), np.nan), int(series.notna().sum())
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    parsed = [parse_number(u, number_format) for u in uniques]
    bad = np.array([p is None for p in parsed] + [False])
    numbers = np.array([math.nan if p is None else p for p in parsed] + [math.nan])
    return numbers[codes], int(bad[codes].sum())


def detect_number_format(series: pd.Series) -> tuple[str, str]:
    """The key of NUMBER_FORMATS in which every present cell of a text column is a number.

    Returns (format, example): format is "" when no format fits every cell; when both fit and
    read some value differently ("1,234": 1234 or 1.234), the comma is a thousands separator
    ("1,234.5") and `example` is such a value, for a notice; else `example` is "".
    """
    texts = []
    for value in pd.unique(series.dropna()):
        if not isinstance(value, str):
            return "", ""
        text = value.strip()
        if text.lower() not in MISSING_TOKENS:
            texts.append(text)
    fits = [
        name
        for name, (pattern, _) in _FORMAT_PATTERNS.items()
        if texts and all(pattern.fullmatch(text) for text in texts)
    ]
    if len(fits) < 2:
        return (fits[0] if fits else ""), ""
    differ = (text for text in texts if len({_formatted_number(text, f) for f in fits}) > 1)
    return fits[0], next(differ, "")


def _boolean(value: Any) -> float:
    if isinstance(value, str):
        token = value.strip().lower()
        if token in TRUE_TOKENS:
            return 1.0
        if token in FALSE_TOKENS:
            return 0.0
    number = parse_number(value)
    return number if number in (0.0, 1.0) else math.nan


def to_boolean(series: pd.Series) -> np.ndarray:
    """The column as 1.0/0.0: true/false, yes/no, t/f, y/n (any case), 1/0; else NaN."""
    return _map_distinct(series, _boolean, "float64")


def boolean_tokens(text: pd.Series) -> bool:
    """Whether canonical text values are one true and/or one false spelling (yes/no, t/f, ...).

    Two spellings of the same truth value ("y" and "yes") would merge two categories, so
    such a column stays categorical.
    """
    tokens = {str(v).lower() for v in text.dropna().unique()}
    trues, falses = tokens & TRUE_TOKENS, tokens & FALSE_TOKENS
    return bool(tokens) and tokens == trues | falses and len(trues) <= 1 and len(falses) <= 1


def _datetime_text(value: Any) -> Any:
    text = _text(value)
    if not isinstance(text, str) or not _DATE_RE.match(text):
        return None
    return text[:4] + "-" + text[5:7] + "-" + text[8:]


def to_datetime(series: pd.Series) -> pd.Series:
    """The column as naive UTC timestamps; NaT for missing cells and for non-dates.

    Timestamps with a UTC offset are converted to UTC; timestamps without one are taken as
    they are. Text must be a year-first date (see `_DATE_RE`) that exists on the calendar.
    """
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC").dt.tz_localize(None).reset_index(drop=True)
    if pd.api.types.is_datetime64_dtype(series):
        return series.reset_index(drop=True)
    texts = _map_distinct(series, _datetime_text, object)
    stamps = pd.to_datetime(
        pd.Series(texts, dtype=object), format="ISO8601", utc=True, errors="coerce"
    )
    return stamps.dt.tz_localize(None)


def looks_like_dates(series: pd.Series) -> bool:
    """Whether every non-missing cell is a date or a parseable year-first date string."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return bool(series.notna().any())
    present = series.notna() & to_text(series).notna()
    if not present.any():
        return False
    return bool(to_datetime(series[present]).notna().all())
