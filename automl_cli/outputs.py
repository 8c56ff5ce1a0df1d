"""Files the user names for output: checked before any work, and locked while a fit writes them.

A typo in `--out` must never destroy an input (the data, the model being read), and a path
that cannot be written must be refused at once, not after a search of many minutes. Two fits
writing one model would mix their trial logs, so a fit holds a lock on its model path.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from automl_cli.errors import UsageError
from automl_cli.files import remove_stale_temporaries

try:
    import fcntl
except ImportError:  # Windows: no lock, the rest works
    fcntl = None


def check_output(
    path: Path, option: str, inputs: Iterable[Path | None] = (), *, creates_folder: bool = False
) -> None:
    """Refuse an output path that is an input, a folder or a device, or cannot be written.

    `option` names the path in the message (`--out`); `creates_folder` is for outputs whose
    folder the command creates itself.
    """
    for source in inputs:
        if source is not None and _same_file(path, Path(source)):
            raise UsageError(
                f"{option} {path} is the input file {source}, which writing would destroy; "
                f"give {option} another path"
            )
    if path.is_dir():
        raise UsageError(
            f"{option} {path} is a folder; give the path of a file, in it or elsewhere"
        )
    if path.exists() and not path.is_file():
        raise UsageError(f"{option} {path} is not a regular file; give another path")
    if creates_folder:
        return
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{option} {path}: {folder} is a file, not a folder; give another path")
    if not folder.is_dir():
        raise UsageError(
            f"{option} {path}: the folder {folder} does not exist; create it or give another path"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {path}: the folder {folder} is not writable; give another path")


def check_fit_outputs(
    data: object, out: Path | None, trial_log: Path | None, metabase: Path | None
) -> None:
    """The model and its trial log: neither the data (when it is a file) nor the knowledge
    base, and writable."""
    inputs = [Path(data) if isinstance(data, (str, os.PathLike)) else None, metabase]
    for option, path in (("--out", out), ("the trial log", trial_log)):
        if path is not None:
            check_output(Path(path), option, inputs)


def _same_file(a: Path, b: Path) -> bool:
    """One file under both names: the same path, a symbolic link to it, or a hard link."""
    with contextlib.suppress(OSError):
        if os.path.samefile(a, b):
            return True
    return a.resolve() == b.resolve()


@contextlib.contextmanager
def fit_lock(model: Path | None) -> Iterator[None]:
    """Hold MODEL.lock while a fit writes `model`; a second fit on it is refused at once.

    The lock is `flock` on that file: the kernel releases it when its process ends, however
    it ends, so the lock of a killed fit is simply taken over (and so are the temporary files
    of its model). The file is removed when the fit ends. Only the fit's own process holds
    the lock: the descriptor is closed on exec, and the trial processes fork from the
    forkserver, a program of its own started by exec, so none of them can keep it after the fit.
    """
    if model is None or fcntl is None:
        yield
        return
    path = model.with_name(model.name + ".lock")
    handle = _acquire(path, model)
    try:
        remove_stale_temporaries(model)
        yield
    finally:
        path.unlink(missing_ok=True)  # while still held: see _acquire
        os.close(handle)


def _acquire(path: Path, model: Path) -> int:
    """Lock `path`, created if need be; the descriptor that holds the lock.

    A holder removes the file before it lets go, so a lock won on a file that no longer has
    that name is worthless: the loop then locks the file that has it now.
    """
    while True:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(handle, 32).decode(errors="replace").strip() or "unknown"
            os.close(handle)
            raise UsageError(
                f"another `automl fit` (pid {holder}) is writing {model}; wait for it to "
                f"end, or give --out another path"
            ) from None
        with contextlib.suppress(FileNotFoundError):
            if os.path.samestat(os.fstat(handle), os.stat(path)):
                os.ftruncate(handle, 0)
                os.write(handle, f"{os.getpid()}\n".encode())
                return handle
        os.close(handle)
