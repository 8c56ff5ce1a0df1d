"""Column typing at training time: kinds, dropped columns, levels and the model input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl_cli.data import DataError, load_training_data

N = 40


def _load(tmp_path, columns: dict, target: str = "y", **csv_options):
    frame = pd.DataFrame(columns)
    if target not in frame:
        frame[target] = ["p", "q"] * (len(frame) // 2)
    path = tmp_path / "train.csv"
    frame.to_csv(path, index=csv_options.pop("index", False), **csv_options)
    return load_training_data(path, target)


def _kinds(dataset) -> dict[str, str]:
    return {column.name: column.kind for column in dataset.schema.columns}


def test_every_kind_in_one_table(tmp_path):
    rng = np.random.default_rng(0)
    dataset = _load(
        tmp_path,
        {
            "num": rng.normal(size=N),
            "cat": ["red", "green", "blue", "red"] * (N // 4),
            "flag": ["yes", "no", "no", "yes"] * (N // 4),
            "truth": [True, False] * (N // 2),
            "day": [f"2021-03-{d % 28 + 1:02d}" for d in range(N)],
            "stamp": [f"2021/03/04 10:{m:02d}:00" for m in range(N)],
            "small_int": [i % 4 for i in range(N)],
            "two_int": [i % 2 + 1 for i in range(N)],
            "many_int": rng.permutation(N) * 3,
            "const": [7] * N,
            "empty": [None] * N,
        },
    )
    assert _kinds(dataset) == {
        "num": "numeric",
        "cat": "categorical",
        "flag": "boolean",
        "truth": "boolean",
        "day": "datetime",
        "stamp": "datetime",
        "small_int": "categorical",
        "two_int": "numeric",
        "many_int": "numeric",
    }
    assert dict(dataset.schema.dropped) == {
        "const": "constant (every value is '7')",
        "empty": "all values missing",
    }
    assert dataset.schema.feature_names == [
        *("num", "cat", "flag", "truth"),
        *(f"day__{part}" for part in ("year", "month", "day", "dayofweek")),
        *(f"stamp__{part}" for part in ("year", "month", "day", "dayofweek", "hour", "minute")),
        *("small_int", "two_int", "many_int"),
    ]
    assert dataset.schema.categorical == ["cat", "small_int"]
    X = dataset.X
    assert list(X.columns) == dataset.schema.feature_names
    assert {str(X[c].dtype) for c in ("cat", "small_int")} == {"object"}
    assert all(X[c].dtype == np.float64 for c in X.columns if c not in ("cat", "small_int"))
    assert X["flag"].tolist()[:4] == [1.0, 0.0, 0.0, 1.0]
    assert X["stamp__minute"].tolist()[:3] == [0.0, 1.0, 2.0]
    assert X["day__dayofweek"].iloc[0] == 0.0  # 2021-03-01 was a Monday
    assert X["small_int"].tolist()[:4] == ["0", "1", "2", "3"]
    assert isinstance(X.index, pd.RangeIndex) and X.index[0] == 0
    assert any("dropped column 'const'" in notice for notice in dataset.notices)


def test_integer_columns_dropped_only_when_they_look_like_an_index(tmp_path):
    rng = np.random.default_rng(1)
    dataset = _load(
        tmp_path,
        {
            "customer_id": rng.choice(np.arange(10_000, 99_999), size=N, replace=False),
            "PassengerId": rng.permutation(N) + 500,
            "seq": np.arange(1, N + 1),
            "score": rng.permutation(N) * 7 + 3,
            "measured": rng.permutation(N),  # unique, a shuffled range, not named like a key
        },
        index=True,
    )
    dropped = dict(dataset.schema.dropped)
    assert set(dropped) == {"Unnamed: 0", "customer_id", "PassengerId", "seq"}
    assert all(reason.startswith("ID-like") for reason in dropped.values())
    assert _kinds(dataset) == {"score": "numeric", "measured": "numeric"}


def test_text_with_no_repeated_value_is_dropped(tmp_path):
    dataset = _load(tmp_path, {"name": [f"person {i}" for i in range(N)], "x": np.arange(N) % 5})
    assert dict(dataset.schema.dropped)["name"] == "no value occurs twice (ID-like or free text)"


def test_levels_are_capped_and_rare_values_read_as_missing(tmp_path):
    values = ["top"] * 10 + [f"v{i:03d}" for i in range(260) for _ in range(2)] + ["once"]
    values += ["top"] * (len(values) % 2)
    dataset = _load(tmp_path, {"text": values})
    (column,) = dataset.schema.columns
    assert len(column.levels) == 200 and "top" in column.levels and "once" not in column.levels
    assert list(column.levels) == sorted(column.levels)
    assert dataset.X["text"].isna().sum() == 61 * 2 + 1  # 199 of the v-levels fit beside "top"
    assert any("kept the 200 most frequent of 262 values" in n for n in dataset.notices)


def test_integer_levels_print_canonically_and_sort_by_number(tmp_path):
    dataset = _load(tmp_path, {"k": ([2, 10, 3, None] * (N // 4)), "x": np.arange(N) % 7 / 2})
    (column,) = [c for c in dataset.schema.columns if c.name == "k"]
    assert column.kind == "categorical" and column.levels == ("2", "3", "10")
    assert dataset.X["k"].iloc[:3].tolist() == ["2", "10", "3"]
    assert dataset.X["k"].iloc[3] is np.nan
    assert all(isinstance(v, str) for v in dataset.X["k"].dropna())


def test_numeric_text_with_a_few_stray_words_is_numeric(tmp_path):
    values = [str(i / 4) for i in range(N)]
    values[5] = "n.a."
    dataset = _load(tmp_path, {"x": values})
    assert _kinds(dataset) == {"x": "numeric"}
    assert np.isnan(dataset.X["x"].iloc[5]) and dataset.X["x"].iloc[6] == 1.5
    assert any("1 non-numeric value(s) ('n.a.')" in notice for notice in dataset.notices)


def test_mostly_words_stay_categorical(tmp_path):
    dataset = _load(tmp_path, {"doors": ["2", "3", "4", "5more"] * (N // 4)})
    assert _kinds(dataset) == {"doors": "categorical"}
    assert dataset.schema.columns[0].levels == ("2", "3", "4", "5more")


def test_infinities_are_missing_in_the_model_input(tmp_path):
    dataset = _load(tmp_path, {"x": [1.5, np.inf, -np.inf, 2.25] * (N // 4)})
    assert dataset.X["x"].isna().sum() == N // 2
    assert np.isfinite(dataset.X["x"].dropna()).all()


def test_one_value_beside_missing_cells_is_kept(tmp_path):
    dataset = _load(tmp_path, {"mark": ["Y", None] * (N // 2), "code": ["A", ""] * (N // 2)})
    assert _kinds(dataset) == {"mark": "boolean", "code": "categorical"}
    assert dataset.X["mark"].tolist()[:2][0] == 1.0 and np.isnan(dataset.X["mark"].iloc[1])


def test_two_spellings_of_true_stay_categorical(tmp_path):
    dataset = _load(tmp_path, {"answer": ["y", "yes", "no", "no"] * (N // 4)})
    assert _kinds(dataset) == {"answer": "categorical"}


def test_text_is_stripped_and_missing_markers_are_missing(tmp_path):
    dataset = _load(tmp_path, {"c": [" a", "a ", "NA", "?", " null ", "b", "b", "None"] * 5})
    assert dataset.schema.columns[0].levels == ("a", "b")
    assert dataset.X["c"].isna().sum() == 20


def test_dates_with_offsets_are_converted_to_utc(tmp_path):
    stamps = ["2021-03-04T23:30:00+02:00", "2021-03-05T01:15:00Z"] * (N // 2)
    dataset = _load(tmp_path, {"at": stamps, "x": np.arange(N) % 3 * 1.5})
    assert dataset.X["at__hour"].tolist()[:2] == [21.0, 1.0]
    assert dataset.X["at__minute"].tolist()[:2] == [30.0, 15.0]


def test_day_first_dates_are_not_guessed(tmp_path):
    dataset = _load(tmp_path, {"when": ["04/03/2021", "05/03/2021"] * (N // 2)})
    assert _kinds(dataset) == {"when": "categorical"}


def test_impossible_dates_are_not_dates(tmp_path):
    dataset = _load(tmp_path, {"when": ["2021-02-30", "2021-02-28"] * (N // 2)})
    assert _kinds(dataset) == {"when": "categorical"}


def test_date_parts_clashing_with_a_column_name_is_an_error(tmp_path):
    with pytest.raises(DataError, match=r"'d__year' clash .* rename"):
        _load(
            tmp_path,
            {"d": ["2021-03-04", "2022-05-06"] * (N // 2), "d__year": np.arange(N) % 5 * 1.5},
        )


def test_levels_are_judged_on_rows_with_a_target(tmp_path):
    dataset = _load(
        tmp_path,
        {"c": ["a", "a", "b", "b", "z", "z"], "y": ["p", "q", "p", "q", None, None]},
    )
    assert dataset.schema.columns[0].levels == ("a", "b")
    assert len(dataset.y) == 4
