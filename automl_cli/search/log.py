"""The trial log: every finished trial as one JSON line beside the model."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import IO

from automl_cli.evaluate import TrialResult


class TrialLog:
    """Every finished trial as one JSON line, flushed as it ends, so none is lost.

    A log belongs to its model. While a fit runs, an earlier log at the same path waits aside
    (`*.previous`); once the fit has its model (`keep`), the earlier log goes. A fit that ends
    without a model moves its own trials to `failed_path` and puts the earlier log back, so a
    failed fit leaves the earlier model and its log as they were. The file is created with
    the first trial: a fit that never ran one leaves no empty log.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.failed_path = path.with_suffix(".failed.jsonl") if path else None
        self._previous = path.with_name(path.name + ".previous") if path else None
        self._file: IO[str] | None = None
        self._kept = False

    def __enter__(self) -> TrialLog:
        if self.path is not None and self._previous is not None and self.path.exists():
            self.path.replace(self._previous)
        else:
            self._previous = None  # nothing to put back
        return self

    def write(self, result: TrialResult) -> None:
        if self.path is None:
            return
        if self._file is None:
            self._file = self.path.open("w", encoding="utf-8")
        self._file.write(json.dumps({"time": time.time(), **result.to_dict()}) + "\n")
        self._file.flush()

    def keep(self) -> None:
        """The fit has its model: this log is the model's, and the earlier one goes."""
        self._close()
        self._kept = True
        if self._previous is not None:
            self._previous.unlink(missing_ok=True)

    def __exit__(self, *exc_info: object) -> None:
        self._close()
        if self._kept or self.path is None or self.failed_path is None:
            return
        if self.path.exists():
            self.path.replace(self.failed_path)
        if self._previous is not None:
            self._previous.replace(self.path)

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
