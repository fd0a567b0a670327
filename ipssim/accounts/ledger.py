"""Turn one arm's history into client-month money and monthly trajectories.

Months are calendar-length slices of the horizon (365.25 / 12 days). A client enters the
accounts from the month of referral; a job counts in every month it overlaps.
"""

from __future__ import annotations

from typing import cast

import numpy as np

from ipssim.model.coaches import follow_along_weight
from ipssim.model.simulation import ArmHistory, close_day
from ipssim.money import care, rules
from ipssim.scenario.schema import Scenario
from ipssim.vocabulary import MONTH_DAYS, PAYERS, PUBLIC_PAYERS

TRAJECTORY_COLUMNS = (
    "month", "clients", "referred", "waiting", "enrolled", "following", "exited", "employed",
    "employed_competitive", "ever_employed", "ever_employed_competitive", "hours", "earnings_eur",
    "benefits_eur", "taxes_eur", "programme_cost_eur", "net_fiscal_eur", "max_caseload",
    "wage_subsidy_eur", "pensions_suspended", "pensions_ended", "discount_factor",
    *(f"{k}_eur" for k in rules.BENEFIT_TYPES),
    *(f"net_{k}_eur" for k in (*PAYERS, "public", "society")),
    "admissions", "inpatient_days", "outpatient_visits",
    *(f"{k}_eur" for k in (*care.CARE_COSTS, "care_fees", "care_cost")),
    *(f"{k}_eur" for k in (*care.USUAL_SERVICES, "usual_services_cost")),
)
"""Columns of every arm's trajectory (``qalys`` is added when the QALY module is on)."""
CARE_USE = ("admissions", "inpatient_days", "outpatient_visits", "housing_days", "free_months",
            "coached_months")
"""What :func:`care_months` counts per client and month."""


def client_months(history: ArmHistory, n_months: int) -> dict[str, np.ndarray]:
    """Per client and month: days employed (any, competitive), hours and gross earnings (all,
    and in wage-subsidised jobs), and in work at the month's end."""
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
        "working_at_end": per_client((start[:, None] < month_start + MONTH_DAYS)
                                     & (end[:, None] > month_start + MONTH_DAYS)) > 0,
    }


def care_months(history: ArmHistory, scenario: Scenario, days_worked: np.ndarray
                ) -> dict[str, np.ndarray]:
    """Per client and month, the care used (:data:`CARE_USE`): admissions, days in hospital,
    outpatient contacts, days in supported housing, and the months out of work and out of
    hospital (when the comparator's services are used), with a coach or not.

    From referral on, each month's days are split into days in hospital (the stays of
    ``history.stays``), days in work out of hospital (at most the days left) and the rest; a
    client's days with a coach (IPS start to exit) count first against the days in work or in
    hospital, and only the remainder as days searching with a coach (so the split is exact
    except when a client both starts or leaves IPS and works or is in hospital in one month).
    Outpatient contacts follow each state's monthly rate (``care.outpatient_visits_per_month``)."""
    c = history.clients
    n, n_months = days_worked.shape
    month_start = np.arange(n_months) * MONTH_DAYS
    month_end = month_start + MONTH_DAYS

    def days_within(start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Days of each [start, end) within each month (rows x months)."""
        return np.clip(np.minimum(end[:, None], month_end) - np.maximum(start[:, None], month_start),
                       0.0, None)

    horizon = n_months * MONTH_DAYS
    active = days_within(c["referral_day"], np.full(n, horizon))
    stays = history.stays
    who = stays[:, 0].astype(np.int64)
    cells = (who[:, None] * n_months + np.arange(n_months)).ravel()
    stay_days = days_within(stays[:, 1], stays[:, 2])
    hospital = np.minimum(np.bincount(cells, weights=stay_days.ravel(), minlength=n * n_months)
                          .reshape(n, n_months), active)
    month_of = np.minimum((stays[:, 1] // MONTH_DAYS).astype(np.int64), n_months - 1)
    admissions = np.bincount(who * n_months + month_of, minlength=n * n_months).reshape(
        n, n_months).astype(float)
    out_of_hospital = active - hospital
    working = np.minimum(days_worked, out_of_hospital)
    free = out_of_hospital - working
    started = ~np.isnan(c["start_day"])
    exit_day = np.where(np.isnan(c["exit_day"]), horizon, c["exit_day"])
    coach_days = days_within(np.where(started, c["start_day"], horizon),
                             np.where(started, exit_day, horizon))
    returns = history.returns
    if len(returns):  # the rounds in IPS of referrals after the first
        placed = ~np.isnan(returns[:, 2])
        again = days_within(np.where(placed, returns[:, 2], horizon),
                            np.where(np.isnan(returns[:, 3]), horizon, returns[:, 3]))
        back = (returns[:, 0].astype(np.int64)[:, None] * n_months + np.arange(n_months)).ravel()
        coach_days = coach_days + np.bincount(back, weights=again.ravel(),
                                              minlength=n * n_months).reshape(n, n_months)
    coached = np.clip(coach_days - working - hospital, 0.0, free)
    rate = scenario.care.outpatient_visits_per_month
    visits = (rate.working * working + rate.coached * coached
              + rate.without_coach * (free - coached)) / MONTH_DAYS
    return {
        "admissions": admissions,
        "inpatient_days": hospital,
        "outpatient_visits": visits,
        "housing_days": active * c["supported_housing"][:, None],
        "free_months": free / MONTH_DAYS,
        "coached_months": coached / MONTH_DAYS,
    }


def client_ledger(history: ArmHistory, scenario: Scenario, arm: str) -> dict[str, np.ndarray]:
    """Per client and month (clients x months): work, every money flow from referral on
    (benefits by type after their rules, :func:`rules.benefit_history`; income taxes and
    contributions by receiving payer; QALYs when on) and the client's state at the month's end.

    Trajectories are sums of its rows, so a region's trajectories sum its clients' rows without
    accounting them again."""
    c = history.clients
    econ = scenario.economics
    n_months = scenario.horizon_months
    month_end = (np.arange(n_months) + 1) * MONTH_DAYS
    ledger = client_months(history, n_months)
    active = c["referral_day"][:, None] < month_end
    earnings = ledger["earnings"]
    paid = rules.benefit_history(c["benefit"], earnings, active, c["lives_alone"], econ)
    benefits = sum(paid[k] for k in rules.BENEFIT_TYPES)
    ledger |= {k: paid[k] for k in (*rules.BENEFIT_TYPES, "pension_suspended",
                                    "pension_ended")}
    ledger |= {f"tax_{k}": v for k, v in rules.income_taxes(earnings, benefits, econ).items()}
    ledger |= {f"employee_{k}": v
               for k, v in rules.employee_contributions(earnings, benefits, econ).items()}
    ledger |= {f"employer_{k}": v for k, v in rules.employer_contributions(earnings, econ).items()}
    if econ.qaly.enabled:
        ledger["qalys"] = rules.qalys(ledger["days"], active, econ)
    ledger |= care_months(history, scenario, ledger["days"])
    exited = c["exit_day"][:, None] < month_end
    ledger |= {
        "referred": active,
        "started": c["start_day"][:, None] < month_end,  # NaN compares False
        "requeued": requeued_at_month_end(history.requeues, len(c["client_id"]), month_end),
        **returned_at_month_end(history.returns, len(c["client_id"]), month_end),
        "exited": exited if arm == "ips" else np.zeros_like(exited),
        # In work at any time so far: a job found since referral, or one held at referral
        # (so that no month counts more clients employed than ever employed).
        "ever_employed": (c["first_job_day"][:, None] < month_end)
        | np.logical_or.accumulate(ledger["days"] > 0, axis=1),
        "ever_employed_competitive": (c["first_competitive_job_day"][:, None] < month_end)
        | np.logical_or.accumulate(ledger["competitive_days"] > 0, axis=1),
    }
    return ledger


def requeued_at_month_end(requeues: np.ndarray, n_clients: int,
                           month_end: np.ndarray) -> np.ndarray:
    """Per client and month: back on the waiting list at the month end, moved there by a cut
    post (``ArmHistory.requeues``) and not yet placed again."""
    out = np.zeros((n_clients, len(month_end)), dtype=bool)
    for client, moved, placed in requeues:
        out[int(client)] |= (moved < month_end) & (placed >= month_end)
    return out


def returned_at_month_end(returns: np.ndarray, n_clients: int,
                          month_end: np.ndarray) -> dict[str, np.ndarray]:
    """Per client and month, of a referral after the first (``ArmHistory.returns``): on the
    waiting list at the month end (``back_waiting``), or in IPS (``back_enrolled``)."""
    waiting = np.zeros((n_clients, len(month_end)), dtype=bool)
    enrolled = np.zeros_like(waiting)
    for client, referred, placed, left in returns:
        within = (referred < month_end) & ~(left < month_end)  # NaN compares False
        started = placed < month_end
        waiting[int(client)] |= within & ~started
        enrolled[int(client)] |= within & started
    return {"back_waiting": waiting, "back_enrolled": enrolled}


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
            days, rules.leader_time(leaders, coaches, econ), bounded)) / MONTH_DAYS
        cost += rules.staff_cost_per_month(coach_months, leader_months, econ)
        hired = np.concatenate([[0.0], hires[np.searchsorted(days, edges[1:], side="left") - 1]])
        cost += np.diff(hired) * econ.costs.training_eur_per_new_coach
        open_months = (bounded[-1] - bounded[0]) / MONTH_DAYS
        for month in rules.fidelity_review_months(region.fidelity, open_months, econ):
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


STATE_COUNTS = ("referred", "waiting", "enrolled", "following", "exited", "employed",
                "employed_competitive")
"""Clients in each state at the month's end, counted by :func:`monthly_sums` besides the sums of
the ledger's own columns (``following``: enrolled and in work, with follow-along support)."""


def places_in_use(trajectory: dict[str, np.ndarray], scenario: Scenario) -> np.ndarray:
    """Places in use at each month's end: the clients in IPS, one taking the follow-along weight
    of a place while in work (``coaching.follow_along_weight``)."""
    return trajectory["enrolled"] - (1.0 - follow_along_weight(scenario.coaching)) \
        * trajectory["following"]


def monthly_sums(ledger: dict[str, np.ndarray], arm: str, rows: slice | None = None,
                 before: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Per month, the sum over the ledger's clients (its ``rows``, all by default) of each of its
    columns and the number of clients in each of :data:`STATE_COUNTS`: all a trajectory needs of
    the clients.

    ``before``: the sums of the clients before these (in client order), to continue. A float
    column is then summed as one sum over all the clients' rows would add them, row after row
    from the first (numpy sums a table's rows in order), so clients accounted block by block
    (:func:`ipssim.accounts.rollup.account_replication`) give the very same floats as all of
    them at once, while only one block's ledger is in memory."""
    if rows is not None:
        ledger = {name: values[rows] for name, values in ledger.items()}
    referred, exited = ledger["referred"], ledger["exited"]
    started, requeued = ledger["started"], ledger["requeued"]
    # Referred again (a way back in): waiting or in IPS again, so no longer out of it.
    back_waiting, back_enrolled = ledger["back_waiting"], ledger["back_enrolled"]
    months = referred.shape[1]
    sums = {name: _continued(values, before, name) for name, values in ledger.items()}
    enrolled = started & ~exited & ~requeued
    counts = {
        "referred": referred.sum(axis=0),
        "waiting": ((referred & ~started & ~exited) | requeued | back_waiting).sum(axis=0)
        if arm == "ips" else np.zeros(months, dtype=int),
        "enrolled": (enrolled | (back_enrolled & ~requeued)).sum(axis=0),
        "following": ((enrolled | (back_enrolled & ~requeued))
                      & ledger["working_at_end"]).sum(axis=0),
        "exited": (exited & ~back_waiting & ~back_enrolled).sum(axis=0),
        "employed": (ledger["days"] > 0).sum(axis=0),
        "employed_competitive": (ledger["competitive_days"] > 0).sum(axis=0),
    }
    if before is not None:
        counts = {name: before[f"count_{name}"] + values for name, values in counts.items()}
    return sums | {f"count_{name}": values for name, values in counts.items()}


def _continued(values: np.ndarray, before: dict[str, np.ndarray] | None, name: str
               ) -> np.ndarray:
    """The column's sum over its rows, continued from ``before`` (see :func:`monthly_sums`);
    counts (booleans, integers) are exact in any order."""
    if before is None:
        return values.sum(axis=0)
    if values.dtype.kind != "f":
        return before[name] + values.sum(axis=0)
    return np.vstack((before[name][None], values)).sum(axis=0)


def trajectories(history: ArmHistory, scenario: Scenario, arm: str,
                 sums: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Monthly trajectory of one arm: states, employment, money by type and net money of each
    payer and perspective (one row per month; money undiscounted, with the discount factor).

    ``sums``: the :func:`monthly_sums` of the arm's clients if already at hand (else they are
    accounted here from the arm's :func:`client_ledger`)."""
    n_months = scenario.horizon_months
    econ = scenario.economics
    if sums is None:
        sums = monthly_sums(client_ledger(history, scenario, arm), arm)
    flows = {k: v for k, v in sums.items() if k.startswith(("tax_", "employee_", "employer_"))}
    flows |= {k: sums[k] for k in rules.BENEFIT_TYPES}
    flows |= {"earnings": sums["earnings"], "subsidised_earnings": sums["subsidised_earnings"]}
    flows["programme_cost"] = programme_cost(scenario, history.staffing_traces, n_months) \
        if arm == "ips" else np.zeros(n_months)
    net = rules.payer_flows(flows, econ)
    care_costs = care.care_costs(sums["inpatient_days"], sums["outpatient_visits"],
                                 sums["housing_days"], econ.care)
    service_costs = care.usual_service_costs(sums["free_months"], sums["coached_months"],
                                             econ.usual_services)
    net = with_care(net, care.care_payer_flows(care_costs, service_costs, econ.usual_services))
    # arrays: sum() adds its start, 0, to them
    benefits = cast(np.ndarray, sum(flows[k] for k in rules.BENEFIT_TYPES))
    taxes = cast(np.ndarray, sum(v for k, v in flows.items()
                                 if k.startswith(("tax_", "employee_", "employer_"))))
    out = {
        "month": np.arange(1, n_months + 1),
        "clients": np.full(n_months, len(history.clients["client_id"])),
        **{name: sums[f"count_{name}"] for name in STATE_COUNTS},
        "ever_employed": sums["ever_employed"],
        "ever_employed_competitive": sums["ever_employed_competitive"],
        "hours": sums["hours"],
        "earnings_eur": flows["earnings"],
        "benefits_eur": benefits,
        "taxes_eur": taxes,
        "programme_cost_eur": flows["programme_cost"],
        "net_fiscal_eur": net["public"],
        "max_caseload": max_caseload(history.caseload_traces, n_months),
        "wage_subsidy_eur": rules.wage_subsidy(flows["subsidised_earnings"], econ),
        "pensions_suspended": sums["pension_suspended"],
        "pensions_ended": sums["pension_ended"],
        "discount_factor": rules.discount_factors(n_months, econ),
    }
    out |= {f"{k}_eur": flows[k] for k in rules.BENEFIT_TYPES}
    out |= {f"net_{k}_eur": v for k, v in net.items()}
    out |= {name: sums[name] for name in ("admissions", "inpatient_days", "outpatient_visits")}
    out |= {f"{k}_eur": v for k, v in care_costs.items()}
    out["care_cost_eur"] = cast(np.ndarray, sum(care_costs[k] for k in care.CARE_COSTS))
    out |= {f"{k}_eur": v for k, v in service_costs.items()}
    out["usual_services_cost_eur"] = cast(np.ndarray, sum(service_costs.values()))
    if econ.qaly.enabled:
        out["qalys"] = sums["qalys"]
    return out


def with_care(net: dict[str, np.ndarray], care_net: dict[str, np.ndarray]
              ) -> dict[str, np.ndarray]:
    """Each payer's net money with that of care and the usual services added
    (:func:`ipssim.money.care.care_payer_flows`), and the public and society sums again."""
    out = {p: net[p] + care_net[p] if p in care_net else net[p] for p in PAYERS}
    public = cast(np.ndarray, sum(out[k] for k in PUBLIC_PAYERS))
    return out | {"public": public, "society": cast(np.ndarray, sum(out[k] for k in PAYERS))}
