"""The model a file holds takes raw rows: Python and `automl predict` give the same numbers.

A real `automl fit` on a small CSV, then the real `automl predict` beside
`automl_cli.load(path)`; a tampered file and an older format through the real loader; and, in
a fresh interpreter, the modules a real `automl predict` of a LightGBM model imports, and none
of scikit-learn for rows it refuses.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest
import skops.io

import automl_cli
from automl_cli.errors import BundleError, UsageError
from automl_cli.model import Model
from tests.conftest import DATASETS, run_cli


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """A model fitted by `automl fit` on customers.csv (dates, booleans, categories, gaps),
    and rows to predict with unseen levels and a word in a numeric column."""
    folder = tmp_path_factory.mktemp("model")
    out = folder / "model.automl"
    done = run_cli(
        "fit", DATASETS / "customers.csv", "--target", "churned", "--out", out, "--quiet",
        "--max-trials", "4", "--n-jobs", "1",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = pd.read_csv(DATASETS / "customers.csv", dtype=str, keep_default_na=False)
    rows = rows.drop(columns="churned").head(120)
    rows.loc[:9, "plan"] = "platinum"  # a level the model never saw
    rows.loc[10:12, "country"] = "Atlantis"
    rows.loc[13, "age"] = "unknown"  # read as missing, with a note
    rows.to_csv(folder / "rows.csv", index=False)
    return out, folder / "rows.csv"


def cli_predictions(model, rows, tmp_path) -> pd.DataFrame:
    done = run_cli("predict", model, rows, "--out", tmp_path / "predictions.csv")
    assert done.returncode == 0, done.stderr
    return pd.read_csv(tmp_path / "predictions.csv")


def test_load_predict_proba_equals_automl_predict_on_the_same_rows(fitted, tmp_path):
    path, rows = fitted
    expected = cli_predictions(path, rows, tmp_path)
    model = automl_cli.load(path)
    frame = pd.read_csv(rows).set_axis(range(1000, 1120))  # pandas' own dtypes, another index
    with pytest.warns(UserWarning, match="'age' \\(1 row, not numbers\\)"):
        proba = model.predict_proba(frame)
    assert list(proba.columns) == model.manifest["classes"] == ["no", "yes"]
    assert list(proba.index) == list(frame.index)
    np.testing.assert_allclose(
        proba.to_numpy(), expected[["proba_no", "proba_yes"]].to_numpy(), rtol=1e-12, atol=0
    )
    with pytest.warns(UserWarning):
        labels = model.predict(frame)
    assert list(labels) == list(expected["prediction"])
    assert model.manifest["format_version"] == 2 and model.manifest["target"] == "churned"


def test_a_saved_model_loads_again_with_the_same_predictions(fitted, tmp_path):
    path, rows = fitted
    model = automl_cli.load(path)
    frame = pd.read_csv(DATASETS / "customers.csv").drop(columns="churned")
    model.save(tmp_path / "copy.automl")
    again = automl_cli.load(tmp_path / "copy.automl")
    pd.testing.assert_frame_equal(again.predict_proba(frame), model.predict_proba(frame))
    assert again.manifest["algorithm"] == model.manifest["algorithm"]


def test_a_tampered_model_file_is_refused(fitted, tmp_path):
    path, _ = fitted
    altered = tmp_path / "altered.automl"
    with zipfile.ZipFile(path) as original, zipfile.ZipFile(altered, "w") as copy:
        for item in original.infolist():
            payload = original.read(item)
            if item.filename == "model.skops":
                payload = payload.replace(b"churned", b"chirned")
            copy.writestr(item, payload)
    with pytest.raises(BundleError, match="checksum"):
        automl_cli.load(altered)

    relabelled = tmp_path / "relabelled.automl"  # the manifest's classes swapped
    with zipfile.ZipFile(path) as original, zipfile.ZipFile(relabelled, "w") as copy:
        manifest = json.loads(original.read("manifest.json"))
        copy.writestr("manifest.json", json.dumps({**manifest, "classes": ["yes", "no"]}))
        copy.writestr("model.skops", original.read("model.skops"))
    with pytest.raises(BundleError, match="another model"):
        automl_cli.load(relabelled)

    model = automl_cli.load(path)  # a consistent file whose model would call os.system
    Model(os.system, model.schema, model.task, model.classes, model.manifest).save(
        tmp_path / "foreign.automl"
    )
    with pytest.raises(BundleError, match="refused.*posix.system"):
        automl_cli.load(tmp_path / "foreign.automl")
    refused = run_cli("predict", tmp_path / "foreign.automl", fitted[1])
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1


def write_model_file(path, manifest: dict, stored, version: int) -> None:
    """A consistent model file of format `version` whose model part is `stored` (format 1
    stored the bare fitted pipeline)."""
    payload = skops.io.dumps(stored)
    manifest = {**manifest, "format_version": version}
    manifest["model_sha256"] = hashlib.sha256(payload).hexdigest()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("model.skops", payload)


def test_a_format_1_file_is_read_and_a_format_2_file_must_hold_a_model(fitted, tmp_path):
    path, rows = fitted
    model = automl_cli.load(path)
    old = tmp_path / "old.automl"
    write_model_file(old, model.manifest, model.estimator, 1)
    expected = cli_predictions(path, rows, tmp_path)
    pd.testing.assert_frame_equal(cli_predictions(old, rows, tmp_path), expected)
    frame = pd.read_csv(DATASETS / "customers.csv").drop(columns="churned")
    pd.testing.assert_frame_equal(
        automl_cli.load(old).predict_proba(frame), model.predict_proba(frame)
    )

    bare = tmp_path / "bare.automl"  # format 2 with a bare pipeline: not what fit writes
    write_model_file(bare, model.manifest, model.estimator, 2)
    with pytest.raises(BundleError, match="not a model"):
        automl_cli.load(bare)


def lightgbm_model(csv, target, path) -> Model:
    """LightGBM's default config fitted on all rows of `csv`, written to `path`."""
    from automl_cli.data import load_training_data
    from automl_cli.evaluate import Evaluator
    from automl_cli.metrics import resolve_metric
    from automl_cli.space import default_configs, space_for

    dataset = load_training_data(csv, target)
    config = next(c for c in default_configs(space_for(dataset)) if c["algorithm"] == "lightgbm")
    metric = resolve_metric(None, dataset.task)
    manifest = {
        "task": dataset.task,
        "metric": metric.name,
        "target": target,
        "schema": dataset.schema.to_dict(),
        "classes": list(dataset.classes),
        "algorithm": "lightgbm",
        "validation_score": None,
        "trial_count": 0,
        "failed_trials": 0,
        "leaderboard": [],
        "created": "2026-01-01T00:00:00+00:00",
    }
    estimator = Evaluator(dataset, metric).fit_final(config)
    model = Model(estimator, dataset.schema, dataset.task, dataset.classes, manifest)
    model.save(path)
    return model


# `automl predict` in this interpreter, then the top-level packages it imported
PREDICT_AND_LIST_MODULES = """
import sys, typer
from automl_cli import cli
typer.main.get_command(cli.app).main(sys.argv[1:], standalone_mode=False)
print(" ".join(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_predict_of_a_lightgbm_model_imports_only_what_it_needs(tmp_path):
    """No XGBoost, no ConfigSpace, no Dask (scikit-learn's estimator walk, which skops.io's
    first import would run, imports dask.array)."""
    path = tmp_path / "lightgbm.automl"
    model = lightgbm_model(DATASETS / "diabetes.csv", "progression", path)
    out = tmp_path / "predictions.csv"
    done = subprocess.run(
        [sys.executable, "-c", PREDICT_AND_LIST_MODULES, "predict", str(path),
         str(DATASETS / "diabetes.csv"), "--out", str(out)],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    imported = set(done.stdout.split())
    assert "lightgbm" in imported  # the model's own library, loaded by the model file
    assert not imported & {"xgboost", "dask", "distributed", "ConfigSpace"}, imported
    frame = pd.read_csv(DATASETS / "diabetes.csv")
    np.testing.assert_allclose(
        model.predict(frame).to_numpy(), pd.read_csv(out)["prediction"], rtol=1e-12
    )
    with pytest.raises(UsageError, match="classification"):
        model.predict_proba(frame)


# `automl predict` in this interpreter: the error it gives, then whether scikit-learn loaded
PREDICT_AND_SAY_IF_SKLEARN = """
import sys, typer
from automl_cli import cli
from automl_cli.errors import DataError
try:
    typer.main.get_command(cli.app).main(sys.argv[1:], standalone_mode=False)
except DataError as error:
    print(error)
print("sklearn" in sys.modules)
"""


def test_rows_without_a_trained_column_are_refused_before_the_model_loads(fitted, tmp_path):
    path, rows = fitted
    lacking = tmp_path / "lacking.csv"
    pd.read_csv(rows, dtype=str).drop(columns="plan").to_csv(lacking, index=False)
    out = tmp_path / "predictions.csv"
    done = subprocess.run(
        [sys.executable, "-c", PREDICT_AND_SAY_IF_SKLEARN, "predict", str(path), str(lacking),
         "--out", str(out)],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    said, loaded = done.stdout.strip().splitlines()
    assert "missing feature column(s) 'plan'" in said, done.stderr
    assert loaded == "False" and not out.exists()


def test_small_batches_are_predicted_on_one_thread():
    """A 1,000-row batch runs its OpenMP regions on one thread; a large one keeps them all."""
    import sklearn.ensemble  # noqa: F401  (loads the OpenMP runtime threadpoolctl reports)
    from threadpoolctl import threadpool_info

    from automl_cli.model import ONE_THREAD_ROWS, _threads_for

    def openmp_threads() -> int:
        return max(
            pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp"
        )

    everything = openmp_threads()
    with _threads_for(1_000):
        assert openmp_threads() == 1
    with _threads_for(ONE_THREAD_ROWS + 1):
        assert openmp_threads() == everything
    assert openmp_threads() == everything


def test_a_models_written_size_is_counted_without_a_copy():
    """The size a fit plans the model file's writing by (search/budget.py `Finish`): the pickled
    size, to 1 %, and it grows with the model."""
    import pickle

    from sklearn.ensemble import ExtraTreesClassifier

    from automl_cli.bundle import serialized_bytes

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(500, 5)), rng.integers(0, 2, size=500)
    sizes = []
    for n_trees in (10, 40):
        forest = ExtraTreesClassifier(n_trees, random_state=0).fit(X, y)
        sizes.append(serialized_bytes(forest))
        assert sizes[-1] == pytest.approx(len(pickle.dumps(forest, protocol=5)), rel=0.01)
    assert sizes[1] == pytest.approx(4 * sizes[0], rel=0.1)
