"""Numbers written for people: thousands separators and decimal commas, at training and predict."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from automl_cli.data import Column, DataError, Schema, load_training_data, read_csv

VALUES = [1234.56, 987.5, 1234567.25, -45.75, 20000.0, 3.25]
WRITTEN = {
    "comma_thousands": ["1,234.56", "987.5", "1,234,567.25", "-45.75", "20,000", "3.25"],
    "point_thousands": ["1.234,56", "987,5", "1.234.567,25", "-45,75", "20.000", "3,25"],
    "space_thousands": ["1 234,56", "987,5", "1 234 567,25", "-45,75", "20 000", "3,25"],
    "narrow_space": [
        "1\u202f234,56",
        "987,5",
        "1\u202f234\u202f567,25",
        "-45,75",
        "20\u00a0000",
        "3,25",
    ],
    "apostrophe": ["1'234.56", "987.5", "1'234'567.25", "-45.75", "20'000", "3.25"],
    "space_point": ["1 234.56", "987.5", "1 234 567.25", "-45.75", "20 000", "3.25"],
}
FORMAT_OF = {
    "comma_thousands": "1,234.5",
    "point_thousands": "1.234,5",
    "space_thousands": "1.234,5",
    "narrow_space": "1.234,5",
    "apostrophe": "1,234.5",
    "space_point": "1,234.5",
}
REPEAT = 4  # rows per value, so that every column has values seen more than once


def _write(tmp_path, columns: dict, name: str = "train.csv", sep: str = ","):
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame({**columns, "y": (["p", "q"] * n)[:n]})
    path = tmp_path / name
    frame.to_csv(path, index=False, sep=sep)
    return path


def _column(dataset, name: str) -> Column:
    return next(column for column in dataset.schema.columns if column.name == name)


def test_each_written_form_is_read_as_the_same_numbers(tmp_path):
    columns = {name: texts * REPEAT for name, texts in WRITTEN.items()}
    dataset = load_training_data(_write(tmp_path, columns), "y")
    for name in WRITTEN:
        column = _column(dataset, name)
        assert (column.kind, column.number_format) == ("numeric", FORMAT_OF[name]), name
        np.testing.assert_allclose(dataset.X[name].to_numpy(), VALUES * REPEAT, err_msg=name)
    assert not [n for n in dataset.notices if "thousands" in n]  # nothing was ambiguous


def test_decimal_commas_alone(tmp_path):
    dataset = load_training_data(_write(tmp_path, {"pi": ["3,14", "2,72", "1,41", "0,5"] * 5}), "y")
    assert _column(dataset, "pi").number_format == "1.234,5"
    np.testing.assert_allclose(dataset.X["pi"], [3.14, 2.72, 1.41, 0.5] * 5)


def test_a_comma_before_three_digits_everywhere_is_a_thousands_separator_with_a_notice(tmp_path):
    # "1,234" is 1234 (thousands) or 1.234 (decimal comma): the documented rule takes thousands
    path = _write(tmp_path, {"price": ["1,234", "5,600", "12,000", "999"] * 5})
    dataset = load_training_data(path, "y")
    assert _column(dataset, "price").number_format == "1,234.5"
    np.testing.assert_allclose(dataset.X["price"], [1234, 5600, 12000, 999] * 5)
    [notice] = [n for n in dataset.notices if "'price'" in n]
    assert "'1,234'" in notice and "thousands separator (1234)" in notice


def test_one_value_that_settles_the_convention_removes_the_ambiguity(tmp_path):
    # "12,5" cannot be a thousands group, so every comma is a decimal comma
    dataset = load_training_data(_write(tmp_path, {"w": ["1,234", "12,5", "7,000"] * 6}), "y")
    assert _column(dataset, "w").number_format == "1.234,5"
    np.testing.assert_allclose(dataset.X["w"], [1.234, 12.5, 7.0] * 6)
    assert not [n for n in dataset.notices if "'w'" in n]


@pytest.mark.parametrize(
    "texts",
    [
        ["1,234.5", "1.234,5", "7", "8"],  # two conventions in one column
        ["1,23,456", "2,000", "7", "8"],  # groups of two digits (lakh) are not thousands
        ["1,234", "12,34.5", "7", "8"],  # a group of two before the decimals
        ["1,234.5", "lots", "7", "8"],  # a word
        ["1.234 567", "2,000", "7", "8"],  # two group separators in one value
    ],
)
def test_a_column_without_one_consistent_format_stays_text(tmp_path, texts):
    dataset = load_training_data(_write(tmp_path, {"v": texts * 5}), "y")
    column = _column(dataset, "v")
    assert column.kind == "categorical" and column.number_format == ""


def test_plain_numbers_keep_their_reading(tmp_path):
    # "1.234" is a plain decimal number, as Python and every CSV reader take it
    dataset = load_training_data(_write(tmp_path, {"v": ["1.234", "2.5", "3.75"] * 6}), "y")
    assert _column(dataset, "v").number_format == ""
    np.testing.assert_allclose(dataset.X["v"], [1.234, 2.5, 3.75] * 6)


def test_semicolon_files_with_thousands_points(tmp_path):
    columns = {"amount": WRITTEN["point_thousands"] * REPEAT, "rate": ["0,5", "1,25"] * 12}
    dataset = load_training_data(_write(tmp_path, columns, sep=";"), "y")
    np.testing.assert_allclose(dataset.X["amount"], VALUES * REPEAT)
    np.testing.assert_allclose(dataset.X["rate"], [0.5, 1.25] * 12)


def test_formatted_integers_are_quantities_not_codes(tmp_path):
    # three distinct integers would make a plain column categorical; written with separators,
    # they are amounts
    dataset = load_training_data(_write(tmp_path, {"n": ["1,000", "2,000", "5,000"] * 6}), "y")
    assert _column(dataset, "n").kind == "numeric"


def test_predict_reads_through_the_stored_format(tmp_path):
    columns = {"de": WRITTEN["point_thousands"] * REPEAT, "en": WRITTEN["comma_thousands"] * 4}
    dataset = load_training_data(_write(tmp_path, columns), "y")
    stored = json.loads(json.dumps(dataset.schema.to_dict()))
    assert stored["version"] == 2
    schema = Schema.from_dict(stored)
    assert schema == dataset.schema

    # predict rows: the same conventions, then values that only fit the other one
    new = {"de": ["2.500,75", "3,5", "1,234.5"], "en": ["2,500.75", "3.5", "1.234,5"]}
    X, unreadable = schema.read(read_csv(_write(tmp_path, new, "new.csv")))
    np.testing.assert_allclose(X["de"], [2500.75, 3.5, np.nan])
    np.testing.assert_allclose(X["en"], [2500.75, 3.5, np.nan])
    assert unreadable == {"de": 1, "en": 1}


def test_schemas_without_formats_stay_version_1(tmp_path):
    dataset = load_training_data(_write(tmp_path, {"v": ["1.5", "2.5", "3.25"] * 6}), "y")
    stored = dataset.schema.to_dict()
    assert stored["version"] == 1
    assert "number_format" not in stored["columns"][0]
    assert Schema.from_dict(stored) == dataset.schema


def test_an_unknown_number_format_is_refused():
    stored = Schema((Column("v", "numeric", number_format="1,234.5"),), (), "y").to_dict()
    stored["columns"][0]["number_format"] = "1_234.5"
    with pytest.raises(DataError, match="re-train"):
        Schema.from_dict(stored)


def test_predict_files_whose_values_look_plain_keep_the_trained_format(tmp_path):
    # "1.500" in a decimal-comma column is 1500; the reader alone would take it for 1.5
    columns = {"amount": WRITTEN["point_thousands"] * REPEAT}
    dataset = load_training_data(_write(tmp_path, columns, sep="\t"), "y")
    schema = dataset.schema
    assert schema.formatted_columns == ["amount"]
    path = _write(tmp_path, {"amount": ["1.500", "2.000", "", "3.250"]}, "new.csv", "\t")
    assert read_csv(path)["amount"].iloc[0] == 1.5
    X, unreadable = schema.read(read_csv(path, text_columns=schema.formatted_columns))
    np.testing.assert_allclose(X["amount"], [1500, 2000, np.nan, 3250])
    assert unreadable == {}


def test_a_formatted_number_too_large_for_a_float_is_missing_not_infinite():
    from automl_cli.data.values import parse_number

    assert parse_number("1,234.5", "1,234.5") == 1234.5
    assert np.isnan(parse_number("9" * 400 + ",5", "1.234,5"))
    assert parse_number("1,234.5", "1.234,5") is None
