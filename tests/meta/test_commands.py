"""`automl meta ...` and the warm-started `automl fit` as a user runs them: real processes,
the shipped CSVs of datasets/, real SQLite files in tmp_path.

Budgets leave room for slow worker start-up on a busy machine; a base that already exists is
used as it is, so the tests start from empty bases instead of copies of the shipped one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from automl_cli.bundle import read_manifest
from automl_cli.meta.locate import shipped_path
from automl_cli.meta.store import MetaBase

REPO = Path(__file__).resolve().parents[2]
DATASETS = REPO / "datasets"


def command(*args: object) -> list[str]:
    return [sys.executable, "-m", "automl_cli", *map(str, args)]


def automl(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200", **(env or {})}
    environment.pop("AUTOML_DEBUG", None)
    return subprocess.run(
        command(*args), env=environment, capture_output=True, text=True, timeout=240
    )


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def stored(base: Path) -> dict[str, int]:
    with MetaBase.open(base, readonly=True) as opened:
        return {r.task.name: r.n_evaluations for r in opened.tasks()}


def write_manifest(path: Path, rows: dict[str, tuple[str, str]]) -> Path:
    lines = ["name,file,target"] + [f"{n},{DATASETS / f},{t}" for n, (f, t) in rows.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A base made by the batch form from two shipped datasets."""
    folder = tmp_path_factory.mktemp("kb")
    rows = {"iris": ("iris.csv", "species"), "cancer": ("breast_cancer.csv", "diagnosis")}
    manifest = write_manifest(folder / "manifest.csv", rows)
    base = folder / "kb.sqlite"
    MetaBase.open(base).close()
    ok(
        automl(
            "meta",
            "add",
            "--manifest",
            manifest,
            "--time-budget",
            10,
            "--n-jobs",
            1,
            "--metabase",
            base,
        )
    )
    return base


def test_batch_resumes_and_the_same_data_under_a_new_name_updates_its_task(built, tmp_path):
    before = stored(built)
    assert sorted(before) == ["cancer", "iris"] and min(before.values()) > 0
    # iris again, now named "flowers": the fingerprint finds the stored task; a dataset whose
    # file is gone is skipped with a line that says so, and the batch goes on
    rows = {
        "flowers": ("iris.csv", "species"),
        "ghost": ("no_such.csv", "y"),
        "cancer": ("breast_cancer.csv", "diagnosis"),
    }
    manifest = write_manifest(tmp_path / "again.csv", rows)
    result = automl(
        "meta", "add", "--manifest", manifest, "--time-budget", 3, "--n-jobs", 1,
        "--metabase", built,
    )  # fmt: skip
    out = ok(result)
    assert "iris: 0 search" in out and "cancer: 0 search" in out  # resumed, not searched again
    assert "ghost: skipped:" in result.stderr and "ghost" not in out
    after = stored(built)
    assert sorted(after) == ["cancer", "iris"]
    assert all(after[name] >= before[name] for name in before)


def test_list_show_and_suggest_describe_the_base(built) -> None:
    listing = ok(automl("meta", "list", "--metabase", built))
    assert "iris" in listing and "multiclass" in listing and "log_loss" in listing
    assert "2 tasks" in listing
    shown = ok(automl("meta", "show", "iris", "--metabase", built))
    assert "landmark_1nn" in shown and "class_entropy" in shown and "Best configs" in shown
    data = DATASETS / "breast_cancer.csv"
    suggested = ok(automl("meta", "suggest", data, "--target", "diagnosis", "--metabase", built))
    # the same data is stored as "cancer" and excluded: iris is the only candidate
    assert "iris" in suggested and "cancer" not in suggested
    assert "Configs tried first" in suggested and "warm start:" in suggested


def test_each_tasks_best_config_is_scored_on_all_rows(built) -> None:
    with MetaBase.open(built, readonly=True) as base:
        for record in base.tasks():
            (best,) = base.best_configs(record.task.name, 1)
            on_all_rows = [
                r
                for r in base.evaluations(record.task.name)
                if r.evaluation.config == best.evaluation.config and r.evaluation.budget == 1.0
            ]
            assert on_all_rows, f"{record.task.name}: best config never run on all rows"


def test_two_concurrent_adds_lose_nothing_and_remove_deletes(tmp_path: Path) -> None:
    base = tmp_path / "shared.sqlite"
    MetaBase.open(base).close()
    jobs = [("diabetes.csv", "progression"), ("customers.csv", "churned")]
    processes = [
        subprocess.Popen(
            command(
                "meta",
                "add",
                DATASETS / file,
                "--target",
                target,
                "--time-budget",
                30,  # 15 s found no trial with the machine's 2 cores loaded 5 times over
                "--n-jobs",
                1,
                "--metabase",
                base,
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "COLUMNS": "200"},
        )
        for file, target in jobs
    ]
    outputs = [p.communicate(timeout=240) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], [err for _, err in outputs]
    reported = {}
    for out, _ in outputs:
        name, rest = out.split(": ", 1)
        words = rest.split()  # "N search + M cross evaluations stored ..."
        reported[name] = int(words[0]) + int(words[3])
    assert stored(base) == reported and set(reported) == {"diabetes", "customers"}
    assert "removed diabetes" in ok(automl("meta", "remove", "diabetes", "--metabase", base))
    assert set(stored(base)) == {"customers"}


def test_fit_names_its_neighbours_and_no_warm_start_turns_it_off(built, tmp_path: Path):
    # nine rows in ten of the stored "cancer" data: other data (another fingerprint), so the
    # stored task is not excluded, and close to it, so it is a neighbour
    frame = pd.read_csv(DATASETS / "breast_cancer.csv")
    near_copy = tmp_path / "cancer_sample.csv"
    frame[frame.index % 10 != 0].to_csv(near_copy, index=False)
    model = tmp_path / "m.automl"
    result = automl(
        "fit",
        near_copy,
        "--target",
        "diagnosis",
        "--max-trials",
        3,
        "--n-jobs",
        1,
        "--metabase",
        built,
        "--out",
        model,
    )
    assert result.returncode == 0, result.stderr
    assert "warm start:" in result.stderr
    warm = read_manifest(model)["warm_start"]
    assert warm["enabled"] and warm["metabase"] == str(built) and warm["configs"] >= 1
    names = {n["task"] for n in warm["neighbours"]}
    assert "cancer" in names and names <= {"iris", "cancer"}
    info = ok(automl("info", model))
    for shown in (result.stderr, info):  # the progress notice and `automl info` name them
        assert "warm start:" in shown and all(name in shown for name in names)
    cold = tmp_path / "cold.automl"
    ok(
        automl(
            "fit",
            DATASETS / "customers.csv",
            "--target",
            "churned",
            "--max-trials",
            2,
            "--n-jobs",
            1,
            "--no-warm-start",
            "--metabase",
            built,
            "--out",
            cold,
            "--quiet",
        )
    )
    assert read_manifest(cold)["warm_start"] == {"enabled": False}
    trials = [json.loads(x) for x in Path(f"{cold}.trials.jsonl").read_text().splitlines()]
    assert trials[0]["config"]["algorithm"] == "lightgbm"  # the space's first default


def test_a_fit_that_ends_before_the_plan_is_needed_still_records_it(built, tmp_path: Path):
    """The warm start is planned while the first trial runs; one trial never asks for it."""
    model = tmp_path / "one.automl"
    result = automl(
        "fit", DATASETS / "customers.csv", "--target", "churned", "--max-trials", 1,
        "--n-jobs", 1, "--metabase", built, "--out", model,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    warm = read_manifest(model)["warm_start"]
    assert warm["enabled"] and warm["configs"] >= 1 and warm["seconds"] > 0
    assert "warm start:" in result.stderr
    trials = [json.loads(x) for x in Path(f"{model}.trials.jsonl").read_text().splitlines()]
    assert [t["config"]["algorithm"] for t in trials] == ["lightgbm"]


def test_reading_without_a_user_base_reads_the_shipped_one_and_writes_nothing(tmp_path: Path):
    missing = tmp_path / "mine" / "kb.sqlite"
    listing = ok(automl("meta", "list", env={"AUTOML_METABASE": str(missing)}))
    assert str(shipped_path()) in listing.replace("\n", "") and "40 tasks" in listing
    assert not missing.parent.exists()
    shipped = shipped_path().read_bytes()
    refused = automl("meta", "remove", "banknote", "--metabase", shipped_path())
    assert refused.returncode == 2 and "never written" in refused.stderr
    assert shipped_path().read_bytes() == shipped


def test_the_first_write_starts_the_user_base_from_the_shipped_one(tmp_path: Path) -> None:
    mine = tmp_path / "kb.sqlite"
    out = ok(automl("meta", "remove", "banknote", env={"AUTOML_METABASE": str(mine)}))
    assert "removed banknote" in out
    shipped = set(stored(shipped_path()))
    assert set(stored(mine)) == shipped - {"banknote"} and "banknote" in shipped


def test_bad_meta_usage_exits_2_with_one_line(tmp_path: Path) -> None:
    base = tmp_path / "kb.sqlite"
    no_target = automl("meta", "add", DATASETS / "iris.csv", "--metabase", base)
    assert no_target.returncode == 2 and "--target" in no_target.stderr
    both = automl(
        "meta",
        "add",
        DATASETS / "iris.csv",
        "--target",
        "species",
        "--manifest",
        tmp_path / "m.csv",
        "--metabase",
        base,
    )
    assert both.returncode == 2 and "either" in both.stderr
    unknown = automl("meta", "show", "nope", "--metabase", base)
    assert unknown.returncode == 2 and "no task named 'nope'" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1
    manifest = tmp_path / "m.csv"
    manifest.write_text("name,file,target\niris,iris.csv\n")
    short_row = automl("meta", "add", "--manifest", manifest, "--metabase", base)
    assert short_row.returncode == 2 and "line 2: needs a name, a file and a target" in (
        short_row.stderr
    )
    named = automl("meta", "add", "--manifest", manifest, "--name", "x", "--metabase", base)
    assert named.returncode == 2 and "read from the manifest" in named.stderr
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_text("not a database")
    suggest = automl(
        "meta", "suggest", DATASETS / "iris.csv", "--target", "species", "--metabase", garbage
    )
    assert suggest.returncode == 2 and "not an SQLite file" in suggest.stderr
    assert garbage.read_text() == "not a database"
    assert not base.exists()  # refused commands write nothing


def test_an_add_that_finds_nothing_leaves_no_task_behind(tmp_path: Path) -> None:
    base = tmp_path / "kb.sqlite"
    MetaBase.open(base).close()
    failed = automl(
        "meta", "add", DATASETS / "iris.csv", "--target", "species", "--time-budget", 0.05,
        "--n-jobs", 1, "--metabase", base,
    )  # fmt: skip
    assert failed.returncode == 2 and "raise --time-budget" in failed.stderr
    assert stored(base) == {}
