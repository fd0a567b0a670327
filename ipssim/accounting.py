"""Turn one arm's history into client-month money and monthly trajectories.

Months are calendar-length slices of the horizon (365.25 / 12 days). A client enters the
accounts from the month of referral; a job counts in every month it overlaps.
"""

from __future__ import annotations

import numpy as np

from ipssim import economics
from ipssim.employers import MONTH_DAYS
from ipssim.scenario import Scenario
from ipssim.simulation import ArmHistory, close_day

TRAJECTORY_COLUMNS = (
    "month", "clients", "referred", "waiting", "enrolled", "exited", "employed",
    "employed_competitive", "ever_employed", "ever_employed_competitive", "hours", "earnings_eur",
    "benefits_eur", "taxes_eur", "programme_cost_eur", "net_fiscal_eur", "max_caseload",
)


def client_months(history: ArmHistory, n_months: int) -> dict[str, np.ndarray]:
    """Per client and month: days employed (any, competitive), hours and gross earnings."""
    n = len(history.clients["client_id"])
    s = history.spells
    start = s["start_day"]
    end = np.where(np.isnan(s["end_day"]), n_months * MONTH_DAYS, s["end_day"])
    month_start = np.arange(n_months) * MONTH_DAYS
    overlap = np.clip(np.minimum(end[:, None], month_start + MONTH_DAYS)
                      - np.maximum(start[:, None], month_start), 0.0, None)
    hours = overlap / 7.0 * s["hours_per_week"][:, None]
    competitive = (s["job_type"] != "other")[:, None]
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
    }


def money(history: ArmHistory, months: dict[str, np.ndarray], scenario: Scenario) -> dict:
    """Per client and month: benefits after the earnings test and taxes, from referral on."""
    c = history.clients
    n_months = months["earnings"].shape[1]
    month_end = (np.arange(n_months) + 1) * MONTH_DAYS
    active = c["referral_day"][:, None] < month_end
    earnings = months["earnings"]
    benefits = economics.monthly_benefit(c["benefit"][:, None], earnings, c["lives_alone"][:, None],
                                         scenario.economics) * active
    return {"benefits": benefits, "taxes": economics.taxes(earnings, benefits, scenario.economics)}


def programme_cost(scenario: Scenario, n_months: int) -> np.ndarray:
    """Staff cost per month of all teams while they operate."""
    month_start = np.arange(n_months) * MONTH_DAYS
    cost = np.zeros(n_months)
    for r, region in enumerate(scenario.regions):
        open_days = np.clip(close_day(scenario, r) - month_start, 0.0, MONTH_DAYS)
        cost += economics.staff_cost_per_month(region.coaches, region.team_leaders,
                                               scenario.economics) * open_days / MONTH_DAYS
    return cost


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
    """Monthly trajectory of one arm: states, employment and money (one row per month)."""
    n_months = scenario.horizon_months
    c = history.clients
    month_end = (np.arange(n_months) + 1) * MONTH_DAYS
    referred = c["referral_day"][:, None] < month_end
    started = c["start_day"][:, None] < month_end  # NaN compares False
    exited = c["exit_day"][:, None] < month_end
    if arm == "usual":
        exited = np.zeros_like(referred)
    months = client_months(history, n_months)
    cash = money(history, months, scenario)
    cost = programme_cost(scenario, n_months) if arm == "ips" else np.zeros(n_months)
    benefits = cash["benefits"].sum(axis=0)
    taxes = cash["taxes"].sum(axis=0)
    return {
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
        "earnings_eur": months["earnings"].sum(axis=0),
        "benefits_eur": benefits,
        "taxes_eur": taxes,
        "programme_cost_eur": cost,
        "net_fiscal_eur": taxes - benefits - cost,
        "max_caseload": max_caseload(history.caseload_traces, n_months),
    }
