"""`automl nas` end to end as a subprocess (one run per strategy; darts has its own test), the
saved network's round trip, tampering, `predict` and `info` on it, and the missing extra."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest

from automl_cli import bundle
from automl_cli.errors import BundleError
from tests.conftest import DATASETS, REPO, run_cli

pytest.importorskip("torch", reason="automl nas needs the [nas] extra (PyTorch)")
pytest.importorskip("safetensors", reason="automl nas needs the [nas] extra (safetensors)")

SMALL = ("--max-trials", "2", "--max-epochs", "3", "--time-budget", "60", "--device", "cpu")


@pytest.mark.parametrize(
    ("strategy", "csv", "target", "task"),
    [
        ("random", "iris.csv", "species", "multiclass"),
        ("evolution", "customers.csv", "churned", "binary"),  # categorical columns
        ("bohb", "diabetes.csv", "progression", "regression"),
    ],
)
def test_each_strategy_writes_a_model_that_predicts(tmp_path, strategy, csv, target, task):
    out = tmp_path / "net.automl"
    done = run_cli(
        "nas",
        DATASETS / csv,
        "--target",
        target,
        "--strategy",
        strategy,
        *SMALL,
        "--out",
        out,
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    assert "model written to" in done.stdout
    manifest = bundle.read_manifest(out)
    assert manifest["task"] == task and manifest["kind"] == "network"
    assert manifest["search"]["strategy"] == strategy
    assert 1 <= manifest["trial_count"] <= 2
    assert np.isfinite(manifest["validation_score"])
    predicted = run_cli("predict", out, DATASETS / csv)
    assert predicted.returncode == 0, predicted.stderr
    rows = pd.read_csv(io.StringIO(predicted.stdout))
    assert len(rows) == len(pd.read_csv(DATASETS / csv))
    assert rows["prediction"].notna().all()


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A small network trained in this process, its model file, and its predictions."""
    from automl_cli.nas.run import NasOptions, run_nas

    out = tmp_path_factory.mktemp("nas") / "iris.automl"
    options = NasOptions(
        target="species",
        strategy="random",
        max_trials=1,
        max_epochs=3,
        time_budget=60,
        device="cpu",
        out=out,
    )
    result = run_nas(DATASETS / "iris.csv", options)
    return out, result.model


def test_loaded_network_predicts_exactly_as_trained(saved):
    import automl_cli

    out, model = saved
    rows = pd.read_csv(DATASETS / "iris.csv").drop(columns="species")
    loaded = automl_cli.load(out)
    pd.testing.assert_frame_equal(loaded.predict_proba(rows), model.predict_proba(rows))
    assert loaded.estimator.architecture == model.estimator.architecture
    assert loaded.manifest["architecture"] == json.loads(model.estimator.architecture.to_json())


def test_automl_predict_equals_load_predict_proba(saved, tmp_path):
    import automl_cli

    out, _ = saved
    rows = pd.read_csv(DATASETS / "iris.csv")
    written = tmp_path / "predictions.csv"
    done = run_cli("predict", out, DATASETS / "iris.csv", "--out", written)
    assert done.returncode == 0, done.stderr
    cli = pd.read_csv(written)
    python = automl_cli.load(out).predict_proba(rows)
    for label in python.columns:
        np.testing.assert_allclose(cli[f"proba_{label}"], python[label], rtol=1e-9, atol=1e-12)


def test_a_tampered_network_is_refused(saved, tmp_path):
    from automl_cli.model import load

    out, _ = saved
    tampered = tmp_path / "tampered.automl"
    with zipfile.ZipFile(out) as source, zipfile.ZipFile(tampered, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "network.safetensors":
                data = data[:-4] + bytes(4)  # the last weights zeroed
            target.writestr(item, data)
    with pytest.raises(BundleError, match="checksum"):
        load(tampered)
    done = run_cli("predict", tampered, DATASETS / "iris.csv")
    assert done.returncode == 2 and "checksum" in done.stderr
    assert done.stdout == ""


def test_the_network_file_holds_data_only(saved):
    out, _ = saved
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == [
            "manifest.json",
            "network.json",
            "network.safetensors",
        ]
        json.loads(archive.read("network.json"))  # plain JSON, no pickle anywhere


def test_info_shows_the_architecture(saved):
    out, model = saved
    done = run_cli("info", out)
    assert done.returncode == 0, done.stderr
    assert "architecture:" in done.stdout
    assert "node 1: width" in done.stdout
    assert "network (random)" in done.stdout


NO_TORCH = """
import sys

class NoTorch:  # as if the [nas] extra were not installed
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "safetensors"):
            raise ImportError(f"No module named {name!r}")

sys.meta_path.insert(0, NoTorch())
from automl_cli.cli import main
main(sys.argv[1:])
"""


def test_without_torch_nas_says_how_to_install_it(tmp_path):
    out = tmp_path / "m.automl"
    args = ["nas", DATASETS / "iris.csv", "--target", "species", "--out", out]
    done = subprocess.run(
        [sys.executable, "-c", NO_TORCH, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == 'error: automl nas needs PyTorch and safetensors: pip install "automl-cli[nas]"'
    )
    assert not out.exists()


def test_bad_input_is_exit_2_like_fit(tmp_path):
    done = run_cli(
        "nas", DATASETS / "iris.csv", "--target", "nope", *SMALL, "--out", tmp_path / "m.automl"
    )
    assert done.returncode == 2
    assert "nope" in done.stderr and "Traceback" not in done.stderr
