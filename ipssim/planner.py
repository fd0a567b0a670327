"""The planner's levers and headline: a scenario from the few numbers a planner moves, and the
answers in words and numbers.

The web page (:mod:`ipssim.app`) and the command line read the same headline, so a number on the
page is the number ``ipssim run`` prints for the scenario YAML the page offers for download.
A lever that cannot be applied raises :class:`LeverError`, a one-line
:class:`~ipssim.scenario.schema.ScenarioError` that starts with the lever's name
(``budget_eur_per_year: ...``) and carries it (``.lever``), so a form shows it beside its field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import yaml

from ipssim.experiments.capacity import IDLE_UTILISATION
from ipssim.money.funding import team_leaders_for
from ipssim.money.parameters import Economics
from ipssim.reports.numbers import number_text, range_text
from ipssim.scenario.edits import editable, edited
from ipssim.scenario.load import parse_scenario
from ipssim.scenario.schema import Scenario, ScenarioError
from ipssim.stats import MEAN_INTERVAL, RANGE, mean_interval
from ipssim.vocabulary import GROSS_RATIO_WORDS, HEADLINE, MONTH_DAYS

BUDGET_MODES = ("scenario", "total", "per_region", "coaches")
"""Keep the scenario's staffing, one total budget split across regions by demand, a budget per
region, or coaches per region."""
DEMAND_MODES = ("referrals", "eligible")
"""Demand as referrals a year, or as eligible people and the share of them referred a year."""
REPLICATIONS = {"quick": 4, "standard": 40}
"""Replications of the page's quick and standard runs."""
LEVERS = ("budget_mode", "budget_eur_per_year", "demand_mode", "regions", "caseload_cap", "fidelity",
          "integrated", "years_funded", "horizon_years", "discount_rate", "replications", "seed")
"""The levers, in the order of the form; an error message starts with one of them."""
_FIELD_LEVERS = (
    ("budget_eur_per_year", "regions"), ("coaches", "regions"),
    ("referrals_per_month", "regions"), ("eligible_people", "regions"),
    ("uptake_per_year", "regions"), ("caseload_cap", "caseload_cap"),
    ("fidelity", "fidelity"), ("integrated", "integrated"), ("operating_months", "years_funded"),
    ("referral_months", "years_funded"), ("horizon_months", "horizon_years"),
    ("discount_rate", "discount_rate"),
)
"""The scenario fields the levers set, and the lever that sets each (a budget is the total's
lever when one total is split)."""


class LeverError(ScenarioError):
    """A lever that cannot be applied: ``lever`` is the form field it is about (one of
    :data:`LEVERS`; ``None``: the scenario as a whole), and the message starts with it."""

    def __init__(self, lever: str | None, message: str) -> None:
        super().__init__(message)
        self.lever = lever


@dataclass
class Levers:
    """What a planner moves. ``None`` keeps the scenario's own value."""

    budget_mode: str = "scenario"
    budget_eur_per_year: float | None = None
    """The total a year (``total``); split across regions in proportion to their referrals."""
    region_budgets: dict[str, float | None] = field(default_factory=dict)
    """Per region, EUR a year (``per_region``)."""
    region_coaches: dict[str, float | None] = field(default_factory=dict)
    """Per region, a fixed headcount of coaches (``coaches``; team leaders: one per 9)."""
    demand_mode: str = "referrals"
    referrals_per_year: dict[str, float | None] = field(default_factory=dict)
    """Per region (``referrals``); a region left out keeps the scenario's demand."""
    eligible_people: dict[str, float | None] = field(default_factory=dict)
    """Per region (``eligible``), with ``uptake_per_year``: the share referred a year."""
    uptake_per_year: dict[str, float | None] = field(default_factory=dict)
    caseload_cap: float | None = None
    fidelity: float | None = None
    integrated: bool | None = None
    years_funded: float | None = None
    horizon_years: float | None = None
    discount_rate_percent: float | None = None


def _number(value: float | None, lever: str, low: float, high: float, what: str) -> float:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value):
        raise LeverError(lever, f"{lever}: give {what}")
    if not low <= value <= high:
        raise LeverError(lever, f"{lever}: must be {what} (got {value:,g})")
    return float(value)


def _whole(value: float | None, lever: str, low: int, high: int, what: str, subject: str = "") -> int:
    """:func:`_number`, refusing a fraction (``subject``: what must be whole, for the message)."""
    number = _number(value, lever, low, high, what)
    if number != round(number):
        raise LeverError(lever, f"{lever}: {subject}{' ' if subject else ''}must be a whole number")
    return int(number)


def _choice(value: str, lever: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise LeverError(lever, f"{lever}: one of {', '.join(allowed)} (got {value!r})")


def planned_scenario(base: Scenario, levers: Levers) -> Scenario:
    """The scenario ``base`` with the planner's ``levers`` applied, validated again; a lever
    that cannot be applied raises :class:`LeverError` naming it.

    Each region is changed by the one edit rule (:mod:`ipssim.scenario.edits`): a budget buys
    its headcount again, eligible people give their referrals again. Years funded set each
    region's intake and operation to that many years (the programme closes then); a total budget
    is split across regions in proportion to their referrals.
    """
    _choice(levers.demand_mode, "demand_mode", DEMAND_MODES)
    data = editable(base)
    data.pop("calibration", None)  # its values are already in the fields
    data["regions"] = [edited(region, _demand(region["name"], levers)) for region in data["regions"]]
    _set_period(data, levers)
    _choice(levers.budget_mode, "budget_mode", BUDGET_MODES)
    staff = _staff(data["regions"], levers, base.economics)
    data["regions"] = [edited(region, staff.get(region["name"], {})) for region in data["regions"]]
    _set_programme(data, levers)
    try:
        return parse_scenario(data, source="scenario")
    except ScenarioError as exc:
        raise LeverError(_field_lever(str(exc), levers.budget_mode), str(exc)) from None


def _field_lever(message: str, budget_mode: str) -> str | None:
    """The lever that sets the first field of :data:`_FIELD_LEVERS` a schema error names (the
    schema's errors name fields, not levers)."""
    for path, lever in _FIELD_LEVERS:
        if path in message:
            return "budget_eur_per_year" if path == "budget_eur_per_year" and \
                budget_mode == "total" else lever
    return None


def _demand(name: str, levers: Levers) -> dict:
    """A region's demand as the levers give it (nothing: the scenario's own)."""
    if levers.demand_mode == "eligible":
        people = _whole(levers.eligible_people.get(name), "regions", 1, 10_000_000,
                        f"eligible people for {name}, a whole number from 1 to 10,000,000",
                        f"eligible people for {name}")
        uptake = _number(levers.uptake_per_year.get(name), "regions", 0.01, 100,
                         f"the uptake for {name}, % of the eligible referred a year, above 0 to 100")
        return {"eligible_people": people, "uptake_per_year": uptake / 100}
    if name in levers.referrals_per_year:
        return {"referrals_per_month": _number(levers.referrals_per_year[name], "regions", 0, 120_000,
                                               f"referrals a year for {name} from 0 to 120,000") / 12}
    return {}


def _set_period(data: dict, levers: Levers) -> None:
    """The horizon, and the years funded: intake and operation end then; intake ends by the
    horizon."""
    if levers.horizon_years is not None:
        years = _number(levers.horizon_years, "horizon_years", 4, 10, "a horizon of 4 to 10 years")
        data["horizon_months"] = round(years * 12)
        data["outcome_window_months"] = min(data.get("outcome_window_months", 24), data["horizon_months"])
    horizon = data["horizon_months"]
    if levers.years_funded is not None:
        funded = _number(levers.years_funded, "years_funded", 1, horizon / 12,
                         f"from 1 to the horizon ({horizon / 12:g} years)")
        for region in data["regions"]:
            region["referral_months"] = [0, round(funded * 12)]
            region["operating_months"] = round(funded * 12)
    for region in data["regions"]:
        if "referral_months" in region and region["referral_months"][1] > horizon:
            region["referral_months"] = [region["referral_months"][0], horizon]


def _staff(regions: list[dict], levers: Levers, economics: Economics) -> dict[str, dict]:
    """Each region's staff as the budget mode gives it: a budget (the total split by referrals,
    or the region's own) or a fixed headcount; nothing in ``scenario`` mode."""
    names = [region["name"] for region in regions]
    if levers.budget_mode == "total":
        total = _number(levers.budget_eur_per_year, "budget_eur_per_year", 1, 10_000_000_000,
                        "a total in EUR a year above 0")
        budgets = split_by_demand(total, regions)
    elif levers.budget_mode == "per_region":
        budgets = {n: _number(levers.region_budgets.get(n), "regions", 0, 10_000_000_000,
                              f"a budget in EUR a year for {n}") for n in names}
    elif levers.budget_mode == "coaches":
        coaches = {n: _whole(levers.region_coaches.get(n), "regions", 1, 10_000,
                             f"coaches for {n}, a whole number from 1 to 10,000", f"coaches for {n}")
                   for n in names}
        return {n: {"coaches": c, "team_leaders": team_leaders_for(c, economics), "staffing": []}
                for n, c in coaches.items()}
    else:
        return {}
    return {n: {"budget_eur_per_year": [round(budget, 2)]} for n, budget in budgets.items()}


def _set_programme(data: dict, levers: Levers) -> None:
    """The caseload cap, fidelity, integration and discount rate the levers set."""
    if levers.caseload_cap is not None:
        data.setdefault("coaching", {})["caseload_cap"] = _whole(
            levers.caseload_cap, "caseload_cap", 1, 1000, "a whole number of clients from 1 to 1,000")
    if levers.fidelity is not None:
        value = _number(levers.fidelity, "fidelity", 25, 125, "a fidelity score from 25 to 125")
        for region in data["regions"]:
            region["fidelity"] = value
    if levers.integrated is not None:
        for region in data["regions"]:
            region["integrated"] = bool(levers.integrated)
    if levers.discount_rate_percent is not None:
        rate = _number(levers.discount_rate_percent, "discount_rate", 0, 20, "a rate from 0 to 20 %")
        data.setdefault("economics", {})["discount_rate_per_year"] = rate / 100


def split_by_demand(total: float, regions: list[dict]) -> dict[str, float]:
    """A total budget split across regions (scenario data) in proportion to their referrals a
    month (eligible people x uptake a year / 12 where demand is given that way)."""
    demand = [r.get("eligible_people", 0) * r.get("uptake_per_year", 0) / 12
              if "eligible_people" in r else r.get("referrals_per_month", 0.0) for r in regions]
    if sum(demand) <= 0:
        raise LeverError("budget_eur_per_year",
                         "budget_eur_per_year: no region has referrals to split it by")
    return {r["name"]: total * d / sum(demand) for r, d in zip(regions, demand, strict=True)}


def scenario_yaml(scenario: Scenario) -> str:
    """A self-contained scenario file (calibrated values written out, each region as given:
    budgets rather than the headcount they buy) that ``ipssim run`` turns into the same
    scenario."""
    data = editable(scenario, mode="json")
    data.pop("calibration", None)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@dataclass
class Line:
    """One headline figure: what it is in words, its value (mean), its bounds (``lo95``,
    ``hi95``: the :data:`RANGE` or, in a run of too few replications, the
    :data:`MEAN_INTERVAL`, as ``bounds`` says) and its unit (one of
    :data:`ipssim.reports.numbers.UNITS`)."""

    key: str
    label: str
    mean: float
    lo95: float = math.nan
    hi95: float = math.nan
    unit: str = ""
    bounds: str = RANGE

    @property
    def text(self) -> str:
        """The value in words (:func:`ipssim.reports.numbers.number_text`)."""
        return number_text(self.mean, self.unit)

    @property
    def range_text(self) -> str:
        """The bounds in words; empty where there are none."""
        return range_text(self.lo95, self.hi95, self.unit)


DERIVED_LINES = ("coaches", "wait_p90", "utilisation", "gross_ratio_public", "gross_ratio_society",
                 "cost_per_client_started", "cost_per_client_month")
"""The headline's lines that are not rows of :data:`ipssim.vocabulary.HEADLINE`: the coaches
funded (from the scenario), the 90th percentile of the wait (pooled over replications) and the
share of the places used (clients in IPS, one in work at the follow-along weight of a place, over
the places in post, month by month: ``spending.csv``'s
``place_use_share``; without it the ``utilisation_share`` summary row), the gross
benefit-cost ratio beside each net return (``1 + roi``, its range shifted by 1) and the programme
cost per person served and per client-month in IPS (from ``spending.csv``)."""


def headline(scenario: Scenario, summary: pd.DataFrame, waits: np.ndarray,
             spent: dict[str, list] | None = None, rough: bool = False) -> list[Line]:
    """The headline figures of a run: the coaches funded, the rows of
    :data:`ipssim.vocabulary.HEADLINE` in its order, the 90th percentile of the wait, then the
    utilisation of the places bought (clients in IPS, one in work at the follow-along weight of a
    place, over coaches x caseload cap, over the months the programme is open) and, with
    ``spent`` (the columns of ``spending.csv``), the cost per person served (:data:`DERIVED_LINES`).
    With ``rough`` (too few replications) each line's bounds are its mean's interval."""
    rows = summary.set_index(["metric", "arm"])
    bounds = MEAN_INTERVAL if rough else RANGE

    def figure(mean: float, lo95: float, hi95: float, mc_se: float) -> tuple[float, float, float]:
        """A mean and its bounds (:data:`RANGE` or :data:`MEAN_INTERVAL`)."""
        return (mean, *mean_interval(mean, mc_se)) if rough else (mean, lo95, hi95)

    lines = []
    for metric, arm, label, unit in HEADLINE:
        if (metric, arm) not in rows.index:
            continue
        row = rows.loc[(metric, arm)]
        mean, lo, hi = figure(*(float(row[c]) for c in ("mean", "lo95", "hi95", "mc_se")))
        lines.append(Line(metric, label, mean, lo, hi, unit, bounds))
        if metric.startswith("roi_"):
            view = metric.removeprefix("roi_")
            words = "public purse" if view == "public" else view
            lines.append(Line(f"gross_ratio_{view}", f"{GROSS_RATIO_WORDS}, {words}",
                              1 + mean, 1 + lo, 1 + hi, unit, bounds))
    lines.append(Line("wait_p90", "90th percentile of the wait (anyone still waiting counts to the end)",
                      wait_quantile(waits, 0.9), unit="days", bounds=bounds))
    lines.insert(0, Line("coaches", "Coaches funded (most in post at once, all regions)",
                         float(sum(r.posts for r in scenario.regions)), unit="people",
                         bounds=bounds))
    figures = {name: i for i, name in enumerate(spent["figure"])} if spent is not None else {}
    if ("utilisation_share", "ips") in rows.index:
        used, places = rows.loc[("utilisation_share", "ips")], rows.loc[("places", "ips")]["mean"]
        share = figure(*(float(used[c]) for c in ("mean", "lo95", "hi95", "mc_se")))
        if spent is not None:  # against the places in post each month
            i = figures["place_use_share"]
            share = figure(*(spent[c][i] for c in ("mean", "lo95", "hi95", "mc_se")))
        lines.append(Line("utilisation",
                          f"Places used on average while open (of {number_text(places)} places)",
                          *share, unit="share", bounds=bounds))
    if spent is not None:
        for key, name, label in (
                ("cost_per_client_started", "programme_cost_per_client_started_eur",
                 "Programme cost per person served (undiscounted)"),
                ("cost_per_client_month", "programme_cost_per_client_month_eur",
                 "Programme cost per client-month in IPS (undiscounted)")):
            i = figures[name]
            lines.append(Line(key, label, *figure(*(spent[c][i] for c in (
                "mean", "lo95", "hi95", "mc_se"))), unit="eur", bounds=bounds))
    return lines


def wait_quantile(waits: np.ndarray, quantile: float) -> float:
    """The ``quantile`` of the IPS arm's waits for a coach pooled over replications (each
    replication's ``waits``: who is never placed counts as waiting until they leave or the
    horizon ends, as ``ipssim size``)."""
    if not len(waits):
        return math.nan
    return float(np.quantile(waits, quantile))


def warnings(lines: list[Line]) -> list[str]:
    """Plain warnings: places standing idle, or a waiting list that is long at the end."""
    by_key = {line.key: line for line in lines}
    out = []
    used = by_key.get("utilisation")
    if used is not None and used.mean < IDLE_UTILISATION:
        out.append(f"Places stand idle: on average only {used.text} of the places bought are in "
                   "use. The budget buys more places than the referrals fill; raise the demand or "
                   "lower the budget.")
    waiting, referred = by_key.get("clients_waiting_at_horizon"), by_key.get("clients_referred")
    wait = by_key.get("mean_wait_days")
    if waiting and referred and referred.mean and waiting.mean > 0.05 * referred.mean:
        out.append(f"The waiting list grows: {waiting.text} people are still waiting at the "
                   "end. The places bought are too few for the referrals.")
    elif wait and math.isfinite(wait.mean) and wait.mean > 2 * MONTH_DAYS:
        out.append(f"Long waits: people wait {wait.text} on average for a coach.")
    return out
