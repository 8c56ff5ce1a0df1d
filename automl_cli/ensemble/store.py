"""The validation predictions of every trial at the full budget, on disk beside the trial log.

One file of consecutive NumPy arrays (`numpy.save`, read back without pickle): per trial its
job id, then its predictions in `Evaluator.validation_rows` order, as float32. Appending needs
no index, so a trial's predictions are on disk as soon as its line is in the log. The file
follows the log's rules (automl_cli/search/log.py): a side file while the fit runs, renamed
beside the model just before the log itself.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

import numpy as np


def predictions_path(log_path: Path) -> Path:
    """MODEL.trials.jsonl -> MODEL.trials.predictions.npy (and so for the side files)."""
    stem, _, suffix = log_path.name.rpartition(".")
    if stem.endswith((".running", ".failed")):
        stem, _, state = stem.rpartition(".")
        return log_path.with_name(f"{stem}.predictions.{state}.npy")
    return log_path.with_name(f"{stem}.predictions.npy")


class PredictionFile:
    """Appends trials' predictions to one file and reads them back by job id."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    def append(self, job_id: int, predictions: np.ndarray) -> None:
        if self._file is None:
            self._file = self.path.open("wb")
        np.save(self._file, np.array([job_id], dtype=np.int64))
        np.save(self._file, np.asarray(predictions, dtype=np.float32))
        self._file.flush()

    def read(self, job_ids: set[int] | None = None) -> dict[int, np.ndarray]:
        """The predictions of `job_ids` (all when None) that are in the file.

        A fit killed halfway through an append leaves a truncated last entry: it is ignored.
        """
        found: dict[int, np.ndarray] = {}
        if not self.path.exists():
            return found
        size = self.path.stat().st_size
        with self.path.open("rb") as stream:
            while stream.tell() < size:
                try:
                    job_id = int(np.load(stream, allow_pickle=False)[0])
                    predictions = np.load(stream, allow_pickle=False)
                except (ValueError, EOFError):
                    break
                if job_ids is None or job_id in job_ids:
                    found[job_id] = predictions
        return found

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def move_to(self, path: Path) -> None:
        """Close and rename onto `path` (nothing to move when no trial reached full budget)."""
        self.close()
        if self.path.exists():
            os.replace(self.path, path)
