"""The target: task detection, explicit tasks, class labels, and every target problem."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl_cli.data import TASKS, DataError, load_training_data


def _write(tmp_path, target_values, name: str = "y", **extra) -> object:
    n = len(target_values)
    frame = pd.DataFrame(
        {"x": np.arange(n) % 7 * 0.5, "c": ["u", "v", "w"] * (n // 3) + ["u"] * (n % 3)}
    )
    for column, values in extra.items():
        frame[column] = values
    frame[name] = target_values
    path = tmp_path / "train.csv"
    frame.to_csv(path, index=False)
    return path


DETECTION = [
    ("text, two labels", ["yes", "no"] * 10, "binary", ("no", "yes")),
    ("text, three labels", ["a", "b", "c"] * 10, "multiclass", ("a", "b", "c")),
    ("booleans", [True, False] * 10, "binary", ("False", "True")),
    ("0/1 integers", [0, 1] * 10, "binary", (0, 1)),
    ("two codes, few rows", [2, 4] * 3, "binary", (2, 4)),
    ("integer codes", [1, 2, 3, 5, 6] * 10, "multiclass", (1, 2, 3, 5, 6)),
    ("text and numbers", ["1", "2", "other"] * 10, "multiclass", ("1", "2", "other")),
    ("a 0..100 scale", [v * 10 for v in range(11)] * 10, "regression", ()),
    ("fractional numbers", [0.5, 1.25, 2.0] * 10, "regression", ()),
    ("many integers", list(range(30)) * 3, "regression", ()),
    ("codes with too few rows each", [1, 2, 3, 4, 5] * 3, "regression", ()),
]


@pytest.mark.parametrize(
    ("values", "task", "classes"), [d[1:] for d in DETECTION], ids=[d[0] for d in DETECTION]
)
def test_task_detection(tmp_path, values, task, classes):
    dataset = load_training_data(_write(tmp_path, values), "y")
    assert dataset.task == task
    assert dataset.classes == classes
    assert all(type(c) is type(classes[0]) for c in dataset.classes)
    if task == "regression":
        assert dataset.y.dtype == np.float64
        np.testing.assert_array_equal(dataset.y, np.asarray(values, dtype=float))
    else:
        assert dataset.y.dtype == np.int64
        labels = [str(v) if isinstance(classes[0], str) else v for v in values]
        assert [dataset.classes[code] for code in dataset.y] == labels
    assert any(note.startswith(f"task: {task}") for note in dataset.notices)


def test_rows_with_missing_target_are_dropped_and_labels_stay_integers(tmp_path):
    values = [1, 2, 3, None, 1, 2, 3, None] * 5
    dataset = load_training_data(_write(tmp_path, values), "y")
    assert dataset.task == "multiclass" and dataset.classes == (1, 2, 3)
    assert len(dataset.y) == len(dataset.X) == 30
    assert "dropped 10 row(s) whose target 'y' is missing" in dataset.notices


def test_explicit_task_is_checked(tmp_path):
    text = _write(tmp_path, ["a", "b", "c"] * 10)
    assert load_training_data(text, "y", task="multiclass").task == "multiclass"
    with pytest.raises(DataError, match=r"non-numeric values \('a', 'b', 'c'\); regression"):
        load_training_data(text, "y", task="regression")
    with pytest.raises(DataError, match=r"3 classes, not binary; use --task multiclass"):
        load_training_data(text, "y", task="binary")
    with pytest.raises(DataError, match=r"2 classes, not multiclass; use --task binary"):
        load_training_data(_write(tmp_path, ["a", "b"] * 10), "y", task="multiclass")
    with pytest.raises(DataError, match="unknown task 'clustering'"):
        load_training_data(text, "y", task="clustering")


def test_explicit_task_overrides_detection(tmp_path):
    codes = _write(tmp_path, [1, 2, 3, 4] * 10)
    assert load_training_data(codes, "y").task == "multiclass"
    dataset = load_training_data(codes, "y", task="regression")
    assert dataset.task == "regression" and dataset.classes == ()
    scale = _write(tmp_path, [v * 10 for v in range(11)] * 10)
    dataset = load_training_data(scale, "y", task="multiclass")
    assert dataset.classes == tuple(range(0, 101, 10))


def test_every_task_is_one_detection_yields_and_one_that_can_be_asked_for(tmp_path):
    assert {case[2] for case in DETECTION} == set(TASKS)
    examples = {
        "binary": ["a", "b"] * 10,
        "multiclass": ["a", "b", "c"] * 10,
        "regression": [0.5, 1.25, 2.0] * 10,
    }
    assert set(examples) == set(TASKS)
    for task, values in examples.items():
        assert load_training_data(_write(tmp_path, values), "y", task=task).task == task
    with pytest.raises(
        DataError,
        match="unknown task 'classification'; use one of: auto, binary, multiclass, regression",
    ):
        load_training_data(_write(tmp_path, examples["binary"]), "y", task="classification")


def test_target_absent_suggests_close_names(tmp_path):
    path = _write(tmp_path, ["a", "b"] * 10, name="Survived")
    with pytest.raises(
        DataError, match=r"'survived' not found in train.csv: did you mean 'Survived'"
    ):
        load_training_data(path, "survived")
    with pytest.raises(DataError, match=r"'Survivd' not found .* did you mean 'Survived'"):
        load_training_data(path, "Survivd")
    with pytest.raises(
        DataError, match=r"'price' not found .* the columns are 'x', 'c', 'Survived'"
    ):
        load_training_data(path, "price")


def test_target_name_is_matched_without_surrounding_spaces(tmp_path):
    path = _write(tmp_path, ["a", "b"] * 10)
    assert load_training_data(path, " y ").schema.target == "y"


def test_headerless_file_is_recognised(tmp_path):
    path = tmp_path / "iris.csv"
    path.write_text("5.1,3.5,1.4,setosa\n4.9,3.0,1.4,setosa\n6.3,3.3,6.0,virginica\n")
    with pytest.raises(DataError, match="first row looks like data, not column names"):
        load_training_data(path, "species")


def test_target_all_missing(tmp_path):
    with pytest.raises(DataError, match=r"target 'y' has no values \(all missing\)"):
        load_training_data(_write(tmp_path, [None] * 12), "y")


@pytest.mark.parametrize("values", [["same"] * 12, [3.5] * 12, ["same", None] * 6])
def test_constant_target(tmp_path, values):
    with pytest.raises(DataError, match=r"target 'y' is constant .* choose a target that varies"):
        load_training_data(_write(tmp_path, values), "y")


def test_a_class_with_one_row_is_named(tmp_path):
    values = ["cat", "dog"] * 10 + ["emu"]
    with pytest.raises(DataError, match=r"class\(es\) 'emu' of target 'y' have only 1 row"):
        load_training_data(_write(tmp_path, values), "y")


def test_infinite_target_values_count_as_missing(tmp_path):
    dataset = load_training_data(_write(tmp_path, [0.5, 1.5, np.inf, 2.5] * 5), "y")
    assert dataset.task == "regression" and len(dataset.y) == 15
    assert np.isfinite(dataset.y).all()


def test_no_feature_columns_left_says_why(tmp_path):
    frame = pd.DataFrame({"id": range(12), "const": 1, "y": ["a", "b"] * 6})
    path = tmp_path / "train.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"no feature columns left: all were dropped \(id: ID-like"):
        load_training_data(path, "y")


def test_only_target_and_features_reach_the_model(tmp_path):
    dataset = load_training_data(_write(tmp_path, ["a", "b"] * 10), "y")
    assert "y" not in dataset.X.columns
    assert dataset.name == "train"
    assert dataset.schema.target == "y"
