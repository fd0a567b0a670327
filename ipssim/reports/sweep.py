"""The sweep report: one self-contained HTML page per sweep, plotly charts and the tables behind them.

One-way: a tornado chart per chosen metric. Grid: a heat map per chosen metric (one per
combination of any further parameters; a line for a one-parameter grid). PSA: the
cost-effectiveness plane, the acceptability curve and the expected value of perfect information
per effect (additional people in competitive work; QALYs when on). Global: Sobol indices with
bootstrap intervals and their convergence with the sample size, or Morris mu* against sigma.
The page shell, stylesheet and tables are ``ipssim.reports.page``'s.
"""

from __future__ import annotations

import html
import itertools
import math
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from ipssim.reports.page import COLOURS, chart, section, table, write_page
from ipssim.scenario.sampling import describe
from ipssim.sweep.analysis import EFFECTS

MAX_ROWS = 400
"""Longest table shown on the page; the CSV files have every row."""
MAX_HEATMAPS = 12

INTRO = {
    "one_way": "Each parameter alone at its low and its high value, everything else at the base "
               "case. Bars run from the base-case value of the metric to its value at the low "
               "(blue) and at the high (red) end, widest swing at the top.",
    "grid": "Every combination of the parameters' values.",
    "psa": "Draws from the parameters' distributions. Each point of the plane is one draw: the "
           "mean over its replications of IPS minus usual services.",
    "global": "Variance-based sensitivity over the parameters' distributions.",
}


def write_sweep_report(path: Path, design, tables: dict[str, dict[str, list]],
                       manifest: dict, plotlyjs: str = "folder") -> None:
    spec = design.spec
    sections = {"one_way": _one_way, "grid": _grid, "psa": _psa, "global": _global}[spec.kind](
        design, tables)
    streams = ("common random numbers: every point runs the same replications from the sweep "
               "seed, so differences between points come from the parameters alone"
               if spec.streams == "common" else
               "independent streams: point i runs from SeedSequence([seed, i])")
    intro = f"""<p>{INTRO[spec.kind]}</p>
<p>Scenario <code>{html.escape(str(manifest.get('scenario_file', '')))}</code> (SHA-256
<code>{manifest['scenario_sha256'][:16]}</code>); {len(design.points)} points of
{spec.replications} replications each; seed {spec.seed}; {streams}. Sweep SHA-256
<code>{design.sha256[:16]}</code>; ipssim {manifest['ipssim_version']}. A point's value of a
metric is its mean over its replications.</p>"""
    write_page(path, f"ipssim sweep: {_name(manifest)}",
               f"Sweep {_name(manifest)}: {spec.kind.replace('_', '-')}",
               [intro, _parameters(design), sections], plotlyjs=plotlyjs)


def _name(manifest: dict) -> str:
    return str(manifest.get("name") or Path(manifest.get("sweep_file") or "sweep").stem)


def _parameters(design) -> str:
    rows: dict[str, list] = {"parameter": [], "base value": [], "varied as": [], "source": []}
    spec = design.spec
    for path in design.parameters:
        rows["parameter"].append(path)
        rows["base value"].append(design.base_values.get(path, math.nan))
        distribution = design.space.distribution_of(path) if design.space else None
        if spec.kind == "one_way":
            low = next(p.values[path] for p in design.points if p.parameter == path
                       and p.level == "low")
            high = next(p.values[path] for p in design.points if p.parameter == path
                        and p.level == "high")
            how = f"{low:g} to {high:g}"
            if spec.parameters[path] is None:  # the range is from the parameter's distribution
                assert distribution is not None
                how += (f" (percentiles {spec.percentiles[0]:g}, "
                        f"{spec.percentiles[1]:g} of {describe(distribution)})")
        elif spec.kind == "grid":
            how = ", ".join(f"{v:g}" for v in spec.parameters[path])
        else:
            how = describe(distribution) if distribution else ""
        rows["varied as"].append(how)
        rows["source"].append(distribution.source if distribution else "sweep file")
    return section("Parameters", table(rows, labels=1))


# -- one-way ----------------------------------------------------------------------------------------

def tornado_figure(table: dict[str, list], metric: str, arm: str) -> go.Figure:
    rows = [i for i, (m, a) in enumerate(zip(table["metric"], table["arm"], strict=True))
            if m == metric and a == arm][::-1]  # widest swing at the top
    base = table["base"][rows[0]] if rows else 0.0
    labels = [f"{table['parameter'][i]} ({table['low_value'][i]:g} / "
              f"{table['high_value'][i]:g})" for i in rows]
    figure = go.Figure()
    for level, colour in (("low", COLOURS[0]), ("high", COLOURS[1])):
        values = np.array([table[f"at_{level}"][i] for i in rows], dtype=float)
        figure.add_trace(go.Bar(y=labels, x=values - base, base=base, orientation="h",
                                name=f"parameter at its {level} value", marker_color=colour,
                                hovertemplate="%{y}: %{customdata:.4g}<extra></extra>",
                                customdata=values))
    figure.add_vline(x=base, line_dash="dash", annotation_text=f"base case {base:.4g}")
    figure.update_layout(barmode="overlay", title=f"{metric} ({arm})", xaxis_title=metric,
                         height=180 + 40 * len(rows), template="plotly_white")
    return figure


def _one_way(design, tables) -> str:
    table = tables["tornado"]
    parts = ["<h2>Tornado charts</h2>"]
    for i, m in enumerate(design.spec.metrics):
        if (m.metric, m.arm) in set(zip(table["metric"], table["arm"], strict=True)):
            parts.append(chart(tornado_figure(table, m.metric, m.arm), f"tornado{i}"))
    parts.append("<h2>Tornado table</h2><p>Every metric is in <code>tornado.csv</code>; the charted "
                 "ones are here.</p>")
    parts.append(_table(_rows(table, _chosen(design))))
    return "\n".join(parts)


# -- grid ---------------------------------------------------------------------------------------------

def _grid(design, tables) -> str:
    table = tables["grid"]
    paths = design.parameters
    parts = ["<h2>Heat maps</h2>" if len(paths) > 1 else "<h2>Response</h2>"]
    for i, m in enumerate(design.spec.metrics):
        rows = [j for j, (metric, arm) in enumerate(zip(table["metric"], table["arm"], strict=True))
                if metric == m.metric and arm == m.arm]
        if not rows:
            continue
        for k, figure in enumerate(grid_figures(table, rows, paths, m.metric, m.arm)):
            parts.append(chart(figure, f"grid{i}-{k}"))
    parts.append("<h2>Grid table</h2><p>Every metric is in <code>grid.csv</code>.</p>")
    parts.append(_table(_rows(table, _chosen(design))))
    return "\n".join(parts)


def grid_figures(table, rows, paths, metric, arm) -> list[go.Figure]:
    title = f"{metric} ({arm})"
    if len(paths) == 1:
        x = [table[paths[0]][j] for j in rows]
        mean = np.array([table["mean"][j] for j in rows])
        lo = np.array([table["lo95"][j] for j in rows])
        hi = np.array([table["hi95"][j] for j in rows])
        figure = go.Figure(go.Scatter(x=x, y=mean, mode="lines+markers", name="mean", error_y={
            "type": "data", "symmetric": False, "array": hi - mean, "arrayminus": mean - lo}))
        figure.update_layout(title=title + " (bars: 95% range over replications)",
                             xaxis_title=paths[0], yaxis_title=metric, template="plotly_white")
        return [figure]
    y_path, x_path, rest = paths[0], paths[1], paths[2:]
    others = sorted({tuple(table[p][j] for p in rest) for j in rows})
    figures = []
    for combo in others[:MAX_HEATMAPS]:
        chosen = [j for j in rows if tuple(table[p][j] for p in rest) == combo]
        xs = sorted({table[x_path][j] for j in chosen})
        ys = sorted({table[y_path][j] for j in chosen})
        z = np.full((len(ys), len(xs)), np.nan)
        for j in chosen:
            z[ys.index(table[y_path][j]), xs.index(table[x_path][j])] = table["mean"][j]
        where = ", ".join(f"{p} = {v:g}" for p, v in zip(rest, combo, strict=True))
        figure = go.Figure(go.Heatmap(
            z=z, x=[f"{v:g}" for v in xs], y=[f"{v:g}" for v in ys], colorscale="Viridis",
            text=[[f"{v:.4g}" for v in row] for row in z], texttemplate="%{text}",
            colorbar={"title": metric[:20]}))
        figure.update_layout(title=title + (f" at {where}" if where else ""), xaxis_title=x_path,
                             yaxis_title=y_path, xaxis_type="category", yaxis_type="category",
                             template="plotly_white")
        figures.append(figure)
    return figures


# -- PSA ---------------------------------------------------------------------------------------------

def _psa(design, tables) -> str:
    spec = design.spec
    draws, ceac = tables["psa_draws"], tables["ceac"]
    cost = f"incremental_cost_{spec.cost}_eur"
    cost_label = {"programme": "programme cost", "public": "net cost to the public purse",
                  "society": "net cost to society"}[spec.cost]
    parts = [f"""<h2>Cost-effectiveness</h2>
<p>Incremental cost: the {cost_label} of IPS against usual services (discounted; for the public
purse and society, the programme cost less the benefits saved and taxes and contributions
gained), for the whole programme as simulated. Effects: additional people ever in competitive
work over the horizon{', and QALYs gained' if 'qalys_gained' in draws else ''}. Net monetary
benefit at a willingness to pay (WTP) per unit of effect: WTP x effect - cost. Acceptability:
the share of draws with a positive net benefit. EVPI: E[max(NMB, 0)] - max(E[NMB], 0), the most
it would be worth paying to remove all parameter uncertainty, in euros for this programme.</p>
"""]
    for effect, (column, unit) in EFFECTS.items():
        if column not in draws:
            continue
        parts.append(chart(ce_plane(draws, column, cost, unit, cost_label), f"plane-{effect}"))
        rows = [i for i, e in enumerate(ceac["effect"]) if e == effect]
        parts.append(chart(curve(ceac, rows, "p_cost_effective", f"WTP per {unit}, EUR",
                                 "probability IPS is cost-effective", "Acceptability curve"),
                           f"ceac-{effect}"))
        parts.append(chart(curve(ceac, rows, "evpi_eur", f"WTP per {unit}, EUR", "EVPI, EUR",
                                 "Expected value of perfect information"), f"evpi-{effect}"))
        parts.append(chart(ceaf_figure(tables["ceaf"], effect, unit), f"ceaf-{effect}"))
    parts.append("<h2>Summary over draws</h2>" + _table(tables["psa_summary"]))
    parts.append("<h2>Acceptability and EVPI</h2>" + _table(ceac))
    parts.append(f"""<h2>Acceptability frontier</h2>
<p>For each option (usual services, IPS) and WTP: the probability that it has the highest net
benefit, its expected net benefit, and whether it is on the frontier (the option with the highest
expected net benefit, which is the one to choose even where another is more often best).</p>
{_table(tables['ceaf'])}
<h2>Value of research: EVPPI</h2>
<p>Expected value of partial perfect information about each parameter and group of parameters
(each scenario section with several parameters drawn, and all of them): the most it would be
worth paying to learn their true values, in euros for this programme, at the willingness-to-pay
values where the EVPI is largest (elsewhere the decision is certain), estimated by regressing
the net benefit of IPS against usual services on the parameters over the draws (Strong, Oakley
and Brennan 2014; an additive model of penalised cubic splines, blind to interactions within a
group; <i>edf</i>: the regression's effective degrees of freedom, <i>trusted</i> where the draws
are at least ten per degree of freedom; a group of many parameters on few draws is not, and its
EVPPI creeps up to the EVPI). A draw's net benefit is the mean of {design.spec.replications}
replications, so the EVPI of the draws also counts their Monte Carlo noise; the EVPPI of all
parameters does not.</p>
{_table(tables['evppi'])}""")
    parts.append("<h2>Draws</h2><p>All draws are in <code>psa_draws.csv</code>.</p>"
                 + _table(draws))
    return "\n".join(parts)


def ceaf_figure(table, effect: str, unit: str) -> go.Figure:
    """Acceptability curves of the options and their frontier (markers where each option has
    the highest expected net benefit)."""
    figure = go.Figure()
    rows = [i for i, e in enumerate(table["effect"]) if e == effect]
    for k, option in enumerate(dict.fromkeys(table["option"][i] for i in rows)):
        mine = [i for i in rows if table["option"][i] == option]
        colour = COLOURS[k % len(COLOURS)]
        figure.add_trace(go.Scatter(x=[table["wtp_eur"][i] for i in mine],
                                    y=[table["p_best"][i] for i in mine], mode="lines",
                                    name=option, line={"color": colour}))
        front = [i for i in mine if table["on_frontier"][i]]
        figure.add_trace(go.Scatter(x=[table["wtp_eur"][i] for i in front],
                                    y=[table["p_best"][i] for i in front], mode="markers",
                                    name=f"{option}: on the frontier",
                                    marker={"color": colour, "size": 9}))
    figure.update_layout(title="Acceptability curves and frontier", template="plotly_white",
                         xaxis_title=f"WTP per {unit}, EUR",
                         yaxis_title="probability of the highest net benefit")
    return figure


def ce_plane(draws, effect: str, cost: str, unit: str, cost_label: str) -> go.Figure:
    x = np.array(draws[effect], dtype=float)
    y = np.array(draws[cost], dtype=float)
    figure = go.Figure(go.Scatter(x=x, y=y, mode="markers", name="draws", opacity=0.6,
                                  marker={"color": COLOURS[0], "size": 6},
                                  text=[f"point {p}" for p in draws["point"]]))
    figure.add_trace(go.Scatter(x=[np.nanmean(x)], y=[np.nanmean(y)], mode="markers",
                                name="mean", marker={"color": COLOURS[1], "size": 12,
                                                     "symbol": "x"}))
    figure.add_hline(y=0, line_color="grey")
    figure.add_vline(x=0, line_color="grey")
    figure.update_layout(title=f"Cost-effectiveness plane: {unit}", template="plotly_white",
                         xaxis_title=f"incremental effect ({unit})",
                         yaxis_title=f"incremental {cost_label}, EUR")
    return figure


def curve(table, rows, column, x_title, y_title, title) -> go.Figure:
    figure = go.Figure(go.Scatter(x=[table["wtp_eur"][i] for i in rows],
                                  y=[table[column][i] for i in rows], mode="lines+markers",
                                  line={"color": COLOURS[2]}))
    figure.update_layout(title=title, xaxis_title=x_title, yaxis_title=y_title,
                         template="plotly_white")
    return figure


# -- global -------------------------------------------------------------------------------------------

def _global(design, tables) -> str:
    spec = design.spec
    method = spec.method
    table, convergence = tables[method], tables[f"{method}_convergence"]
    if method == "sobol":
        text = (f"Sobol indices from a Saltelli design of {spec.samples} base samples "
                f"({len(design.points)} points) on the unit cube, mapped through each "
                "parameter's inverse CDF; the calibrated sample, if drawn, is one factor. S1: the "
                "share of the output's variance due to the parameter alone; ST: including all its "
                "interactions. Error bars: bootstrap 95% intervals "
                f"({spec.bootstrap} resamples). Convergence: the same indices from the first "
                "part of the design; stable indices with shrinking intervals mean the sample is "
                "big enough.")
    else:
        text = (f"Morris screening: {spec.samples} trajectories on a {spec.levels}-level grid "
                f"({len(design.points)} points). mu*: mean absolute elementary effect, per unit of "
                "each parameter's quantile scale (0 to 1), so factors compare; sigma: their spread "
                "(non-linearity or interactions). Error bars: bootstrap 95% intervals of mu*.")
    parts = [f"<h2>{method.capitalize()} indices</h2><p>{text}</p>"]
    for i, m in enumerate(spec.metrics):
        rows = [j for j, (metric, arm) in enumerate(zip(table["metric"], table["arm"], strict=True))
                if metric == m.metric and arm == m.arm]
        if not rows:
            continue
        figure = sobol_figure(table, rows, m) if method == "sobol" else morris_figure(table, rows, m)
        parts.append(chart(figure, f"{method}{i}"))
        parts.append(chart(convergence_figure(convergence, m, method), f"convergence{i}"))
    parts.append("<h2>Indices</h2>" + _table(table))
    parts.append("<h2>Convergence</h2>" + _table(convergence))
    return "\n".join(parts)


def sobol_figure(table, rows, m) -> go.Figure:
    names = [table["parameter"][j] for j in rows]
    figure = go.Figure()
    for index, colour in (("S1", COLOURS[0]), ("ST", COLOURS[1])):
        figure.add_trace(go.Bar(x=names, y=[table[index][j] for j in rows], name=index,
                                marker_color=colour, error_y={
                                    "type": "data", "array": [table[f"{index}_conf"][j]
                                                              for j in rows]}))
    figure.update_layout(barmode="group", title=f"Sobol indices: {m.metric} ({m.arm})",
                         yaxis_title="index", template="plotly_white")
    return figure


def morris_figure(table, rows, m) -> go.Figure:
    figure = go.Figure(go.Scatter(
        x=[table["mu_star"][j] for j in rows], y=[table["sigma"][j] for j in rows],
        mode="markers+text", text=[table["parameter"][j] for j in rows], textposition="top center",
        error_x={"type": "data", "array": [table["mu_star_conf"][j] for j in rows]},
        marker={"color": COLOURS[0], "size": 10}))
    figure.update_layout(title=f"Morris screening: {m.metric} ({m.arm})", xaxis_title="mu*",
                         yaxis_title="sigma", template="plotly_white")
    return figure


def convergence_figure(table, m, method) -> go.Figure:
    size = "samples" if method == "sobol" else "trajectories"
    indices = ("S1", "ST") if method == "sobol" else ("mu_star",)
    rows = [j for j, (metric, arm) in enumerate(zip(table["metric"], table["arm"], strict=True))
            if metric == m.metric and arm == m.arm]
    names = list(dict.fromkeys(table["parameter"][j] for j in rows))
    figure = go.Figure()
    for (k, name), index in itertools.product(enumerate(names), indices):
        chosen = [j for j in rows if table["parameter"][j] == name]
        figure.add_trace(go.Scatter(
            x=[table[size][j] for j in chosen], y=[table[index][j] for j in chosen],
            name=f"{index} {name}", mode="lines+markers",
            line={"color": COLOURS[k % len(COLOURS)], "dash": "dot" if index == "S1" else "solid"},
            error_y={"type": "data", "array": [table[f"{index}_conf"][j] for j in chosen]}))
    figure.update_layout(title=f"Convergence: {m.metric} ({m.arm})", xaxis_title=size,
                         xaxis_type="log", yaxis_title="index", template="plotly_white")
    return figure


# -- helpers -----------------------------------------------------------------------------------------

def _chosen(design) -> set[tuple[str, str]]:
    return {(m.metric, m.arm) for m in design.spec.metrics}


def _rows(table: dict[str, list], chosen: set[tuple[str, str]]) -> dict[str, list]:
    keep = [i for i, (m, a) in enumerate(zip(table["metric"], table["arm"], strict=True))
            if (m, a) in chosen]
    return {c: [v[i] for i in keep] for c, v in table.items()}


def _table(columns: dict[str, list]) -> str:
    return table(columns, limit=MAX_ROWS)
