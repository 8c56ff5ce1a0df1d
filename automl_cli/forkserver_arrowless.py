"""Imported by the forkserver (forkserver.PRELOAD) before pandas, and by nothing else.

pandas imports pyarrow whenever it is installed, for its string type. Only reading a file
needs it, and the CLI does that; the forkserver and the trial processes forked from it get the
data with Python strings (execute/shared.py). Refusing the import here keeps pyarrow out of
them: 33 MB less in the forkserver and 35-40 MB less in each worker, a tenth of a fit's summed
RSS peak on a 40,000-row table (benchmarks/results/fit_memory.md).
"""

import sys
from importlib.machinery import ModuleSpec


class _RefusePyarrow:
    """A module finder that answers for pyarrow as if it were not installed."""

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if name == "pyarrow" or name.startswith("pyarrow."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _RefusePyarrow)
