"""Where the knowledge bases live: the shipped one (read-only) and the user's own.

The shipped base is package data, `automl_cli/metabase/metabase.sqlite`: a build installs the
repository's top-level `metabase/` folder there (pyproject.toml maps it), and a checkout reads
that folder in place. It is only ever opened read-only. The user's base is the first of:
`--metabase PATH`, the environment variable AUTOML_METABASE, `<platform user data
folder>/automl-cli/metabase.sqlite`. It is created as a copy of the shipped base the first time
something is written, never earlier: reading commands fall back to the shipped base while the
user's base does not exist, since a copy would hold the same content.
"""

from __future__ import annotations

import os
from pathlib import Path

from automl_cli.errors import MetabaseError
from automl_cli.meta.store import MetaBase, copy_base

ENV_VAR = "AUTOML_METABASE"
FILE_NAME = "metabase.sqlite"
APP_NAME = "automl-cli"


def shipped_path() -> Path:
    """The knowledge base installed with the package, or in a checkout the top-level one."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "metabase" / FILE_NAME
    checkout = package.parent / "metabase" / FILE_NAME
    return checkout if not installed.exists() and checkout.exists() else installed


def user_path(explicit: Path | None = None) -> Path:
    """The user's base: `explicit`, else AUTOML_METABASE, else the platform's data folder."""
    if explicit is not None:
        return Path(explicit).expanduser()
    from_env = os.environ.get(ENV_VAR, "")
    if from_env.strip():
        return Path(from_env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False)) / FILE_NAME


def read_path(explicit: Path | None = None) -> Path:
    """The base reading commands and warm starts use: the user's if it exists, else shipped."""
    path = user_path(explicit)
    return path if path.exists() else shipped_path()


def open_for_reading(explicit: Path | None = None) -> MetaBase:
    """The base to read, opened read-only, so reading can never change a file."""
    return MetaBase.open(read_path(explicit), readonly=True)


def open_for_writing(explicit: Path | None = None) -> MetaBase:
    """The user's base, first copied from the shipped one if it does not exist yet.

    Two commands that start at once may both try the copy; the loser finds the winner's
    complete file (copy_base never replaces one) and opens it.
    """
    path = user_path(explicit)
    shipped = shipped_path()
    if path.resolve() == shipped.resolve():
        raise MetabaseError(
            f"metabase {path}: is the base shipped with automl-cli, which is never written; "
            f"pass --metabase another path or set {ENV_VAR}"
        )
    if not path.exists() and shipped.exists():
        try:
            copy_base(shipped, path)
        except MetabaseError:
            if not path.exists():
                raise
    return MetaBase.open(path)
