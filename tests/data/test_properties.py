"""Property: any small mixed-type CSV either loads into clean model input or raises DataError."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automl_cli.data import TASKS, DataError, Schema, load_training_data, read_csv

TOKENS = ["a", "b", " c ", "NA", "?", "", "null", "yes", "no", "True", "x,y", 'say "hi"', "é"]
DATES = ["2021-03-04", "2021-03-04 10:30:00", "2021/12/31", "2021-02-30", "04/03/2021"]

cells = st.one_of(
    st.none(),
    st.integers(-5, 5),
    st.integers(-(2**62), 2**62),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.booleans(),
    st.sampled_from(TOKENS + DATES),
    st.text(alphabet="ab1.- \n", max_size=4),
)


@st.composite
def columns(draw, n_rows: int) -> list:
    """One column: a single kind of value (most real columns) or a mixture."""
    kind = draw(st.sampled_from(["int", "float", "token", "date", "bool", "mixed"]))
    element = {
        "int": st.one_of(st.none(), st.integers(0, 4)),
        "float": st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)),
        "token": st.sampled_from(TOKENS),
        "date": st.sampled_from(DATES[:3] + [""]),
        "bool": st.sampled_from(["yes", "no", ""]),
        "mixed": cells,
    }[kind]
    return draw(st.lists(element, min_size=n_rows, max_size=n_rows))


@st.composite
def tables(draw) -> pd.DataFrame:
    n_rows = draw(st.integers(1, 30))
    n_features = draw(st.integers(1, 4))
    names = draw(
        st.lists(
            st.sampled_from(["f", "g", "h", "id", " k ", "f__year", "y "]),
            min_size=n_features,
            max_size=n_features,
        )
    )
    data = {f"{name}#{i}" if i else name: draw(columns(n_rows)) for i, name in enumerate(names)}
    data["y"] = draw(columns(n_rows))
    return pd.DataFrame(data)


@settings(
    max_examples=80,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frame=tables(), task=st.sampled_from(["auto", *TASKS]))
def test_any_table_loads_cleanly_or_raises_data_error(tmp_path, frame, task):
    path = tmp_path / "random.csv"
    frame.to_csv(path, index=False)
    try:
        dataset = load_training_data(path, "y", task=task)
    except DataError as error:
        assert str(error) and "\n" not in str(error)
        return
    X = dataset.X
    assert list(X.columns) == dataset.schema.feature_names
    assert len(X) == len(dataset.y) > 0 and X.index.equals(pd.RangeIndex(len(X)))
    assert set(map(str, X.dtypes)) <= {"float64", "object"}
    numeric = X.select_dtypes("float64").to_numpy()
    assert not np.isinf(numeric).any()
    for name in dataset.schema.categorical:
        assert all(isinstance(v, str) or (isinstance(v, float) and math.isnan(v)) for v in X[name])
    assert dataset.task in TASKS
    if dataset.task == "regression":
        assert dataset.y.dtype == np.float64 and np.isfinite(dataset.y).all()
    else:
        assert dataset.y.dtype == np.int64
        assert set(dataset.y.tolist()) == set(range(len(dataset.classes)))
        assert list(dataset.classes) == sorted(dataset.classes)
        assert all(type(c) in (str, int, float) for c in dataset.classes)
    restored = Schema.from_dict(json.loads(json.dumps(dataset.schema.to_dict())))
    again = restored.features(read_csv(path))
    assert list(again.columns) == list(X.columns) and len(again) == len(frame)
