"""Exact bracket arithmetic: the paper's tables, power cases, and the Bracket stage rules."""

import math

import pytest

from automl_cli.fidelity import check_fidelity
from automl_cli.optimize.brackets import (
    Bracket,
    Rung,
    bracket_rungs,
    budget_ratio,
    hyperband_brackets,
    max_stage,
    rung_budgets,
)


def table(min_budget, max_budget, eta):
    """Hyperband's brackets as (n_i, r_i) rows, r_i in units of min_budget."""
    return [
        [(rung.n_configs, round(rung.budget / min_budget)) for rung in rungs]
        for rungs in hyperband_brackets(min_budget, max_budget, eta)
    ]


def test_hyperband_table_r27():
    assert table(1 / 27, 1.0, 3) == [
        [(27, 1), (9, 3), (3, 9), (1, 27)],
        [(12, 3), (4, 9), (1, 27)],
        [(6, 9), (2, 27)],
        [(4, 27)],
    ]


def test_hyperband_table_r81_matches_li_et_al():
    assert table(1 / 81, 1.0, 3) == [
        [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
        [(34, 3), (11, 9), (3, 27), (1, 81)],
        [(15, 9), (5, 27), (1, 81)],
        [(8, 27), (2, 81)],
        [(5, 81)],
    ]


@pytest.mark.parametrize(
    ("min_budget", "max_budget", "eta", "s_max"),
    [
        (1 / 243, 1.0, 3, 5),  # int(log(243) / log(3)) is 4
        (1.0, 243.0, 3, 5),
        (0.001, 1.0, 10, 3),  # int(log(1000) / log(10)) is 2
        (1 / 1000, 1.0, 10, 3),
        (1 / 27, 1.0, 3, 3),
        (1 / 100, 1.0, 3, 4),
        (1 / 26.9, 1.0, 3, 2),
        (1 / 8, 1.0, 2, 3),
        (0.5, 1.0, 3, 0),
        (1.0, 1.0, 3, 0),
    ],
)
def test_max_stage_uses_exact_powers(min_budget, max_budget, eta, s_max):
    assert max_stage(min_budget, max_budget, eta) == s_max


def test_budget_ratio_snaps_only_near_integers():
    assert budget_ratio(1 / 27, 1.0) == 27.0
    assert budget_ratio(1 / 243, 1.0) == 243.0
    assert budget_ratio(0.3, 1.0) == pytest.approx(1 / 0.3)
    assert budget_ratio(0.3, 1.0) != 3.0


def test_rung_budgets_end_at_max_and_start_at_or_above_min():
    assert rung_budgets(1 / 27, 1.0, 3) == [1 / 27, 1 / 9, 1 / 3, 1.0]
    budgets = rung_budgets(0.01, 0.9, 3)  # R = 90, not a power of 3
    assert budgets[-1] == 0.9
    assert budgets[0] >= 0.01
    assert len(budgets) == 5
    assert all(b2 == pytest.approx(3 * b1) for b1, b2 in zip(budgets, budgets[1:], strict=False))


def test_bottom_rung_never_below_min_budget_after_snapping():
    # 1 / (1/243) is not exactly 243 in floating point; the bottom rung still is min_budget
    rungs = bracket_rungs(5, 1 / 243, 1.0, 3)
    assert rungs[0].budget >= 1 / 243
    assert rungs[0].budget == pytest.approx(1 / 243)
    assert rungs[-1].budget == 1.0


def test_bracket_rungs_custom_n_keeps_at_least_one():
    rungs = bracket_rungs(3, 1 / 27, 1.0, 3, n_configs=10)
    assert [r.n_configs for r in rungs] == [10, 3, 1, 1]


def test_bracket_index_out_of_range():
    with pytest.raises(ValueError, match=r"bracket index s must be in \[0, 3\], got 4"):
        bracket_rungs(4, 1 / 27, 1.0, 3)


@pytest.mark.parametrize(
    ("min_budget", "max_budget", "eta", "message"),
    [
        (1 / 27, 1.0, 1, r"eta must be an integer >= 2 \(the factor between rungs\), got 1"),
        (1 / 27, 1.0, 2.5, r"eta must be an integer >= 2 .*got 2\.5"),
        (1 / 27, 1.0, True, r"eta must be an integer >= 2 .*got True"),
        (1 / 27, 1.0, "3", r"eta must be an integer >= 2 .*got '3'"),
        (
            0.5,
            0.1,
            3,
            r"min_budget must be in \(0, 0.1\] \(a fraction of the rows\), got 0.5",
        ),
        (0.0, 1.0, 3, r"min_budget must be in \(0, 1\] \(a fraction of the rows\), got 0$"),
        (math.nan, 1.0, 3, r"budgets must be finite, got nan and 1.0"),
    ],
)
def test_check_fidelity_messages(min_budget, max_budget, eta, message):
    with pytest.raises(ValueError, match=message):
        check_fidelity(min_budget, max_budget, eta)


def test_check_fidelity_accepts_integral_float_eta():
    assert check_fidelity(1 / 27, 1.0, 3.0) == 3


def run_stage(bracket, losses):
    """Hand out every trial of the current stage and report `losses[entry]`."""
    trials = []
    while (trial := bracket.next_trial(lambda budget: {})) is not None:
        trials.append(trial)
    for entry, _, _ in trials:
        bracket.report(entry, losses[entry])
    return [entry for entry, _, _ in trials]


def test_bracket_promotes_best_third_and_waits_between_stages():
    bracket = Bracket([Rung(9, 1 / 9), Rung(3, 1 / 3), Rung(1, 1.0)])
    losses = [0.9, 0.1, 0.5, 0.3, 0.8, 0.2, 0.7, 0.4, 0.6]
    trials = []
    while (trial := bracket.next_trial(lambda budget: {"i": len(trials)})) is not None:
        trials.append(trial)
    assert [config["i"] for _, config, _ in trials] == list(range(9))
    for entry, _, budget in trials[:-1]:
        assert budget == 1 / 9
        bracket.report(entry, losses[entry])
    assert bracket.next_trial(lambda budget: {}) is None  # one result still missing
    bracket.report(8, losses[8])
    assert bracket.budget == 1 / 3
    assert run_stage(bracket, losses) == [1, 5, 3]
    assert bracket.budget == 1.0
    assert run_stage(bracket, losses) == [1]
    assert bracket.finished


def test_bracket_never_promotes_failures_and_breaks_ties_by_draw_order():
    bracket = Bracket([Rung(6, 0.25), Rung(3, 1.0)])
    losses = [math.inf, 0.5, math.inf, 0.5, math.inf, math.inf]
    run_stage(bracket, losses)
    assert run_stage(bracket, [0, 0.2, 0, 0.1, 0, 0]) == [1, 3]
    assert bracket.finished

    tied = Bracket([Rung(3, 0.5), Rung(1, 1.0)])
    run_stage(tied, [0.4, 0.4, 0.4])
    assert tied.next_trial(lambda budget: {})[0] == 0


def test_bracket_ends_when_every_trial_failed():
    bracket = Bracket([Rung(3, 0.5), Rung(1, 1.0)])
    run_stage(bracket, [math.inf] * 3)
    assert bracket.finished
    assert bracket.next_trial(lambda budget: {}) is None


def test_bracket_stop_rule_drops_without_replacement():
    stopped = []

    def stop(curve):
        stopped.append(curve)
        return curve[-1][1] > 0.25

    bracket = Bracket([Rung(9, 1 / 9), Rung(3, 1 / 3)], stop=stop)
    losses = [0.9, 0.1, 0.5, 0.3, 0.8, 0.2, 0.7, 0.4, 0.6]
    run_stage(bracket, losses)
    # ranks allow 1, 5, 3; config 3 (loss 0.3) is stopped, and 7 does not take its place
    assert run_stage(bracket, losses) == [1, 5]
    assert [curve[0][1] for curve in stopped] == [0.1, 0.2, 0.3]
    assert bracket.finished
