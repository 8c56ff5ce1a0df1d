"""What `automl fit` and `automl info` print: the leaderboard and the model summary, rendered
as a terminal would show them."""

from __future__ import annotations

import io
import math

from rich.console import Console

from automl_cli.evaluate import TrialResult
from automl_cli.report import config_summary, leaderboard, manifest_table


def render(table, width: int = 160) -> list[str]:
    """The table's text lines, as a terminal of `width` columns shows them."""
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    console.print(table)
    return [line.rstrip() for line in console.export_text().splitlines()]


def body_rows(lines: list[str]) -> list[list[str]]:
    """The cells of each row, the header first (rich draws their borders with ┃ and │)."""
    rows = [line.replace("┃", "│") for line in lines if line.startswith(("│", "┃"))]
    return [[cell.strip() for cell in row.strip("│").split("│")] for row in rows]


ROWS = [
    TrialResult(
        7,
        {"algorithm": "lightgbm", "lightgbm:learning_rate": 0.0312345, "lightgbm:num_leaves": 31,
         "impute:numeric": "median"},
        1.0, 0.0123, 0.98765, "ok", fit_seconds=1.234,
    ).to_dict(),
    TrialResult(
        3,
        {"algorithm": "knn", "knn:n_neighbors": 5, "knn:weights": "distance"},
        1 / 3, 0.05, 0.95, "ok", fit_seconds=0.0456,
    ).to_dict(),
    TrialResult(
        12,
        {"algorithm": "random_forest", **{f"random_forest:p{k}": k for k in range(6)}},
        1 / 9, 0.25, 0.000012, "ok", fit_seconds=12.5,
    ).to_dict(),
]  # fmt: skip


def test_leaderboard_shows_each_trial_in_the_given_order_with_its_values():
    lines = render(leaderboard(ROWS, "roc_auc", width=160))
    assert lines[0] == "Leaderboard"
    header, *rows = body_rows(lines)
    assert header == ["#", "trial", "algorithm", "budget", "roc_auc", "fit s", "hyperparameters"]
    assert [row[:6] for row in rows] == [
        ["1", "7", "lightgbm", "1", "0.9877", "1.23"],
        ["2", "3", "knn", "0.333", "0.9500", "0.05"],
        ["3", "12", "random_forest", "0.111", "1.2e-05", "12.50"],
    ]
    assert rows[0][6] == "learning_rate=0.031, num_leaves=31"  # preprocessing left out
    assert rows[1][6] == "n_neighbors=5, weights=distance"
    assert rows[2][6] == "p0=0, p1=1, p2=2, p3=3, …"  # at most four, then an ellipsis


def test_leaderboard_of_no_trials_is_a_header_only_and_a_title_can_be_given():
    lines = render(leaderboard([], "rmse", title="Best so far", width=160))
    assert lines[0] == "Best so far"
    assert body_rows(lines) == [["#", "trial", "algorithm", "budget", "rmse", "fit s",
                                 "hyperparameters"]]  # fmt: skip


def test_a_narrow_terminal_cuts_the_hyperparameters_not_the_numbers():
    lines = render(leaderboard(ROWS, "roc_auc", width=70), width=70)
    rows = body_rows(lines)[1:]
    assert [row[4] for row in rows] == ["0.9877", "0.9500", "1.2e-05"]
    assert all(len(line) <= 70 for line in lines)
    assert rows[0][6] != "learning_rate=0.031, num_leaves=31"
    assert rows[0][6].endswith("…")


def test_a_missing_score_is_shown_as_a_dash():
    failed = TrialResult(1, {"algorithm": "svm"}, 1.0, math.inf, math.nan, "failed").to_dict()
    [row] = body_rows(render(leaderboard([failed], "accuracy", width=160)))[1:]
    assert row[4] == "-" and row[6] == ""


def test_config_summary_takes_only_the_chosen_algorithms_own_values():
    config = {"algorithm": "svm", "svm:C": 12345.6, "svm:gamma": 0.0004, "linear:C": 1.0}
    assert config_summary(config) == "C=1.23e+04, gamma=0.0004"
    assert config_summary({"algorithm": "svm"}) == ""


MANIFEST = {
    "task": "multiclass",
    "target": "species",
    "classes": ["setosa", "versicolor", "virginica"],
    "schema": {"columns": [{"name": f"c{k}"} for k in range(4)]},
    "training_rows": 150,
    "algorithm": "random_forest",
    "metric": "log_loss",
    "validation_score": 0.11364,
    "validation": "5-fold cross-validation",
    "trial_count": 9,
    "failed_trials": 2,
    "search": {"optimizer": "sha", "seed": 4, "seconds": 17.5, "time_budget": 60.0},
    "created": "2026-01-02T03:04:05+00:00",
    "libraries": {"scikit-learn": "1.8.0", "lightgbm": "4.6.0"},
}


def test_manifest_table_shows_one_row_per_field_with_its_value():
    lines = render(manifest_table(MANIFEST))
    assert lines[0] == "Model"
    assert dict(row for row in body_rows(lines)) == {
        "task": "multiclass",
        "target": "species",
        "classes": "setosa, versicolor, virginica",
        "features": "4",
        "training rows": "150",
        "algorithm": "random_forest",
        "validation log_loss": "0.1136 (5-fold cross-validation)",
        "trials": "9 (2 failed)",
        "search": "sha seed 4, 17.5 s of 60.0 s",
        "created": "2026-01-02T03:04:05+00:00",
        "libraries": "scikit-learn 1.8.0, lightgbm 4.6.0",
    }


def test_manifest_table_of_a_regression_model_without_optional_fields():
    regression = {**MANIFEST, "task": "regression", "classes": [], "metric": "rmse"}
    del regression["training_rows"]
    shown = dict(row for row in body_rows(render(manifest_table(regression))))
    assert shown["classes"] == "-" and shown["training rows"] == "-"
    assert shown["validation rmse"] == "0.1136 (5-fold cross-validation)"
