"""Moving configs into a search space: clipping, defaults, dropped learners, portfolio entries."""

from __future__ import annotations

import pytest
from ConfigSpace import Configuration
from ConfigSpace.util import deactivate_inactive_hyperparameters

from automl_cli.meta.locate import shipped_path
from automl_cli.meta.store import MetaBase
from automl_cli.meta.warmstart import known_tasks
from automl_cli.space import build_space, default_configs
from automl_cli.space.adapt import adapt_config
from automl_cli.space.portfolio import PORTFOLIO


def valid_in(config: dict, space) -> bool:  # noqa: ANN001 - ConfigurationSpace
    Configuration(space, values=config).check_valid_configuration()
    return True


def test_adapt_clips_values_fills_defaults_and_drops_what_the_space_lacks() -> None:
    source = build_space("binary", 5_000, 12, 3)
    target = build_space("binary", 300, 5, 0)  # no categoricals, too few features to select
    config = {
        "algorithm": "knn",
        "knn:n_neighbors": 100,  # above 300 // 2 rows: clipped
        "knn:weights": "distance",
        "encode:method": "ordinal",
        "select:method": "f_test",
        "scale:method": "robust",
    }
    assert valid_in(adapt_config(config, source), source)
    adapted = adapt_config(config, target)
    assert valid_in(adapted, target)
    assert adapted["knn:n_neighbors"] == target["knn:n_neighbors"].upper == 100
    small = adapt_config(config, build_space("binary", 60, 5, 0))
    assert small["knn:n_neighbors"] == 30  # n_rows // 2
    assert adapted["knn:weights"] == "distance" and adapted["scale:method"] == "robust"
    assert not any(k.startswith(("encode:", "select:")) for k in adapted)
    assert "impute:numeric" in adapted  # the target space has it; the default fills in


def test_every_shipped_config_adapts_to_a_valid_config_of_other_spaces() -> None:
    with MetaBase.open(shipped_path(), readonly=True) as base:
        configs = [c for task in known_tasks(base) for c in task.configs.values()]
    spaces = [
        build_space("binary", 60, 3, 0),  # small: tight ranges, no selection, no encoding
        build_space("multiclass", 20_000, 40, 12),  # large: no kernel SVM
        build_space("regression", 2_000, 15, 4),
    ]
    adapted = [(adapt_config(c, space), space) for c in configs[::7] for space in spaces]
    checked = [valid_in(config, space) for config, space in adapted if config is not None]
    assert len(checked) > len(configs[::7])  # most adapt to most spaces


def test_adapt_skips_a_learner_the_space_does_not_offer() -> None:
    large = build_space("binary", 20_000, 5, 0)  # kernel SVM only up to 10,000 rows
    assert adapt_config({"algorithm": "svm", "svm:C": 2.0}, large) is None
    assert adapt_config({"algorithm": "nonsense"}, large) is None


def test_adapt_maps_an_unknown_choice_to_the_default() -> None:
    space = build_space("regression", 500, 5, 0)
    adapted = adapt_config({"algorithm": "random_forest", "random_forest:criterion": "gini"}, space)
    assert "random_forest:criterion" not in adapted  # regression forests have no such choice
    adapted = adapt_config({"algorithm": "linear", "linear:penalty": "l7"}, space)
    assert adapted["linear:penalty"] == space["linear:penalty"].default_value


SPACES = [
    build_space("binary", 300, 5, 0),
    build_space("multiclass", 20_000, 40, 12),  # no kernel SVM: that entry is skipped
    build_space("regression", 2_000, 15, 4),
]


@pytest.mark.parametrize("space", SPACES)
def test_every_value_a_portfolio_entry_sets_is_kept_as_it_is(space) -> None:  # noqa: ANN001
    """The adapter clips and replaces silently, so an entry that asked for a value the space
    lacks would change without a word: none does."""
    configs = iter(default_configs(space))
    for entry in PORTFOLIO:
        if entry["algorithm"] in space["algorithm"].choices:
            config = next(configs)
            for name, value in entry.items():
                assert config[name] == value and type(config[name]) is type(value), name


@pytest.mark.parametrize("space", SPACES)
def test_default_configs_are_the_portfolio_entries_as_configspace_completes_them(space) -> None:  # noqa: ANN001
    offered = set(space["algorithm"].choices)
    expected = []
    for entry in PORTFOLIO:
        if entry["algorithm"] in offered:
            values = {name: hp.default_value for name, hp in space.items()} | entry
            expected.append(dict(deactivate_inactive_hyperparameters(values, space)))
    configs = default_configs(space)
    assert configs == expected
    assert all(valid_in(config, space) for config in configs)
