"""The real `automl` command, end to end, as a subprocess: fit, predict, info, exit codes."""

from __future__ import annotations

import json
import math
import zipfile

import pandas as pd
import pytest

from automl_cli import bundle
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
    done, model = fit(tmp_path, csv, target, "--max-trials", "4", "--time-budget", "60")
    assert done.returncode == 0, done.stderr
    assert model.exists()
    assert "model written to" in done.stdout
    assert "Leaderboard" not in done.stdout  # --quiet

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
        done, model = fit(tmp_path, "iris.csv", "species", "--max-trials", "5", "--seed", "7")
        assert done.returncode == 0, done.stderr
        lines = (tmp_path / "model.automl.trials.jsonl").read_text().splitlines()
        trials = sorted((json.loads(line) for line in lines), key=lambda t: t["job_id"])
        logs.append([(t["config"], t["budget"], t["loss"]) for t in trials])
    assert len(logs[0]) == 5
    assert logs[0] == logs[1]
    assert not (tmp_path / "model.automl.trials.jsonl.previous").exists()  # replaced, not kept


def write_overflowing(path):
    """Regression data whose every error overflows: no trial on it can have a finite loss."""
    rows = "".join(f"{i},{i * 7 % 11},{(i * 37 % 101 - 50) * 1e306}\n" for i in range(60))
    path.write_text("x,z,y\n" + rows)
    return path


def test_a_failed_fit_leaves_the_earlier_model_and_its_log(tmp_path):
    done, model = fit(tmp_path, "iris.csv", "species", "--max-trials", "2")
    assert done.returncode == 0, done.stderr
    log = tmp_path / "model.automl.trials.jsonl"
    before = model.read_bytes(), log.read_text()
    huge = write_overflowing(tmp_path / "huge.csv")
    done = run_cli(
        "fit", huge, "--target", "y", "--task", "regression", "--max-trials", "3",
        "--n-jobs", "2", "--out", model, "--quiet",
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    message = done.stderr.strip().splitlines()
    assert len(message) == 1 and "all 3 trials failed" in message[0], done.stderr
    assert "not finite" in message[0] and "check the data" in message[0]
    assert (model.read_bytes(), log.read_text()) == before
    failed = tmp_path / "model.automl.trials.failed.jsonl"
    assert str(failed) in message[0]
    statuses = [json.loads(line)["status"] for line in failed.read_text().splitlines()]
    assert statuses == ["failed"] * 3
    assert sorted(p.name for p in tmp_path.glob("model.automl*")) == [
        "model.automl", "model.automl.trials.failed.jsonl", "model.automl.trials.jsonl",
        "model.automl.trials.predictions.npy",  # the earlier model's, beside its log
    ]  # fmt: skip


def test_the_time_budget_ends_a_search_without_a_trial_limit(tmp_path):
    """The clock, not a trial count, ends this search; how close to the budget it ends is a
    benchmark's to measure (benchmarks/time_budget.py), not a test's."""
    done, model = fit(tmp_path, "iris.csv", "species", "--time-budget", "20")
    assert done.returncode == 0, done.stderr
    manifest = bundle.read_manifest(model)
    assert manifest["stopped_by"] == "time"
    assert manifest["search"]["time_budget"] == 20 and manifest["search"]["max_trials"] is None
    lines = (tmp_path / "model.automl.trials.jsonl").read_text().splitlines()
    trials = [json.loads(line) for line in lines]
    assert len(trials) == manifest["trial_count"] >= 1
    assert max(t["time"] for t in trials) <= model.stat().st_mtime  # searched, then written


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
    (["--optimizer", "annealing"], "--optimizer"),
    (["--n-jobs", "0"], "--n-jobs"),
    (["--eta", "1"], "--eta must be an integer >= 2"),
    (["--min-budget", "0"], "--min-budget must be in (0, 1]"),
    (["--min-budget", "1.5"], "--min-budget must be in (0, 1]"),
    (["--trial-time-limit", "0"], "--trial-time-limit must be positive"),
    (["--trial-memory-limit", "-1"], "--trial-memory-limit must be a positive number of MB"),
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


def test_a_latin1_file_is_fitted_and_predicted_with_its_accents(tmp_path):
    """Not UTF-8, so read as Windows-1252 (a superset of Latin-1), with a note saying so."""
    cities = ["Zürich", "Málaga", "Besançon"]
    levels = ["élevé" if i % 3 == 1 else "bas" for i in range(60)]  # Málaga's rows are high
    rows = [f"{cities[i % 3]},{i % 7},{levels[i]}\n" for i in range(60)]
    data = tmp_path / "latin1.csv"
    data.write_bytes(("city,size,level\n" + "".join(rows)).encode("latin-1"))
    out = tmp_path / "model.automl"
    done = run_cli(
        "fit", data, "--target", "level", "--max-trials", "2", "--n-jobs", "1", "--out", out
    )
    assert done.returncode == 0, done.stderr
    assert "not valid UTF-8; read as Windows-1252" in done.stderr
    assert "Leaderboard" in done.stdout  # no --quiet
    manifest = bundle.read_manifest(out)
    assert manifest["classes"] == ["bas", "élevé"]
    [city] = [c for c in manifest["schema"]["columns"] if c["name"] == "city"]
    assert sorted(city["levels"]) == sorted(cities)
    predictions_path = tmp_path / "predictions.csv"
    done = run_cli("predict", out, data, "--out", predictions_path)
    assert done.returncode == 0, done.stderr
    predictions = pd.read_csv(predictions_path)
    assert list(predictions.columns) == ["prediction", "proba_bas", "proba_élevé"]
    assert (predictions["prediction"] == levels).mean() > 0.9


def test_task_metric_optimizer_and_seed_reach_the_model(tmp_path):
    data = tmp_path / "codes.csv"  # integer codes 1..4: detected as multiclass
    data.write_text("x,z,y\n" + "".join(f"{i % 13},{i % 5},{i % 4 + 1}\n" for i in range(80)))
    out = tmp_path / "codes.automl"
    done = run_cli(
        "fit", data, "--target", "y", "--task", "regression", "--metric", "mae",
        "--optimizer", "random", "--seed", "5", "--max-trials", "3", "--n-jobs", "1",
        "--out", out, "--quiet",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    manifest = bundle.read_manifest(out)
    assert (manifest["task"], manifest["metric"], manifest["classes"]) == ("regression", "mae", [])
    assert (manifest["search"]["optimizer"], manifest["search"]["seed"]) == ("random", 5)
    # the best of the trials, or the baseline (the median) where none beat it
    scores = [row["score"] for row in manifest["leaderboard"]] + [manifest["baseline"]["score"]]
    assert manifest["validation_score"] == min(scores)
    trials = [json.loads(line) for line in out.with_name("codes.automl.trials.jsonl").open()]
    assert len(trials) == 3 and {t["budget"] for t in trials} == {1.0}  # random: all rows
    done = run_cli("predict", out, data)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "prediction"


def rungs(trials: list[dict]) -> dict[float, list[dict]]:
    by_budget: dict[float, list[dict]] = {}
    for trial in sorted(trials, key=lambda t: t["job_id"]):
        by_budget.setdefault(trial["budget"], []).append(trial)
    return dict(sorted(by_budget.items()))


def test_eta_and_min_budget_set_the_rungs_and_the_promotions(tmp_path):
    # iris trains on 120 rows per fold: the automatic min budget would be 1 (no subsamples)
    done, model = fit(
        tmp_path, "iris.csv", "species", "--optimizer", "sha", "--eta", "2",
        "--min-budget", "0.25", "--no-warm-start", "--max-trials", "7", "--seed", "3",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    search = bundle.read_manifest(model)["search"]
    assert (search["eta"], search["min_budget"]) == (2, 0.25)
    trials = [json.loads(line) for line in (tmp_path / "model.automl.trials.jsonl").open()]
    by_budget = rungs(trials)
    # one successive-halving bracket: 4 configs at 1/4 of the rows, the best 2 at 1/2, 1 at 1
    assert {b: len(t) for b, t in by_budget.items()} == {0.25: 4, 0.5: 2, 1.0: 1}
    assert all(t["status"] == "ok" for t in trials)
    for low, high in ((0.25, 0.5), (0.5, 1.0)):
        ranked = sorted(by_budget[low], key=lambda t: (t["loss"], t["job_id"]))
        promoted = [t["config"] for t in ranked[: len(by_budget[high])]]
        assert sorted(map(json.dumps, promoted)) == sorted(
            json.dumps(t["config"]) for t in by_budget[high]
        )


def test_a_trial_memory_limit_counts_what_a_trial_adds_and_stops_it_past_that(tmp_path):
    """A worker holds over 100 MB of libraries before its trial starts; a limit of 100 MB is
    on top of that, so trials run. A limit of 1 MB is below what any trial of this data adds
    (each cross-validates on 569 rows), so the trials that pass it cannot be refitted."""
    done, model = fit(
        tmp_path, "breast_cancer.csv", "diagnosis", "--trial-memory-limit", "100",
        "--no-warm-start", "--max-trials", "3",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert model.exists()
    (tmp_path / "tight").mkdir()
    done, model = fit(
        tmp_path / "tight", "breast_cancer.csv", "diagnosis", "--trial-memory-limit", "1",
        "--no-warm-start", "--max-trials", "3",
    )  # fmt: skip
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert "memory limit" in line and "raise --trial-memory-limit" in line, line
    failed = tmp_path / "tight" / "model.automl.trials.failed.jsonl"
    trials = [json.loads(text) for text in failed.read_text().splitlines()]
    assert len(trials) == 3 and "memory" in {t["status"] for t in trials}
    assert not model.exists()


def test_a_fit_whose_every_trial_failed_names_the_limit_to_raise(tmp_path):
    """The fix in the one-line error follows the commonest failure (--trial-time-limit's
    effect on real trials is in tests/execute/test_local.py, without a clock to race)."""
    from automl_cli.evaluate import TrialResult
    from automl_cli.search.session import no_success_message as _no_success_message

    def failed(status: str, error: str) -> TrialResult:
        return TrialResult(0, {"algorithm": "knn"}, 1.0, math.inf, math.nan, status, error=error)

    log = tmp_path / "m.trials.failed.jsonl"
    timeouts = [failed("timeout", "stopped after 2.0 s (time limit)")] * 2
    message = _no_success_message([*timeouts, failed("failed", "ValueError: x")], 60.0, log)
    assert message == (
        "all 3 trials failed (most often: stopped after 2.0 s (time limit)); raise "
        f"--trial-time-limit (its default grows with --time-budget); their log: {log}"
    )
    memory = [failed("memory", "stopped at 180 MB (memory limit 100 MB)")]
    assert "; raise --trial-memory-limit; their log" in _no_success_message(memory, 60.0, log)
    errors = [failed("failed", "ValueError: bad (at evaluate.py:203)")]
    assert _no_success_message(errors, 60.0, None) == (
        "all 1 trials failed (most often: ValueError: bad); check the data, or raise "
        "--time-budget if they ran out of time"
    )
    assert _no_success_message([], 60.0, log) == (
        "no trial finished within the time budget of 60 s; raise --time-budget"
    )
