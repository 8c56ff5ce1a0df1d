"""`automl predict` on cells that do not fit the trained types: one note, or --strict's exit 2."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from tests.conftest import run_cli

N = 60


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A model trained on two numeric columns (one written with thousands separators)."""
    folder = tmp_path_factory.mktemp("strict")
    rng = np.random.default_rng(0)
    age = rng.integers(18, 90, N)
    income = rng.uniform(1000, 90000, N).round(2)
    frame = pd.DataFrame(
        {
            "age": age,
            "income": [f"{v:,.2f}" for v in income],
            "y": np.where(age > 50, "old", "young"),
        }
    )
    frame.to_csv(folder / "train.csv", index=False)
    out = folder / "model.automl"
    done = run_cli(
        "fit", folder / "train.csv", "--target", "y", "--out", out, "--quiet",
        "--max-trials", "2", "--n-jobs", "1", "--no-warm-start",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


def _write(path, age, income):
    pd.DataFrame({"age": age, "income": income}).to_csv(path, index=False)
    return path


def test_words_in_numeric_columns_are_read_as_missing_with_one_note(model, tmp_path):
    data = _write(
        tmp_path / "new.csv",
        ["30", "forty", "55", "old", "unknown", "70"],
        ["1,500.00", "2,750.50", "lots", "80,000.00", "", "12,345.67"],
    )
    out = tmp_path / "predictions.csv"
    done = run_cli("predict", model, data, "--out", out)
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1
    joined = " ".join(done.stderr.split())  # rich wraps long lines
    assert (
        "2 columns hold values that cannot be read as the type the model was trained on: "
        "'age' (3 rows, not numbers), 'income' (1 row, not numbers); they were read as "
        "missing (--strict makes this an error)"
    ) in joined
    predictions = pd.read_csv(out)
    assert len(predictions) == 6
    assert list(predictions.columns) == ["prediction", "proba_old", "proba_young"]
    assert np.allclose(predictions[["proba_old", "proba_young"]].sum(axis=1), 1.0)
    assert set(predictions["prediction"]) <= {"old", "young"}


def test_strict_refuses_them_with_one_line_and_writes_nothing(model, tmp_path):
    data = _write(tmp_path / "new.csv", ["30", "forty", "55"], ["1,500.00", "2,750.50", "9.5"])
    out = tmp_path / "predictions.csv"
    done = run_cli("predict", model, data, "--out", out, "--strict")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ")
    assert "'age' (1 row, not numbers)" in done.stderr and "--strict" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_strict_passes_clean_rows_and_reads_the_trained_number_format(model, tmp_path):
    data = _write(tmp_path / "new.csv", ["30", "", "80"], ["1,500.00", "12,345.67", "NA"])
    done = run_cli("predict", model, data, "--strict")
    assert done.returncode == 0, done.stderr
    assert "note:" not in done.stderr
    assert len(pd.read_csv(io.StringIO(done.stdout))) == 3
