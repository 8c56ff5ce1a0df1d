"""Predict time: Schema.features on new CSV rows, and the schema's JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from automl_cli.data import Column, DataError, Schema, load_training_data, read_csv

TRAIN = """id,size,colour,member,joined,code,note,y
1,1.5,red,yes,2021-03-04 10:30:00,3,,p
2,2.5,blue,no,2021-03-05 11:45:00,4,,q
3,,red,yes,2021-03-06 12:00:00,5,,p
4,4.0,blue,no,2021-03-07 13:15:00,3,,q
5,5.5,red,,2021-03-08 14:30:00,4,,p
6,6.0,green,yes,2021-03-09 15:45:00,5,,q
7,7.5,green,no,2021-03-10 16:00:00,,,p
"""


@pytest.fixture
def trained(write_csv):
    return load_training_data(write_csv(TRAIN, "train.csv"), "y")


def test_training_schema(trained):
    schema = trained.schema
    assert [(c.name, c.kind) for c in schema.columns] == [
        ("size", "numeric"),
        ("colour", "categorical"),
        ("member", "boolean"),
        ("joined", "datetime"),
        ("code", "categorical"),
    ]
    assert dict(schema.dropped) == {
        "id": "ID-like (a distinct integer per row)",
        "note": "all values missing",
    }
    assert schema.categorical == ["colour", "code"]
    assert schema.columns[4].levels == ("3", "4", "5")


def test_features_of_the_training_file_are_the_training_input(trained, write_csv):
    again = trained.schema.features(read_csv(write_csv(TRAIN, "again.csv")))
    pd.testing.assert_frame_equal(again, trained.X)


def test_missing_feature_columns_are_named(trained, write_csv):
    frame = read_csv(write_csv("size,member,code\n1,yes,3\n"))
    with pytest.raises(DataError, match=r"missing feature column\(s\) 'colour', 'joined'") as err:
        trained.schema.features(frame)
    assert "add them to the CSV" in str(err.value)


def test_extra_columns_target_and_order_are_ignored(trained, write_csv):
    text = (
        "code,extra,y,joined,member,colour,size\n"
        "4,zzz,p,2021-03-05 11:45:00,no,blue,2.5\n"
        "3,zzz,q,2021-03-04 10:30:00,yes,red,1.5\n"
    )
    X = trained.schema.features(read_csv(write_csv(text)))
    assert list(X.columns) == trained.schema.feature_names
    expected = trained.X.iloc[[1, 0]].reset_index(drop=True)
    pd.testing.assert_frame_equal(X, expected)


def test_unseen_missing_and_unparseable_values_become_missing(trained, write_csv):
    text = (
        "size,colour,member,joined,code\n"
        "big,purple,maybe,yesterday,9\n"
        ",,,,\n"
        "inf,Red,YES,2021-02-30,3.0\n"
    )
    X = trained.schema.features(read_csv(write_csv(text)))
    assert X.shape == (3, len(trained.schema.feature_names))
    assert X.iloc[:2].isna().all().all()
    row = X.iloc[2]
    assert np.isnan(row["size"])  # infinity
    assert row["colour"] is np.nan  # levels are case-sensitive text
    assert row["member"] == 1.0  # any case of yes
    assert np.isnan(row["joined__year"])  # no 30 February
    assert row["code"] == "3"  # 3.0 prints as the level "3"


def test_columns_typed_differently_by_the_reader_convert_the_same(trained, write_csv):
    # "oops" turns size and code into text columns for the reader; dates stay text too.
    text = (
        "size,colour,member,joined,code\n"
        "2.5,blue,no,2021-03-05T11:45:00,4\n"
        "oops,red,yes,2021-03-04 10:30,oops\n"
    )
    frame = read_csv(write_csv(text))
    assert frame["size"].dtype != np.float64
    X = trained.schema.features(frame)
    pd.testing.assert_series_equal(X.iloc[0], trained.X.iloc[1], check_names=False)
    assert np.isnan(X["size"].iloc[1]) and X["code"].iloc[1] is np.nan
    assert X["joined__hour"].iloc[1] == 10.0 and X["joined__minute"].iloc[1] == 30.0


def test_features_of_an_in_memory_frame_with_python_values(trained):
    frame = pd.DataFrame(
        {
            "size": ["3", None],
            "colour": ["green", np.nan],
            "member": [True, False],
            "joined": pd.to_datetime(["2022-01-02 03:04", None]),
            "code": [5, 4],
        }
    )
    X = trained.schema.features(frame)
    assert X["size"].tolist()[0] == 3.0 and X["colour"].tolist()[0] == "green"
    assert X["member"].tolist() == [1.0, 0.0]
    assert X["joined__year"].iloc[0] == 2022 and np.isnan(X["joined__year"].iloc[1])
    assert X["code"].tolist() == ["5", "4"]
    assert str(X.dtypes["colour"]) == "object" and X.dtypes["size"] == np.float64


def test_schema_round_trips_through_json(trained, write_csv):
    text = json.dumps(trained.schema.to_dict())
    restored = Schema.from_dict(json.loads(text))
    assert restored == trained.schema
    frame = read_csv(write_csv(TRAIN, "again.csv"))
    pd.testing.assert_frame_equal(restored.features(frame), trained.X)


@pytest.mark.parametrize(
    "broken",
    [
        {},
        {"version": 99, "target": "y", "columns": [], "dropped": []},
        {"version": 1, "target": "y", "columns": [{"kind": "numeric"}], "dropped": []},
        {"version": 1, "target": "y", "columns": [{"name": "a", "kind": "text"}], "dropped": []},
        {"version": 1, "target": "y", "columns": "abc", "dropped": [["a"]]},
    ],
)
def test_a_malformed_schema_is_refused(broken):
    with pytest.raises(DataError, match="re-train the model"):
        Schema.from_dict(broken)


def test_date_parts_are_fixed_by_the_schema_not_by_new_rows():
    schema = Schema(
        columns=(Column("d", "datetime", parts=("year", "month", "day", "dayofweek")),),
        dropped=(),
        target="y",
    )
    X = schema.features(pd.DataFrame({"d": ["2021-03-04 10:30"]}))
    assert list(X.columns) == ["d__year", "d__month", "d__day", "d__dayofweek"]
    assert X.iloc[0].tolist() == [2021.0, 3.0, 4.0, 3.0]
