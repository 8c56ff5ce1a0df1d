"""Every config the space can produce builds a pipeline that fits and predicts sensibly."""

from __future__ import annotations

import warnings

import numpy as np
import skops.io
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

from automl_cli.space import (
    TRUSTED_TYPES,
    algorithm_of,
    available_algorithms,
    build_pipeline,
    build_space,
)


@st.composite
def cases(draw):
    task = draw(st.sampled_from(["binary", "multiclass", "regression"]))
    n_rows = draw(st.integers(60, 150))
    n_numeric = draw(st.integers(0, 12))
    n_categorical = draw(st.integers(0 if n_numeric else 1, 3))
    algorithm = draw(st.sampled_from(available_algorithms(task, n_rows)))
    return (
        task,
        n_rows,
        n_numeric,
        n_categorical,
        draw(st.booleans()),
        algorithm,
        draw(st.integers(0, 2**31 - 1)),
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_every_sampled_config_fits_and_predicts_well_formed_output(case, frames, unusual, sampler):
    task, n_rows, n_numeric, n_categorical, missing, algorithm, seed = case
    frame = frames(task, n_rows, n_numeric, n_categorical, missing, seed)
    space = build_space(task, n_rows, n_numeric + n_categorical, n_categorical)
    config = sampler(space, algorithm, seed)
    assert algorithm_of(config) == algorithm
    pipeline = build_pipeline(
        config, task=task, numeric=frame.numeric, categorical=frame.categorical, seed=seed
    )
    # One thread, as the executor gives each trial: HistGradientBoosting has no thread knob.
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes on tiny data are expected
        pipeline.fit(frame.X, frame.y)
        rows = unusual(frame)
        predictions = pipeline.predict(frame.X)
        odd_predictions = pipeline.predict(rows)
        if task != "regression":
            proba = pipeline.predict_proba(frame.X)
            odd_proba = pipeline.predict_proba(rows)

    assert predictions.shape == (n_rows,)
    assert odd_predictions.shape == (len(rows),)
    if task == "regression":
        assert np.all(np.isfinite(predictions)) and np.all(np.isfinite(odd_predictions))
    else:
        assert list(pipeline.classes_) == list(range(frame.n_classes))
        for p in (proba, odd_proba):
            assert p.shape[1] == frame.n_classes
            assert np.all(np.isfinite(p)) and np.all(p >= 0)
            np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-6)
        assert set(np.unique(predictions)) <= set(range(frame.n_classes))
    untrusted = set(skops.io.get_untrusted_types(data=skops.io.dumps(pipeline)))
    assert untrusted <= set(TRUSTED_TYPES), untrusted - set(TRUSTED_TYPES)
