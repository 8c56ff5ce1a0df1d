"""A cheaper start for `automl predict`, whose time on a few rows is mostly imports
(benchmarks/results/predict_speed.md): two costs of SciPy's import that a prediction never uses.

Called first thing in the predict command, before pandas or scikit-learn are imported. It
changes docstrings and import order only, in that process; a library that moved what it touches
is left as it is (the start is slower, never wrong).
"""

from __future__ import annotations

import importlib


class _DocstringAsIs(dict):
    """Stands in for SciPy's docstring parser inside its array-API decorator: the decorator
    appends a note to the parsed 'Notes' and renders the docstring again; this keeps the
    docstring as it was."""

    def __init__(self, function: object) -> None:
        super().__init__(Notes=[])
        self.docstring = getattr(function, "__doc__", None) or ""

    def __str__(self) -> str:
        return "signature\n" + self.docstring  # the decorator drops the first line


def prepare() -> None:
    """- SciPy's array-API decorator parses the docstring of each of about 470 functions as
      scipy.stats is imported (scikit-learn imports it), to add a table of backends to it:
      0.7-1.2 s of a 1,000-row predict on a busy 2-core machine. The parse is skipped.
    - SciPy's ufuncs are imported before the rest: on its import skops.io looks each one up in
      every module loaded before it (bundle.skops_io), 0.4 s behind pandas and scikit-learn."""
    try:
        array_api = importlib.import_module("scipy._lib._array_api")
    except ImportError:
        return
    if hasattr(array_api, "FunctionDoc") and hasattr(array_api, "xp_capabilities"):
        array_api.FunctionDoc = _DocstringAsIs
    importlib.import_module("scipy.special")
