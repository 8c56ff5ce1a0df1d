"""The datasets the project ships: they load as their manifest says and regenerate exactly."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl_cli.data import load_training_data, read_csv

SHIPPED = Path(__file__).resolve().parents[2] / "datasets"
MANIFEST = list(csv.DictReader((SHIPPED / "manifest.csv").read_text().splitlines()))


def test_manifest_lists_every_shipped_csv():
    assert list(MANIFEST[0]) == [
        *("name", "file", "target", "task", "n_rows", "n_features", "source", "notes")
    ]
    listed = {row["file"] for row in MANIFEST} | {"manifest.csv"}
    assert listed == {path.name for path in SHIPPED.glob("*.csv")}
    assert sum(path.stat().st_size for path in SHIPPED.iterdir()) < 1_000_000


@pytest.mark.parametrize("row", MANIFEST, ids=[row["name"] for row in MANIFEST])
def test_shipped_dataset_loads_as_its_manifest_says(row):
    path = SHIPPED / row["file"]
    dataset = load_training_data(path, row["target"])
    assert dataset.task == row["task"]
    assert len(dataset.y) == len(dataset.X) == int(row["n_rows"])
    raw = read_csv(path)
    assert raw.shape == (int(row["n_rows"]), int(row["n_features"]) + 1)
    pd.testing.assert_frame_equal(dataset.schema.features(raw), dataset.X)
    assert set(map(str, dataset.X.dtypes)) <= {"float64", "object"}


def test_shipped_labels():
    cancer = load_training_data(SHIPPED / "breast_cancer.csv", "diagnosis")
    assert cancer.classes == ("benign", "malignant")
    assert np.bincount(cancer.y).tolist() == [357, 212]
    iris = load_training_data(SHIPPED / "iris.csv", "species")
    assert iris.classes == ("setosa", "versicolor", "virginica")
    diabetes = load_training_data(SHIPPED / "diabetes.csv", "progression")
    assert diabetes.y.dtype == np.float64 and diabetes.X.shape == (442, 10)


def test_customers_exercises_every_column_type():
    dataset = load_training_data(SHIPPED / "customers.csv", "churned")
    kinds = {column.name: column.kind for column in dataset.schema.columns}
    assert kinds == {
        "signup_date": "datetime",
        "plan": "categorical",
        "region": "categorical",
        "is_member": "boolean",
        "age": "numeric",
        "monthly_spend": "numeric",
        "support_calls": "categorical",
    }
    assert {name for name, _ in dataset.schema.dropped} == {"customer_id", "country"}
    assert dataset.X["region"].isna().any() and dataset.X["age"].isna().any()
    assert dataset.classes == ("no", "yes")


def test_make_datasets_regenerates_the_shipped_files_byte_for_byte(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("make_datasets", SHIPPED / "make_datasets.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "make_datasets", module)  # dataclasses look it up
    spec.loader.exec_module(module)
    rows = module.build(tmp_path)
    assert [row["name"] for row in rows] == [row["name"] for row in MANIFEST]
    for path in sorted(tmp_path.iterdir()):
        assert path.read_bytes() == (SHIPPED / path.name).read_bytes(), path.name
