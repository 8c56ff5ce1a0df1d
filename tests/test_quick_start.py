"""`automl predict`'s cheaper start (automl_cli/quick_start.py), in a fresh interpreter each,
since what it changes is process-wide: SciPy still computes, its docstrings stay readable, and
the docstring parse it skips is skipped on the SciPy installed."""

import json
import subprocess
import sys

PROBE = """
import json, sys
from automl_cli import quick_start
quick_start.prepare()
import scipy._lib._array_api as array_api, scipy._lib._docscrape as docscrape, scipy.stats
r, _ = scipy.stats.pearsonr([1.0, 2.0, 3.0, 4.0], [2.0, 4.1, 5.9, 8.2])
print(json.dumps({
    "r": float(r),
    "doc": scipy.stats.pearsonr.__doc__,
    "parse_skipped": array_api.FunctionDoc is not docscrape.FunctionDoc,
    "special_first": list(sys.modules).index("scipy.special")
        < list(sys.modules).index("scipy.stats"),
}))
"""


def test_scipy_works_keeps_its_docstrings_and_skips_the_parse():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    probe = json.loads(out.stdout)
    assert abs(probe["r"] - 0.998992) < 1e-6
    assert probe["doc"].startswith("Pearson correlation coefficient and p-value")
    assert "Parameters\n" in probe["doc"]
    assert probe["parse_skipped"]
    assert probe["special_first"]
