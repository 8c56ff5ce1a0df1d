"""The two custom transformers: categorical imputation and native category columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl_cli.space.components import MISSING_LEVEL, CategoricalImputer, CategoryFrame


def categorical_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "colour": pd.Series(["red", "blue", np.nan, "blue", "red"], dtype=object),
            "empty": pd.Series([np.nan] * 5, dtype=object),
        }
    )


def test_most_frequent_breaks_ties_alphabetically_and_empty_columns_get_the_missing_level():
    imputer = CategoricalImputer("most_frequent").fit(categorical_frame())
    assert imputer.fill_ == ["blue", MISSING_LEVEL]
    out = imputer.transform(categorical_frame())
    assert out.dtype == object
    assert out[:, 0].tolist() == ["red", "blue", "blue", "blue", "red"]
    assert out[:, 1].tolist() == [MISSING_LEVEL] * 5
    assert all(isinstance(v, str) for v in out.ravel())


def test_missing_level_strategy_and_pandas_string_dtype_input():
    frame = categorical_frame().astype({"colour": "str"})
    out = CategoricalImputer("missing_level").fit_transform(frame)
    assert out[:, 0].tolist() == ["red", "blue", MISSING_LEVEL, "blue", "red"]
    with pytest.raises(ValueError, match="unknown strategy"):
        CategoricalImputer("mode").fit(frame)
    with pytest.raises(ValueError, match="expected 2 columns"):
        CategoricalImputer().fit(frame).transform(frame[["colour"]])


def test_category_frame_marks_codes_outside_the_training_range_missing():
    train = np.array([[0.5, 0.0], [1.5, 2.0], [2.5, 1.0]])
    frame = CategoryFrame(categorical=(1,)).fit(train)
    assert frame.n_levels_ == [3]
    out = frame.transform(np.array([[9.0, 1.0], [np.nan, 5.0], [1.0, np.nan]]))
    assert list(out.columns) == ["f0", "f1"]
    assert out["f0"].dtype == np.float64 and np.isnan(out["f0"].iloc[1])
    assert isinstance(out["f1"].dtype, pd.CategoricalDtype)
    assert list(out["f1"].cat.categories) == [0, 1, 2]
    assert out["f1"].iloc[0] == 1 and out["f1"].isna().tolist() == [False, True, True]
