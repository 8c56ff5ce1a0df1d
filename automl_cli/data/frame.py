"""A pandas DataFrame as training data: the raw frame the file readers would give for it.

Names become stripped text, as a file's header would; duplicate names, an empty frame and
non-frame input are refused. Categorical columns become their values and pandas' nullable
types plain ones with missing cells, so that typing (`infer.py`) sees the kinds it sees in a
file. The row index is not data. The caller's frame is never modified: this works on a copy.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from automl_cli.errors import DataError


def read_frame(data: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """A copy of `data` shaped like a file reader's frame, and notes on how it was read."""
    names = [str(name).strip() or f"Unnamed: {i}" for i, name in enumerate(data.columns)]
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        listed = ", ".join(repr(name) for name in repeated[:5])
        raise DataError(f"the DataFrame has duplicate column names {listed}; rename them")
    if data.shape[1] == 0 or data.shape[0] == 0:
        raise DataError(f"the DataFrame is empty ({data.shape[0]} rows, {data.shape[1]} columns)")
    columns = {name: _plain(data.iloc[:, i]) for i, name in enumerate(names)}
    return pd.DataFrame(columns).reset_index(drop=True), []


def _plain(column: pd.Series) -> pd.Series:
    """The column with numpy dtypes: categories as their values, nullable types with NaN."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.astype(object).where(column.notna(), None)
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return column.copy()
    if isinstance(column.dtype, pd.api.extensions.ExtensionDtype):
        if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(
            column.dtype
        ):
            return column.astype("float64")
        return column.astype(object).where(column.notna(), None)
    return column.copy()
