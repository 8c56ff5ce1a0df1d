"""Predict time: cells that do not fit their column's trained type are counted per column."""

from __future__ import annotations

import numpy as np
import pytest

from automl_cli.data import load_training_data, read_csv

TRAIN = """size,colour,member,joined,y
1.5,red,yes,2021-03-04,p
2.5,blue,no,2021-03-05,q
3.5,red,yes,2021-03-06,p
4.0,blue,no,2021-03-07,q
5.5,red,yes,2021-03-08,p
6.0,blue,no,2021-03-09,q
"""


@pytest.fixture
def schema(write_csv):
    return load_training_data(write_csv(TRAIN, "train.csv"), "y").schema


def test_clean_rows_have_nothing_unreadable(schema, write_csv):
    X, unreadable = schema.read(read_csv(write_csv(TRAIN, "again.csv")))
    assert unreadable == {}
    assert X.notna().all().all()


def test_each_kind_counts_its_unreadable_cells(schema, write_csv):
    text = (
        "size,colour,member,joined\n"
        "big,purple,maybe,yesterday\n"  # every cell wrong; an unseen level is not misread
        "huge,red,yes,2021-02-30\n"  # no 30 February
        ",,,\n"  # missing cells are missing, not misread
        "NA,blue,n/a,null\n"
        "7,red,no,2021-03-10\n"
    )
    X, unreadable = schema.read(read_csv(write_csv(text)))
    assert unreadable == {"size": 2, "member": 1, "joined": 2}
    assert np.isnan(X["size"].iloc[:4]).all() and X["size"].iloc[4] == 7.0


def test_the_description_names_columns_rows_and_types(schema):
    text = schema.describe_unreadable({"size": 12, "member": 1, "joined": 3})
    assert text == (
        "3 columns hold values that cannot be read as the type the model was trained on: "
        "'size' (12 rows, not numbers), 'member' (1 row, not true/false), "
        "'joined' (3 rows, not dates)"
    )


def test_one_column_is_named_in_the_singular(schema):
    assert schema.describe_unreadable({"size": 2}).startswith("1 column holds values")
