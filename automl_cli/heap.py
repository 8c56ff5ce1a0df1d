"""Hand the pages that freed allocations leave in glibc's heap back to the system.

glibc keeps freed memory for reuse instead of returning it: a trial that allocates many
small blocks and keeps a few leaves its worker at the trial's high-water mark, counted at
that size for the rest of the fit (tests/test_heap.py: 300 MB in small blocks, one in 64
kept, leave 254 MB behind; released, under 100 MB). Where the C library has no malloc_trim
(musl, macOS) this does nothing."""

from __future__ import annotations

import contextlib
import ctypes
import sys


def release_freed_memory() -> None:
    """Return the heap's free pages to the system (a few milliseconds on a large heap)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)
