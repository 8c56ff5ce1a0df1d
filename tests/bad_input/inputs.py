"""The files of the bad-input corpus: small tables, broken files, and model files made from a
real one (tampered, from a newer version, carrying a pickle or an `os.system` payload).

A callable input takes the path of the fitted model and returns the file's bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import pickle
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

from automl_cli.meta.store import MetaBase

IRIS = Path(__file__).resolve().parents[2] / "datasets" / "iris.csv"


@cache
def shipped_path() -> Path:
    """The shipped knowledge base as the command under test sees it. The corpus runs `automl`
    in a scratch folder, where the installed package is imported, not this checkout (whose
    top-level metabase/ is then an ordinary file, written like any user's base)."""
    ask = "from automl_cli.meta.locate import shipped_path; print(shipped_path())"
    done = subprocess.run(
        [sys.executable, "-c", ask],
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(done.stdout.strip())


def table(header: str, row: Callable[[int], str], n: int = 40) -> str:
    return header + "\n" + "".join(row(i) + "\n" for i in range(n))


TRAIN = table("a,b,y", lambda i: f"{i * 0.5},{'uvw'[i % 3]},{'pq'[i % 2]}")
REGRESSION = table("a,b,y", lambda i: f"{i * 0.5},{'uvw'[i % 3]},{i * 1.25 + i % 3}")


def with_target(values: list[str]) -> str:
    return table("a,b,y", lambda i: f"{i * 0.5},{'uvw'[i % 3]},{values[i]}", len(values))


def iris_rows(change: Callable[[list[str]], list[str]] = lambda row: row) -> str:
    """iris.csv without its target, each row passed through `change`."""
    lines = IRIS.read_text().splitlines()
    header, rows = lines[0].split(",")[:4], [line.split(",")[:4] for line in lines[1:]]
    return "\n".join(",".join(r) for r in [header, *map(change, rows)]) + "\n"


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def truncated_parquet() -> bytes:
    """A real Parquet file of TRAIN cut in half: its footer, which says where the data is, lost."""
    import pandas as pd

    buffer = io.BytesIO()
    pd.read_csv(io.StringIO(TRAIN)).to_parquet(buffer)
    whole = buffer.getvalue()
    return whole[: len(whole) // 2]


def empty_gzip() -> bytes:
    """A well-formed gzip file whose content is empty."""
    return gzip.compress(b"")


def gzip_head(text: str) -> bytes:
    """The first half of `text` gzip-compressed: it starts well, then the stream breaks off."""
    whole = gzip.compress(text.encode())
    return whole[: len(whole) // 2]


def zip_of(**members: str) -> bytes:
    """A ZIP archive holding each named member's text."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def empty_base(_: Path) -> bytes:
    """A valid, empty knowledge base."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "kb.sqlite"
        MetaBase.open(path).close()
        return path.read_bytes()


def foreign_sqlite(_: Path) -> bytes:
    """Another application's SQLite database."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "other.sqlite"
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE songs (title TEXT)")
        connection.close()
        return path.read_bytes()


def the_model(model: Path) -> bytes:
    return model.read_bytes()


def rezipped(model: Path, **replace: bytes | None) -> bytes:
    """The model file with some members replaced (bytes) or left out (None)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(model) as original, zipfile.ZipFile(buffer, "w") as copy:
        for item in original.infolist():
            name = item.filename.replace(".", "_")
            payload = replace.get(name, original.read(item))
            if payload is not None:
                copy.writestr(item, payload)
    return buffer.getvalue()


def manifest_of(model: Path) -> dict:
    with zipfile.ZipFile(model) as archive:
        return json.loads(archive.read("manifest.json"))


def with_payload(model: Path, payload: bytes) -> bytes:
    """A model file holding `payload`, with a manifest whose checksum matches it."""
    manifest = {**manifest_of(model), "model_sha256": hashlib.sha256(payload).hexdigest()}
    return rezipped(model, manifest_json=json.dumps(manifest).encode(), model_skops=payload)


class _Exploit:
    """Unpickling this runs a shell command that leaves a file behind: proof it ran."""

    def __reduce__(self):
        return (os.system, ("touch pickle-payload-ran",))


def tampered(model: Path) -> bytes:
    with zipfile.ZipFile(model) as archive:
        payload = archive.read("model.skops")
    return rezipped(model, model_skops=payload.replace(b"sklearn", b"sklearm", 1))


def pickle_payload(model: Path) -> bytes:
    return with_payload(model, pickle.dumps(_Exploit()))


def os_system_payload(model: Path) -> bytes:
    import skops.io

    return with_payload(model, skops.io.dumps({"steps": [os.system, "touch skops-payload-ran"]}))


def newer_format(model: Path) -> bytes:
    manifest = {**manifest_of(model), "format_version": 99}
    return rezipped(model, manifest_json=json.dumps(manifest).encode())


def manifest_without(*keys: str) -> Callable[[Path], bytes]:
    def build(model: Path) -> bytes:
        manifest = {k: v for k, v in manifest_of(model).items() if k not in keys}
        return rezipped(model, manifest_json=json.dumps(manifest).encode())

    return build


def malformed_schema(model: Path) -> bytes:
    schema = {"version": 1, "target": "species", "columns": "abc", "dropped": [["a"]]}
    manifest = {**manifest_of(model), "schema": schema}
    return rezipped(model, manifest_json=json.dumps(manifest).encode())


def broken_manifest(model: Path) -> bytes:
    return rezipped(model, manifest_json=b"{not json")


def no_manifest(model: Path) -> bytes:
    return rezipped(model, manifest_json=None)
