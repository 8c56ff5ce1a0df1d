"""`automl fit --ensemble-size` through the real command: an ensemble that predicts and that
`info` lists, the size-0 path that ships the best single model, and a bad size."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from automl_cli import bundle
from automl_cli.ensemble.estimator import Ensemble
from automl_cli.ensemble.store import PredictionFile, predictions_path
from tests.conftest import DATASETS, run_cli


def fit(tmp_path, trials, *extra):
    """Six trials give three at the full budget, enough members; the size-0 path needs fewer."""
    out = tmp_path / "model.automl"
    done = run_cli(
        "fit", DATASETS / "breast_cancer.csv", "--target", "diagnosis", "--out", out,
        "--quiet", "--n-jobs", "2", "--max-trials", trials, "--time-budget", "90", *extra,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def test_an_ensemble_is_written_predicts_and_info_lists_its_members(tmp_path):
    model, said = fit(tmp_path, 6)
    manifest = bundle.read_manifest(model)
    ensemble = manifest["ensemble"]
    assert f"({ensemble['kind']} of {len(ensemble['members'])}, validation" in said
    assert ensemble["kind"] == "ensemble" and len(ensemble["members"]) >= 2
    assert sum(m["weight"] for m in ensemble["members"]) == pytest.approx(1.0, abs=1e-3)
    assert ensemble["single_validation_score"] == manifest["validation_score"]
    assert isinstance(bundle.load(model).model.estimator, Ensemble)

    log = model.with_name(model.name + ".trials.jsonl")
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert all("predictions" not in line for line in lines)
    kept = PredictionFile(predictions_path(log)).read()
    full = {line["job_id"] for line in lines if line["status"] == "ok" and line["budget"] == 1.0}
    assert set(kept) == full
    assert {m["job_id"] for m in ensemble["members"]} <= full

    out = tmp_path / "p.csv"
    done = run_cli("predict", model, DATASETS / "breast_cancer.csv", "--out", out)
    assert done.returncode == 0, done.stderr
    predictions = pd.read_csv(out)
    proba = predictions[["proba_benign", "proba_malignant"]].to_numpy()
    assert abs(proba.sum(axis=1) - 1).max() < 1e-6
    truth = pd.read_csv(DATASETS / "breast_cancer.csv")["diagnosis"]
    assert (predictions["prediction"] == truth).mean() > 0.9

    info = run_cli("info", model)
    assert info.returncode == 0, info.stderr
    assert f"Members ({ensemble['kind']})" in info.stdout
    for member in ensemble["members"]:
        assert f"{member['weight']:.3f}" in info.stdout


def test_size_0_ships_the_best_single_model_and_keeps_no_predictions(tmp_path):
    model, said = fit(tmp_path, 3, "--ensemble-size", "0")
    assert f"({bundle.read_manifest(model)['algorithm']}, validation" in said
    manifest = bundle.read_manifest(model)
    assert manifest["ensemble"] == {"kind": "single", "size": 0, "members": []}
    assert manifest["algorithm"] == manifest["leaderboard"][0]["algorithm"]
    assert not isinstance(bundle.load(model).model.estimator, Ensemble)
    log = model.with_name(model.name + ".trials.jsonl")
    assert log.exists() and not predictions_path(log).exists()
    info = run_cli("info", model)
    assert "--ensemble-size 0" in info.stdout and "Members" not in info.stdout


def test_a_negative_size_exits_2_with_one_line(tmp_path):
    done = run_cli(
        "fit", DATASETS / "iris.csv", "--target", "species", "--out", tmp_path / "m.automl",
        "--ensemble-size", "-1",
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--ensemble-size" in lines[0]
    assert list(tmp_path.iterdir()) == []
