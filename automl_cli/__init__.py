"""automl-cli: one command from a CSV to a strong, safe model.

`automl_cli.load(path)` gives the `Model` in a model file: `.predict(df)`, `.predict_proba(df)`,
`.save(path)`, `.manifest`. Both names are imported on first use, so that importing this
package (and so every `automl` command) stays cheap.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Model", "load"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from automl_cli import model

    return getattr(model, name)
