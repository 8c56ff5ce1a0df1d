"""The report's sections, each a function of the sources that returns its HTML.

Every value from the model file or the log is escaped; charts come from `charts`. A section
whose data is missing (an older model file, no trial log, importance skipped) still appears
and says why, so a reader never wonders whether it was forgotten.
"""

from __future__ import annotations

import math
from collections import Counter
from html import escape

from automl_cli.html_report import charts
from automl_cli.html_report.markup import (
    Config,
    Markup,
    facts,
    figure,
    file_name,
    fmt,
    note,
    section,
    table,
)
from automl_cli.html_report.sources import ReportSources
from automl_cli.report import SINGLE_WHY, config_summary


def cards(sources: ReportSources) -> str:
    m = sources.manifest
    ensemble = m.get("ensemble") or {}
    members = ensemble.get("members") or []
    shipped = f"{ensemble['kind']} of {len(members)}" if members else m["algorithm"]
    score = ensemble["validation_score"] if members else m["validation_score"]
    search = m.get("search", {})
    items = [
        (f"validation {m['metric']}", fmt(score), m.get("validation", "")),
        ("model", shipped, f"refitted on {m.get('refit_rows', 1.0):.0%} of the rows"),
        (
            "trials",
            fmt(m["trial_count"]),
            f"{m['failed_trials']} failed, {search.get('optimizer')}",
        ),
        (
            "search time",
            f"{search.get('seconds', 0):.1f} s",
            f"of a {fmt(search.get('time_budget'))} s budget",
        ),
    ]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="label">{escape(label)}</div>'
            f'<div class="value">{escape(value)}</div><div class="sub">{escape(sub)}</div></div>'
            for label, value, sub in items
        )
        + "</div>"
    )


def task_section(sources: ReportSources) -> str:
    from automl_cli.meta.features import GROUPS, META_FEATURES

    m = sources.manifest
    columns = m["schema"]["columns"]
    kinds = Counter(column.get("kind", column.get("type", "?")) for column in columns)
    body = facts(
        [
            ("task", m["task"]),
            ("target", m["target"]),
            ("metric", m["metric"]),
            ("validation", m.get("validation", "–")),
            ("training rows", m.get("training_rows")),
            (
                "feature columns",
                f"{len(columns)} ({', '.join(f'{n} {k}' for k, n in kinds.items())})",
            ),
            ("classes", ", ".join(map(str, m["classes"])) or "–"),
        ]
    )
    values = m.get("explanations", {}).get("meta_features") or {}
    if not values:
        return section(
            "task",
            "Task and data",
            "What was learned, from what.",
            body
            + note(
                "The data's meta-features are not in this model file (written before they were "
                "recorded, or the time budget left no time for them)."
            ),
        )
    groups = []
    for group in GROUPS:
        rows = [
            [
                Markup(f'<span title="{escape(f.definition)}">{escape(f.name)}</span>'),
                values.get(f.name),
            ]
            for f in META_FEATURES
            if f.group == group and f.name in values
        ]
        if rows:
            groups.append(
                f'<div class="group"><h3>{escape(group)}</h3>'
                + table(["meta-feature", "value"], rows, {1})
                + "</div>"
            )
    body += f'<h3>Meta-features</h3><div class="meta">{"".join(groups)}</div>'
    return section(
        "task",
        "Task and data",
        "What was learned, from what; the meta-features "
        "describe the data to the warm start (hover a name for its definition).",
        body,
    )


def warm_start_section(sources: ReportSources) -> str:
    warm = sources.manifest.get("warm_start") or {}
    lead = (
        "The knowledge base's tasks most like this one, whose best configs the search tried first."
    )
    if not warm.get("enabled"):
        return section(
            "warm-start",
            "Warm start",
            lead,
            note("The search started cold (--no-warm-start): the space's default configs first."),
        )
    neighbours = warm.get("neighbours") or []
    body = facts(
        [
            ("knowledge base", file_name(warm.get("metabase") or "–")),
            ("configs tried first", warm.get("configs")),
            ("of them from the portfolio", warm.get("from_portfolio")),
            ("earlier evaluations replayed into the optimizer", warm.get("history")),
        ]
    )
    if neighbours:
        body += "<h3>Neighbour tasks</h3>" + table(
            ["task", "distance in meta-feature space"],
            [[n["task"], n["distance"]] for n in neighbours],
            {1},
        )
    else:
        body += note(
            "No task in the knowledge base was close enough; the portfolio's configs came first."
        )
    return section("warm-start", "Warm start", lead, body)


def anytime_section(sources: ReportSources) -> str:
    m = sources.manifest
    lead = (
        "Every trial's validation score when it finished, coloured by the share of the "
        "training rows it fitted on (its budget); the line is the best so far."
    )
    ok = [t for t in sources.trials or [] if t["status"] == "ok" and t.get("score") is not None]
    if not ok:
        return section("anytime", "Anytime curve", lead, note(f"Not drawn: {sources.log_note}."))
    svg = charts.anytime_curve(ok, m["metric"])
    return section("anytime", "Anytime curve", lead, figure(svg, f"{sources.log_note}."))


def trials_section(sources: ReportSources) -> str:
    lead = "How the search spent its trials: per algorithm, at each budget (share of the rows)."
    trials = sources.trials
    if not trials:
        return section(
            "trials",
            "Trials per algorithm and budget",
            lead,
            note(f"Not drawn: {sources.log_note}."),
        )
    budgets = sorted({t["budget"] for t in trials})
    counts = Counter((t["algorithm"], t["budget"]) for t in trials)
    failed = Counter(t["algorithm"] for t in trials if t["status"] != "ok")
    best: dict[str, float] = {}
    for t in trials:
        if (
            t["status"] == "ok"
            and t.get("loss") is not None
            and t["loss"] < best.get(t["algorithm"], (math.inf, 0))[0]
        ):
            best[t["algorithm"]] = (t["loss"], t["score"])
    algorithms = sorted(
        {t["algorithm"] for t in trials}, key=lambda a: best.get(a, (math.inf, 0))[0]
    )
    rows = [
        [a, *(counts[(a, b)] or "" for b in budgets), failed[a] or "", best.get(a, (0, None))[1]]
        for a in algorithms
    ]
    headers = [
        "algorithm",
        *(charts.budget_label(b) for b in budgets),
        "failed",
        f"best {sources.manifest['metric']}",
    ]
    body = figure(charts.trials_per_algorithm(trials), f"{len(trials)} trials.")
    body += table(headers, rows, set(range(1, len(headers))))
    return section("trials", "Trials per algorithm and budget", lead, body)


def leaderboard_section(sources: ReportSources) -> str:
    m = sources.manifest
    rows = [
        [
            rank,
            t["job_id"],
            t["algorithm"],
            charts.budget_label(t["budget"]),
            t["score"],
            t["fit_seconds"],
            Config(escape(config_summary(t["config"], limit=6))),
        ]
        for rank, t in enumerate(m["leaderboard"], start=1)
    ]
    headers = ["#", "trial", "algorithm", "budget", m["metric"], "fit s", "hyperparameters"]
    return section(
        "leaderboard",
        "Leaderboard",
        "The best trials of the search, best first.",
        table(headers, rows, {0, 1, 3, 4, 5}),
    )


def ensemble_section(sources: ReportSources) -> str:
    m = sources.manifest
    ensemble = m.get("ensemble")
    lead = (
        "What ships: the ensemble of the search's models that scores best on the validation "
        "rows, the best single model alone where no mix beats it."
    )
    if ensemble is None:
        return section(
            "ensemble", "Ensemble", lead, note("This model file has no ensemble record.")
        )
    members = ensemble.get("members") or []
    held_out = ensemble.get("held_out_losses") or {}
    body = ""
    if held_out:
        body += "<h3>Loss on validation rows the selection did not see</h3>" + table(
            ["model", f"loss ({m['metric']})"], [[k, v] for k, v in held_out.items()], {1}
        )
    if not members:
        why = "--ensemble-size 0" if ensemble.get("size") == 0 else SINGLE_WHY
        return section(
            "ensemble",
            "Ensemble",
            lead,
            body + note(f"No ensemble: the single best model ships ({why})."),
        )
    heaviest = max(member["weight"] for member in members)
    rows = [
        [
            member["job_id"],
            member["algorithm"],
            Markup(
                f'<span class="bar" style="width:{90 * member["weight"] / heaviest:.0f}px">'
                f"</span>{member['weight']:.3f}"
            ),
            member["validation_score"],
        ]
        for member in members
    ]
    members_table = table(
        ["trial", "algorithm", "weight", f"validation {m['metric']}"], rows, {0, 2, 3}
    )
    summary = (
        f'<p><span class="pill">{escape(ensemble["kind"])}</span> {len(members)} members, '
        f"validation {escape(m['metric'])} {escape(fmt(ensemble.get('validation_score')))} "
        f"(best single model {escape(fmt(ensemble.get('single_validation_score')))})</p>"
    )
    return section(
        "ensemble", "Ensemble", lead, summary + "<h3>Members</h3>" + members_table + body
    )


def importance_section(sources: ReportSources) -> str:
    importance = (sources.manifest.get("explanations") or {}).get("importance")
    lead = (
        "Permutation importance of the shipped model: how much worse it does on validation "
        "rows when one feature's values are shuffled."
    )
    if importance is None:
        return section(
            "importance",
            "Feature importance",
            lead,
            note(
                "This model file was written before importances were recorded; fit again for them."
            ),
        )
    if importance["status"] != "done":
        return section(
            "importance",
            "Feature importance",
            lead,
            note(
                f"Importance was skipped: {importance['reason']}. A larger --time-budget "
                "leaves time for it."
            ),
        )
    features = importance["features"]
    caption = (
        f"The {importance['measure']}; mean and spread over {importance['repeats']} shuffles "
        f"of {importance['rows']} validation rows (the shipped model was refitted on them too)."
    )
    body = figure(charts.importance_bars(features), caption)
    if len(features) > 15:
        body += (
            f'<p class="lead">The {len(features) - 15} less important features: '
            f"{escape(', '.join(f['name'] for f in features[15:]))}.</p>"
        )
    return section("importance", "Feature importance", lead, body)


def predictions_section(sources: ReportSources) -> str:
    m = sources.manifest
    diagnostics = (m.get("explanations") or {}).get("diagnostics")
    title = "Predictions on validation rows"
    if diagnostics is None:
        return section(
            "predictions",
            title,
            "How predictions compare with the truth.",
            note("This model file was written before these were recorded; fit again for them."),
        )
    lead = f"{diagnostics['rows']} validation rows; predictions {diagnostics['source']}."
    if m["task"] == "regression":
        residuals = diagnostics["residuals"]
        body = figure(
            charts.residual_plot(residuals["predicted"], residuals["actual"], m["target"]),
            f"{len(residuals['predicted'])} of the rows shown; RMSE {fmt(diagnostics['rmse'])}, "
            f"MAE {fmt(diagnostics['mae'])}, mean residual {fmt(diagnostics['bias'])}.",
        )
        return section("predictions", title, lead, body)
    confusion, calibration = diagnostics["confusion"], diagnostics["calibration"]
    body = (
        '<div class="grid2">'
        + figure(
            charts.confusion_matrix(confusion["labels"], confusion["matrix"]),
            f"Confusion matrix (accuracy {fmt(diagnostics['accuracy'])}); shading: the share "
            "of the true class's rows.",
        )
        + figure(
            charts.calibration_curve(calibration["bins"], calibration["predicted"]),
            f"Calibration: the {calibration['predicted']}, in ten bins, against how often it "
            "came true.",
        )
        + "</div>"
    )
    return section("predictions", title, lead, body)
