"""The report's HTML pieces: escaped cells, tables, sections, notes and figures.

Every value from a model file or a log passes through `escape` here; only `Markup`, made by
the report itself, goes into the page as it is.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any


def fmt(value: Any, digits: int = 4) -> str:
    """A number as people read it; '–' for none or not finite."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int) or float(value).is_integer() and abs(value) < 1e9:
        return f"{int(value):,}"
    if abs(value) >= 1e4 or abs(value) < 1e-3:
        return f"{value:.{digits}g}"
    return f"{value:.{digits}f}"


def table(headers: list[str], rows: list[list[Any]], numeric: set[int] = frozenset()) -> str:
    """A styled table; the columns in `numeric` right-aligned. Cells are escaped unless they
    are already markup (`Markup`)."""
    head = "".join(
        f'<th class="num">{escape(h)}</th>' if i in numeric else f"<th>{escape(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"num" if i in numeric else _cell_class(cell)}">{_cell(cell)}</td>'
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Markup(str):
    """HTML made here, put in a table cell as it is."""


class Config(Markup):
    """A hyperparameter summary, shown in a monospaced cell."""


def _cell(cell: Any) -> str:
    return cell if isinstance(cell, Markup) else escape(fmt(cell))


def _cell_class(cell: Any) -> str:
    return "config" if isinstance(cell, Config) else ""


def section(anchor: str, title: str, lead: str, body: str) -> str:
    return (
        f'<section id="{anchor}"><h2>{escape(title)}</h2>'
        f'<p class="lead">{escape(lead)}</p>{body}</section>'
    )


def note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


def figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


def facts(rows: list[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th>{escape(k)}</th><td>{_cell(v)}</td></tr>" for k, v in rows)
    return f'<table class="facts"><tbody>{body}</tbody></table>'


def file_name(path: str) -> Markup:
    """A file's name, its whole path on hover: the page may travel to other machines. (The
    record holds a sentence instead where there was no base: shown whole.)"""
    name = path if " " in path else path.replace("\\", "/").rsplit("/", 1)[-1]
    return Markup(f'<span title="{escape(path)}">{escape(name)}</span>')
