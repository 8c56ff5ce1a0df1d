"""The one family of user-facing errors.

Everything raised from this family carries a message meant for a person: it names the problem
and the fix on one line. `cli.py` catches the family once, prints the message and exits 2; any
other exception is an internal error (exit 1).
"""

import signal


class AutoMLError(Exception):
    """A problem with the user's input or files, not a bug."""


class DataError(AutoMLError):
    """The CSV, the target or the options describing them are unusable."""


class BundleError(AutoMLError):
    """A model file is missing, unreadable, tampered with or from an incompatible version."""


class MetabaseError(AutoMLError):
    """The knowledge base is missing, corrupt, foreign or cannot be written."""


class UsageError(AutoMLError):
    """An option value is out of range or contradicts another option."""


class Interrupted(Exception):
    """Ctrl-C or SIGTERM during a fit (not a user error); `out` is the model written from the
    best trial, None if none was; `signum` the signal that stopped the fit; `model` the Model
    of the best trial, if one was fitted (a Python caller may have asked for no file)."""

    def __init__(
        self, out: object | None, signum: int = signal.SIGINT, model: object | None = None
    ) -> None:
        super().__init__("interrupted")
        self.out = out
        self.signum = signum
        self.model = model
