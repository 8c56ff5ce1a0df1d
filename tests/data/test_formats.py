"""Reading the formats besides plain CSV: compressed CSV, Parquet and Feather give the frame the
plain CSV gives, whatever the file is named; damaged ones are one-line DataErrors."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile

import numpy as np
import pandas as pd
import pytest

from automl_cli.data import DataError, load_training_data, read_csv
from automl_cli.data.formats import table_name
from automl_cli.data.read import read_table

GOOD = "x,z,when,y\n" + "".join(
    f"{i * 0.5},{'uvw'[i % 3]},2024-03-{i % 28 + 1:02d},{'pq'[i % 2]}\n" for i in range(30)
)
COMPRESSORS = {"gzip": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}


def zip_of(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def columnar(kind: str, frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer) if kind == "parquet" else frame.to_feather(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("method", sorted(COMPRESSORS))
def test_compressed_csv_reads_as_the_plain_file(write_csv, method):
    plain = read_csv(write_csv(GOOD))
    # named .csv on purpose: the content decides
    packed = read_csv(write_csv(COMPRESSORS[method](GOOD.encode()), "packed.csv"))
    pd.testing.assert_frame_equal(packed, plain)


def test_a_zip_of_one_csv_reads_as_the_plain_file(write_csv):
    plain = read_csv(write_csv(GOOD))
    members = {"data/": b"", "data/t.csv": GOOD.encode(), "__MACOSX/data/._t.csv": b"\x00\x05"}
    pd.testing.assert_frame_equal(read_csv(write_csv(zip_of(**members), "t.zip")), plain)


@pytest.mark.parametrize("kind", ["parquet", "feather"])
def test_parquet_and_feather_train_like_the_csv(write_csv, kind):
    from_csv = load_training_data(write_csv(GOOD), "y")
    frame = pd.read_csv(io.StringIO(GOOD))
    frame["z"] = frame["z"].astype("category")  # dictionary-encoded in the file
    frame["when"] = pd.to_datetime(frame["when"])  # a real timestamp column
    typed = load_training_data(write_csv(columnar(kind, frame), f"t.{kind}"), "y")
    assert typed.schema.feature_names == from_csv.schema.feature_names
    assert [c.kind for c in typed.schema.columns] == [c.kind for c in from_csv.schema.columns]
    np.testing.assert_array_equal(typed.y, from_csv.y)
    pd.testing.assert_frame_equal(typed.X, from_csv.X)


def test_a_pandas_index_stored_in_parquet_is_a_column(write_csv):
    frame = pd.read_csv(io.StringIO(GOOD)).set_index("x")
    read = read_csv(write_csv(columnar("parquet", frame), "t.parquet"))
    assert list(read.columns) == ["x", "z", "when", "y"]
    assert read["x"].tolist() == frame.index.tolist()


def test_columns_of_lists_and_bytes_are_dropped_with_a_note(write_csv):
    frame = pd.DataFrame({"x": [1.0, 2.0], "tags": [[1], [2, 3]], "raw": [b"a", b"b"], "y": [0, 1]})
    read, notes = read_table(write_csv(columnar("parquet", frame), "t.parquet"))
    assert list(read.columns) == ["x", "y"]
    assert any("'tags'" in note for note in notes) and any("'raw'" in note for note in notes)


def test_semicolons_and_decimal_commas_survive_compression(write_csv):
    text = "a;b;y\n" + "".join(f"1.00{i % 3},5;{i % 3};{'pq'[i % 2]}\n" for i in range(12))
    dataset = load_training_data(write_csv(gzip.compress(text.encode()), "semi.csv.gz"), "y")
    assert dataset.X["a"].tolist() == [1000 + i % 3 + 0.5 for i in range(12)]
    assert dataset.name == "semi"


def test_text_columns_stay_text_in_compressed_csv(write_csv):
    text = "a;y\n1.500;p\n2.250;q\n"
    frame = read_csv(write_csv(bz2.compress(text.encode()), "rows.bz2"), text_columns=["a"])
    assert frame["a"].tolist() == ["1.500", "2.250"]


BAD = [
    ("empty gzip", "d.csv.gz", gzip.compress(b""), ["once gzip-decompressed, is empty"]),
    ("truncated bz2", "d.bz2", bz2.compress(GOOD.encode())[:60], ["bzip2-compressed", "damaged"]),
    ("xz of a parquet", "d.xz", lzma.compress(b"PAR1" + bytes(20)), ["xz-decompressed", "Parquet"]),
    (
        "zip of two files",
        "d.zip",
        zip_of(**{"a.csv": b"x,y\n1,2\n", "b.csv": b"x,y\n1,2\n"}),
        ["2 files (a.csv, b.csv)", "exactly one"],
    ),
    ("empty zip", "d.zip", zip_of(), ["holding no file"]),
    ("broken zip", "d.zip", b"PK\x03\x04" + bytes(64), ["ZIP-compressed", "damaged"]),
    ("office document", "d.zip", zip_of(**{"[Content_Types].xml": b"<x/>"}), [".xlsx"]),
    ("corrupt parquet", "d.parquet", b"PAR1" + bytes(40) + b"PAR1", ["Parquet file", "export"]),
    ("corrupt feather", "d.feather", b"ARROW1" + bytes(40), ["Feather (Arrow) file"]),
    ("csv named parquet", "d.parquet", GOOD.encode(), ["named .parquet", "does not start like"]),
]


@pytest.mark.parametrize(
    ("name", "content", "expected"), [c[1:] for c in BAD], ids=[c[0] for c in BAD]
)
def test_damaged_files_are_one_line_data_errors(write_csv, name, content, expected):
    path = write_csv(content, name)
    for call in (read_csv, lambda p: load_training_data(p, "y")):
        with pytest.raises(DataError) as raised:
            call(path)
        message = str(raised.value)
        assert "\n" not in message and message.startswith(str(path))
        for part in expected:
            assert part in message


def test_truncated_parquet_is_refused(write_csv):
    whole = columnar("parquet", pd.read_csv(io.StringIO(GOOD)))
    with pytest.raises(DataError, match="is a Parquet file that cannot be read"):
        read_csv(write_csv(whole[: len(whole) // 2], "d.parquet"))


def test_empty_parquet_is_refused(write_csv):
    empty = pd.read_csv(io.StringIO(GOOD)).iloc[:0]
    with pytest.raises(DataError, match="has columns but no rows"):
        read_csv(write_csv(columnar("parquet", empty), "d.parquet"))


@pytest.mark.parametrize(
    ("name", "expected"),
    [("sales.csv.gz", "sales"), ("sales.parquet", "sales"), ("v1.2.csv", "v1.2"), (".csv", ".csv")],
)
def test_table_name_drops_data_and_compression_extensions(tmp_path, name, expected):
    assert table_name(tmp_path / name) == expected
