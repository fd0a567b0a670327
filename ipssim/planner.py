"""The planner's levers and headline: a scenario from the few numbers a planner moves, and the
answers in words and numbers.

The web page (:mod:`ipssim.app`) and the command line read the same headline, so a number on the
page is the number ``ipssim run`` prints for the scenario YAML the page offers for download.
Lever errors are :class:`~ipssim.scenario.schema.ScenarioError` one-liners that start with the
lever's name (``budget_eur_per_year: ...``), so a form can show each beside its field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import yaml

from ipssim.experiments.capacity import IDLE_UTILISATION
from ipssim.money.funding import team_leaders_for
from ipssim.scenario.load import parse_scenario
from ipssim.scenario.schema import Scenario, ScenarioError
from ipssim.vocabulary import MONTH_DAYS

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
_SCHEMA_TO_LEVER = (
    ("budget_eur_per_year", "budget_eur_per_year"), ("coaches", "regions"),
    ("referrals_per_month", "regions"), ("eligible_people", "regions"),
    ("uptake_per_year", "regions"), ("caseload_cap", "caseload_cap"),
    ("fidelity", "fidelity"), ("integrated", "integrated"), ("operating_months", "years_funded"),
    ("referral_months", "years_funded"), ("horizon_months", "horizon_years"),
    ("discount_rate", "discount_rate"),
)


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


def lever_of(message: str) -> str | None:
    """The lever a one-line error is about (``None``: about the scenario as a whole)."""
    head = message.split(" ", 3)
    for lever in LEVERS:
        if any(word.startswith(f"{lever}:") for word in head):
            return lever
    for path, lever in _SCHEMA_TO_LEVER:
        if path in message:
            return lever
    return None


def _number(value: float | None, lever: str, low: float, high: float, what: str) -> float:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value):
        raise ScenarioError(f"{lever}: give {what}")
    if not low <= value <= high:
        raise ScenarioError(f"{lever}: must be {what} (got {value:,g})")
    return float(value)


def planned_scenario(base: Scenario, levers: Levers) -> Scenario:
    """The scenario ``base`` with the planner's ``levers`` applied, validated again.

    Years funded set each region's intake and operation to that many years (the programme
    closes then); a total budget is split across regions in proportion to their referrals.
    """
    data = base.model_dump(mode="python", exclude_none=True)
    data.pop("calibration", None)  # its values are already in the fields
    regions = data["regions"]
    names = [r["name"] for r in regions]
    if levers.demand_mode not in DEMAND_MODES:
        raise ScenarioError(f"demand_mode: one of {', '.join(DEMAND_MODES)} (got {levers.demand_mode!r})")
    for region in regions:
        name = region["name"]
        if levers.demand_mode == "eligible":
            for key in ("referrals_per_month", "eligible_people", "uptake_per_year"):
                region.pop(key, None)
            people = _number(levers.eligible_people.get(name), "regions", 1, 10_000_000,
                             f"eligible people for {name}, a whole number from 1 to 10,000,000")
            if people != round(people):
                raise ScenarioError(f"regions: eligible people for {name} must be a whole number")
            region["eligible_people"] = int(people)
            region["uptake_per_year"] = _number(
                levers.uptake_per_year.get(name), "regions", 0.01, 100,
                f"the uptake for {name}, % of the eligible referred a year, above 0 to 100") / 100
        elif name in levers.referrals_per_year:
            for key in ("eligible_people", "uptake_per_year"):
                region.pop(key, None)
            region["referrals_per_month"] = _number(
                levers.referrals_per_year[name], "regions", 0, 120_000,
                f"referrals a year for {name} from 0 to 120,000") / 12
    if levers.horizon_years is not None:
        years = _number(levers.horizon_years, "horizon_years", 4, 10, "a horizon of 4 to 10 years")
        data["horizon_months"] = round(years * 12)
        data["outcome_window_months"] = min(data.get("outcome_window_months", 24), data["horizon_months"])
    if levers.years_funded is not None:
        funded = _number(levers.years_funded, "years_funded", 1, data["horizon_months"] / 12,
                         f"from 1 to the horizon ({data['horizon_months'] / 12:g} years)")
        for region in regions:
            region["referral_months"] = [0, round(funded * 12)]
            region["operating_months"] = round(funded * 12)
    for region in regions:  # intake must end by a shorter horizon
        if "referral_months" in region and region["referral_months"][1] > data["horizon_months"]:
            region["referral_months"] = [region["referral_months"][0], data["horizon_months"]]
    if levers.budget_mode not in BUDGET_MODES:
        raise ScenarioError(f"budget_mode: one of {', '.join(BUDGET_MODES)} (got {levers.budget_mode!r})")
    budgets: dict[str, float] = {}
    if levers.budget_mode == "total":
        total = _number(levers.budget_eur_per_year, "budget_eur_per_year", 1, 10_000_000_000,
                        "a total in EUR a year above 0")
        budgets = split_by_demand(total, regions)
    elif levers.budget_mode == "per_region":
        budgets = {n: _number(levers.region_budgets.get(n), "regions", 0, 10_000_000_000,
                              f"a budget in EUR a year for {n}") for n in names}
    elif levers.budget_mode == "coaches":
        econ = base.economics
        for region in regions:
            coaches = _number(levers.region_coaches.get(region["name"]), "regions", 1, 10_000,
                              f"coaches for {region['name']}, a whole number from 1 to 10,000")
            if coaches != round(coaches):
                raise ScenarioError(f"regions: coaches for {region['name']} must be a whole number")
            for key in ("budget_eur_per_year", "staffing"):
                region.pop(key, None)
            region["coaches"] = int(coaches)
            region["team_leaders"] = team_leaders_for(int(coaches), econ)
    for region in regions:
        if region["name"] in budgets:
            for key in ("coaches", "team_leaders", "staffing"):
                region.pop(key, None)
            region["budget_eur_per_year"] = [round(budgets[region["name"]], 2)]
        elif region.get("budget_eur_per_year") is not None:  # derived again from the budget
            for key in ("coaches", "team_leaders", "staffing"):
                region.pop(key, None)
    if levers.caseload_cap is not None:
        data.setdefault("coaching", {})["caseload_cap"] = _number(
            levers.caseload_cap, "caseload_cap", 1, 1000, "a whole number of clients from 1 to 1,000")
        if data["coaching"]["caseload_cap"] != round(data["coaching"]["caseload_cap"]):
            raise ScenarioError("caseload_cap: must be a whole number of clients")
        data["coaching"]["caseload_cap"] = int(data["coaching"]["caseload_cap"])
    if levers.fidelity is not None:
        value = _number(levers.fidelity, "fidelity", 25, 125, "a fidelity score from 25 to 125")
        for region in regions:
            region["fidelity"] = value
    if levers.integrated is not None:
        for region in regions:
            region["integrated"] = bool(levers.integrated)
    if levers.discount_rate_percent is not None:
        rate = _number(levers.discount_rate_percent, "discount_rate", 0, 20, "a rate from 0 to 20 %")
        data.setdefault("economics", {})["discount_rate_per_year"] = rate / 100
    return parse_scenario(data, source="scenario")


def split_by_demand(total: float, regions: list[dict]) -> dict[str, float]:
    """A total budget split across regions (scenario data) in proportion to their referrals a
    month (eligible people x uptake a year / 12 where demand is given that way)."""
    demand = [r.get("eligible_people", 0) * r.get("uptake_per_year", 0) / 12
              if "eligible_people" in r else r.get("referrals_per_month", 0.0) for r in regions]
    if sum(demand) <= 0:
        raise ScenarioError("budget_eur_per_year: no region has referrals to split it by")
    return {r["name"]: total * d / sum(demand) for r, d in zip(regions, demand, strict=True)}


def scenario_yaml(scenario: Scenario) -> str:
    """A self-contained scenario file (calibrated values written out, budgets rather than the
    headcount they buy) that ``ipssim run`` turns into the same scenario."""
    data = scenario.model_dump(mode="json", exclude_none=True)
    data.pop("calibration", None)
    for region in data["regions"]:
        if region.get("budget_eur_per_year") is not None:
            for key in ("coaches", "team_leaders", "staffing"):
                region.pop(key, None)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@dataclass
class Line:
    """One headline figure: what it is in words, its value (mean) and 95% range, and its unit
    (``people``, ``months``, ``eur``, ``month``, ``ratio``, ``share``, ``days``)."""

    key: str
    label: str
    mean: float
    lo95: float = math.nan
    hi95: float = math.nan
    unit: str = ""

    @property
    def text(self) -> str:
        """The value in words: fixed-point with thousands separators, never scientific."""
        return number_text(self.mean, self.unit, self.key)

    @property
    def range_text(self) -> str:
        if math.isnan(self.lo95) or math.isnan(self.hi95) or self.lo95 == self.hi95:
            return ""
        return (f"{number_text(self.lo95, self.unit, self.key)} to "
                f"{number_text(self.hi95, self.unit, self.key)}")


def number_text(value: float, unit: str, key: str = "") -> str:
    """A number for people: ``1,234``, ``1,234,567 EUR``, ``month 31``, ``not within the
    horizon``, ``62%``."""
    if unit == "month":
        return f"month {value:.0f}" if math.isfinite(value) else "not within the horizon"
    if not math.isfinite(value):
        return "none" if math.isnan(value) else "-"
    if unit == "eur":
        return f"{value:,.0f} EUR"
    if unit == "ratio":
        return f"{value:,.2f} EUR"
    if unit == "share":
        return f"{value:.0%}"
    if unit == "days":
        return f"{value:,.0f} days"
    return f"{value:,.0f}" if abs(value) >= 100 or value == round(value) else f"{value:,.1f}"


HEADLINE_ROWS = (
    ("clients_referred", "ips", "People referred", "people"),
    ("clients_started", "ips", "People served (placed with a coach)", "people"),
    ("clients_waiting_at_horizon", "ips", "Still waiting at the end", "people"),
    ("additional_employed_competitive_by_horizon", "difference",
     "Additional people in competitive work", "people"),
    ("additional_months_worked_by_horizon", "difference",
     "Additional months in competitive work", "months"),
    ("benefits_saved_eur_pv", "difference", "Benefits saved", "eur"),
    ("taxes_gained_eur_pv", "difference", "Taxes and contributions gained", "eur"),
    ("wage_subsidy_eur_pv", "difference", "Wage subsidy paid", "eur"),
    ("programme_cost_eur_pv", "difference", "Programme cost", "eur"),
    ("net_public_eur_pv", "difference", "Net effect for the public purse", "eur"),
    ("net_society_eur_pv", "difference", "Net effect for society", "eur"),
    *((f"net_{payer}_eur_pv", "difference", f"Net effect for {words}", "eur") for payer, words in (
        ("state", "the state"), ("kela", "Kela"), ("pension_providers", "pension providers"),
        ("wellbeing_county", "the wellbeing services county"), ("municipality", "the municipality"),
        ("employer", "employers"), ("client", "the clients"))),
    ("break_even_month_public", "difference", "Break-even, public purse", "month"),
    ("break_even_month_society", "difference", "Break-even, society", "month"),
    ("roi_public", "difference", "Net return per euro of programme cost, public purse", "ratio"),
    ("roi_society", "difference", "Net return per euro of programme cost, society", "ratio"),
    ("mean_wait_days", "ips", "Mean wait for a coach", "days"),
)
"""The headline: summary metric, arm, words, unit. Money is discounted (present value)."""


def headline(scenario: Scenario, summary: pd.DataFrame, waits: np.ndarray) -> list[Line]:
    """The headline figures of a run, in :data:`HEADLINE_ROWS` order (each payer's net effect
    under society's), the 90th percentile of the wait, then the utilisation of the places bought
    (``utilisation_share``: clients in IPS over coaches x caseload cap, averaged over the months
    the programme is open)."""
    rows = summary.set_index(["metric", "arm"])
    lines = []
    for metric, arm, label, unit in HEADLINE_ROWS:
        if (metric, arm) not in rows.index:
            continue
        row = rows.loc[(metric, arm)]
        lines.append(Line(metric, label, float(row["mean"]), float(row["lo95"]), float(row["hi95"]), unit))
    lines.append(Line("wait_p90", "90th percentile of the wait (anyone still waiting counts to the end)",
                      wait_quantile(waits, 0.9), unit="days"))
    lines.insert(0, Line("coaches", "Coaches funded (most in post at once, all regions)",
                         float(sum(r.posts for r in scenario.regions)), unit="people"))
    if ("utilisation_share", "ips") in rows.index:
        used, places = rows.loc[("utilisation_share", "ips")], rows.loc[("places", "ips")]["mean"]
        lines.append(Line("utilisation", f"Places used on average while open (of {places:,.0f} places)",
                          float(used["mean"]), float(used["lo95"]), float(used["hi95"]), unit="share"))
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
        out.append(f"Places stand idle: on average only {used.mean:.0%} of the places bought are in "
                   "use. The budget buys more places than the referrals fill; raise the demand or "
                   "lower the budget.")
    waiting, referred = by_key.get("clients_waiting_at_horizon"), by_key.get("clients_referred")
    wait = by_key.get("mean_wait_days")
    if waiting and referred and referred.mean and waiting.mean > 0.05 * referred.mean:
        out.append(f"The waiting list grows: {waiting.mean:,.0f} people are still waiting at the "
                   "end. The places bought are too few for the referrals.")
    elif wait and math.isfinite(wait.mean) and wait.mean > 2 * MONTH_DAYS:
        out.append(f"Long waits: people wait {wait.mean:,.0f} days on average for a coach.")
    return out
