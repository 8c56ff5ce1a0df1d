"""Reading CSV files: what is accepted, and a one-line DataError for every bad file."""

from __future__ import annotations

import io
import os
import zipfile

import numpy as np
import pandas as pd
import pytest

from automl_cli.data import DataError, load_training_data, read_csv

GOOD = "x,z,y\n1,a,p\n2,b,q\n3,a,p\n4,b,q\n"


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


BAD_FILES = [
    ("empty", b"", ["is empty"]),
    ("blank lines only", b"\n\n  \n", ["is empty"]),
    ("header only", "x,z,y\n", ["no data rows", "add rows"]),
    ("duplicate names", "x,z,x,y\n1,2,3,4\n", ["duplicate column names 'x'", "rename"]),
    ("duplicate after strip", "x, x ,y\n1,2,3\n", ["duplicate column names 'x'"]),
    ("row too long", "x,z,y\n1,2,3\n4,5,6,7\n", ["line 3 has 4 fields", "header has 3"]),
    (
        "every row too long",
        "x,z,y\n0,2,3,9\n1,5,6,7\n",
        ["more fields than the header's 3 columns"],
    ),
    ("unclosed quote", 'x,z,y\n1,"2,3\n4,5,6\n', ["never closed", "quote"]),
    ("parquet", b"PAR1\x15\x04\x15\x10\x00\x00PAR1", ["Parquet file", "export"]),
    ("xlsx", _zip_bytes(), ["ZIP archive", ".xlsx", "export"]),
    ("xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, ["Excel", "export"]),
    ("gzip", b"\x1f\x8b\x08\x00" + b"\x00" * 16, ["gzip-compressed"]),
    ("binary garbage", b"x,y\n\x00\x01\x02\x03\xff\n", ["binary data"]),
    ("NUL late in file", ("x,y\n" + "1,2\n" * 30000).encode() + b"\x00\n", ["NUL bytes"]),
    ("utf-16", "x,y\n1,2\n".encode("utf-16"), ["UTF-16", "re-save it as UTF-8"]),
    ("undecodable", b"x,z,y\n1,\x81\x8d,2\n", ["neither UTF-8 nor Windows-1252", "UTF-8"]),
    ("html page", "<!DOCTYPE html>\n<html><body>404</body></html>\n", ["HTML", "raw .csv"]),
    ("json", '[{"x": 1, "y": 2}]\n', ["JSON", "export"]),
]


@pytest.mark.parametrize(
    ("content", "expected"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
def test_bad_file_is_one_line_data_error(write_csv, content, expected):
    path = write_csv(content)
    for call in (read_csv, lambda p: load_training_data(p, "y")):
        with pytest.raises(DataError) as raised:
            call(path)
        message = str(raised.value)
        assert "\n" not in message and message.startswith(str(path))
        for part in expected:
            assert part in message


def test_missing_file_and_folder_are_named(tmp_path):
    with pytest.raises(DataError, match="no such file; check the path"):
        read_csv(tmp_path / "absent.csv")
    with pytest.raises(DataError, match="is a folder"):
        load_training_data(tmp_path, "y")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_says_permission_denied(write_csv):
    path = write_csv(GOOD)
    path.chmod(0)
    try:
        with pytest.raises(DataError, match="permission denied"):
            read_csv(path)
    finally:
        path.chmod(0o644)


def test_single_column_of_text_is_not_a_table(write_csv):
    path = write_csv("some notes about the data\nanother line\nand more\n")
    with pytest.raises(DataError, match=r"only one column .* separated by commas"):
        load_training_data(path, "y")


def test_header_names_are_stripped_and_blank_names_get_pandas_style_names(write_csv):
    frame = read_csv(write_csv("\n\n  x , y ,\n1,2,\n3,4,\n"))
    assert list(frame.columns) == ["x", "y", "Unnamed: 2"]
    assert frame["x"].tolist() == [1, 3]
    assert frame["Unnamed: 2"].isna().all()


def test_a_trailing_separator_on_every_row_is_ignored(write_csv):
    frame = read_csv(write_csv("x,z,y\n1,2,3,\n4,5,6,\n"))
    assert list(frame.columns) == ["x", "z", "y"]
    assert frame["x"].tolist() == [1, 4] and frame["y"].tolist() == [3, 6]


def test_short_rows_are_padded_with_missing_values(write_csv):
    frame = read_csv(write_csv("x,z,y\n1,2,3\n4,5\n6,7,8\n"))
    assert frame.shape == (3, 3)
    assert np.isnan(frame["y"].iloc[1])
    assert frame["y"].iloc[2] == 8


def test_missing_markers_are_missing(write_csv):
    frame = read_csv(write_csv("a,b\n1,NA\n2,?\n3,null\n4,None\n5,nan\n6,\n7,2.5\n"))
    assert frame["b"].isna().sum() == 6
    assert frame["b"].dtype == np.float64


def test_utf8_bom_is_not_part_of_the_first_name(write_csv):
    frame = read_csv(write_csv(b"\xef\xbb\xbfx,y\n1,2\n"))
    assert list(frame.columns) == ["x", "y"]


def test_windows_1252_file_is_read_with_a_notice(write_csv):
    text = "city,y\nK\xf6ln,1\nM\xfcnchen,0\nK\xf6ln,1\nM\xfcnchen,0\n\u20ac,1\n"
    path = write_csv(text.encode("cp1252"))
    assert read_csv(path)["city"].tolist()[:2] == ["Köln", "München"]
    notices = load_training_data(path, "y").notices
    assert any("Windows-1252" in notice for notice in notices)


def test_semicolon_separated_file_with_decimal_commas(write_csv):
    path = write_csv("x;z;y\n1,5;a;p\n2,5;b;q\n3,25;a;p\n4;b;q\n")
    frame = read_csv(path)
    assert list(frame.columns) == ["x", "z", "y"]
    dataset = load_training_data(path, "y")
    assert dataset.X["x"].tolist() == [1.5, 2.5, 3.25, 4.0]
    assert any("semicolons" in notice for notice in dataset.notices)


def test_tab_separated_file(write_csv):
    frame = read_csv(write_csv("x\tz\ty\n1\ta\tp\n2\tb\tq\n"))
    assert list(frame.columns) == ["x", "z", "y"]
    assert frame["x"].tolist() == [1, 2]


def test_quoted_fields_with_commas_and_newlines(write_csv):
    frame = read_csv(write_csv('x,note,y\n1,"a, b",p\n2,"two\nlines",q\n'))
    assert frame["note"].tolist() == ["a, b", "two\nlines"]


def test_read_csv_returns_all_rows_in_order(write_csv):
    frame = read_csv(write_csv(GOOD))
    assert isinstance(frame, pd.DataFrame)
    assert frame["x"].tolist() == [1, 2, 3, 4]
    assert list(frame.columns) == ["x", "z", "y"]
