"""Ctrl-C (SIGINT) and SIGTERM stop a fit alike.

SIGTERM is what `timeout`, `docker stop` and Kubernetes send; during a fit it is handled as a
Ctrl-C, and the exit code tells the two apart: 128 + the signal, so 130 and 143. A stop arrives
as `Stopped`, a KeyboardInterrupt that knows its signal. Where stopping at once would waste
the work done, a block catches the first stop instead (`caught`): the search loop stops at its
next turn, and the refit of the best config and the writing of the model and its log go on to
the end, so that the stop still hands back a model. A second stop is raised at once. Signal
handlers belong to the main thread; in another thread these blocks change nothing and Ctrl-C
keeps its usual meaning.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopped(KeyboardInterrupt):
    """A stop signal, raised where the code happened to be."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_code(signum: int) -> int:
    """The shell's code for a command ended by `signum`: 130 for Ctrl-C, 143 for SIGTERM."""
    return 128 + signum


def describe(signum: int) -> str:
    """How a stop by `signum` is told: "interrupted" (Ctrl-C), "stopped by SIGTERM"."""
    return "interrupted" if signum == signal.SIGINT else f"stopped by {signal.Signals(signum).name}"


@dataclass
class Caught:
    """The stop signal a `caught` block received, if any."""

    signum: int | None = None


@contextlib.contextmanager
def raised() -> Iterator[None]:
    """Within the block, SIGTERM raises `Stopped` as Ctrl-C does."""

    def stop(signum: int, frame: object) -> None:
        raise Stopped(signum)

    with _handling(stop):
        yield


@contextlib.contextmanager
def caught(already: int | None = None) -> Iterator[Caught]:
    """Within the block, the first stop signal is only noted: the caller stops when it is ready.

    The next one (or the first, if a stop, `already`, came before the block) raises `Stopped`.
    """
    received = Caught(already)

    def note(signum: int, frame: object) -> None:
        if received.signum is not None:
            raise Stopped(signum)
        received.signum = signum

    with _handling(note):
        yield received


@contextlib.contextmanager
def _handling(handler: Callable[[int, object], None]) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, handler) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, before in previous.items():
            signal.signal(signum, before)
