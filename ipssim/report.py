"""The run report: one self-contained HTML page with plotly charts and the summary table.

Lines are the Monte Carlo mean of each arm; bands span the 2.5th to 97.5th percentile over
replications. The page embeds plotly.js so it opens offline, and it has no timestamps or random
ids, so the same run gives the same bytes.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pyarrow as pa
from plotly.subplots import make_subplots

from ipssim.scenario import Scenario

ARM_STYLE = {"ips": ("IPS", "#1f77b4", "rgba(31,119,180,0.18)"),
             "usual": ("Usual services", "#d62728", "rgba(214,39,40,0.18)")}
PANELS = (
    ("Clients in IPS and waiting", ("enrolled", "waiting"), ("ips",), False),
    ("Employed (any job)", ("employed",), ("ips", "usual"), False),
    ("Employed in competitive work", ("employed_competitive",), ("ips", "usual"), False),
    ("Ever in competitive work", ("ever_employed_competitive",), ("ips", "usual"), False),
    ("Gross earnings, EUR per month", ("earnings_eur",), ("ips", "usual"), False),
    ("Benefits paid, EUR per month", ("benefits_eur",), ("ips", "usual"), False),
    ("Cumulative net fiscal effect, EUR", ("net_fiscal_eur",), ("ips", "usual"), True),
    ("Largest coach caseload", ("max_caseload",), ("ips",), False),
)


def write_report(path: Path, scenario: Scenario, trajectories: pa.Table,
                 summary: dict[str, list], manifest: dict) -> None:
    figure = trajectory_figure(scenario, trajectories)
    chart = pio.to_html(figure, include_plotlyjs=True, full_html=False, div_id="trajectories")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ipssim: {html.escape(scenario.name)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1300px}}
table{{border-collapse:collapse}}td,th{{padding:2px 8px;border-bottom:1px solid #ddd;
text-align:right}}td:first-child,td:nth-child(2){{text-align:left}}</style></head><body>
<h1>{html.escape(scenario.name)}</h1>
<p>{html.escape(scenario.description)}</p>
<p>Mode: {scenario.mode}; horizon {scenario.horizon_months} months; seed {manifest['seed']};
{manifest['replications']} replications; ipssim {manifest['ipssim_version']};
scenario SHA-256 <code>{manifest['scenario_sha256'][:16]}</code>.
Lines: mean over replications. Bands: 2.5th to 97.5th percentile over replications.
Behavioural parameters are assumptions until calibrated (see the scenario file).</p>
{chart}
<h2>Summary</h2>
<p><i>difference</i> is IPS minus usual services within each replication (same clients, same
luck). lo95/hi95: 2.5th/97.5th percentiles over replications; mc_se: Monte Carlo standard error
of the mean.</p>
{_summary_table(summary)}
</body></html>
"""
    Path(path).write_text(page, encoding="utf-8")


def trajectory_figure(scenario: Scenario, trajectories: pa.Table) -> go.Figure:
    """A grid of monthly trajectories, both arms, mean with a 95% band."""
    frame = trajectories.to_pydict()
    arm = np.array(frame["arm"])
    months = np.arange(1, scenario.horizon_months + 1)
    figure = make_subplots(rows=4, cols=2, subplot_titles=[p[0] for p in PANELS],
                           vertical_spacing=0.07)
    shown: set[str] = set()
    for i, (_, columns, arms, cumulative) in enumerate(PANELS):
        row, col = i // 2 + 1, i % 2 + 1
        for name in arms:
            for column in columns:
                values = np.array(frame[column], dtype=float)[arm == name]
                values = values.reshape(-1, len(months))
                if cumulative:
                    values = values.cumsum(axis=1)
                label, line, band = ARM_STYLE[name]
                if len(columns) > 1:
                    label = f"{label}: {column}"
                lo, hi = np.percentile(values, [2.5, 97.5], axis=0)
                figure.add_trace(go.Scatter(
                    x=np.concatenate([months, months[::-1]]), y=np.concatenate([hi, lo[::-1]]),
                    fill="toself", fillcolor=band, line={"width": 0}, hoverinfo="skip",
                    showlegend=False, legendgroup=label), row=row, col=col)
                dash = "dot" if column == "waiting" else "solid"
                figure.add_trace(go.Scatter(
                    x=months, y=values.mean(axis=0), name=label, legendgroup=label,
                    line={"color": line, "dash": dash}, showlegend=label not in shown),
                    row=row, col=col)
                shown.add(label)
    figure.add_hline(y=scenario.coaching.caseload_cap, line_dash="dash", row=4, col=2,
                     annotation_text="caseload cap")
    figure.update_xaxes(title_text="month")
    figure.update_layout(height=1300, template="plotly_white")
    return figure


def _summary_table(summary: dict[str, list]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in summary)
    rows = []
    for values in zip(*summary.values(), strict=True):
        cells = "".join(f"<td>{_cell(v)}</td>" for v in values)
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return html.escape(str(value))
