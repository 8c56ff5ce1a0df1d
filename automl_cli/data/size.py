"""When a table counts as large, the one threshold behind every large-data rule.

On a large table the model input is held in compact types (`Schema.features(compact=True)`:
float32 numbers, pandas categoricals), and the search starts on small subsamples instead of
running the warm start's configs straight on all rows (`automl_cli/scale.py`). The threshold
lies far above every dataset of the shipped knowledge base (the largest has 720,000 cells), so
small tables are read, searched and fingerprinted exactly as before.
"""

from __future__ import annotations

LARGE_CELLS = 10_000_000  # rows x feature columns (80 MB as float64)


def is_large(n_rows: int, n_columns: int) -> bool:
    """Whether a table of this shape gets the large-data rules."""
    return n_rows * n_columns >= LARGE_CELLS
