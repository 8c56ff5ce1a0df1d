"""Writing files so that a reader never sees half of one."""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from automl_cli.errors import UsageError

TEMPORARY_SUFFIX = ".tmp"


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb") -> Iterator[IO]:
    """Write to a temporary file beside `path`, then rename it over `path` in one step.

    If the block raises, the temporary file is removed and `path` is left as it was. The file
    gets the mode a plain `open` would give it: 0666 less the umask.
    """
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"{target} is a folder; give a file path for the output")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"the folder {folder} does not exist; create it or choose another path")
    handle, temporary = _create_beside(target)
    try:
        with os.fdopen(handle, mode) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _create_beside(target: Path) -> tuple[int, Path]:
    """A new empty file beside `target`, opened for writing, named `.NAME.RANDOM.tmp`.

    Not `tempfile.mkstemp`, whose files are private (0600) whatever the umask says.
    """
    while True:
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}{TEMPORARY_SUFFIX}")
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue


def remove_stale_temporaries(path: Path) -> None:
    """Remove the temporary files a killed `atomic_write` of `path` left behind.

    Only for a caller that alone writes `path` (the fit that holds its lock).
    """
    pattern = f".{glob.escape(path.name)}.{'[0-9a-f]' * 8}{TEMPORARY_SUFFIX}"
    for stale in path.parent.glob(pattern):
        stale.unlink(missing_ok=True)
