"""Turn one arm's history into client-month money and monthly trajectories.

Months are calendar-length slices of the horizon (365.25 / 12 days). A client enters the
accounts from the month of referral; a job counts in every month it overlaps.
"""

from __future__ import annotations

import numpy as np

from ipssim import economics
from ipssim.employers import MONTH_DAYS
from ipssim.scenario import PAYERS, Scenario
from ipssim.simulation import ArmHistory, close_day

TRAJECTORY_COLUMNS = (
    "month", "clients", "referred", "waiting", "enrolled", "exited", "employed",
    "employed_competitive", "ever_employed", "ever_employed_competitive", "hours", "earnings_eur",
    "benefits_eur", "taxes_eur", "programme_cost_eur", "net_fiscal_eur", "max_caseload",
    "wage_subsidy_eur", "pensions_suspended", "pensions_ended", "discount_factor",
    *(f"{k}_eur" for k in economics.BENEFIT_TYPES),
    *(f"net_{k}_eur" for k in (*PAYERS, "public", "society")),
)
"""Columns of every arm's trajectory (``qalys`` is added when the QALY module is on)."""


def client_months(history: ArmHistory, n_months: int) -> dict[str, np.ndarray]:
    """Per client and month: days employed (any, competitive), hours and gross earnings (all,
    and in wage-subsidised jobs)."""
    n = len(history.clients["client_id"])
    s = history.spells
    start = s["start_day"]
    end = np.where(np.isnan(s["end_day"]), n_months * MONTH_DAYS, s["end_day"])
    month_start = np.arange(n_months) * MONTH_DAYS
    overlap = np.clip(np.minimum(end[:, None], month_start + MONTH_DAYS)
                      - np.maximum(start[:, None], month_start), 0.0, None)
    hours = overlap / 7.0 * s["hours_per_week"][:, None]
    competitive = (s["job_type"] != "other")[:, None]
    subsidised = (s["job_type"] == "subsidised")[:, None]
    # Each spell-month's cell in the flattened client x month table.
    cells = (s["client_id"][:, None] * n_months + np.arange(n_months)).ravel()

    def per_client(values: np.ndarray) -> np.ndarray:
        """Sum a spell x month table over each client's spells."""
        return np.bincount(cells, weights=values.ravel(), minlength=n * n_months).reshape(n, n_months)

    return {
        "days": per_client(overlap),
        "competitive_days": per_client(overlap * competitive),
        "hours": per_client(hours),
        "earnings": per_client(hours * s["hourly_wage_eur"][:, None]),
        "subsidised_earnings": per_client(hours * s["hourly_wage_eur"][:, None] * subsidised),
    }


def money(history: ArmHistory, months: dict[str, np.ndarray], scenario: Scenario) -> dict:
    """Monthly totals over clients of every money flow, from referral on: benefits by type after
    their rules (:func:`economics.benefit_history`), income taxes, contributions, earnings in
    subsidised jobs; and the number of suspended and ended pensions."""
    c = history.clients
    econ = scenario.economics
    n_months = months["earnings"].shape[1]
    month_end = (np.arange(n_months) + 1) * MONTH_DAYS
    active = c["referral_day"][:, None] < month_end
    earnings = months["earnings"]
    paid = economics.benefit_history(c["benefit"], earnings, active, c["lives_alone"], econ)
    benefits = sum(paid[k] for k in economics.BENEFIT_TYPES)
    flows = {k: paid[k].sum(axis=0) for k in economics.BENEFIT_TYPES}
    flows |= {f"tax_{k}": v.sum(axis=0)
              for k, v in economics.income_taxes(earnings, benefits, econ).items()}
    flows |= {f"employee_{k}": v.sum(axis=0)
              for k, v in economics.employee_contributions(earnings, benefits, econ).items()}
    flows |= {f"employer_{k}": v.sum(axis=0)
              for k, v in economics.employer_contributions(earnings, econ).items()}
    flows |= {"earnings": earnings.sum(axis=0),
              "subsidised_earnings": months["subsidised_earnings"].sum(axis=0),
              "pensions_suspended": paid["pension_suspended"].sum(axis=0),
              "pensions_ended": paid["pension_ended"].sum(axis=0)}
    if econ.qaly.enabled:
        flows["qalys"] = economics.qalys(months["days"], active, econ).sum(axis=0)
    return flows


def programme_cost(scenario: Scenario, staffing_traces: list[np.ndarray],
                   n_months: int) -> np.ndarray:
    """Programme cost per month of all teams while they operate, from the staff actually in
    post (each region's staffing trace): coach and team-leader time, training of each coach
    hired, fidelity reviews (FID-03)."""
    econ = scenario.economics
    edges = np.arange(n_months + 1) * MONTH_DAYS
    cost = np.zeros(n_months)
    for r, (region, trace) in enumerate(zip(scenario.regions, staffing_traces, strict=True)):
        days, coaches, leaders, hires = trace.T
        bounded = np.minimum(edges, close_day(scenario, r))
        coach_months = np.diff(step_integral(days, coaches, bounded)) / MONTH_DAYS
        leader_months = np.diff(step_integral(
            days, economics.leader_time(leaders, coaches, econ), bounded)) / MONTH_DAYS
        cost += economics.staff_cost_per_month(coach_months, leader_months, econ)
        hired = np.concatenate([[0.0], hires[np.searchsorted(days, edges[1:], side="left") - 1]])
        cost += np.diff(hired) * econ.costs.training_eur_per_new_coach
        open_months = np.diff(bounded).sum() / MONTH_DAYS
        for month in economics.fidelity_review_months(region.fidelity, open_months, econ):
            if month < n_months:
                cost[month] += econ.costs.fidelity_review_eur
    return cost


def step_integral(days: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Integral from day 0 to each of ``at`` of a step function that takes ``values[i]`` from
    ``days[i]`` (the first is 0) until the next change; the last row of a day counts."""
    last = np.append(days[1:] != days[:-1], True)
    days, values = days[last], values[last]
    end = max(float(np.max(at)), float(days[-1]))
    knots = np.append(days, end)
    cumulative = np.concatenate([[0.0], np.cumsum(values * np.diff(knots))])
    return np.interp(at, knots, cumulative)


def max_caseload(traces: list[np.ndarray], n_months: int) -> np.ndarray:
    """Largest caseload of any coach during each month (carried in from the month before)."""
    out = np.zeros(n_months)
    month_start = np.arange(n_months) * MONTH_DAYS
    for trace in traces:
        if not len(trace):
            continue
        days, loads = trace[:, 0], trace[:, 1]
        within = np.zeros(n_months)
        month = np.minimum((days // MONTH_DAYS).astype(int), n_months - 1)
        np.maximum.at(within, month, loads)
        before = np.searchsorted(days, month_start, side="left") - 1
        carried = np.where(before >= 0, loads[np.maximum(before, 0)], 0.0)
        out = np.maximum(out, np.maximum(within, carried))
    return out


def trajectories(history: ArmHistory, scenario: Scenario, arm: str) -> dict[str, np.ndarray]:
    """Monthly trajectory of one arm: states, employment, money by type and net money of each
    payer and perspective (one row per month; money undiscounted, with the discount factor)."""
    n_months = scenario.horizon_months
    econ = scenario.economics
    c = history.clients
    month_end = (np.arange(n_months) + 1) * MONTH_DAYS
    referred = c["referral_day"][:, None] < month_end
    started = c["start_day"][:, None] < month_end  # NaN compares False
    exited = c["exit_day"][:, None] < month_end
    if arm == "usual":
        exited = np.zeros_like(referred)
    months = client_months(history, n_months)
    flows = money(history, months, scenario)
    flows["programme_cost"] = programme_cost(scenario, history.staffing_traces, n_months) \
        if arm == "ips" else np.zeros(n_months)
    net = economics.payer_flows(flows, econ)
    benefits = sum(flows[k] for k in economics.BENEFIT_TYPES)
    taxes = sum(v for k, v in flows.items() if k.startswith(("tax_", "employee_", "employer_")))
    wage_subsidy = economics.wage_subsidy(flows["subsidised_earnings"], econ)
    out = {
        "month": np.arange(1, n_months + 1),
        "clients": np.full(n_months, len(c["client_id"])),
        "referred": referred.sum(axis=0),
        "waiting": (referred & ~started & ~exited).sum(axis=0) if arm == "ips" else
        np.zeros(n_months, dtype=int),
        "enrolled": (started & ~exited).sum(axis=0),
        "exited": exited.sum(axis=0),
        "employed": (months["days"] > 0).sum(axis=0),
        "employed_competitive": (months["competitive_days"] > 0).sum(axis=0),
        "ever_employed": (c["first_job_day"][:, None] < month_end).sum(axis=0),
        "ever_employed_competitive": (c["first_competitive_job_day"][:, None] < month_end)
        .sum(axis=0),
        "hours": months["hours"].sum(axis=0),
        "earnings_eur": flows["earnings"],
        "benefits_eur": benefits,
        "taxes_eur": taxes,
        "programme_cost_eur": flows["programme_cost"],
        "net_fiscal_eur": net["public"],
        "max_caseload": max_caseload(history.caseload_traces, n_months),
        "wage_subsidy_eur": wage_subsidy,
        "pensions_suspended": flows["pensions_suspended"],
        "pensions_ended": flows["pensions_ended"],
        "discount_factor": economics.discount_factors(n_months, econ),
    }
    out |= {f"{k}_eur": flows[k] for k in economics.BENEFIT_TYPES}
    out |= {f"net_{k}_eur": v for k, v in net.items()}
    if econ.qaly.enabled:
        out["qalys"] = flows["qalys"]
    return out
