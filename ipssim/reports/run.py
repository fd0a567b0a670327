"""The run report and the comparison report: self-contained HTML pages of plotly charts and tables.

Lines are the Monte Carlo mean of each arm; bands span the 2.5th to 97.5th percentile over
replications. The reports only render what they are given (tables of the run, net effects by
month, trajectories); the page shell, the stylesheet and the tables are ``ipssim.reports.page``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pyarrow as pa
from plotly.subplots import make_subplots

from ipssim.accounts.spending import SPENDING_UNITS, spending_line
from ipssim.experiments.compare import OWN
from ipssim.experiments.decision import nmb_bounds
from ipssim.experiments.uncertain import range_note, rough
from ipssim.money.rules import break_even_month
from ipssim.reports.numbers import number_text, range_text, with_range
from ipssim.reports.page import COLOURS, Cell, cell, chart, section, table, write_page
from ipssim.scenario.budgets import bought_by_year, funding_cell, funding_table
from ipssim.scenario.schema import Scenario
from ipssim.stats import RANGE_REPLICATIONS, band95, mean_interval
from ipssim.vocabulary import HEADLINE, PAYERS, metric_window, money_unit, window_glossary

ARM_STYLE = {"ips": ("IPS", "#1f77b4", "rgba(31,119,180,0.18)"),
             "usual": ("Usual services", "#d62728", "rgba(214,39,40,0.18)")}
VIEW_TITLES = {"public": "Public purse", "society": "Society"}
PANELS = (
    ("Clients in IPS and waiting", ("enrolled", "waiting"), ("ips",)),
    ("Employed (any job)", ("employed",), ("ips", "usual")),
    ("Employed in competitive work", ("employed_competitive",), ("ips", "usual")),
    ("Ever in competitive work", ("ever_employed_competitive",), ("ips", "usual")),
    ("Gross earnings, EUR per month", ("earnings_eur",), ("ips", "usual")),
    ("Benefits paid, EUR per month", ("benefits_eur",), ("ips", "usual")),
    ("Disability pensions suspended (earnings above the limit)", ("pensions_suspended",),
     ("ips", "usual")),
    ("Largest coach caseload", ("max_caseload",), ("ips",)),
)
"""The trajectory panels: title, trajectory columns, arms."""
SCENARIO_PANELS = (("employed_competitive", "Employed in competitive work"),
                   ("waiting", "Waiting for a coach"), ("enrolled", "Clients in IPS"),
                   ("max_caseload", "Largest coach caseload"))
"""The IPS-arm trajectories of the comparison report: column, title."""
LINES_AND_BANDS = ("Lines: mean over replications. Bands: 2.5th to 97.5th percentile over "
                   "replications.")

_cell = cell  # the name the tests know


def write_report(path: Path, scenario: Scenario, trajectories: pa.Table,
                 summary: dict[str, list], net_effects: dict[str, np.ndarray],
                 manifest: dict, regions: dict[str, dict[str, list]],
                 by_region: pa.Table, plotlyjs: str = "folder",
                 spent: dict[str, list] | None = None,
                 subgroups: dict[str, list] | None = None) -> None:
    """The run page: net effects, money per payer, both arms' trajectories, regions and the
    summary, from the run's tables (``net_effects``: per perspective, replications x months;
    ``plotlyjs``: :data:`ipssim.reports.page.PLOTLYJS`; ``spent``: the columns of
    ``spending.csv``)."""
    economics = scenario.economics
    intro = f"""<p>{html.escape(scenario.description)}</p>
<p>Mode: {scenario.mode}; horizon {scenario.horizon_months} months; seed {manifest['seed']};
{manifest['replications']} replications; ipssim {manifest['ipssim_version']};
scenario SHA-256 <code>{manifest['scenario_sha256'][:16]}</code>.
{LINES_AND_BANDS}
Money in euros at {economics.price_year} prices, discounted at
{economics.discount_rate_per_year:.1%} a year where marked <i>pv</i>.</p>"""
    replications = manifest["replications"]
    ranges = f"<p><b>{html.escape(range_note(replications, manifest.get('parameters_drawn', 0)))}</b></p>"
    summary_note = ("<p><i>difference</i> is IPS minus usual services within each replication "
                    "(same clients, same luck). lo95/hi95: 2.5th/97.5th percentiles over "
                    "replications (shown from "
                    f"{RANGE_REPLICATIONS} replications; summary.csv always has them); mean_lo95/"
                    "mean_hi95: the 95% interval of the mean (mean +/- 1.96 mc_se); mc_se: Monte "
                    "Carlo standard error of the mean.</p>")
    write_page(path, f"ipssim: {scenario.name}", scenario.name, [
        intro,
        ranges,
        funding_section(scenario),
        spending_section(scenario, spent),
        published_section(scenario, summary),
        section("Net effect of IPS against usual services",
                chart(net_effect_figure({scenario.name: net_effects}), "net_effect")),
        section("Money per payer, IPS minus usual services",
                chart(payer_figure(scenario, trajectories), "payers")),
        section("Trajectories of both arms",
                chart(trajectory_figure(scenario, trajectories), "trajectories")),
        region_section(regions),
        chart(region_figure(scenario, by_region), "regions"),
        subgroup_section(subgroups) if subgroups else "",
        section("Summary", summary_note, window_list(scenario),
                table(summary_rows(summary, economics.price_year, rough(replications)))),
    ], plotlyjs=plotlyjs)


def window_list(scenario: Scenario) -> str:
    """What each window a metric's ``window`` column names means, with this scenario's months."""
    glossary = window_glossary(scenario.outcome_window_months, scenario.horizon_months)
    items = "".join(f"<li><b>{key}</b>: {html.escape(text)}</li>" for key, text in glossary.items())
    return f"<p>Each metric counts over the window its row names:</p><ul>{items}</ul>"


def with_windows(summary: dict[str, list], price_year: int) -> dict[str, list]:
    """The summary's columns with each metric's window third and its unit fourth (money: the
    currency and price year)."""
    metric, arm, *rest = summary
    return {metric: summary[metric], arm: summary[arm],
            "window": [metric_window(m) for m in summary[metric]],
            "unit": [money_unit(m, price_year) for m in summary[metric]],
            **{c: summary[c] for c in rest}}


def summary_rows(summary: dict[str, list], price_year: int,
                 rough_ranges: bool = False) -> dict[str, list]:
    """The report's summary table: :func:`with_windows`, the 95% interval of each mean after
    it, and no 95% ranges over replications where they are ``rough_ranges`` (too few
    replications, :func:`ipssim.experiments.uncertain.rough`)."""
    columns = with_windows(summary, price_year)
    intervals = [mean_interval(m, se) for m, se in zip(summary["mean"], summary["mc_se"],
                                                         strict=True)]
    first = {c: columns[c] for c in ("metric", "arm", "window", "unit", "mean")}
    first |= {"mean_lo95": [lo for lo, _ in intervals], "mean_hi95": [hi for _, hi in intervals]}
    hidden = {*first, *(("lo95", "hi95") if rough_ranges else ())}
    return first | {c: columns[c] for c in columns if c not in hidden}


def published_section(scenario: Scenario, summary: dict[str, list]) -> str:
    """The "Published outcomes" section: each published figure of the scenario's programme beside
    the simulated mean and its 95% range over replications; empty if the scenario has none."""
    if not scenario.published:
        return ""
    rows = {(m, a): (mean, lo, hi) for m, a, mean, lo, hi in zip(
        summary["metric"], summary["arm"], summary["mean"], summary["lo95"], summary["hi95"],
        strict=True)}
    columns: dict[str, list] = {c: [] for c in ("metric", "arm", "published", "simulated mean",
                                                "simulated 95% range", "source", "note")}
    for item in scenario.published:
        mean, lo, hi = rows.get((item.metric, item.arm), (math.nan,) * 3)
        for column, value in zip(columns, (item.metric, item.arm, item.value, mean,
                                           Cell(range_text(lo, hi)), item.source,
                                           item.note), strict=True):
            columns[column].append(value)
    return section("Published outcomes", """<p>Published figures for the programme this scenario
stands for, beside the closest simulated metric (the note says where the definitions differ). The
simulated range spans the 2.5th to 97.5th percentile over replications: the outcomes a programme
of this size could see, so a published figure from one such programme is in line with the model
if it falls inside it.</p>""", table(columns))


def trajectory_figure(scenario: Scenario, trajectories: pa.Table) -> go.Figure:
    """A grid of monthly trajectories, both arms, mean with a 95% band."""
    frame = trajectories.to_pydict()
    arm = np.array(frame["arm"])
    months = np.arange(1, scenario.horizon_months + 1)
    figure = make_subplots(rows=4, cols=2, subplot_titles=[p[0] for p in PANELS],
                           vertical_spacing=0.07)
    shown: set[str] = set()
    for i, (_, columns, arms) in enumerate(PANELS):
        row, col = i // 2 + 1, i % 2 + 1
        for name in arms:
            for column in columns:
                values = np.array(frame[column], dtype=float)[arm == name]
                values = values.reshape(-1, len(months))
                label, line, band = ARM_STYLE[name]
                if len(columns) > 1:
                    label = f"{label}: {column}"
                lo, hi = band95(values, axis=0)
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


def net_effect_figure(effects: dict[str, dict[str, np.ndarray]]) -> go.Figure:
    """Cumulative discounted net effect of IPS against usual services by month, one panel per
    perspective and one line per scenario, with its break-even month marked."""
    views = list(next(iter(effects.values())))
    titles = [f"{VIEW_TITLES[v]}: cumulative net effect, EUR (pv)" for v in views]
    figure = make_subplots(rows=1, cols=len(views), subplot_titles=titles)
    for col, view in enumerate(views, start=1):
        for i, (name, per_view) in enumerate(effects.items()):
            curves = np.cumsum(per_view[view], axis=1)
            months = np.arange(1, curves.shape[1] + 1)
            mean = curves.mean(axis=0)
            lo, hi = band95(curves, axis=0)
            colour = COLOURS[i % len(COLOURS)]
            figure.add_trace(go.Scatter(
                x=np.concatenate([months, months[::-1]]), y=np.concatenate([hi, lo[::-1]]),
                fill="toself", fillcolor=_transparent(colour), line={"width": 0},
                hoverinfo="skip", showlegend=False, legendgroup=name), row=1, col=col)
            figure.add_trace(go.Scatter(x=months, y=mean, name=name, legendgroup=name,
                                        line={"color": colour}, showlegend=col == 1),
                             row=1, col=col)
            month = break_even_month(mean)
            if math.isfinite(month):  # each scenario's label on its own line: none overprints
                figure.add_vline(x=month, line_dash="dot", line_color=colour, row=1, col=col,
                                 annotation_text=f"break-even month {month:.0f}",
                                 annotation_yshift=-16 * i, annotation_font_color=colour)
            else:
                figure.add_annotation(x=months[-1], y=mean[-1], row=1, col=col, showarrow=False,
                                      yshift=14 * (i + 1), xanchor="right",
                                      text=f"no break-even within {months[-1]} months",
                                      font={"color": colour})
        figure.add_hline(y=0, line_color="#888", row=1, col=col)
    figure.update_xaxes(title_text="month")
    figure.update_layout(height=450, template="plotly_white")
    return figure


def decision_figure(decision: dict[str, list]) -> go.Figure:
    """The options of a decision (``decision.csv``): per perspective, each option's expected net
    monetary benefit against usual services with its bounds (its 95% range over replications,
    or with fewer than 40 its mean's 95% interval: ``decision.nmb_bounds``), the best option
    marked."""
    views = list(dict.fromkeys(zip(decision["perspective"], decision["effect"], strict=True)))
    bounds = nmb_bounds(int(decision["draws"][0])) if decision["draws"] else ""
    titles = [f"{VIEW_TITLES.get(v, v)}: net benefit, EUR (pv), per {e}" for v, e in views]
    figure = make_subplots(rows=1, cols=len(views), subplot_titles=titles)
    for col, (view, effect) in enumerate(views, start=1):
        rows = [i for i, key in enumerate(zip(decision["perspective"], decision["effect"],
                                              strict=True)) if key == (view, effect)]
        mean = [decision["nmb_eur"][i] for i in rows]
        figure.add_trace(go.Scatter(
            x=[decision["option"][i] for i in rows], y=mean, mode="markers", showlegend=False,
            name=f"{view}, {effect}",
            marker={"size": 11, "color": [COLOURS[1] if decision["best"][i] else COLOURS[0]
                                          for i in rows]},
            error_y={"type": "data", "symmetric": False,
                     "array": [decision["nmb_hi95_eur"][i] - m for i, m in zip(rows, mean, strict=True)],
                     "arrayminus": [m - decision["nmb_lo95_eur"][i]
                                    for i, m in zip(rows, mean, strict=True)]}),
            row=1, col=col)
        figure.add_hline(y=0, line_color="#888", row=1, col=col)
    if bounds:
        figure.update_yaxes(title_text=f"bars: {bounds}", row=1, col=1)
    figure.update_layout(height=380, template="plotly_white")
    return figure


def payer_figure(scenario: Scenario, trajectories: pa.Table) -> go.Figure:
    """Net money of each payer per programme year, IPS minus usual services (mean over
    replications, undiscounted): who pays and who gains."""
    frame = trajectories.to_pydict()
    arm = np.array(frame["arm"])
    months = scenario.horizon_months
    years = np.arange(months) // 12 + 1
    figure = go.Figure()
    for i, payer in enumerate(PAYERS):
        values = np.array(frame[f"net_{payer}_eur"], dtype=float)
        gain = (values[arm == "ips"] - values[arm == "usual"]).reshape(-1, months).mean(axis=0)
        per_year = np.bincount(years - 1, weights=gain)
        figure.add_trace(go.Bar(x=[f"year {y}" for y in range(1, len(per_year) + 1)], y=per_year,
                                name=payer.replace("_", " "), marker_color=COLOURS[i % len(COLOURS)]))
    figure.update_layout(barmode="group", height=450, template="plotly_white",
                         yaxis_title="EUR per year (positive: the payer gains)")
    return figure


def write_comparison_report(path: Path, comparison: dict[str, list],
                            net_effects: dict[str, dict[str, np.ndarray]],
                            ips_trajectories: dict[str, dict[str, np.ndarray]],
                            manifest: dict, plotlyjs: str = "folder",
                            decision: dict[str, list] | None = None,
                            verdicts: Sequence[str] = ()) -> None:
    """The comparison page: the decision (its verdict lines, chart and ``decision.csv``), net
    effects and IPS-arm trajectories of every scenario, and the comparison table
    (``comparison.csv``).

    ``net_effects``: per scenario (the reference first), per perspective, every replication's
    discounted monthly net effect; ``ips_trajectories``: per scenario, the IPS arm's monthly
    columns of :data:`SCENARIO_PANELS` (replications x months).
    """
    names = list(net_effects)
    streams = "independent streams" if manifest["independent_streams"] else \
        "common random numbers"
    intro = (f"<p>Seed {manifest['seed']}; {manifest['replications']} replications per scenario; "
             f"{streams}; ipssim {manifest['ipssim_version']}. {LINES_AND_BANDS} The reference "
             f"scenario is {html.escape(names[0])}.</p><p><b>"
             f"{html.escape(range_note(manifest['replications'], manifest.get('parameters_drawn', 0)))}"
             "</b> With parameter uncertainty every scenario runs on the same draw in the same "
             "replication.</p>")
    differences = """<p>Rows with reference <i>none</i>: each scenario's own figures (above). Rows
with reference <i>usual_services</i>: IPS minus usual services within each scenario. Other rows:
the scenario minus the reference scenario within each replication (same clients, same luck), for
the IPS arm (<i>ips</i>), usual services (<i>usual</i>) and the IPS effect
(<i>difference</i>).</p>"""
    write_page(path, "ipssim: comparison", f"Comparison: {', '.join(names)}", [
        intro,
        bought_section(comparison, names),
        *([section("Decision", "".join(f"<p>{html.escape(v)}</p>" for v in verdicts),
                   DECISION_WORDS, chart(decision_figure(decision), "decision"), table(decision))]
          if decision else []),
        section("Net effect of IPS against usual services",
                chart(net_effect_figure(net_effects), "net_effect")),
        section("IPS arm of each scenario", chart(scenario_figure(ips_trajectories), "scenarios")),
        section("Differences", differences, table(comparison)),
    ], plotlyjs=plotlyjs)


DECISION_WORDS = """<p>Usual services and each scenario are options. Net cost: the programme
cost less what it gives back to the public purse or to society, against usual services,
discounted. Options are ordered by expected net cost; an option is dominated when another costs no
more and puts at least as many people in competitive work, extendedly dominated when a mix of its
neighbours would do better; the ICER is the incremental cost per additional person in competitive
work against the next cheaper option on the frontier. Net monetary benefit (NMB): willingness to
pay times the effect, less the net cost; P(best): the share of replications in which the option
has the highest NMB. Ranges are Monte Carlo only (2.5th to 97.5th percentile over
replications).</p>"""


def bought_section(comparison: dict[str, list], names: list[str]) -> str:
    """What each scenario bought and whom it served: the comparison's own rows (reference
    ``none``), one row per figure and one column per scenario (mean, and the 95% range where
    there is one)."""
    cells: dict[str, dict[str, Cell]] = {}
    for metric, scenario, reference, mean, lo, hi in zip(
            *(comparison[c] for c in ("metric", "scenario", "reference", "mean", "lo95", "hi95")),
            strict=True):
        if reference == OWN:
            cells.setdefault(metric, {})[scenario] = Cell(with_range(mean, lo, hi))
    columns = {"figure": list(cells)} | {n: [cells[m].get(n, Cell("")) for m in cells]
                                          for n in names}
    return section("What each scenario bought", """<p>Budgets a programme year (summed over the
regions funded by a budget; empty if none is), the most coaches in post at once, their places
(coaches x caseload cap), the people referred and the people served (placed with a coach), with
the 95% range over replications. These are the rows with reference <i>none</i> of comparison.csv
and comparison_wide.csv.</p>""", table(columns, labels=1))


def scenario_figure(ips_trajectories: dict[str, dict[str, np.ndarray]]) -> go.Figure:
    """Monthly IPS-arm trajectories of every scenario (mean over replications)."""
    figure = make_subplots(rows=2, cols=2, subplot_titles=[t for _, t in SCENARIO_PANELS])
    for i, (name, columns) in enumerate(ips_trajectories.items()):
        for j, (column, _) in enumerate(SCENARIO_PANELS):
            values = np.asarray(columns[column], dtype=float)
            figure.add_trace(go.Scatter(
                x=np.arange(1, values.shape[1] + 1), y=values.mean(axis=0), name=name,
                legendgroup=name, showlegend=j == 0,
                line={"color": COLOURS[i % len(COLOURS)]}), row=j // 2 + 1, col=j % 2 + 1)
    figure.update_xaxes(title_text="month")
    figure.update_layout(height=750, template="plotly_white")
    return figure


def region_figure(scenario: Scenario, by_region: pa.Table) -> go.Figure:
    """Each region's IPS arm by month (mean over replications): waiting, in IPS, employed."""
    frame = by_region.to_pydict()
    arm, region = np.array(frame["arm"]), np.array(frame["region"])
    months = np.arange(1, scenario.horizon_months + 1)
    panels = (("waiting", "Waiting for a coach"), ("enrolled", "Clients in IPS"),
              ("employed", "Employed (any job)"))
    figure = make_subplots(rows=1, cols=len(panels), subplot_titles=[t for _, t in panels])
    for i, name in enumerate(r.name for r in scenario.regions):
        mine = (arm == "ips") & (region == name)
        for col, (column, _) in enumerate(panels, start=1):
            values = np.array(frame[column], dtype=float)[mine].reshape(-1, len(months))
            figure.add_trace(go.Scatter(x=months, y=values.mean(axis=0), name=name,
                                        legendgroup=name, showlegend=col == 1,
                                        line={"color": COLOURS[i % len(COLOURS)]}),
                             row=1, col=col)
    figure.update_xaxes(title_text="month")
    figure.update_layout(height=420, template="plotly_white")
    return figure


def region_section(regions: dict[str, dict[str, list]]) -> str:
    """The headline of each region (:data:`ipssim.vocabulary.HEADLINE`): one row per figure, one
    column per region, the mean over replications (``summary_regions.csv`` has every metric,
    with intervals)."""
    means = {name: dict(zip(zip(summary["metric"], summary["arm"], strict=True), summary["mean"],
                            strict=True)) for name, summary in regions.items()}
    rows = [(label, metric, arm, unit) for metric, arm, label, unit in HEADLINE
            if any((metric, arm) in m for m in means.values())]
    columns = {"figure": [label for label, *_ in rows]} | {
        name: [Cell(number_text(m.get((metric, arm), math.nan), unit)) for _, metric, arm, unit in rows]
        for name, m in means.items()}
    return section("Regions", "<p>The headline of each region: means over replications (money "
                   "discounted). Each region's full summary with intervals is in "
                   "summary_regions.csv and its trajectories in regions.parquet.</p>",
                   table(columns, labels=1))


def spending_section(scenario: Scenario, spent: dict[str, list] | None) -> str:
    """The programme's money in one line that adds up (budget, spent on places in use and idle,
    present value) and the cost per person served, with each figure's 95% range."""
    if spent is None:
        return ""
    means = dict(zip(spent["figure"], spent["mean"], strict=True))
    rows = {"figure": spent["figure"]} | {
        column: [Cell(number_text(value, SPENDING_UNITS[figure]))
                 for figure, value in zip(spent["figure"], spent[column], strict=True)]
        for column in ("mean", "lo95", "hi95")} | {"unit": spent["unit"]}
    return section("What the programme's money bought", f"""<p>{html.escape(
        spending_line(means, scenario))}.</p>
<p>Spent is the programme cost, undiscounted; each month's cost is split into places in use and
idle places (paid but empty) by that month's share of places filled (clients in IPS at the
month's end over coaches in post x the caseload cap of {scenario.coaching.caseload_cap}). A region
given as a headcount states no budget: its budget is what it spent. The cost per person served
is spent over the clients who started with a coach, and per client-month over the months they
spent in IPS. Means over replications; lo95/hi95: 2.5th/97.5th percentiles
(spending.csv).</p>""", table(rows, labels=1))


SUBGROUP_FIGURES = (("clients", "people", "clients referred"),
                    ("ever_employed_competitive_by_horizon_share", "share",
                     "more in competitive work (share points)"),
                    ("additional_employed_competitive_by_horizon", "people",
                     "more people in competitive work"),
                    ("additional_months_worked_by_horizon", "months",
                     "more months in competitive work"),
                    ("benefits_saved_eur_pv", "eur", "benefits saved (pv)"),
                    ("taxes_gained_eur_pv", "eur", "taxes and contributions gained (pv)"))
"""The columns of the report's "Who benefits" table: metric (difference arm), unit, heading."""


def subgroup_section(subgroups: dict[str, list]) -> str:
    """Who benefits: for each subgroup of clients, IPS against usual services (mean and, in
    brackets, the 95% interval of the mean), one row per subgroup level; every figure of every
    arm is in summary_subgroups.csv."""
    cells: dict[tuple[str, str], dict[str, Cell]] = {}
    for grouping, level, metric, arm, mean, se in zip(
            *(subgroups[c] for c in ("subgroup", "level", "metric", "arm", "mean", "mc_se")),
            strict=True):
        for name, unit, heading in SUBGROUP_FIGURES:
            if arm == "difference" and metric == name:
                lo, hi = mean_interval(mean, se)
                text = number_text(mean, unit) if name == "clients" else with_range(mean, lo, hi, unit)
                cells.setdefault((grouping, level), {})[heading] = Cell(text)
    columns: dict[str, list] = {"subgroup": [g for g, _ in cells], "level": [v for _, v in cells]}
    for _, _, heading in SUBGROUP_FIGURES:
        columns[heading] = [row.get(heading, Cell("")) for row in cells.values()]
    return section("Who benefits", """<p>IPS against usual services for each subgroup of clients
at referral: main activity and the benefit it brings, diagnosis group (psychosis, F20-29, or
other), age band, time out of work and region. Counts and money are totals for the subgroup, so a
grouping's rows add up to the whole programme; shares are of the subgroup's clients. Brackets: the
95% interval of the mean (mean +/- 1.96 Monte Carlo standard errors). The programme's cost is its
teams' and has no subgroup rows. Every figure of both arms, with 95% ranges over replications, is
in summary_subgroups.csv.</p>""", table(columns, labels=2))


def funding_section(scenario: Scenario) -> str:
    """What each funded region's budgets buy: one row per region, the programme years in
    columns (empty if no region is funded by a budget)."""
    rows = bought_by_year(scenario)
    if not rows:
        return ""
    columns = {name: column if name == "region" else [Cell(html.escape(c)) for c in column]
              for name, column in funding_table(rows).items()}
    return section("What the budgets buy", f"<p>Each year: {funding_cell(scenario)} (places: coaches x "
                   f"the caseload cap of {scenario.coaching.caseload_cap}). manifest.json has each "
                   "year's full cost, what is left unspent and the budget one more coach would "
                   "need.</p>", table(columns, labels=1))


def _transparent(colour: str) -> str:
    r, g, b = (int(colour[k:k + 2], 16) for k in (1, 3, 5))
    return f"rgba({r},{g},{b},0.18)"
