"""The full-budget trials' validation predictions: on disk beside the trial log, under the
log's rules, and never in its JSON lines."""

from __future__ import annotations

import json

import numpy as np

from automl_cli.ensemble.store import PredictionFile, predictions_path
from automl_cli.evaluate import TrialResult
from automl_cli.search.log import TrialLog, settle


def trial(job_id: int, budget: float = 1.0) -> TrialResult:
    predictions = np.full((4, 2), job_id / 10, dtype=np.float32) if budget == 1.0 else None
    return TrialResult(
        job_id, {"algorithm": "linear"}, budget, 0.1, 0.9, "ok", predictions=predictions
    )


def test_the_file_gives_back_what_was_appended(tmp_path):
    store = PredictionFile(tmp_path / "p.npy")
    store.append(3, np.arange(6.0).reshape(3, 2))
    store.append(7, np.ones(3))
    store.close()
    read = store.read()
    assert sorted(read) == [3, 7]
    assert read[3].tolist() == [[0, 1], [2, 3], [4, 5]]
    assert store.read({7})[7].dtype == np.float32 and list(store.read({7})) == [7]


def test_paths_sit_beside_the_log_and_its_side_files(tmp_path):
    log = tmp_path / "m.automl.trials.jsonl"
    assert predictions_path(log).name == "m.automl.trials.predictions.npy"
    assert predictions_path(log.with_suffix(".running.jsonl")).name == (
        "m.automl.trials.predictions.running.npy"
    )


def test_predictions_go_to_disk_not_to_the_lines_nor_to_memory(tmp_path):
    path = tmp_path / "m.automl.trials.jsonl"
    with TrialLog(path) as log:
        kept = [log.write(trial(1)), log.write(trial(2, budget=1 / 3)), log.write(trial(3))]
        assert all(t.predictions is None for t in kept)
        assert sorted(log.predictions(kept)) == [1, 3]  # read back while the fit runs
        assert predictions_path(log.running_path).exists()
        log.keep()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["job_id"] for line in lines] == [1, 2, 3]
    assert all("predictions" not in line for line in lines)
    on_disk = PredictionFile(predictions_path(path)).read()
    assert on_disk[3].tolist() == np.full((4, 2), 0.3, dtype=np.float32).tolist()


def test_without_a_log_file_the_trials_keep_them(tmp_path):
    with TrialLog(None) as log:
        kept = log.write(trial(1))
        assert kept.predictions is not None
        assert list(log.predictions([kept])) == [1]


def test_a_fit_without_a_model_moves_them_where_its_failed_log_goes(tmp_path):
    path = tmp_path / "m.automl.trials.jsonl"
    with TrialLog(path) as log:
        log.write(trial(1))
    assert not path.exists() and not predictions_path(path).exists()
    assert PredictionFile(predictions_path(log.failed_path)).read().keys() == {1}


def test_a_new_log_without_full_budget_trials_leaves_no_stale_predictions(tmp_path):
    path = tmp_path / "m.automl.trials.jsonl"
    with TrialLog(path) as log:
        log.write(trial(1))
        log.keep()
    with TrialLog(path) as log:
        log.write(trial(2, budget=1 / 9))
        log.keep()
    assert not predictions_path(path).exists()


def test_settle_moves_a_killed_fits_predictions_with_its_log(tmp_path):
    path = tmp_path / "m.automl.trials.jsonl"
    log = TrialLog(path)
    log.write(trial(1))
    log._close()  # killed before the model was written: no model of this run
    settle(path, tmp_path / "m.automl")
    assert PredictionFile(predictions_path(log.failed_path)).read().keys() == {1}
    assert not predictions_path(log.running_path).exists()
