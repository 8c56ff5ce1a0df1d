"""Scripting through the real `automl` command: every input format, `--json` documents that are
all of stdout, and shell completion."""

from __future__ import annotations

import gzip
import io
import json
import os
import shlex
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from automl_cli import bundle
from tests.conftest import DATASETS, run_cli

QUICK = ("--max-trials", "3", "--time-budget", "40", "--n-jobs", "1", "--no-warm-start")
IRIS = pd.read_csv(DATASETS / "iris.csv")


def document(done: subprocess.CompletedProcess) -> dict:
    """The one JSON document that is the whole of stdout."""
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """`automl fit` on a Parquet file with --json (progress on): the model and the document."""
    folder = tmp_path_factory.mktemp("fit")
    IRIS.to_parquet(folder / "iris.parquet")
    model = folder / "m.automl"
    done = run_cli("fit", folder / "iris.parquet", "--target", "species", "--out", model, *QUICK,
                   "--json")  # fmt: skip
    return model, document(done), done.stderr


def test_fit_json_is_the_summary_of_the_model_it_wrote(fitted):
    model, summary, stderr = fitted
    manifest = bundle.read_manifest(model)
    assert summary["model"] == str(model)
    assert summary["trial_log"] == str(model) + ".trials.jsonl"
    assert summary["task"] == "multiclass" and summary["classes"] == sorted(IRIS.species.unique())
    assert summary["trial_count"] == 3 and summary["training_rows"] == len(IRIS)
    for key in ("algorithm", "validation_score", "best_config", "run_id", "leaderboard"):
        assert summary[key] == manifest[key]
    assert summary["seconds"] == manifest["search"]["seconds"]
    assert any("3 classes" in notice for notice in summary["notices"])
    assert "note: task: multiclass" in stderr  # notices still go to stderr


def test_predict_reads_gzip_csv_as_it_reads_the_plain_file(fitted, tmp_path):
    model = fitted[0]
    rows = IRIS.drop(columns="species")
    rows.to_csv(tmp_path / "rows.csv", index=False)
    (tmp_path / "rows.csv.gz").write_bytes(gzip.compress((tmp_path / "rows.csv").read_bytes()))
    plain = run_cli("predict", model, tmp_path / "rows.csv")
    packed = run_cli("predict", model, tmp_path / "rows.csv.gz")
    assert plain.returncode == 0 and packed.returncode == 0, packed.stderr
    assert packed.stdout == plain.stdout
    predictions = pd.read_csv(io.StringIO(packed.stdout))
    assert len(predictions) == len(rows) and predictions.columns[0] == "prediction"


def test_info_json_is_the_manifest(fitted):
    model = fitted[0]
    assert document(run_cli("info", model, "--json")) == bundle.read_manifest(model)


def test_a_semicolon_csv_with_decimal_commas_fits(tmp_path):
    semicolons = IRIS.to_csv(sep=";", decimal=",", index=False)
    assert "5,1;3,5" in semicolons
    (tmp_path / "iris.csv").write_text(semicolons)
    done = run_cli("fit", tmp_path / "iris.csv", "--target", "species", "--out",
                   tmp_path / "m.automl", *QUICK, "--quiet", "--json")  # fmt: skip
    summary = document(done)
    assert summary["training_rows"] == len(IRIS)
    assert any("semicolons" in notice for notice in summary["notices"])
    columns = bundle.read_manifest(tmp_path / "m.automl")["schema"]["columns"]
    assert {c["name"]: c["kind"] for c in columns} == dict.fromkeys(IRIS.columns[:4], "numeric")


def test_meta_add_reads_feather_and_meta_prints_json(tmp_path):
    IRIS.to_feather(tmp_path / "flowers.feather")
    base = tmp_path / "kb.sqlite"
    added = run_cli("meta", "add", tmp_path / "flowers.feather", "--target", "species",
                    "--time-budget", "8", "--n-jobs", "1", "--metabase", base)  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("flowers: ")

    listed = document(run_cli("meta", "list", "--metabase", base, "--json"))
    assert listed["metabase"] == str(base)
    flowers = [task for task in listed["tasks"] if task["name"] == "flowers"]
    assert len(flowers) == 1 and len(listed["tasks"]) > 1  # beside the shipped tasks
    assert flowers[0]["rows"] == len(IRIS) and flowers[0]["features"] == 4
    assert flowers[0]["task"] == "multiclass" and flowers[0]["metric"] == "log_loss"

    shown = document(run_cli("meta", "show", "flowers", "--top", "2", "--metabase", base, "--json"))
    assert shown["name"] == "flowers" and shown["evaluations"] == flowers[0]["evaluations"]
    assert len(shown["best_configs"]) == 2
    losses = [config["loss"] for config in shown["best_configs"]]
    assert losses == sorted(losses) and losses[0] == pytest.approx(flowers[0]["best_loss"])
    assert all(
        config["config"]["algorithm"] == config["algorithm"] for config in shown["best_configs"]
    )
    assert shown["meta_features"]  # names to numbers, NaN as null


def test_a_refused_json_command_prints_nothing_on_stdout(tmp_path):
    done = run_cli("fit", tmp_path / "absent.parquet", "--target", "y", "--json",
                   "--out", tmp_path / "m.automl")  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "no such file" in lines[0]


def complete(*words: str) -> list[str]:
    """What bash completion offers for the command line `words` (the last one being typed)."""
    env = {**os.environ, "_AUTOML_COMPLETE": "complete_bash", "COMP_WORDS": " ".join(words),
           "COMP_CWORD": str(len(words) - 1)}  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "automl_cli"], env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_shell_completion_offers_commands_and_options():
    assert complete("automl", "meta", "s") == ["show", "suggest"]
    assert complete("automl", "fit", "data.csv", "--ta") == ["--target", "--task"]
    assert "--install-completion" in run_cli("--help").stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_show_completion_prints_the_script_for_the_calling_shell():
    # "; true" keeps bash alive as the parent the shell is detected from
    show = f"{shlex.quote(sys.executable)} -m automl_cli --show-completion; true"
    done = subprocess.run(["bash", "-c", show], capture_output=True, text=True, timeout=60)
    assert "_AUTOML_COMPLETE=complete_bash" in done.stdout, done.stderr
    assert "complete -o default -F _automl_completion automl" in done.stdout
