"""What the programme's money bought: the budget, what was spent, on places in use or standing
idle, its present value, and the cost per person served.

One replication's IPS arm gives, over the months the teams operate:

- place-months paid: coaches in post (each region's staffing trace, as the programme cost counts
  them) times the caseload cap;
- client-months in IPS: clients in IPS at each month's end, summed, and the share of the
  place-months paid that they use, one in work with follow-along support at
  ``coaching.follow_along_weight`` of a place (``place_use_share``: as ``utilisation_share``, but
  against the places in post each month, not the most there ever were);
- spent: the programme cost (undiscounted, as published costs per participant are); each month's
  cost is split into places in use and idle places by that month's share of its places filled,
  so ``in use + idle = spent`` exactly;
- budget: what a budget-funded region's yearly budgets give over its operating months, or what
  a region given as a headcount spent (it states no budget), so ``spent + unspent = budget``.
"""

from __future__ import annotations

import math

import numpy as np

from ipssim.accounts.ledger import places_in_use, step_integral
from ipssim.model.simulation import close_day
from ipssim.scenario.schema import Scenario
from ipssim.stats import describe
from ipssim.vocabulary import MONTH_DAYS, money_unit

SPENDING = ("budget_eur", "spent_eur", "in_use_eur", "idle_eur", "unspent_eur", "spent_eur_pv",
            "idle_share", "place_months", "client_months", "place_use_share", "clients_started",
            "programme_cost_per_client_started_eur", "programme_cost_per_client_month_eur")
"""The figures of :func:`spending`, in the order of ``spending.csv``."""
SPENDING_UNITS = {name: "eur" if name.endswith(("_eur", "_eur_pv")) else
                  "share" if name.endswith("_share") else "" for name in SPENDING}
"""Each figure's unit (:data:`ipssim.reports.numbers.UNITS`)."""
UNIT_WORDS = {"idle_share": "share of spent", "place_use_share": "share of place-months",
              "place_months": "place-months",
              "client_months": "client-months", "clients_started": "people"}
"""The unit of each figure that is not money, in words (``spending.csv``)."""


def place_months(scenario: Scenario, region: int, trace: np.ndarray, n_months: int) -> np.ndarray:
    """Places paid in each month: coach-months in post (until the region closes) times the cap."""
    edges = np.minimum(np.arange(n_months + 1) * MONTH_DAYS, close_day(scenario, region))
    days, coaches = trace[:, 0], trace[:, 1]
    return np.diff(step_integral(days, coaches, edges)) / MONTH_DAYS * scenario.coaching.caseload_cap


def stated_budget(scenario: Scenario, region: int) -> float | None:
    """A budget-funded region's budgets over its operating months (the last year's repeating,
    a part year pro rata); None for a region given as a headcount."""
    r = scenario.regions[region]
    if r.budget_eur_per_year is None:
        return None
    months = scenario.closing_month(r) or scenario.horizon_months
    budgets = r.budget_eur_per_year
    return sum(budgets[min(year, len(budgets) - 1)] * min(12.0, months - 12 * year) / 12
               for year in range(math.ceil(months / 12)))


def spending(scenario: Scenario, staffing_traces: list[np.ndarray],
             regions: list[dict[str, np.ndarray]], clients_started: float) -> dict[str, float]:
    """One replication's figures of :data:`SPENDING` from each region's staffing trace and IPS
    trajectory (``regions``, in scenario order; each with ``programme_cost_eur``, ``enrolled``,
    ``following`` and ``discount_factor``): a place is in use by a client in IPS, or by the
    follow-along weight of one in work (:func:`ipssim.accounts.ledger.places_in_use`)."""
    n_months = scenario.horizon_months
    budget = spent = in_use = spent_pv = places = clients = in_places = 0.0
    for r, (trace, trajectory) in enumerate(zip(staffing_traces, regions, strict=True)):
        cost = np.asarray(trajectory["programme_cost_eur"], dtype=float)
        paid = place_months(scenario, r, trace, n_months)
        enrolled = np.asarray(trajectory["enrolled"], dtype=float)
        used = np.asarray(places_in_use(trajectory, scenario), dtype=float)
        open_months = paid > 0
        filled = np.divide(used, paid, out=np.zeros(n_months), where=open_months)
        region_spent = float(cost.sum())
        spent += region_spent
        in_use += float(np.sum(cost * np.minimum(filled, 1.0)))
        spent_pv += float(np.sum(cost * trajectory["discount_factor"]))
        places += float(paid.sum())
        clients += float(enrolled[open_months].sum())
        in_places += float(used[open_months].sum())
        stated = stated_budget(scenario, r)
        budget += region_spent if stated is None else stated
    return {
        "budget_eur": budget, "spent_eur": spent, "in_use_eur": in_use,
        "idle_eur": spent - in_use, "unspent_eur": budget - spent, "spent_eur_pv": spent_pv,
        "idle_share": (spent - in_use) / spent if spent else math.nan,
        "place_months": places, "client_months": clients,
        "place_use_share": in_places / places if places else math.nan,
        "clients_started": clients_started,
        "programme_cost_per_client_started_eur": spent / clients_started if clients_started
        else math.nan,
        "programme_cost_per_client_month_eur": spent / clients if clients else math.nan,
    }


def spending_table(replications: list[dict[str, float]], price_year: int) -> dict[str, list]:
    """Columns of ``spending.csv``: each figure, its unit (money: the currency and price year),
    mean, 95% range and Monte Carlo standard error over replications
    (:func:`ipssim.stats.describe`)."""
    table: dict[str, list] = {c: [] for c in ("figure", "unit", "mean", "lo95", "hi95", "mc_se",
                                              "replications")}
    for name in SPENDING:
        row = describe([r[name] for r in replications])
        for column, value in zip(table, (name, money_unit(name, price_year) or UNIT_WORDS[name],
                                         *row), strict=True):
            table[column].append(value)
    return table


def spending_line(means: dict[str, float], scenario: Scenario) -> str:
    """The figures as one sentence that adds up, in M EUR to two decimals: each part is rounded
    and the part that closes a sum is the rounded total less the others, so the words add up."""
    def cents(value: float) -> int:  # hundredths of a million euros
        return round(value / 1e4)

    budget, spent, in_use = (cents(means[k]) for k in ("budget_eur", "spent_eur", "in_use_eur"))
    idle, unspent = spent - in_use, budget - spent

    def m(units: int) -> str:
        return f"{units / 100:,.2f} M"

    share = f"{idle / spent:.0%}" if spent else "-"
    years = scenario.horizon_months / 12
    unspent_words = f"; {m(unspent)} unspent" if unspent else ""
    return (f"{m(budget)} EUR budget: {m(spent)} spent, {m(in_use)} on places in use and "
            f"{m(idle)} ({share}) on idle places{unspent_words}; {m(cents(means['spent_eur_pv']))} "
            f"at today's value ({scenario.economics.discount_rate_per_year:.0%} a year, over "
            f"{years:g} years)")
