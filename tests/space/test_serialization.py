"""A fitted pipeline of every algorithm survives a skops round trip with TRUSTED_TYPES only.

skops.io trusts every scikit-learn estimator by default unless imported as the model-file
loader imports it (`bundle.skops_io`, without that default); the test switches the default
off either way, so a scikit-learn type missing from TRUSTED_TYPES fails it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import skops.io
from ConfigSpace.util import deactivate_inactive_hyperparameters
from threadpoolctl import threadpool_limits

from automl_cli.space import TRUSTED_TYPES, build_pipeline, build_space
from automl_cli.space.definition import ALGORITHMS, BOOSTERS, SCALED

# Turn on the optional parts that add stored types: native categories for the boosters,
# ordinal codes for the forests, quantile scaling, indicators and mutual-information
# selection (a functools.partial) for the scale-sensitive learners.
RICH = {
    "booster": {"encode:booster_method": "native"},
    "forest": {"encode:method": "ordinal"},
    "scaled": {
        "encode:method": "onehot",
        "impute:indicator": True,
        "scale:method": "quantile",
        "select:method": "mutual_info",
        "select:percentile": 60.0,
    },
}


def rich_config(space, algorithm: str) -> dict:
    family = "booster" if algorithm in BOOSTERS else "scaled" if algorithm in SCALED else "forest"
    values = {name: hp.default_value for name, hp in space.items()}
    values.update({"algorithm": algorithm, **RICH[family]})
    return dict(deactivate_inactive_hyperparameters(values, space))


def outputs(pipeline, X, task):
    return pipeline.predict(X) if task == "regression" else pipeline.predict_proba(X)


@pytest.mark.parametrize("task", ["multiclass", "regression"])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_skops_round_trip_trusts_only_listed_types_and_predicts_identically(
    algorithm, task, frames, unusual, monkeypatch
):
    monkeypatch.setattr(skops.io._general, "SKLEARN_ESTIMATOR_TYPE_NAMES", [])
    frame = frames(task, 90, 10, 2, True, seed=5)
    space = build_space(task, 90, 12, 2)
    config = rich_config(space, algorithm)
    fitted = []
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(2):  # twice with the same seed: same model
            pipeline = build_pipeline(
                config,
                task=task,
                numeric=frame.numeric,
                categorical=frame.categorical,
                seed=4,
            )
            fitted.append(pipeline.fit(frame.X, frame.y))
    rows = unusual(frame)
    data = skops.io.dumps(fitted[0])
    untrusted = skops.io.get_untrusted_types(data=data)
    assert set(untrusted) <= set(TRUSTED_TYPES), set(untrusted) - set(TRUSTED_TYPES)
    loaded = skops.io.loads(data, trusted=list(TRUSTED_TYPES))
    with threadpool_limits(1):
        expected = outputs(fitted[0], rows, task)
        np.testing.assert_array_equal(outputs(loaded, rows, task), expected)
        np.testing.assert_array_equal(outputs(fitted[1], rows, task), expected)
        np.testing.assert_array_equal(loaded.predict(frame.X), fitted[0].predict(frame.X))
