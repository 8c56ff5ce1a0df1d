"""Which kind of table a data file holds, and the readers of the binary kinds.

The kind is told by the file's first bytes, so a Parquet file named `.csv` is still read; the
name only decides when the content does not (a file named `.parquet` that does not start like
one is damaged). CSV may come compressed (gzip, bzip2, xz or a ZIP archive of one file): it
is then decompressed as a stream, never to disk. Parquet and Feather (Arrow IPC) files are
read by pyarrow and made to look like what the CSV reader returns, so that column typing and
predict see one kind of frame whatever the file.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pandas as pd

from automl_cli.errors import DataError

# (leading bytes, kind, compression): checked in this order
_SIGNATURES = (
    (b"PAR1", "parquet", None),
    (b"ARROW1", "feather", None),
    (b"FEA1", "feather", None),  # Feather version 1
    (b"\x1f\x8b", "csv", "gzip"),
    (b"BZh", "csv", "bz2"),
    (b"\xfd7zXZ\x00", "csv", "xz"),
    (b"PK\x03\x04", "csv", "zip"),
    (b"PK\x05\x06", "csv", "zip"),  # an empty ZIP archive
)
_EXTENSIONS = {".parquet": "parquet", ".pq": "parquet", ".feather": "feather", ".arrow": "feather"}
_KIND_NAMES = {"parquet": "Parquet", "feather": "Feather (Arrow)"}
_COMPRESSION_NAMES = {"gzip": "gzip", "bz2": "bzip2", "xz": "xz", "zip": "ZIP"}
_SUFFIXES = {".csv", ".tsv", ".txt", ".gz", ".bz2", ".xz", ".zip", *_EXTENSIONS}
# What a damaged compressed stream raises while it is read (gzip.BadGzipFile is an OSError).
_DECOMPRESSION_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)


@dataclass(frozen=True)
class Kind:
    """What a data file holds: "csv", "parquet" or "feather", and the CSV's compression."""

    name: str
    compression: str | None = None


def detect_kind(file: Path, head: bytes) -> Kind:
    """The kind of `file` from its first bytes `head`, else from its name."""
    for signature, name, compression in _SIGNATURES:
        if head.startswith(signature):
            return Kind(name, compression)
    suffix = file.suffix.lower()
    if suffix in _EXTENSIONS:
        kind = _KIND_NAMES[_EXTENSIONS[suffix]]
        raise DataError(
            f"{file}: is named {suffix} but does not start like a {kind} file; it is damaged "
            "or another format: export it again"
        )
    return Kind("csv")


def table_name(file: Path) -> str:
    """The file's name without its data and compression extensions: `sales.csv.gz` is sales."""
    name = file.name
    while Path(name).suffix.lower() in _SUFFIXES and Path(name).stem:
        name = Path(name).stem
    return name


@dataclass(frozen=True)
class Source:
    """A CSV file and its compression, opened as a stream of its decompressed bytes."""

    file: Path
    compression: str | None

    @contextlib.contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """The decompressed bytes; a damaged compressed file is a DataError."""
        if self.compression is None:
            with self.file.open("rb") as handle:
                yield handle
            return
        try:
            with self._decompressed() as handle:
                yield handle
        except _DECOMPRESSION_ERRORS as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else "no data"
            raise DataError(
                f"{self.file}: is {self.compression_name}-compressed but cannot be decompressed "
                f"({reason}); the file is truncated or damaged: compress or download it again"
            ) from None

    @contextlib.contextmanager
    def for_pandas(self) -> Iterator[Path | IO[bytes]]:
        """What pandas reads: the path itself when plain (as fast as it gets), else the stream."""
        if self.compression is None:
            yield self.file
        else:
            with self.open() as handle:
                yield handle

    def head(self, size: int) -> bytes:
        """The first `size` decompressed bytes."""
        with self.open() as handle:
            return handle.read(size)

    @property
    def compression_name(self) -> str:
        return _COMPRESSION_NAMES.get(self.compression, "")

    def _decompressed(self) -> contextlib.AbstractContextManager[IO[bytes]]:
        if self.compression == "zip":
            return _zip_member(self.file)
        opener = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}[self.compression]
        return opener(self.file, "rb")


@contextlib.contextmanager
def _zip_member(file: Path) -> Iterator[IO[bytes]]:
    """The one data file in a ZIP archive (folders and macOS metadata aside)."""
    with zipfile.ZipFile(file) as archive:
        names = archive.namelist()
        if "[Content_Types].xml" in names or any(n.startswith("xl/") for n in names):
            raise DataError(
                f"{file}: is an .xlsx workbook or another Office document (a ZIP archive of "
                "XML), not a CSV; export the data as a .csv file"
            )
        members = [n for n in names if not n.endswith("/") and not n.startswith("__MACOSX/")]
        if len(members) != 1:
            shown = ", ".join(members[:3]) + (", ..." if len(members) > 3 else "")
            held = f"{len(members)} files ({shown})" if members else "no file"
            raise DataError(
                f"{file}: is a ZIP archive holding {held}; a ZIP must hold exactly one CSV "
                "file: extract the one you mean and pass it"
            )
        with archive.open(members[0]) as handle:
            yield handle


def read_columnar(file: Path, kind: str) -> tuple[pd.DataFrame, list[str]]:
    """A Parquet or Feather file as a raw frame like the CSV reader's, and notes on it.

    Dictionary (categorical) columns become their values and decimals floats; columns of
    lists, structures or raw bytes are dropped with a note, as no model can take them.
    """
    import pyarrow as pa
    from pyarrow import feather, parquet

    try:
        table = parquet.read_table(file) if kind == "parquet" else feather.read_table(file)
    except (pa.ArrowException, OSError, ValueError) as error:
        reason = str(error).strip().splitlines()[0][:160] if str(error).strip() else "unknown"
        raise DataError(
            f"{file}: is a {_KIND_NAMES[kind]} file that cannot be read ({reason}); it is "
            "truncated or damaged: export it again"
        ) from None
    names = [name.strip() or f"Unnamed: {i}" for i, name in enumerate(table.column_names)]
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        listed = ", ".join(repr(name) for name in repeated[:5])
        raise DataError(f"{file}: duplicate column names {listed}; rename them to be unique")
    if table.num_columns == 0:
        raise DataError(f"{file}: has no columns; export the data with its columns")
    if table.num_rows == 0:
        raise DataError(f"{file}: has columns but no rows; export the data with its rows")
    kept, columns, notes = [], [], []
    for name, column in zip(names, table.columns, strict=True):
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        elif pa.types.is_decimal(column.type):
            column = column.cast(pa.float64())
        elif pa.types.is_nested(column.type) or "binary" in str(column.type):
            notes.append(
                f"dropped column {name!r}: it holds {column.type} values, not one per cell"
            )
            continue
        kept.append(name)
        columns.append(column)
    if not kept:
        raise DataError(f"{file}: has no column of single values; {'; '.join(notes)}")
    table = pa.table(columns, names=kept, metadata=table.schema.metadata)
    frame = table.to_pandas(date_as_object=False)
    if not isinstance(frame.index, pd.RangeIndex):  # an index stored by pandas is data too
        frame = frame.reset_index()
    return frame, notes
