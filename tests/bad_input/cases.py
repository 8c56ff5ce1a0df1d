"""The bad-input corpus: every way we know of to hand `automl` something it cannot use.

Each case is a command line run in a fresh folder that holds the case's files; paths in the
arguments are relative to that folder. The predict and info cases read one real model, fitted
on datasets/iris.csv (test_corpus.py), or files made from it (inputs.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.bad_input.inputs import (
    REGRESSION,
    TRAIN,
    broken_manifest,
    empty_base,
    empty_gzip,
    foreign_sqlite,
    gzip_head,
    iris_rows,
    malformed_schema,
    manifest_without,
    newer_format,
    no_manifest,
    os_system_payload,
    pickle_payload,
    shipped_path,
    table,
    tampered,
    the_model,
    truncated_parquet,
    with_target,
    xlsx_bytes,
    zip_of,
)

# What a case's file holds: text (UTF-8), bytes, or bytes made from the fitted model's path.
Content = str | bytes | Callable[[Path], bytes]


@dataclass(frozen=True)
class Case:
    """One bad input: the command, the files beside it, and the answer it must get."""

    id: str
    args: tuple[str, ...]
    says: str  # the one `error:` line holds this; for code 0, stderr does (and no error)
    files: Mapping[str, Content] = field(default_factory=dict)
    folders: tuple[str, ...] = ()
    code: int = 2


# ------------------------------------------------------------------------------- commands

QUICK = ("--max-trials", "1", "--time-budget", "10", "--n-jobs", "1", "--no-warm-start")


def fit(data: str, *options: str, target: str = "y") -> tuple[str, ...]:
    """`automl fit` on `data` writing m.automl; later options override the quick defaults."""
    return ("fit", data, "--target", target, "--out", "m.automl", *QUICK, *options)


def fit_train(*options: str) -> tuple[str, ...]:
    return fit("train.csv", *options)


def bad_file(id: str, content: Content, says: str) -> Case:
    return Case(f"fit-{id}", fit("data.csv"), says, {"data.csv": content})


def bad_target(id: str, content: str, says: str, target: str = "y", *options: str) -> Case:
    return Case(f"fit-{id}", fit("data.csv", *options, target=target), says, {"data.csv": content})


def bad_option(id: str, options: tuple[str, ...], says: str, data: str = TRAIN) -> Case:
    return Case(f"fit-{id}", fit_train(*options), says, {"train.csv": data})


MODEL = {"model.automl": the_model}
# a column for every bad weight and group: "w" is a good weight, "g" has 3 groups
WEIGHTED = table(
    "a,b,w,gap,inf,neg,zero,g,y",
    lambda i: (
        f"{i * 0.5},{'uvw'[i % 3]},{1 + i % 2},{'' if i == 7 else 1},"
        f"{'inf' if i == 3 else 2},{-1 if i == 5 else 1},0,{i % 3},{'pq'[i % 2]}"
    ),
)
WORDS = iris_rows(lambda row: [*row[:2], "long" if float(row[2]) > 4 else row[2], row[3]])
ROWS = {"rows.csv": iris_rows()}


def bad_model(id: str, content: Content, says: str, command: str = "predict") -> Case:
    args = (
        (command, "given.automl", "rows.csv") if command == "predict" else (command, "given.automl")
    )
    return Case(f"{command}-{id}", args, says, {"given.automl": content, **ROWS})


def predict(id: str, rows: Content | None, says: str, *options: str, code: int = 2) -> Case:
    files = {**MODEL, **({} if rows is None else {"rows.csv": rows})}
    return Case(
        f"predict-{id}", ("predict", "model.automl", "rows.csv", *options), says, files, code=code
    )


def meta(
    id: str, args: tuple[str, ...], says: str, files: Mapping[str, Content] | None = None
) -> Case:
    return Case(f"meta-{id}", ("meta", *args), says, files or {})


# ---------------------------------------------------------------------------------- corpus

CASES = [
    # the data file itself
    Case("fit-missing-file", fit("absent.csv"), "no such file"),
    Case("fit-data-is-a-folder", fit("data"), "is a folder", folders=("data",)),
    bad_file("empty-file", "", "is empty"),
    bad_file("blank-lines-only", "\n\n  \n", "is empty"),
    bad_file("header-only", "a,b,y\n", "no data rows"),
    bad_file("binary-garbage", bytes(range(256)) * 8, "binary"),
    bad_file("binary-after-header", b"x,y\n\x00\x01\x02\x03\xff\n", "binary data"),
    bad_file("nul-late-in-file", ("x,y\n" + "1,2\n" * 30000).encode() + b"\x00\n", "NUL bytes"),
    bad_file("zip-signature", b"PK\x03\x04" + bytes(200), "ZIP"),
    bad_file("xlsx", xlsx_bytes(), ".xlsx"),
    bad_file("xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "Excel"),
    bad_file("parquet", b"PAR1\x15\x04\x15\x10\x00\x00PAR1", "Parquet"),
    bad_file("truncated-gzip", b"\x1f\x8b\x08\x00" + bytes(16), "gzip"),
    # the formats read besides plain CSV (Parquet, Feather, compressed CSV), damaged
    Case("fit-truncated-parquet", fit("d.parquet"), "Parquet", {"d.parquet": truncated_parquet()}),
    Case("fit-not-really-parquet", fit("d.parquet"), "does not start like", {"d.parquet": TRAIN}),
    Case("fit-empty-gzip", fit("d.csv.gz"), "is empty", {"d.csv.gz": empty_gzip()}),
    Case(
        "fit-zip-of-two-files",
        fit("d.zip"),
        "2 files (a.csv, b.csv)",
        {"d.zip": zip_of(**{"a.csv": TRAIN, "b.csv": TRAIN})},
    ),
    Case("fit-empty-zip", fit("d.zip"), "no file", {"d.zip": zip_of()}),
    predict("gzip-rows-truncated", gzip_head(iris_rows()), "gzip"),
    bad_file("utf16", TRAIN.encode("utf-16"), "UTF-16"),
    bad_file("undecodable", b"x,z,y\n1,\x81\x8d,2\n", "neither UTF-8 nor Windows-1252"),
    bad_file("html-page", "<!DOCTYPE html>\n<html><body>404</body></html>\n", "HTML"),
    bad_file("json", '[{"x": 1, "y": 2}]\n', "JSON"),
    bad_file(
        "duplicate-columns",
        table("a,a,y", lambda i: f"{i},{i},{i % 2}"),
        "duplicate column names 'a'",
    ),
    bad_file("duplicate-after-strip", "x, x ,y\n1,2,3\n", "duplicate column names"),
    bad_file("row-too-long", "x,z,y\n1,2,3\n4,5,6,7\n", "line 3 has 4 fields"),
    bad_file("every-row-too-long", "x,z,y\n0,2,3,9\n1,5,6,7\n", "more fields than the header"),
    bad_file("unclosed-quote", 'x,z,y\n1,"2,3\n4,5,6\n', "never closed"),
    bad_file("one-column", "some notes about the data\nanother line\nand more\n", "one column"),
    bad_file("space-delimited", table("a b y", lambda i: f"{i} {i % 3} {i % 2}"), "one column"),
    bad_file("no-header", "5.1,3.5,1.4,setosa\n4.9,3.0,1.4,setosa\n", "first row looks like data"),
    # the target
    bad_target("target-misspelt", TRAIN.replace(",y\n", ",label\n", 1), "'label'", "lable"),
    bad_target("target-absent", TRAIN, "the columns are", "price"),
    bad_target("constant-target", with_target(["1"] * 30), "is constant"),
    bad_target("one-class-and-missing", with_target(["same", ""] * 15), "is constant"),
    bad_target("target-all-missing", with_target([""] * 30), "no values"),
    bad_target("class-with-one-row", with_target(["cat", "dog"] * 15 + ["emu"]), "'emu'"),
    bad_target(
        "no-features-left", table("id,k,y", lambda i: f"{i},same,{i % 2}"), "no feature columns"
    ),
    bad_target(
        "date-part-clash",
        table("d,d__year,y", lambda i: f"2021-03-{i % 28 + 1:02d},{i % 5 * 1.5},{i % 2}"),
        "d__year",
    ),
    bad_target("words-as-regression", TRAIN, "non-numeric", "y", "--task", "regression"),
    bad_target(
        "three-classes-as-binary",
        with_target(["a", "b", "c"] * 12),
        "not binary",
        "y",
        "--task",
        "binary",
    ),
    bad_target("two-classes-as-multiclass", TRAIN, "not multiclass", "y", "--task", "multiclass"),
    # the options
    bad_option("unknown-task", ("--task", "sometimes"), "--task"),
    bad_option("unknown-metric", ("--metric", "nonsense"), "nonsense"),
    bad_option("regression-metric-for-classes", ("--metric", "rmse"), "rmse"),
    bad_option("class-metric-for-regression", ("--metric", "roc_auc"), "roc_auc", REGRESSION),
    bad_option("zero-time-budget", ("--time-budget", "0"), "--time-budget"),
    bad_option("negative-time-budget", ("--time-budget", "-5"), "--time-budget"),
    bad_option("nan-time-budget", ("--time-budget", "nan"), "--time-budget"),
    bad_option("words-as-time-budget", ("--time-budget", "soon"), "--time-budget"),
    bad_option("zero-max-trials", ("--max-trials", "0"), "--max-trials"),
    bad_option("zero-n-jobs", ("--n-jobs", "0"), "--n-jobs"),
    bad_option("eta-1", ("--eta", "1"), "--eta"),
    bad_option("zero-min-budget", ("--min-budget", "0"), "--min-budget"),
    bad_option("min-budget-above-1", ("--min-budget", "2"), "--min-budget"),
    bad_option("zero-trial-time-limit", ("--trial-time-limit", "0"), "--trial-time-limit"),
    bad_option("nan-trial-time-limit", ("--trial-time-limit", "nan"), "--trial-time-limit"),
    bad_option("negative-memory-limit", ("--trial-memory-limit", "-1"), "--trial-memory-limit"),
    bad_option("nan-memory-limit", ("--trial-memory-limit", "nan"), "--trial-memory-limit"),
    bad_option("infinite-time-budget", ("--time-budget", "inf"), "--time-budget"),
    bad_option("negative-n-jobs", ("--n-jobs", "-1"), "--n-jobs"),
    bad_option("words-as-seed", ("--seed", "abc"), "--seed"),
    bad_option("unknown-optimizer", ("--optimizer", "magic"), "--optimizer"),
    bad_option(
        "early-stopping-with-random",
        ("--early-stopping", "--optimizer", "random"),
        "--early-stopping",
    ),
    bad_option("cluster-not-an-address", ("--cluster", "not an address"), "--cluster"),
    bad_option("cluster-nobody-listening", ("--cluster", "tcp://127.0.0.1:9"), "127.0.0.1:9"),
    bad_option("unknown-option", ("--frobnicate",), "--frobnicate"),
    Case("fit-no-target", ("fit", "train.csv"), "--target", {"train.csv": TRAIN}),
    Case("unknown-command", ("frobnicate",), "frobnicate"),
    # the sample weight and group columns (--weight, --group)
    bad_option("weight-column-absent", ("--weight", "weights"), "'weights' not found", WEIGHTED),
    bad_option("weight-is-the-target", ("--weight", "y"), "is the target", WEIGHTED),
    bad_option("weight-words", ("--weight", "b"), "not numbers", WEIGHTED),
    bad_option("weight-missing", ("--weight", "gap"), "missing, infinite", WEIGHTED),
    bad_option("weight-infinite", ("--weight", "inf"), "missing, infinite", WEIGHTED),
    bad_option("weight-negative", ("--weight", "neg"), "negative value", WEIGHTED),
    bad_option("weight-all-zero", ("--weight", "zero"), "0 on every row", WEIGHTED),
    bad_option("weight-and-group-one-column", ("--weight", "w", "--group", "w"), "both", WEIGHTED),
    bad_option("group-column-absent", ("--group", "team"), "'team' not found", WEIGHTED),
    bad_option("group-missing", ("--group", "gap"), "missing value", WEIGHTED),
    bad_option("too-few-groups", ("--group", "g"), "needs at least 5", WEIGHTED),
    # where the model goes (issue 24, points 1, 3 and 4)
    bad_option("out-is-the-input", ("--out", "train.csv"), "train.csv"),
    Case(
        "fit-out-is-a-folder",
        fit_train("--out", "models"),
        "models",
        {"train.csv": TRAIN},
        folders=("models",),
    ),
    bad_option("out-in-a-missing-folder", ("--out", "nowhere/m.automl"), "nowhere"),
    # the model file
    Case(
        "predict-missing-model",
        ("predict", "absent.automl", "rows.csv"),
        "model file not found",
        ROWS,
    ),
    bad_model("model-is-a-csv", TRAIN, "not a model file"),
    bad_model("empty-model", b"", "not a model file"),
    bad_model("not-really-a-zip", b"PK\x03\x04 not really a zip", "not a model file"),
    bad_model("zip-without-manifest", no_manifest, "not a model file"),
    bad_model("manifest-not-json", broken_manifest, "not a model file"),
    bad_model("newer-format", newer_format, "upgrade automl-cli"),
    bad_model("tampered", tampered, "checksum"),
    bad_model("manifest-without-schema", manifest_without("schema"), "lacks schema"),
    bad_model("manifest-with-a-malformed-schema", malformed_schema, "re-train"),
    bad_model("pickle-payload", pickle_payload, "cannot be read"),
    bad_model("os-system-payload", os_system_payload, "never writes"),
    Case(
        "predict-model-is-a-folder",
        ("predict", "given.automl", "rows.csv"),
        "model file not found",
        ROWS,
        folders=("given.automl",),
    ),
    Case("info-missing-model", ("info", "absent.automl"), "model file not found"),
    bad_model("model-is-a-csv", TRAIN, "not a model file", "info"),
    bad_model("newer-format", newer_format, "upgrade automl-cli", "info"),
    bad_model(
        "manifest-without-task", manifest_without("task", "leaderboard"), "lacks task", "info"
    ),
    # the rows to predict
    predict("missing-rows", None, "no such file"),
    predict("empty-rows", "", "is empty"),
    predict("binary-rows", bytes(range(256)) * 8, "binary"),
    predict("header-only-rows", iris_rows().splitlines()[0] + "\n", "no data rows"),
    predict(
        "missing-feature",
        iris_rows().replace("petal_width", "width", 1),
        "petal_width",
    ),
    # where the predictions go (issue 24, point 2)
    Case(
        "predict-out-is-a-folder",
        ("predict", "model.automl", "rows.csv", "--out", "preds"),
        "folder",
        {**MODEL, **ROWS},
        folders=("preds",),
    ),
    predict("out-in-a-missing-folder", iris_rows(), "nowhere", "--out", "nowhere/p.csv"),
    predict("out-is-the-model", iris_rows(), "model.automl", "--out", "model.automl"),
    predict("out-is-the-input", iris_rows(), "rows.csv", "--out", "rows.csv"),
    # values that cannot be read as the trained type (issue 24, points 10 and 13)
    predict("strict-words-in-a-numeric-column", WORDS, "petal_length", "--strict"),
    predict("words-in-a-numeric-column-are-counted", WORDS, "petal_length", code=0),
    predict(
        "strict-accepts-thousands-separators",
        iris_rows(lambda row: [f'"1,00{row[0]}"', *row[1:]]),
        "",
        "--strict",
        code=0,
    ),
    # the knowledge base
    meta(
        "list-garbage-base",
        ("list", "--metabase", "kb.sqlite"),
        "not an SQLite file",
        {"kb.sqlite": "not a database"},
    ),
    meta(
        "list-foreign-database",
        ("list", "--metabase", "kb.sqlite"),
        "another application",
        {"kb.sqlite": foreign_sqlite},
    ),
    Case(
        "meta-list-base-is-a-folder",
        ("meta", "list", "--metabase", "kb"),
        "is a folder",
        folders=("kb",),
    ),
    meta("show-unknown-task", ("show", "nope"), "no task named 'nope'"),
    meta("show-top-0", ("show", "iris", "--top", "0"), "--top"),
    meta(
        "suggest-garbage-base",
        ("suggest", "train.csv", "--target", "y", "--metabase", "kb.sqlite"),
        "not an SQLite file",
        {"kb.sqlite": "not a database", "train.csv": TRAIN},
    ),
    meta("suggest-missing-data", ("suggest", "absent.csv", "--target", "y"), "no such file"),
    meta(
        "remove-from-garbage-base",
        ("remove", "iris", "--metabase", "kb.sqlite"),
        "not an SQLite file",
        {"kb.sqlite": "not a database"},
    ),
    meta(
        "remove-unknown-task",
        ("remove", "nope", "--metabase", "kb.sqlite"),
        "'nope'",
        {"kb.sqlite": empty_base},
    ),
    meta(
        "remove-from-the-shipped-base",
        ("remove", "banknote", "--metabase", str(shipped_path())),
        "never written",
    ),
    meta("add-without-anything", ("add",), "either"),
    meta("add-without-target", ("add", "train.csv"), "--target", {"train.csv": TRAIN}),
    meta(
        "add-data-and-manifest",
        ("add", "train.csv", "--target", "y", "--manifest", "list.csv"),
        "either",
        {"train.csv": TRAIN, "list.csv": "name,file,target\nt,train.csv,y\n"},
    ),
    meta(
        "add-zero-time-budget",
        ("add", "train.csv", "--target", "y", "--time-budget", "0"),
        "--time-budget",
        {"train.csv": TRAIN},
    ),
    meta(
        "add-empty-data",
        ("add", "data.csv", "--target", "y", "--metabase", "kb.sqlite"),
        "is empty",
        {"data.csv": "", "kb.sqlite": empty_base},
    ),
    # with no knowledge base of the user's yet: a refused command does not create one
    meta(
        "add-bad-data-before-any-base",
        ("add", "data.csv", "--target", "y"),
        "is empty",
        {"data.csv": ""},
    ),
    meta("remove-unknown-task-before-any-base", ("remove", "nope"), "'nope'"),
    meta("add-missing-manifest", ("add", "--manifest", "list.csv"), "list.csv"),
    meta(
        "add-manifest-missing-columns",
        ("add", "--manifest", "list.csv"),
        "name, file and target",
        {"list.csv": "name,file\nt,train.csv\n", "train.csv": TRAIN},
    ),
    meta(
        "add-manifest-short-row",
        ("add", "--manifest", "list.csv"),
        "line 2",
        {"list.csv": "name,file,target\nt,train.csv\n", "train.csv": TRAIN},
    ),
    meta(
        "add-manifest-duplicate-names",
        ("add", "--manifest", "list.csv"),
        "more than once",
        {"list.csv": "name,file,target\nt,train.csv,y\nt,train.csv,y\n", "train.csv": TRAIN},
    ),
    meta(
        "add-manifest-and-name",
        ("add", "--manifest", "list.csv", "--name", "x"),
        "read from the manifest",
        {"list.csv": "name,file,target\nt,train.csv,y\n"},
    ),
]
