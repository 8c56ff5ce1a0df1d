"""A stable identity for a table's content, so the same data is recognised as the same task."""

from __future__ import annotations

import json
from hashlib import sha256
from typing import Any

import numpy as np
import pandas as pd


def data_fingerprint(X: pd.DataFrame, y: np.ndarray) -> str:
    """A SHA-256 of the data content, the same whatever the order of rows and columns.

    Order-insensitive on purpose: a shuffled or column-reordered export of the same table is
    the same task. Each row (features and target) is hashed with pandas' fixed-key row hash;
    the sorted row hashes, the column names and kinds (numeric or not) and the target's kind
    (class codes or floats) feed the digest. Numeric columns are compared as float64, or as
    float32 when held so (large tables, `data/size.py`): a float64 copy of those would double
    the memory of the run while it is hashed.
    """
    columns: dict[str, Any] = {}
    kinds = []
    for position, name in enumerate(sorted(X.columns, key=str)):
        column = X[name]
        numeric = pd.api.types.is_numeric_dtype(column.dtype)
        kinds.append([str(name), "numeric" if numeric else "text"])
        columns[f"c{position}"] = (
            column.to_numpy(dtype=_hashed_float(column.dtype), na_value=np.nan)
            if numeric
            else column.astype(object).to_numpy()
        )
    target = np.asarray(y)
    target_kind = "float" if target.dtype.kind == "f" else "codes"
    columns["target"] = target.astype(np.float64 if target_kind == "float" else np.int64)
    frame = pd.DataFrame(columns)
    row_hashes = np.sort(pd.util.hash_pandas_object(frame, index=False).to_numpy())
    digest = sha256(json.dumps([kinds, target_kind, len(frame)]).encode())
    digest.update(row_hashes.astype("<u8").tobytes())
    return digest.hexdigest()


def _hashed_float(dtype: Any) -> type:
    return np.float32 if dtype == np.float32 else np.float64
