"""The workbench page: the form of levers, Run and Cancel, the headline, the charts, the history.

Built on :mod:`ipssim.api` alone: the levers become a scenario through
:func:`ipssim.api.planned_scenario` (whose one-line errors appear beside their fields), a run is
:func:`ipssim.api.run` in the background (:mod:`ipssim.app.runs`), and the headline, charts and
files are the run's own (``headline``, ``figures``, ``write``, ``yaml``).
"""

from __future__ import annotations

import io
import math
import re
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import dash
from dash import Input, Output, State, dash_table, dcc, html
from flask import Response, abort, request

from ipssim import api
from ipssim.app import values
from ipssim.app.runs import AT_ONCE, WAITING, Refused, RunStore
from ipssim.app.uploads import (
    MAX_ENCODED,
    MAX_UPLOAD,
    bundled,
    load_bundled,
    load_upload,
    shown_name,
)
from ipssim.validation import one_line

SIDE_BY_SIDE = 4
CAPACITY_WAIT_S = 15.0
"""How long a capacity panel waits for the server's one capacity computation at a time (a new mix
of caseload cap, fidelity, integration and employers per place simulates a cohort of 2,000
clients, about a second of a core, in the request's own thread): a burst of crafted lever
changes takes one core at most, and past the wait a panel says the server is busy."""
CAPACITY_BUSY = "Capacity: the server is busy; move a lever again in a moment."
_capacity_turn = threading.Lock()
MAX_BODY = MAX_ENCODED + MAX_UPLOAD + 500_000
"""The largest request the server reads, in bytes: an upload in base64, the regions table it
fills (its names at most the upload's bytes again) and the rest of the form."""
UPLOAD = "upload:"
"""The prefix of an uploaded scenario's value in the scenario list."""
FIELDS = ("budget_mode", "budget_eur_per_year", "demand_mode", "regions", "caseload_cap", "fidelity",
          "integrated", "years_funded", "horizon_years", "discount_rate", "replications", "seed",
          "uncertainty")
"""The levers with an error line beside them (``ipssim.api.LeverError.lever`` names them)."""
CSS = {
    "page": {"fontFamily": "system-ui, sans-serif", "margin": "0 auto", "maxWidth": "1400px",
             "color": "#222", "display": "flex", "gap": "24px", "padding": "12px"},
    "form": {"width": "360px", "flex": "none", "fontSize": "14px"},
    "main": {"flex": "1", "minWidth": "0"},
    "label": {"fontWeight": "600", "display": "block", "marginTop": "10px"},
    "error": {"color": "#b00020", "fontSize": "13px", "minHeight": "0"},
    "input": {"width": "200px"},
    "warning": {"background": "#fff4e5", "border": "1px solid #f0a202", "padding": "8px",
                "margin": "6px 0", "borderRadius": "4px"},
}


def field(label: str, lever: str, control, hint: str = "") -> html.Div:
    """A labelled control with its error line beside it."""
    return html.Div([
        html.Label(label, htmlFor=lever, style=CSS["label"]), control,
        html.Div(hint, style={"fontSize": "12px", "color": "#666"}) if hint else None,
        html.Div(id=f"error-{lever}", className="field-error", style=CSS["error"]),
    ])


def number(lever: str, **kwargs) -> dcc.Input:
    return dcc.Input(id=lever, type="number", debounce=False, style=CSS["input"], **kwargs)


def layout(session: str) -> html.Div:
    """The page of one session (each load gets its own: one history per tab)."""
    names = list(bundled())
    first = "finland_pilot" if "finland_pilot" in names else (names[0] if names else None)
    form = html.Div(style=CSS["form"], children=[
        html.H2("Levers", style={"marginTop": 0}),
        field("Scenario", "scenario", dcc.Dropdown(
            [{"label": n, "value": n} for n in names], first, id="scenario", clearable=False)),
        field("", "upload", dcc.Upload(
            id="upload", accept=".yaml,.yml", max_size=MAX_UPLOAD,
            children=html.A("or upload a scenario YAML", href="#", style={"fontSize": "13px"})),
            "it may name a bundled scenario (extends), the bundled calibration (calibrated.yaml) "
            "and a bundled regions table, by name; no other file"),
        html.Div(id="scenario-about", style={"fontSize": "12px", "color": "#555"}),
        field("Staffing", "budget_mode", dcc.RadioItems(
            [{"label": label, "value": value} for value, label in values.BUDGET_MODES.items()],
            "scenario", id="budget_mode")),
        field("Total budget, EUR a year", "budget_eur_per_year",
              number("budget_eur_per_year", placeholder="e.g. 3000000", step=1000),
              "split across regions in proportion to their referrals"),
        field("Demand", "demand_mode", dcc.RadioItems(
            [{"label": label, "value": value} for value, label in values.DEMAND_MODES.items()],
            "referrals", id="demand_mode")),
        # (dash_table's components are made when it is imported: mypy does not see them)
        field("Regions: demand and staff", "regions", dash_table.DataTable(  # type: ignore[attr-defined]
            id="regions", editable=True, columns=[
                {"name": "Region", "id": "name", "editable": False},
                {"name": "Referrals/yr", "id": "referrals", "type": "numeric"},
                {"name": "Eligible", "id": "eligible", "type": "numeric"},
                {"name": "Uptake %/yr", "id": "uptake", "type": "numeric"},
                {"name": "Budget EUR/yr", "id": "budget", "type": "numeric"},
                {"name": "Coaches", "id": "coaches", "type": "numeric"}],
            style_cell={"fontSize": "12px", "padding": "2px 4px", "maxWidth": "110px",
                        "overflow": "hidden", "textOverflow": "ellipsis"},
            style_table={"maxHeight": "260px", "overflowY": "auto", "overflowX": "auto"})),
        html.Div(id="capacity", style={"fontSize": "12px", "marginTop": "6px"}),
        field("Caseload cap (clients per coach)", "caseload_cap", number("caseload_cap", step=1)),
        field("Fidelity score (25-125)", "fidelity",
              number("fidelity", placeholder="as in the scenario")),
        field("Coaches integrated in care", "integrated", dcc.RadioItems(
            [{"label": label, "value": value} for value, label in values.INTEGRATED.items()],
            "keep", id="integrated", inline=True)),
        field("Years funded", "years_funded", number("years_funded", placeholder="as in the scenario"),
              "referrals are taken and coaches work for these years, then the programme closes"),
        field("Horizon, years (4-10)", "horizon_years", number("horizon_years")),
        field("Discount rate, % a year", "discount_rate", number("discount_rate", step=0.5)),
        field("Replications", "replications", dcc.RadioItems(
            [{"label": f" {k} ({n})", "value": n} for k, n in api.REPLICATIONS.items()],
            api.REPLICATIONS["quick"], id="replications", inline=True)),
        field("Seed", "seed", number("seed", value=api.DEFAULT_SEED, step=1),
              "the same seed gives the same numbers"),
        field("Parameter uncertainty", "uncertainty", dcc.Checklist(
            [{"label": " draw the uncertain parameters, one draw a replication", "value": "on"}],
            [], id="uncertainty", inline=True),
              "ranges then include what we do not know (wages, costs, benefits, behaviour), "
              "not only the clients' luck; the scenario must give distributions"),
        html.Div(style={"marginTop": "14px", "display": "flex", "gap": "8px"}, children=[
            html.Button("Run", id="run", n_clicks=0, style={"fontSize": "16px", "padding": "4px 18px"}),
            html.Button("Cancel", id="cancel", n_clicks=0)]),
        html.Div(id="form-error", style=CSS["error"]),
    ])
    main = html.Div(style=CSS["main"], children=[
        html.H1("ipssim: the planner's workbench", style={"fontSize": "24px", "margin": "0 0 4px"}),
        html.Div(["What does a budget buy, how many more people work, and when does it pay back? ",
                  "IPS against usual services on the same simulated clients."],
                 style={"color": "#555"}),
        html.Div(id="status", style={"margin": "8px 0"}, children="Move the levers and press Run."),
        html.Progress(id="progress", value="0", max="1", style={"width": "100%", "height": "14px"}),
        html.Div(id="headline"),
        html.Div(id="charts"),
        html.H2("Run history", style={"fontSize": "20px"}),
        html.Div("Tick up to four runs to set them side by side.",
                 style={"fontSize": "13px", "color": "#555"}),
        dcc.Checklist(id="history", options=[], value=[], labelStyle={"display": "block"}),
        html.Label(["Willingness to pay for the decision, EUR per additional person in "
                    "competitive work: ",
                    dcc.Input(id="wtp", type="number", value=api.DEFAULT_WTP_EUR, min=0,
                              step=1000, debounce=True, style={"width": "110px"})],
                   style={"fontSize": "13px"}),
        html.Div(id="side-by-side"),
    ])
    return html.Div([
        dcc.Store(id="session", data=session),
        dcc.Store(id="uploaded", data=None),
        dcc.Store(id="finished", data=0),
        dcc.Interval(id="tick", interval=600),
        html.Div(style=CSS["page"], children=[form, main]),
    ])


def levers_from_form(scenario: api.Scenario, mode, total, demand, rows, cap, fidelity, integrated,
                     years, horizon, discount) -> api.Levers:
    """The levers the form says, each value checked first (:class:`values.Invalid` names the
    first that no control of the form could hold); a region's referrals count only where
    changed."""
    mode = values.choice(mode, values.BUDGET_MODES, "budget_mode")
    demand = values.choice(demand, values.DEMAND_MODES, "demand_mode")
    integrated = values.choice(integrated, values.INTEGRATED, "integrated")
    rows = values.rows(rows, scenario)
    total, cap, fidelity, years, horizon, discount = (values.number(value, lever) for value, lever in (
        (total, "budget_eur_per_year"), (cap, "caseload_cap"), (fidelity, "fidelity"),
        (years, "years_funded"), (horizon, "horizon_years"), (discount, "discount_rate")))
    referrals: dict[str, float | None] = {}
    budgets: dict[str, float | None] = {}
    coaches: dict[str, float | None] = {}
    eligible: dict[str, float | None] = {}
    uptake: dict[str, float | None] = {}
    for region, row in zip(scenario.regions, rows, strict=True):
        given = row.get("referrals")
        if given is None or given == "" or not _close(given, region.referrals_per_month * 12):
            referrals[region.name] = None if given == "" else given
        for out, key in ((budgets, "budget"), (coaches, "coaches"), (eligible, "eligible"),
                         (uptake, "uptake")):
            out[region.name] = None if row.get(key) == "" else row.get(key)
    return api.Levers(
        budget_mode=mode, budget_eur_per_year=total, region_budgets=budgets,
        region_coaches=coaches, demand_mode=demand, referrals_per_year=referrals,
        eligible_people=eligible, uptake_per_year=uptake, caseload_cap=cap, fidelity=fidelity,
        integrated=None if integrated == "keep" else integrated == "yes", years_funded=years,
        horizon_years=horizon, discount_rate_percent=discount)


def _close(given, value: float) -> bool:
    return isinstance(given, int | float) and abs(given - round(value, 2)) < 1e-9


def headline_panel(run) -> html.Div:
    """The headline: a paragraph in words, the warnings, then every figure with its 95% range
    (or, in a quick run, its mean's 95% interval: ``planner.Line.bounds``)."""
    lines = {line.key: line for line in run.result.headline()}
    bounds = next(iter(lines.values())).bounds

    def value(key: str) -> str:
        return lines[key].text if key in lines else "?"

    def range95(key: str) -> str:
        text = lines[key].range_text if key in lines else ""
        return f" ({bounds} {text})" if text else ""

    def returned(key: str) -> str:
        return f"{1 + lines[key].mean:,.2f}" if key in lines else "?"

    offered = places(run.result)
    words = [
        html.P([f"{value('coaches')} coaches "
                + ("are funded. " if offered is None else f"offer {offered:,.0f} places. ")
                + f"Over the {run.scenario.horizon_months / 12:g}-year horizon "
                f"{value('clients_referred')} people are referred; ", html.B(value("clients_started")),
                " were served and ", html.B(value("clients_waiting_at_horizon")),
                " are still waiting at the end."]),
        html.P(["IPS puts ", html.B(value("additional_employed_competitive_by_horizon")),
                " more people in competitive work"
                f"{range95('additional_employed_competitive_by_horizon')}, for ",
                html.B(value("additional_months_worked_by_horizon")),
                f" more months of competitive work{range95('additional_months_worked_by_horizon')}."]),
        html.P([f"Public purse (discounted): benefits saved {value('benefits_saved_eur_pv')} + "
                f"taxes gained {value('taxes_gained_eur_pv')} + health and social care saved "
                f"{value('care_saved_eur_pv')} + usual services saved "
                f"{value('usual_services_saved_eur_pv')} - wage subsidy "
                f"{value('wage_subsidy_eur_pv')} - programme cost {value('programme_cost_eur_pv')} "
                "= net ", html.B(value("net_public_eur_pv")),
                f"; break-even: {value('break_even_month_public')}. ",
                "The wellbeing services county's own net: ",
                html.B(value("net_wellbeing_county_eur_pv")), ". ",
                "Society: net ", html.B(value("net_society_eur_pv")),
                f"; break-even: {value('break_even_month_society')}."]),
        html.P(f"Gross benefit-cost ratio: each euro of programme cost brings back "
               f"{returned('roi_public')} EUR of benefits to the public purse and "
               f"{returned('roi_society')} EUR to society; net return per euro, after the euro "
               f"itself is repaid: {value('roi_public')} and {value('roi_society')} (over the "
               "horizon, discounted; 1 and 0 are break-even)."),
        html.P(f"Programme money: {run.result.spending_line()}. Per person served "
               f"{value('cost_per_client_started')}, per client-month in IPS "
               f"{value('cost_per_client_month')} (undiscounted)."),
    ]
    warnings = [html.Div("Warning: " + w, className="warning", style=CSS["warning"])
                for w in run.result.warnings()]
    table = html.Table(id="headline-table", style={"borderCollapse": "collapse", "fontSize": "14px"},
                       children=[html.Tr([html.Th("", style={"textAlign": "left"}),
                                          html.Th("mean", style={"textAlign": "right"}),
                                          html.Th(bounds, style={"textAlign": "left",
                                                                      "paddingLeft": "16px"})])] + [
        html.Tr([html.Td(line.label, style={"paddingRight": "16px"}),
                 html.Td(line.text, className="value", **{"data-key": line.key},
                         style={"textAlign": "right", "fontVariantNumeric": "tabular-nums",
                                "whiteSpace": "nowrap"}),
                 html.Td(line.range_text, style={"paddingLeft": "16px", "color": "#555",
                                                 "whiteSpace": "nowrap"})])
        for line in lines.values()])
    about = (f"{run.name}: {run.description}; {run.replications} replications, seed {run.seed}. "
             f"Money in euros at {run.scenario.economics.price_year} prices, discounted (present "
             f"value) unless marked undiscounted. {run.result.range_note()}")
    return html.Div(id="headline-panel", style={"border": "1px solid #ccc", "borderRadius": "6px",
                                                "padding": "10px 14px", "margin": "10px 0"}, children=[
        html.H2("Headline", style={"fontSize": "20px", "margin": "0 0 6px"}),
        html.Div(about, style={"fontSize": "13px", "color": "#555"}),
        *words, *[html.P(icer.words(), className="icer", style={"fontSize": "13px"})
                  for icer in run.result.icers],
        *warnings, table, GLOSSARY, html.Div(style={"marginTop": "8px"}, children=[
            html.A("Download the output folder (zip)", id="download-zip",
                   href=f"/download/{{session}}/{run.number}.zip"),
            " · ",
            html.A("Download the scenario YAML", id="download-yaml",
                   href=f"/download/{{session}}/{run.number}.yaml"),
            html.Span(f" (ipssim run FILE.yaml --seed {run.seed} --replications {run.replications} "
                      "gives the same numbers)", style={"fontSize": "12px", "color": "#555"})]),
    ])


def charts(run) -> html.Div:
    titles = {"net_effect": "Net effect of IPS against usual services",
              "payers": "Money per payer, IPS minus usual services",
              "trajectories": "Trajectories of both arms",
              "regions": "Regions: IPS arm by month"}
    figures = run.result.figures()
    return html.Div([html.Div([html.H3(titles[name], style={"fontSize": "17px"}),
                               dcc.Graph(figure=figure, config={"displaylogo": False})])
                     for name, figure in figures.items()])


def places(result: api.RunResult) -> float | None:
    """The places a run's coaches offer (coaches x caseload cap, most at once; None in trial
    mode, which has no places)."""
    try:
        offered = result.value("places", "ips")
    except KeyError:
        return None
    return offered if math.isfinite(offered) else None


UTILISATION = "Places used on average while open"
"""The side-by-side label of the utilisation row, whose cells each name their own places."""


def side_by_side(runs, wtp: object = None) -> html.Div:
    """One column per run, one row per headline figure, the net-effect curves overlaid, and the
    runs as a decision at willingness to pay ``wtp`` (the field's value: empty for the default)."""
    if not runs:
        return html.Div()
    headlines = [{line.key: line for line in run.result.headline()} for run in runs]
    keys = dict.fromkeys(key for h in headlines for key in h)  # in order, each run's own too
    labels = {key: UTILISATION if key == "utilisation" else
              next(h[key].label for h in headlines if key in h) for key in keys}
    offered = [places(run.result) for run in runs]
    header = html.Tr([html.Th("")] + [html.Th(run.name, title=run.description,
                                              style={"textAlign": "right", "padding": "2px 10px"})
                                      for run in runs])
    about = html.Tr([html.Td("what", style={"color": "#555"})] + [
        html.Td(run.description, style={"fontSize": "12px", "color": "#555", "padding": "2px 10px",
                                        "maxWidth": "220px"}) for run in runs])
    cell = {"textAlign": "right", "padding": "2px 10px"}

    def shown(key: str, h: dict, places_of_run: float | None) -> str:
        if key not in h:
            return ""
        if key == "utilisation" and places_of_run is not None:
            return f"{h[key].text} of {places_of_run:,.0f}"
        return h[key].text

    body = [html.Tr([html.Td(label)] + [
        html.Td(shown(key, h, p), style=cell, **{"data-key": key})
        for h, p in zip(headlines, offered, strict=True)]) for key, label in labels.items()]
    figure = api.overlay({run.name: run.result for run in runs})
    return html.Div([
        html.Table(id="side-by-side-table", children=[header, about, *body],
                   style={"borderCollapse": "collapse", "fontSize": "14px", "margin": "8px 0"}),
        dcc.Graph(figure=figure, config={"displaylogo": False}), decision_panel(runs, wtp)])


def option_name(run) -> str:
    """A run as an option of the decision: its number and what it changed."""
    changed = run.description.split(", ", 1)[1] if ", " in run.description else ""
    return f"{run.name} ({changed})" if changed else run.name


DECISION_SHOWN = {"option": "option", "status": "status", "cost_eur": "net cost, EUR (pv)",
                  "effect_value": "more people in work", "icer_eur": "EUR per extra person (ICER)",
                  "nmb_eur": "net benefit, EUR (pv)", "p_best": "P(best)"}


def decision_panel(runs, wtp: object = None) -> html.Div:
    """The ticked runs and usual services as one decision at willingness to pay ``wtp`` (the
    field's value; empty: :data:`ipssim.api.DEFAULT_WTP_EUR`): the verdict lines, a chart of
    each option's net benefit with its bounds, the option table and its CSV download; a value
    out of bounds gets one line instead."""
    try:
        wtp = values.number(wtp, "wtp")
        chosen = api.decision({option_name(run): run.result for run in runs},
                              api.DEFAULT_WTP_EUR if wtp is None else wtp)
    except (values.Invalid, api.InputError) as exc:
        return html.Div(id="decision-panel", children=[
            html.H3("Which option?", style={"fontSize": "17px"}),
            html.Div(one_line(str(exc)), id="error-wtp", style=CSS["error"])])
    table = chosen.table
    csv = table.to_csv(index=False)
    note = (f"Usual services and the ticked runs are the options, at {table['wtp_eur'].iloc[0]:,.0f}"
            f" EUR per additional person in competitive work; {chosen.draws} replications each. "
            + ("The runs share their seed: each replication sees the same people in every option. "
               if chosen.paired else "The runs have different seeds: the options are not compared "
               "on the same people, so the probabilities are rougher. ")
            + "Ranges are Monte Carlo only: uncertain parameters are held at their values. "
            + f"Net benefit in brackets: its {chosen.bounds}.")
    rows = [html.Tr([html.Th(label) for label in ("perspective", *DECISION_SHOWN.values())])]
    for row in table.itertuples():
        cells = [row.perspective, row.option,
                 row.status + (f" by {row.reference}" if row.status != "frontier" else ""),
                 f"{row.cost_eur:,.0f}", f"{row.effect_value:,.1f}",
                 f"{row.icer_eur:,.0f}" if math.isfinite(row.icer_eur) else "",
                 f"{row.nmb_eur:,.0f} ({row.nmb_lo95_eur:,.0f} to {row.nmb_hi95_eur:,.0f})",
                 f"{row.p_best:.2f}"]
        rows.append(html.Tr([html.Td(c, style={"padding": "2px 8px"}) for c in cells],
                            style={"fontWeight": "600"} if row.best else {}))
    return html.Div(id="decision-panel", children=[
        html.H3("Which option?", style={"fontSize": "17px"}),
        *[html.P(line, className="verdict") for line in chosen.verdicts],
        html.Div(note, style={"fontSize": "12px", "color": "#555"}),
        dcc.Graph(id="decision-chart", figure=chosen.figure(), config={"displaylogo": False}),
        html.Table(id="decision-table", children=rows,
                   style={"borderCollapse": "collapse", "fontSize": "13px"}),
        html.A("Download the option table (CSV)", id="download-decision", download="decision.csv",
               href="data:text/csv;charset=utf-8," + quote(csv))])


GLOSSARY = html.Details(id="glossary", children=[
    html.Summary("Words used here"),
    html.Dl([
        html.Dt("Public purse"),
        html.Dd("The state, Kela, the pension providers, the wellbeing services county and the "
                "municipality together: what they pay (the programme, benefits, wage subsidy) "
                "against what they get back (taxes and contributions)."),
        html.Dt("Society"),
        html.Dd("Everyone: the public purse, employers and the clients themselves (their "
                "earnings count too)."),
        html.Dt("Discounted"),
        html.Dd("A euro later is worth less than a euro now: money in later months is scaled "
                "down by the discount rate a year, and summed as a present value (pv)."),
        html.Dt("Ever in work"),
        html.Dd("People who had at least one competitive (open-market) job at some time between "
                "their referral and the end of the horizon, however short."),
    ])])


def build_app(workers: int = 2, at_once: int = AT_ONCE, waiting: int = WAITING) -> dash.Dash:
    """The Dash application, its callbacks and its download route: at most ``at_once`` runs go
    at a time server-wide, on ``workers`` worker processes in all, and ``waiting`` more wait."""
    store = RunStore(workers, at_once, waiting)
    # update_title=None: no "Updating..." title (Dash documents None; its hint says str)
    app = dash.Dash(__name__, title="ipssim workbench", update_title=None)  # type: ignore[arg-type]
    app.server.config["MAX_CONTENT_LENGTH"] = MAX_BODY  # a larger body: 413, unread

    def page() -> html.Div:
        return layout(store.new_session())

    app.layout = page

    @app.server.before_request
    def well_formed():
        """A callback request must name a callback of the page and its own inputs, in order;
        anything else is refused before Dash reads it (its values are checked by each callback)."""
        if request.method != "POST" or not request.path.endswith("/_dash-update-component"):
            return None
        try:
            body = request.get_json(silent=True)
        except RecursionError:
            body = None
        problem = values.callback_problem(body, app.callback_map)
        if problem:
            return Response(f"bad request: {problem}", 400, mimetype="text/plain")
        return None

    @app.callback(Output("scenario", "options"), Output("scenario", "value"),
                  Output("uploaded", "data"), Output("error-upload", "children"),
                  Input("upload", "contents"), State("upload", "filename"),
                  prevent_initial_call=True)
    def upload(contents, filename):
        """A scenario file from the planner's machine, checked by the scenario schema; a bad
        one is named beside the upload and leaves the scenario as it was."""
        if not contents:
            return dash.no_update, dash.no_update, dash.no_update, ""
        if not isinstance(contents, str):
            return dash.no_update, dash.no_update, dash.no_update, "upload: upload a scenario YAML file"
        uploaded = {"filename": shown_name(filename), "contents": contents.partition(",")[2]}
        scenario = _load(UPLOAD, uploaded)
        if isinstance(scenario, str):
            return dash.no_update, dash.no_update, dash.no_update, scenario
        label = f"uploaded: {uploaded['filename']} ({scenario.name})"
        options = [{"label": n, "value": n} for n in bundled()]
        return [*options, {"label": label, "value": UPLOAD}], UPLOAD, uploaded, ""

    @app.callback(Output("regions", "data"), Output("caseload_cap", "value"),
                  Output("horizon_years", "value"), Output("discount_rate", "value"),
                  Output("scenario-about", "children"), Output("years_funded", "placeholder"),
                  Output("demand_mode", "value"),
                  Input("scenario", "value"), State("uploaded", "data"))
    def pick(name, uploaded):
        scenario = _load(name, uploaded)
        if isinstance(scenario, str):
            return [], None, None, None, scenario, "", "referrals"
        rows = [{"name": r.name, "referrals": round(r.referrals_per_month * 12, 2),
                 "eligible": r.eligible_people,
                 "uptake": None if r.uptake_per_year is None else round(r.uptake_per_year * 100, 4),
                 "budget": (r.budget_eur_per_year or [None])[0], "coaches": r.coaches}
                for r in scenario.regions]
        operating = max((scenario.closing_month(r) or scenario.horizon_months)
                        for r in scenario.regions)
        demand = "eligible" if all(r.eligible_people for r in scenario.regions) else "referrals"
        return (rows, scenario.coaching.caseload_cap, scenario.horizon_months / 12,
                round(scenario.economics.discount_rate_per_year * 100, 4),
                f"{scenario.description} ({scenario.mode} mode, {len(scenario.regions)} regions)",
                f"as in the scenario ({operating / 12:g})", demand)

    form = [State(x, "value") for x in ("budget_mode", "budget_eur_per_year", "demand_mode")] + [
        State("regions", "data")] + [State(x, "value") for x in (
            "caseload_cap", "fidelity", "integrated", "years_funded", "horizon_years",
            "discount_rate", "replications", "seed", "uncertainty")]

    @app.callback(Output("capacity", "children"),
                  [Input(x, "value") for x in ("budget_mode", "budget_eur_per_year", "demand_mode")]
                  + [Input("regions", "data")] + [Input(x, "value") for x in (
                      "caseload_cap", "fidelity", "integrated", "years_funded", "horizon_years")],
                  State("scenario", "value"), State("uploaded", "data"))
    def serves(mode, total, demand, rows, cap, fidelity, integrated, years, horizon, name, uploaded):
        """What each region's staff can serve against its demand, as the levers stand."""
        base = _load(name, uploaded)
        if isinstance(base, str) or not rows:
            return ""
        try:
            scenario = api.planned_scenario(base, levers_from_form(
                base, mode, total, demand, rows, cap, fidelity, integrated, years, horizon, None))
        except (values.Invalid, api.ScenarioError):
            return ""  # Run names the problem beside its field
        if not _capacity_turn.acquire(timeout=CAPACITY_WAIT_S):
            return html.Div(CAPACITY_BUSY, className="capacity-warning")
        try:
            return capacity_panel(api.capacity(scenario))
        finally:
            _capacity_turn.release()

    @app.callback([Output(f"error-{f}", "children") for f in FIELDS] + [Output("form-error", "children")],
                  Input("run", "n_clicks"), State("session", "data"), State("scenario", "value"),
                  State("uploaded", "data"), *form, prevent_initial_call=True)
    def run(_, session, name, uploaded, mode, total, demand, rows, cap, fidelity, integrated, years,
            horizon, discount, replications, seed, uncertainty):
        errors = dict.fromkeys((*FIELDS, "form"), "")

        def refused(message: object, lever: str | None = None) -> list[str]:
            errors[lever if lever in errors else "form"] = one_line(str(message))
            return list(errors.values())

        if not store.known(session):
            return refused(EXPIRED)
        base = _load(name, uploaded)
        if isinstance(base, str):
            return refused(base)
        try:
            count, seed = values.replications(replications), values.seed(seed)
            drawn = values.switch(uncertainty, "uncertainty")
            levers = levers_from_form(base, mode, total, demand, rows, cap, fidelity, integrated,
                                      years, horizon, discount)
            scenario = api.planned_scenario(base, levers)
        except (values.Invalid, api.ScenarioError) as exc:
            return refused(str(exc).removeprefix("scenario: "), getattr(exc, "lever", None))
        if drawn and (scenario.uncertainty is None or not (scenario.uncertainty.parameters
                                                           or scenario.uncertainty.calibrated_sample)):
            return refused("this scenario gives no distributions to draw "
                           "(finland_ten_counties_uncertainty and finland_pilot_uncertainty do)",
                           "uncertainty")
        label = shown_name(uploaded.get("filename")) if name == UPLOAD else name
        description = describe(label, levers, base)
        try:  # the run's own scenario file describes the run, not the scenario it came from
            store.start(session, scenario.model_copy(update={
                "description": description, "name": lever_name(description)}), count, seed,
                description, parameter_uncertainty=drawn)
        except Refused as exc:
            return refused(exc)
        return list(errors.values())

    @app.callback(Output("cancel", "title"), Input("cancel", "n_clicks"), State("session", "data"),
                  prevent_initial_call=True)
    def cancel(_, session):
        if not store.known(session):
            return dash.no_update
        store.cancel(session)
        return "cancel requested"

    @app.callback(Output("status", "children"), Output("progress", "value"),
                  Output("progress", "max"), Output("history", "options"),
                  Output("finished", "data"),
                  Input("tick", "n_intervals"), State("session", "data"), State("finished", "data"),
                  State("history", "value"), State("history", "options"))
    def tick(_, session, finished, ticked, listed):
        """The state of the session's runs, every 600 ms: light, so that its answers keep
        pace under load; a newly finished run is only named (``finished``), and shown once by
        :func:`show`."""
        if not store.known(session):
            return (EXPIRED, *(dash.no_update,) * 4)
        runs = store.runs(session)
        if not runs:
            return (IDLE, *(dash.no_update,) * 4)
        last = runs[-1]
        try:
            ticked = set(values.ticks(ticked))
        except values.Invalid:
            ticked = set()
        full = len(ticked) >= SIDE_BY_SIDE  # no fifth tick: the others wait until one is cleared
        options = [{"label": f" {r.name}: {r.description}", "value": r.number,
                    "disabled": r.result is None or (full and r.number not in ticked)} for r in runs]
        if options == listed:
            options = dash.no_update  # the list is not redrawn under the planner's pointer
        done = last.replications if last.state == "finished" else last.done
        newly = last.number if last.state == "finished" and finished != last.number \
            else dash.no_update
        return status(store, last), str(done), str(last.replications), options, newly

    @app.callback(Output("headline", "children"), Output("charts", "children"),
                  Input("finished", "data"), State("session", "data"), prevent_initial_call=True)
    def show(number, session):
        """The headline and charts of a run that has just finished, built once."""
        known = store.known(session) and isinstance(number, int) and not isinstance(number, bool)
        run = store.get(session, number) if known else None
        if run is None or run.result is None:
            return dash.no_update, dash.no_update
        panel = headline_panel(run)
        _fill_session(panel, session)
        return panel, charts(run)

    @app.callback(Output("side-by-side", "children"), Input("history", "value"),
                  Input("wtp", "value"), State("session", "data"), prevent_initial_call=True)
    def compare(ticked, wtp, session):
        """The ticked runs side by side. The ticks are only read, never written back: a reply to
        an earlier tick would otherwise undo a tick made while it was on its way."""
        if not store.known(session):
            return dash.no_update
        try:
            numbers = sorted(set(values.ticks(ticked)))[:SIDE_BY_SIDE]
        except values.Invalid:
            return dash.no_update
        runs = [store.get(session, n) for n in numbers]
        return side_by_side([r for r in runs if r is not None and r.result is not None], wtp)

    @app.server.route("/download/<session>/<int:number>.<kind>")
    def download(session: str, number: int, kind: str):
        run = store.get(session, number) if store.known(session) else None
        if run is None or run.result is None or kind not in ("zip", "yaml"):
            abort(404)
        stem = f"{run.scenario.name}-run{number}"
        if kind == "yaml":
            return Response(run_yaml(run), mimetype="application/x-yaml",
                            headers={"Content-Disposition": f"attachment; filename={stem}.yaml"})
        return Response(_zip(run.result, stem), mimetype="application/zip",
                        headers={"Content-Disposition": f"attachment; filename={stem}.zip"})

    return app


EXPIRED = "This page's session has expired: reload the page."
IDLE = "No runs yet in this tab: move the levers and press Run."


def status(store: RunStore, run) -> str:
    """The state of a session's last run, in words."""
    if run.state == "queued":
        position = store.position(run)
        return (f"{run.name} queued (position {position}): it starts when the runs ahead of it "
                "are done." if position else f"{run.name} starting.")
    return {"running": f"{run.name} running: {run.done} of {run.replications} replications",
            "finished": f"{run.name} finished: {run.replications} replications.",
            "cancelled": f"{run.name} {run.message}; nothing shown for it.",
            "failed": f"{run.name} failed: {run.message}"}[run.state]


def run_yaml(run) -> str:
    """The scenario file of a run (its description the run's own) and how to reproduce it."""
    stem = f"{run.scenario.name}-run{run.number}"
    return (f"# {run.name}: {run.description}\n# reproduce: ipssim run {stem}.yaml --seed "
            f"{run.seed} --replications {run.replications}\n" + run.result.yaml())


def lever_name(description: str) -> str:
    """A scenario name (letters, digits, ``_.-``, at most 80) from a run's description, so that
    the file of an 8 M EUR run is not named after the scenario's own 5 M EUR."""
    plain = re.sub(r"(?<=\d),(?=\d{3})", "", description)  # 1,600,000 -> 1600000
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", plain).strip("_.-")
    return name[:80].rstrip("_.-") or "run"


def describe(name: str, levers: api.Levers, base: api.Scenario) -> str:
    """A short description of what a run changed from the scenario, for the history."""
    same = {"caseload_cap": base.coaching.caseload_cap, "horizon_years": base.horizon_months / 12,
            "discount_rate_percent": round(base.economics.discount_rate_per_year * 100, 4)}
    changed: dict[str, Any] = {k: (None if same.get(k) == v else v) for k, v in vars(levers).items()}
    levers = api.Levers(**changed)
    parts = [name]
    if levers.budget_mode == "total" and levers.budget_eur_per_year is not None:
        parts.append(f"total {levers.budget_eur_per_year:,.0f} EUR a year")
    elif levers.budget_mode == "per_region":
        parts.append("budget per region")
    elif levers.budget_mode == "coaches":
        given = [v for v in levers.region_coaches.values() if v is not None]
        parts.append(f"{sum(given):,.0f} coaches")
    changed = {k: v for k, v in levers.referrals_per_year.items() if v is not None}
    if levers.demand_mode == "eligible":
        parts.append(f"demand from {sum(v or 0 for v in levers.eligible_people.values()):,.0f} "
                     "eligible people")
    elif changed:
        parts.append(f"referrals changed in {len(changed)} regions")
    for label, value in (("caseload cap", levers.caseload_cap), ("fidelity", levers.fidelity),
                         ("years funded", levers.years_funded), ("horizon (years)", levers.horizon_years),
                         ("discount rate (%)", levers.discount_rate_percent)):
        if value is not None:
            parts.append(f"{label} {value:g}")
    if levers.integrated is not None:
        parts.append("integrated" if levers.integrated else "not integrated")
    return ", ".join(parts)


def _load(name, uploaded) -> api.Scenario | str:
    """The scenario picked: a bundled one, or the file uploaded in this tab (which may name
    only bundled files); a one-line error otherwise."""
    if name == UPLOAD:
        if not isinstance(uploaded, dict):
            return "upload: no file uploaded in this tab"
        loaded = load_upload(uploaded.get("filename"), uploaded.get("contents"))
        return one_line(loaded) if isinstance(loaded, str) else loaded
    loaded = load_bundled(name)
    return one_line(loaded) if isinstance(loaded, str) else loaded


def capacity_panel(capacity: api.Capacity | None) -> html.Div:
    """What each region's staff can serve against its demand (``ipssim validate``'s figures),
    with the regions whose places stand idle or whose waiting list grows named in two lines."""
    if capacity is None:
        return html.Div("Trial mode: a cohort with a place for everyone, no waiting list.")
    cell = {"textAlign": "right", "padding": "1px 4px", "whiteSpace": "nowrap"}
    header = html.Tr([html.Th(h, style=cell, title=t) for h, t in (
        ("Region", ""), ("Places", "coaches x caseload cap"),
        ("Serve/yr", "clients a year the places can serve"), ("Demand/yr", "referrals a year"),
        ("Load", "demand over what the places can serve"))])
    rows = [html.Tr([html.Td(r.region, title=r.region, style={
                         **cell, "textAlign": "left", "maxWidth": "95px", "overflow": "hidden",
                         "textOverflow": "ellipsis"}),
                     html.Td(f"{r.places:,}", style=cell, title=f"{r.coaches:,} coaches"),
                     html.Td(f"{r.clients_per_year:,.0f}", style=cell),
                     html.Td(f"{r.referrals_per_year:,.0f}", style=cell),
                     html.Td(f"{r.load:.0%}", style={**cell, "color": "#b00020"} if r.warning
                             else cell)])
            for r in capacity.regions]
    growing = [r.region for r in capacity.regions if r.load > 1]
    idle = [r.region for r in capacity.regions if r.warning and r.load <= 1]
    warned = [html.Div(f"{what} in {len(names)} region{'s' if len(names) > 1 else ''}: "
                       f"{', '.join(names)}.", className="capacity-warning",
                       style={"color": "#8a5300"})
              for what, names in (("The waiting list grows (demand above what the places serve)",
                                   growing),
                                  ("Places stand idle (demand fills under "
                                   f"{api.IDLE_UTILISATION:.0%} of them)", idle)) if names]
    return html.Div([
        html.B("What the staff can serve"), " (places = coaches x caseload cap)",
        html.Div(html.Table(id="capacity-table", children=[header, *rows],
                            style={"borderCollapse": "collapse", "margin": "2px 0"}),
                 style={"overflowX": "auto", "maxHeight": "220px", "overflowY": "auto"}),
        *warned,
        html.Div(f"Serve/yr = places x 365.25 / {capacity.stay_days:,.0f} days: the "
                 f"{capacity.source}.", style={"color": "#666"})])


def _fill_session(component, session: str) -> None:
    """Put the session id into the download links (they are per session)."""
    for child in _walk(component):  # (Dash sets a component's properties at run time)
        if isinstance(child, html.A) and "{session}" in str(child.href):  # type: ignore[attr-defined]
            child.href = child.href.replace("{session}", session)  # type: ignore[attr-defined]


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            yield from _walk(child)


def _zip(result: api.RunResult, stem: str) -> bytes:
    """The run's output folder (``RunResult.write``: the files of ``ipssim run``), zipped."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / stem
        result.write(out)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(out.rglob("*")):
                if path.is_file():
                    archive.write(path, f"{stem}/{path.relative_to(out)}")
        shutil.rmtree(out, ignore_errors=True)
    return buffer.getvalue()

