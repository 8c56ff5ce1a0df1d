"""The real `automl` command, end to end, as a subprocess: fit, predict, info, exit codes."""

from __future__ import annotations

import json
import time
import zipfile

import pandas as pd
import pytest

from tests.conftest import DATASETS, run_cli

ROUND_TRIPS = [
    ("breast_cancer.csv", "diagnosis", "binary"),
    ("iris.csv", "species", "multiclass"),
    ("diabetes.csv", "progression", "regression"),
]


def fit(tmp_path, csv, target, *extra):
    out = tmp_path / "model.automl"
    done = run_cli(
        "fit", DATASETS / csv, "--target", target, "--out", out, "--quiet", "--n-jobs", "2", *extra
    )
    return done, out


@pytest.mark.parametrize(("csv", "target", "task"), ROUND_TRIPS)
def test_fit_then_predict_round_trip(tmp_path, csv, target, task):
    done, model = fit(tmp_path, csv, target, "--max-trials", "6", "--time-budget", "60")
    assert done.returncode == 0, done.stderr
    assert model.exists()
    assert "model written to" in done.stdout

    predictions_path = tmp_path / "predictions.csv"
    done = run_cli("predict", model, DATASETS / csv, "--out", predictions_path)
    assert done.returncode == 0, done.stderr
    training = pd.read_csv(DATASETS / csv)
    predictions = pd.read_csv(predictions_path)
    assert len(predictions) == len(training)
    if task == "regression":
        assert list(predictions.columns) == ["prediction"]
        assert predictions["prediction"].notna().all()
        return
    labels = sorted(training[target].astype(str).unique())
    assert list(predictions.columns) == ["prediction"] + [f"proba_{label}" for label in labels]
    proba = predictions[[f"proba_{label}" for label in labels]].to_numpy()
    assert abs(proba.sum(axis=1) - 1).max() < 1e-6
    assert set(predictions["prediction"].astype(str)) <= set(labels)
    # a model better than chance on its own training rows
    accuracy = (predictions["prediction"].astype(str) == training[target].astype(str)).mean()
    assert accuracy > 0.8

    info = run_cli("info", model)
    assert info.returncode == 0, info.stderr
    assert task in info.stdout and "Leaderboard" in info.stdout


def test_predict_checks_the_schema(tmp_path):
    done, model = fit(tmp_path, "breast_cancer.csv", "diagnosis", "--max-trials", "2")
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(DATASETS / "breast_cancer.csv")
    feature = next(c for c in frame.columns if c != "diagnosis")

    shuffled = frame.drop(columns="diagnosis")
    shuffled = shuffled[list(reversed(shuffled.columns))].assign(extra_column=1)
    shuffled.to_csv(tmp_path / "reordered.csv", index=False)
    ok = run_cli("predict", model, tmp_path / "reordered.csv", "--out", tmp_path / "p.csv")
    assert ok.returncode == 0, ok.stderr
    assert len(pd.read_csv(tmp_path / "p.csv")) == len(frame)

    frame.drop(columns=feature).to_csv(tmp_path / "missing.csv", index=False)
    bad = run_cli("predict", model, tmp_path / "missing.csv", "--out", tmp_path / "q.csv")
    assert bad.returncode == 2
    assert feature in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "q.csv").exists()


def test_same_seed_same_trials_and_a_refit_starts_its_own_log(tmp_path):
    logs = []
    for _ in range(2):  # the second fit replaces the first one's model and trial log
        done, model = fit(tmp_path, "iris.csv", "species", "--max-trials", "8", "--seed", "7")
        assert done.returncode == 0, done.stderr
        lines = (tmp_path / "model.automl.trials.jsonl").read_text().splitlines()
        trials = sorted((json.loads(line) for line in lines), key=lambda t: t["job_id"])
        logs.append([(t["config"], t["budget"], t["loss"]) for t in trials])
    assert len(logs[0]) == 8
    assert logs[0] == logs[1]
    assert not (tmp_path / "model.automl.trials.jsonl.previous").exists()  # replaced, not kept


def test_a_failed_fit_leaves_the_earlier_model_and_its_log(tmp_path):
    done, model = fit(tmp_path, "breast_cancer.csv", "diagnosis", "--max-trials", "4")
    assert done.returncode == 0, done.stderr
    log = tmp_path / "model.automl.trials.jsonl"
    before = model.read_bytes(), log.read_text()
    # every trial cross-validates on all 569 rows, which takes far longer than 10 ms
    too_short = ("--optimizer", "random", "--no-warm-start", "--trial-time-limit", "0.01")
    done, _ = fit(tmp_path, "breast_cancer.csv", "diagnosis", "--time-budget", "10", *too_short)
    assert done.returncode == 2
    message = done.stderr.strip().splitlines()
    assert len(message) == 1 and "trials failed" in message[0]
    assert "--trial-time-limit" in message[0]
    assert (model.read_bytes(), log.read_text()) == before
    failed = tmp_path / "model.automl.trials.failed.jsonl"
    assert str(failed) in message[0]
    statuses = {json.loads(line)["status"] for line in failed.read_text().splitlines()}
    assert statuses and "ok" not in statuses
    assert sorted(p.name for p in tmp_path.glob("model.automl*")) == [
        "model.automl", "model.automl.trials.failed.jsonl", "model.automl.trials.jsonl"
    ]  # fmt: skip


def test_the_time_budget_is_a_wall(tmp_path):
    started = time.monotonic()
    done, model = fit(tmp_path, "breast_cancer.csv", "diagnosis", "--time-budget", "20")
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert model.exists()
    assert elapsed <= 20 * 1.1 + 5


def test_a_tampered_or_foreign_model_file_is_refused(tmp_path):
    done, model = fit(tmp_path, "breast_cancer.csv", "diagnosis", "--max-trials", "1")
    assert done.returncode == 0, done.stderr
    data = DATASETS / "breast_cancer.csv"

    tampered = tmp_path / "tampered.automl"
    with zipfile.ZipFile(model) as original, zipfile.ZipFile(tampered, "w") as copy:
        for item in original.infolist():
            payload = original.read(item)
            if item.filename == "model.skops":
                payload = payload.replace(b"sklearn", b"sklearm", 1)
            copy.writestr(item, payload)
    foreign = tmp_path / "foreign.automl"
    foreign.write_bytes(b"PK\x03\x04 not really a zip")
    for path in (tampered, foreign, tmp_path / "absent.automl"):
        refused = run_cli("predict", path, data)
        assert refused.returncode == 2, refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
        assert str(path.name) in refused.stderr


BAD_OPTIONS = [
    (["--time-budget", "0"], "--time-budget"),
    (["--time-budget", "-5"], "--time-budget"),
    (["--metric", "rmse"], "rmse"),
    (["--metric", "nonsense"], "nonsense"),
    (["--target", "no_such_column"], "no_such_column"),
    (["--max-trials", "0"], "--max-trials"),
    (["--task", "sometimes"], "--task"),
]


@pytest.mark.parametrize(("options", "named"), BAD_OPTIONS)
def test_bad_options_exit_2_with_one_line(tmp_path, options, named):
    args = ["fit", DATASETS / "breast_cancer.csv", "--out", tmp_path / "m.automl"]
    if "--target" not in options:
        args += ["--target", "diagnosis"]
    done = run_cli(*args, *options)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert named in lines[0]
    assert list(tmp_path.iterdir()) == []


def write_bad_inputs(folder):
    """Each bad input of the foundation issue, as a file a user could pass, with its target."""
    cases = {}

    def add(name, content, target="y"):
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        cases[name] = (path, target)

    cases["missing.csv"] = (folder / "missing.csv", "y")
    cases["a_folder"] = (folder, "y")
    add("empty.csv", "")
    add("header_only.csv", "a,b,y\n")
    add("binary.csv", bytes(range(256)) * 8)
    add("zip.csv", b"PK\x03\x04" + bytes(200))
    add("constant_target.csv", "a,y\n" + "".join(f"{i},1\n" for i in range(30)))
    add("missing_target.csv", "a,y\n" + "".join(f"{i},\n" for i in range(30)))
    add("lonely_class.csv", "a,y\n" + "".join(f"{i},{'b' if i else 'a'}\n" for i in range(30)))
    add("no_features.csv", "id,k,y\n" + "".join(f"{i},same,{i % 2}\n" for i in range(30)))
    add("duplicate_columns.csv", "a,a,y\n" + "".join(f"{i},{i},{i % 2}\n" for i in range(30)))
    add(
        "latin1.csv",
        ("a,y\n" + "".join(f"caf\u00e9{i % 3},{i % 2}\n" for i in range(30))).encode("utf-16"),
    )
    add(
        "absent_target.csv",
        "alpha,beta,label\n" + "".join(f"{i},{i},{i % 2}\n" for i in range(30)),
        "lable",
    )
    return cases


def test_every_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    out_folder = tmp_path / "out"
    out_folder.mkdir()
    for name, (path, target) in write_bad_inputs(inputs).items():
        done = run_cli(
            "fit", path, "--target", target, "--out", out_folder / "m.automl", "--time-budget", "20"
        )
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2, (name, done.stderr)
        assert len(lines) == 1 and lines[0].startswith("error: "), (name, done.stderr)
        assert "Traceback" not in done.stderr
        if name == "absent_target.csv":
            assert "label" in lines[0]  # the closest column is suggested
        if name == "lonely_class.csv":
            assert "'a'" in lines[0] or " a " in lines[0] or "a:" in lines[0]
        assert list(out_folder.iterdir()) == [], name
