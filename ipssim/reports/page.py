"""The one page shell of every HTML report: the stylesheet, plotly.js, tables and charts.

A report is one page that loads plotly.js from where ``plotlyjs`` says (:data:`PLOTLYJS`): by
default from ``plotly.min.js``, written once beside the reports by :func:`write_page`, so a folder
of reports carries one copy of the 4.6 MB library and still opens offline; or from plotly's CDN.
Nothing on a page depends on the time or on chance (no timestamps, no random ids), so the same
results give the same bytes. Tables come from :func:`table`, charts from :func:`chart`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs, get_plotlyjs_version

from ipssim import files
from ipssim.reports.numbers import number_text

PLOTLYJS = ("folder", "cdn")
"""Where a report's plotly.js comes from: ``folder``, the file :data:`PLOTLYJS_FILE` beside the
report (opens offline); ``cdn``, plotly's content delivery network (no file; needs the
internet)."""
PLOTLYJS_FILE = "plotly.min.js"

STYLE = ("body{font-family:sans-serif;margin:2em;max-width:1300px}"
         " table{border-collapse:collapse}"
         " td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}"
         " td:first-child,td:nth-child(2),td.text{text-align:left}"
         " table.one-label td:nth-child(2):not(.text){text-align:right}"
         " .no{color:#b00;font-weight:bold}")
"""Numbers right-aligned; the label columns (the first two, or the first of a ``one-label``
table) and other text left-aligned; ``no`` marks a failed check."""
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")
"""The colours of the lines, bars and points of one chart, in order."""


@dataclass(frozen=True)
class Cell:
    """A table cell shown as given: ``html`` is already escaped; ``css`` is its class."""

    html: str
    css: str = ""


def write_page(path: Path, title: str, heading: str, sections: Sequence[str],
               charts: bool = True, plotlyjs: str = "folder") -> None:
    """Write the page (:func:`_page`) to ``path`` and, when it has ``charts`` and loads plotly.js from its
    folder, :data:`PLOTLYJS_FILE` beside it (once: a folder's later reports reuse it)."""
    if charts and plotlyjs == "folder":
        library = Path(path).parent / PLOTLYJS_FILE
        code = get_plotlyjs()
        if not library.is_file() or library.read_text(encoding="utf-8") != code:
            files.write_text(library, code)
    files.write_text(path, _page(title, heading, sections, charts, plotlyjs))


def _page(title: str, heading: str, sections: Sequence[str], charts: bool = True,
          plotlyjs: str = "folder") -> str:
    """A whole HTML page: ``heading`` then the ``sections`` (HTML, empty ones left out), with
    a script tag in the head that loads plotly.js as ``plotlyjs`` says, when the page has
    ``charts``."""
    if plotlyjs not in PLOTLYJS:
        raise ValueError(f"plotlyjs: {plotlyjs!r} is not one of {', '.join(PLOTLYJS)}")
    source = PLOTLYJS_FILE if plotlyjs == "folder" else \
        f"https://cdn.plot.ly/plotly-{get_plotlyjs_version()}.min.js"
    script = ('<script type="text/javascript">window.PlotlyConfig = {MathJaxConfig: \'local\'};'
              f'</script>\n<script type="text/javascript" src="{source}" charset="utf-8"></script>\n'
              if charts else "")
    body = "\n".join(s for s in sections if s)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{STYLE}</style>
{script}</head><body>
<h1>{html.escape(heading)}</h1>
{body}
</body></html>
"""


def section(heading: str, *parts: str) -> str:
    """An ``<h2>`` heading and what follows it (HTML)."""
    return "\n".join((f"<h2>{html.escape(heading)}</h2>", *(p for p in parts if p)))


def chart(figure: go.Figure, div_id: str) -> str:
    """A plotly figure as a ``<div>`` (plotly.js itself is in the page's head)."""
    return pio.to_html(figure, include_plotlyjs=False, full_html=False, div_id=div_id)


def table(columns: Mapping[str, Sequence], limit: int | None = None, labels: int = 2) -> str:
    """A table of equal-length columns, one ``<th>`` per column name.

    Numbers are shown by :func:`cell`; text is escaped, and left-aligned beyond the ``labels``
    leading columns (1 or 2) that name a row; a :class:`Cell` is shown as given. At most
    ``limit`` rows are shown, with a line saying how many more the CSV file has.
    """
    names = list(columns)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in names)
    values = [columns[c] for c in names]
    count = len(values[0]) if values else 0
    shown = count if limit is None else min(count, limit)
    rows = []
    for i in range(shown):
        cells = "".join(_td(column[i], j >= labels) for j, column in enumerate(values))
        rows.append(f"<tr>{cells}</tr>")
    css = ' class="one-label"' if labels == 1 else ""
    more = f"<p>... and {count - shown} more rows in the CSV file.</p>" if count > shown else ""
    return f"<table{css}><tr>{head}</tr>{''.join(rows)}</table>{more}"


def records(rows: Sequence[dict]) -> dict[str, list]:
    """Rows (dicts with the same keys) as the columns :func:`table` takes."""
    return {key: [row[key] for row in rows] for key in (rows[0] if rows else {})}


def cell(value: object) -> str:
    """A value as table text: a number as :func:`ipssim.reports.numbers.number_text` writes it,
    text escaped."""
    if isinstance(value, float):
        return number_text(value)
    return html.escape(str(value))


def _td(value: object, beyond_labels: bool) -> str:
    if isinstance(value, Cell):
        return f'<td class="{value.css}">{value.html}</td>' if value.css else f"<td>{value.html}</td>"
    if beyond_labels and isinstance(value, str):
        return f'<td class="text">{cell(value)}</td>'
    return f"<td>{cell(value)}</td>"
