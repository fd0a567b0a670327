"""Regions funded by a budget: the headcount each year's budget buys, and what it bought.

A region may state ``budget_eur_per_year`` instead of a headcount. When a scenario is loaded, each
such region gets the ``coaches``, ``team_leaders`` and ``staffing`` its budgets buy, year by year
(:func:`ipssim.money.funding.staffing_for_budgets`), so the model only ever sees headcounts and a
funded scenario runs exactly as the headcount it buys.
"""

from __future__ import annotations

import math

from ipssim.money.funding import staffing_for_budgets, yearly_cost
from ipssim.money.parameters import Economics
from ipssim.scenario.schema import MAX_BUDGET, Scenario


def with_budget_staff(data: dict) -> dict:
    """Scenario data whose budget-funded regions also carry the headcount their budgets buy.

    Data the schema will refuse anyway (a malformed budget or economics block) is returned as
    it is, for the schema to report; a budget that buys no coach raises ``ValueError``.
    """
    if not isinstance(data, dict) or not isinstance(data.get("regions"), list) or not any(
            isinstance(r, dict) and r.get("budget_eur_per_year") is not None
            for r in data["regions"]):
        return data
    try:
        econ = Economics.model_validate(data.get("economics", {}))
        horizon = int(data.get("horizon_months", 48))
    except (TypeError, ValueError, OverflowError):  # pydantic's ValidationError is a ValueError
        return data  # the field validation reports it
    regions = []
    for i, region in enumerate(data["regions"]):
        budgets = region.get("budget_eur_per_year") if isinstance(region, dict) else None
        if not isinstance(budgets, list) or not all(
                isinstance(b, int | float) and not isinstance(b, bool) and b > 0
                for b in budgets) or not budgets:
            regions.append(region)
            continue
        try:
            fidelity = float(region.get("fidelity", 100.0))
            # the closing month as Scenario.closing_month finds it, from the raw data
            months = region.get("operating_months") or data.get("operating_months") or (
                data.get("outcome_window_months", min(horizon, 24))
                + data.get("recruitment_months", 0) if data.get("mode") == "trial" else horizon)
            months = min(horizon, float(months))
            years = math.ceil(months / 12)
            if not (math.isfinite(fidelity) and 1 <= years <= 50
                    and all(math.isfinite(b) and b <= MAX_BUDGET for b in budgets)):
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            regions.append(region)  # the field validation reports it
            continue
        bought = staffing_for_budgets(budgets, years, fidelity, econ)
        if bought[0][0] < 1:
            raise ValueError(
                f"regions[{i}].budget_eur_per_year: the first year buys no coach (one coach "
                f"costs {yearly_cost(1, 1, fidelity, econ):,.0f} EUR in its first year)")
        resolved = {"coaches": bought[0][0], "team_leaders": bought[0][1], "staffing": [
            {"month": 12 * year, "coaches": coaches, "team_leaders": leaders}
            for year, (coaches, leaders) in enumerate(bought)
            if year and (coaches, leaders) != bought[year - 1]]}
        for key, value in resolved.items():
            if region.get(key) not in (None, value):
                raise ValueError(f"regions[{i}].{key}: set by budget_eur_per_year (it buys "
                                 f"{value}); remove {key}")
        regions.append({**region, **resolved})
    return {**data, "regions": regions}


def bought_by_year(scenario: Scenario) -> list[dict]:
    """One row per funded region and programme year: the budget, the staff it buys, their places
    (coaches x caseload cap), their full cost that year, what is left unspent and the budget one
    more coach would need (``next_coach_eur``)."""
    econ, rows = scenario.economics, []
    for region in scenario.regions:
        budgets = region.budget_eur_per_year
        if budgets is None:
            continue
        months = scenario.closing_month(region) or scenario.horizon_months
        previous = 0
        for year, (coaches, leaders) in enumerate(
                staffing_for_budgets(budgets, math.ceil(months / 12), region.fidelity, econ)):
            budget = budgets[min(year, len(budgets) - 1)]
            cost = yearly_cost(coaches, max(coaches - previous, 0), region.fidelity, econ)
            more = yearly_cost(coaches + 1, max(coaches + 1 - previous, 0), region.fidelity, econ)
            rows.append({"region": region.name, "year": year + 1, "budget_eur": budget,
                         "coaches": coaches, "team_leaders": leaders,
                         "places": coaches * scenario.coaching.caseload_cap, "cost_eur": cost,
                         "unspent_eur": budget - cost, "next_coach_eur": more})
            previous = coaches
    return rows


def funding_cell(scenario: Scenario) -> str:
    """What each year's cell of :func:`funding_table` shows, in order, with the budget's
    currency and price year."""
    return f"budget EUR {scenario.economics.price_year} / coaches / team leaders / places"


def funding_table(rows: list[dict]) -> dict[str, list[str]]:
    """The rows of :func:`bought_by_year` as one row per region and one column per programme
    year, each cell ``budget / coaches / team leaders / places`` (``-``: the region is closed
    that year); the console and the run report show this table."""
    regions = list(dict.fromkeys(r["region"] for r in rows))
    years = max((r["year"] for r in rows), default=0)
    table = {"region": regions} | {f"year {y}": ["-"] * len(regions) for y in range(1, years + 1)}
    for r in rows:
        table[f"year {r['year']}"][regions.index(r["region"])] = (
            f"{r['budget_eur']:,.0f} / {r['coaches']} / {r['team_leaders']} / {r['places']}")
    return table
