"""The default portfolio: valid in every space, diverse, and every entry fits."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from ConfigSpace import Configuration
from threadpoolctl import threadpool_limits

from automl_cli.space import build_pipeline, build_space, default_configs


@pytest.mark.parametrize(
    ("n_rows", "n_features", "n_categorical"),
    [(120, 4, 0), (120, 6, 3), (120, 3, 3), (20_000, 40, 5)],
)
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_default_configs_are_valid_plain_and_diverse(task, n_rows, n_features, n_categorical):
    space = build_space(task, n_rows, n_features, n_categorical)
    configs = default_configs(space)
    for config in configs:
        Configuration(space, values=config).check_valid_configuration()
        assert all(type(v) in (str, int, float, bool) for v in config.values()), config
    assert configs[0]["algorithm"] == "lightgbm"
    assert len({c["algorithm"] for c in configs}) >= 6
    assert len({tuple(sorted(c.items())) for c in configs}) == len(configs)
    assert ("svm" in {c["algorithm"] for c in configs}) == (n_rows <= 10_000)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_every_default_config_fits_and_beats_a_constant_guess(task, frames):
    frame = frames(task, 150, 4, 2, True, seed=11)
    train, test = np.arange(100), np.arange(100, 150)
    space = build_space(task, 100, 6, 2)
    for config in default_configs(space):
        pipeline = build_pipeline(
            config, task=task, numeric=frame.numeric, categorical=frame.categorical, seed=3
        )
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipeline.fit(frame.X.iloc[train], frame.y[train])
            if task == "regression":
                error = np.mean((pipeline.predict(frame.X.iloc[test]) - frame.y[test]) ** 2)
                baseline = np.mean((frame.y[train].mean() - frame.y[test]) ** 2)
            else:
                proba = pipeline.predict_proba(frame.X.iloc[test])
                np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
                error = np.mean(proba.argmax(axis=1) != frame.y[test])
                baseline = np.mean(frame.y[test] != np.bincount(frame.y[train]).argmax())
        # The frames carry strong signal: a working learner beats the majority class or the
        # mean (calibration on 100 rows is not asked of the defaults).
        assert error < baseline, (config["algorithm"], error, baseline)
