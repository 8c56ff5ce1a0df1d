"""`automl report`: one self-contained HTML page about a model file and the search behind it.

The page holds everything inline (charts as SVG, the style sheet), so it opens anywhere,
offline, and can be mailed as one file. It is drawn from the model's manifest, its
`explanations` record (automl_cli/explain) and the trial log beside the model when present.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from automl_cli.files import atomic_write
from automl_cli.html_report import sections
from automl_cli.html_report.sources import ReportSources, read_sources, trial_log_path
from automl_cli.html_report.style import CSS

SECTIONS = (
    ("task", "Task and data", sections.task_section),
    ("warm-start", "Warm start", sections.warm_start_section),
    ("anytime", "Anytime curve", sections.anytime_section),
    ("trials", "Trials", sections.trials_section),
    ("leaderboard", "Leaderboard", sections.leaderboard_section),
    ("ensemble", "Ensemble", sections.ensemble_section),
    ("importance", "Feature importance", sections.importance_section),
    ("predictions", "Predictions", sections.predictions_section),
)


def default_report_path(model_path: Path) -> Path:
    """MODEL.automl -> MODEL.report.html, beside it."""
    return model_path.with_name(model_path.stem + ".report.html")


def report_inputs(model_path: Path) -> list[Path]:
    """The files a report reads, which its output must never overwrite."""
    return [model_path, trial_log_path(model_path)]


def write_report(model_path: Path, out: Path) -> ReportSources:
    """Draw the report of `model_path` and write it to `out` atomically; what it was drawn from."""
    sources = read_sources(model_path)
    page = render(sources)
    with atomic_write(out, "w") as stream:
        stream.write(page)
    return sources


def render(sources: ReportSources) -> str:
    """The whole page."""
    m = sources.manifest
    title = f"{m['target']} · {m['task']} model"
    toc = "".join(f'<a href="#{anchor}">{escape(name)}</a>' for anchor, name, _ in SECTIONS)
    body = "".join(draw(sources) for _, _, draw in SECTIONS)
    libraries = ", ".join(f"{k} {v}" for k, v in m.get("libraries", {}).items())
    subtitle = f"{sources.model_path.name} · written {m.get('created', '')} · run {m.get('run_id')}"
    notices = "".join(f"<li>{escape(n)}</li>" for n in m.get("notices", []))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · automl report</title>
<style>{CSS}</style></head>
<body>
<header class="top"><div class="wrap">
<h1>{escape(title)}</h1>
<p>{escape(subtitle)}</p>
<nav class="toc">{toc}</nav>
</div></header>
<main class="wrap">
{sections.cards(sources)}
{body}
</main>
<footer class="wrap">
{f"<p>Notes from the fit:</p><ul>{notices}</ul>" if notices else ""}
<p>Trial log: {escape(sources.log_note)}. Libraries: {escape(libraries)}.</p>
<p>Made by <code>automl report</code>; self-contained, no network needed.</p>
</footer>
</body></html>
"""
