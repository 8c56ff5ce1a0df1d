"""Reading a CSV file into a raw frame, turning every way a file can be wrong into a DataError.

The header line is parsed here rather than by pandas, so that duplicate names are caught before
pandas renames them (`x`, `x.1`), names are stripped of surrounding spaces, and the separator
can be detected. The body is read by pandas' pyarrow engine (much faster on large files); what
pyarrow cannot parse is re-read by the C engine, whose error messages name the line.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
import warnings
from collections import Counter
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from automl_cli.data.formats import Source, detect_kind, read_columnar
from automl_cli.data.values import READER_NA_VALUES
from automl_cli.errors import DataError

_SNIFF_BYTES = 64 * 1024
_CHUNK_BYTES = 1 << 20
_SEPARATORS = (",", ";", "\t", "|")
_SEPARATOR_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "pipes"}
# Leading bytes of formats people save by mistake instead of CSV (those `formats` reads aside,
# which can still turn up inside a compressed file).
_MAGIC = (
    (b"PAR1", "a Parquet file"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office document (.xls)"),
    (b"\x1f\x8b", "gzip-compressed"),
    (b"BZh", "bzip2-compressed"),
    (b"\xfd7zXZ\x00", "xz-compressed"),
    (b"%PDF", "a PDF document"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"ARROW1", "an Arrow/Feather file"),
    (b"\x89PNG", "a PNG image"),
)


def read_csv(path: str | Path, text_columns: Collection[str] = ()) -> pd.DataFrame:
    """The raw frame of a data file (as the reader typed it), or a DataError naming the fix.

    The file is CSV, compressed or not, Parquet or Feather (`formats`). Used at predict time;
    `Schema.features` turns the frame into model input whatever dtypes the reader chose. An
    encoding fallback is accepted silently here; training reports it. `text_columns` are
    kept as text: numbers written in a format of their own ("1.500" with a decimal comma is
    1500, which the reader would take for 1.5).
    """
    return read_table(path, text_columns)[0]


def read_table(
    path: str | Path, text_columns: Collection[str] = ()
) -> tuple[pd.DataFrame, list[str]]:
    """The raw frame of a data file and notes on how it was read (e.g. an encoding fallback)."""
    file = Path(path)
    kind = detect_kind(file, _first_bytes(file))
    if kind.name != "csv":
        return read_columnar(file, kind.name)
    source = Source(file, kind.compression)
    head = _check_head(source, source.head(_SNIFF_BYTES))
    encoding, notes = _detect_encoding(source, head)
    separator, names, header_lines = _parse_header(source, encoding)
    if separator != ",":
        notes.append(f"{file.name}: columns are separated by {_SEPARATOR_NAMES[separator]}")
    text = set(names) & set(text_columns)
    frame = _read_body(source, encoding, separator, names, header_lines, text)
    if frame.empty:
        raise DataError(f"{file}: has a header but no data rows; add rows below the header line")
    return frame, notes


def _first_bytes(file: Path) -> bytes:
    """The first bytes of the file, after the checks that need no parsing."""
    if not file.exists():
        raise DataError(f"{file}: no such file; check the path")
    if file.is_dir():
        raise DataError(f"{file}: is a folder, not a file; pass the path of a CSV file")
    try:
        with file.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except PermissionError:
        raise DataError(f"{file}: permission denied; make the file readable") from None
    except OSError as exc:
        raise DataError(f"{file}: cannot be read ({exc.strerror}); check the file") from None
    if not head.strip():
        raise DataError(f"{file}: is empty; pass a CSV file with a header row and data rows")
    return head


def _check_head(source: Source, head: bytes) -> bytes:
    """The (decompressed) head of a CSV, refused when it is no CSV text."""
    file = source.file
    inside = f"once {source.compression_name}-decompressed, " if source.compression else ""
    if not head.strip():
        raise DataError(
            f"{file}: {inside}is empty; pass a CSV file with a header row and data rows"
        )
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            raise DataError(f"{file}: {inside}is {kind}, not a CSV; export the data as a .csv file")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataError(f"{file}: is saved as UTF-16 text; re-save it as UTF-8 CSV")
    if b"\x00" in head:
        raise DataError(f"{file}: holds binary data, not CSV text; export the data as a .csv file")
    start = head.lstrip().lstrip(codecs.BOM_UTF8).lstrip()[:64].lower()
    if start.startswith((b"<!doctype", b"<html", b"<?xml")):
        raise DataError(f"{file}: is an HTML/XML page, not a CSV; download the raw .csv file")
    if start.startswith((b"{", b"[")):
        raise DataError(f"{file}: looks like JSON, not CSV; export the data as a .csv file")
    return head


def _decodes(source: Source, encoding: str) -> bool:
    """Whether the whole file decodes; read in chunks so a large file costs no extra memory."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with source.open() as handle:
        try:
            while chunk := handle.read(_CHUNK_BYTES):
                if b"\x00" in chunk:
                    raise DataError(
                        f"{source.file}: holds binary data (NUL bytes); export it as CSV"
                    )
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _detect_encoding(source: Source, head: bytes) -> tuple[str, list[str]]:
    """UTF-8 (with or without a byte-order mark), else Windows-1252 with a note, else an error.

    Windows-1252 is what spreadsheet programs on Windows write by default; it is a superset
    of Latin-1's printable characters. A file that is neither is refused.
    """
    file = source.file
    if _decodes(source, "utf-8"):
        return ("utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"), []
    if _decodes(source, "cp1252"):
        note = f"{file.name}: not valid UTF-8; read as Windows-1252 (Latin-1) text"
        return "cp1252", [note]
    raise DataError(f"{file}: text encoding is neither UTF-8 nor Windows-1252; re-save as UTF-8")


def _parse_header(source: Source, encoding: str) -> tuple[str, list[str], int]:
    """The separator, the stripped column names and how many lines the header takes."""
    file = source.file
    with source.open() as raw, io.TextIOWrapper(raw, encoding=encoding, newline="") as handle:
        skipped = 0
        for line in handle:
            skipped += 1
            if line.strip():
                break
    line = line.rstrip("\r\n")
    fields = {sep: next(csv.reader([line], delimiter=sep)) for sep in _SEPARATORS}
    separator = max(_SEPARATORS, key=lambda sep: len(fields[sep]))  # ties keep the comma
    names = [name.strip() or f"Unnamed: {i}" for i, name in enumerate(fields[separator])]
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        listed = ", ".join(repr(name) for name in repeated[:5])
        raise DataError(
            f"{file}: duplicate column names {listed} in the header; rename them to be unique"
        )
    return separator, names, skipped


def _read_body(
    source: Source,
    encoding: str,
    separator: str,
    names: list[str],
    header_lines: int,
    text: set[str],
) -> pd.DataFrame:
    file = source.file
    options = dict(
        sep=separator,
        header=None,
        skiprows=header_lines,
        encoding=encoding,
        na_values=READER_NA_VALUES,
        keep_default_na=False,
    )
    if separator == ";":  # ';' files often use decimal commas, which only the C engine reads
        options["decimal"] = ","
    elif not text:  # pyarrow's engine would type text columns as numbers first ("1.500": "1.5")
        from pyarrow import ArrowException

        # Whatever pyarrow rejects (ragged rows, odd quoting) gets the C engine's verdict. Read
        # without names: given names, pandas would turn surplus fields into a silent index.
        with source.for_pandas() as data, contextlib.suppress(ValueError, ArrowException):
            frame = pd.read_csv(data, engine="pyarrow", **options)
            if frame.shape[1] == len(names) + 1 and frame.iloc[:, -1].isna().all():
                frame = frame.iloc[:, :-1]  # a trailing separator on every line
            if frame.shape[1] == len(names):
                frame.columns = names
                return frame
    try:
        with warnings.catch_warnings(), source.for_pandas() as data:
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(
                data,
                engine="c",
                names=names,
                index_col=False,
                low_memory=False,
                dtype=dict.fromkeys(text, str),
                **options,
            )
    except pd.errors.ParserWarning:
        raise DataError(
            f"{file}: data rows have more fields than the header's {len(names)} columns; "
            "add the missing header names or remove trailing separators"
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(
            f"{file}: has a header but no data rows; add rows below the header line"
        ) from None
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{file}: {_describe_parser_error(str(exc), len(names))}") from None


def _describe_parser_error(message: str, n_columns: int) -> str:
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if fields:
        return (
            f"line {fields.group(2)} has {fields.group(3)} fields but the header has "
            f"{n_columns}; quote values that contain the separator or fix that row"
        )
    if "EOF inside string" in message:
        row = re.search(r"line (\d+)", message)
        where = f" starting on line {row.group(1)}" if row else ""
        return f'a quoted value{where} is never closed; add the missing closing quote (")'
    first_line = message.strip().splitlines()[0] if message.strip() else "unknown problem"
    return f"cannot be parsed as CSV ({first_line}); check that it is a comma-separated file"
