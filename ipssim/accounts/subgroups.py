"""Who benefits: the replication's outcomes by subgroup of clients, from the same client ledger.

Clients are grouped by their attributes at referral: main activity (BAS-09) and the benefit it
brings at entry, diagnosis group (psychosis, F20-29, or other: BAS-08), age band, time out of
work (BAS-10) and region. Each subgroup's figures come from the rows of the arm's client ledger
(``accounts.ledger.client_ledger``) that belong to its clients, summed client by client: not a
second accounting. Counts and money are totals for the subgroup, so the subgroups of one
grouping add up to the whole programme; shares and per-client figures are over its clients.
The programme's cost is a cost of its teams, not of a client, so it has no subgroup rows.
"""

from __future__ import annotations

import math

import numpy as np

from ipssim.scenario.schema import Scenario
from ipssim.stats import SUMMARY_STATISTICS, describe
from ipssim.vocabulary import ARM_ROWS, MAIN_ACTIVITIES, TIME_SINCE_WORK

GROUPINGS = ("main_activity", "benefit", "diagnosis", "age_band", "time_since_work", "region")
"""The subgroupings, each a column of ``summary_subgroups.csv``'s ``subgroup``."""
AGE_BANDS = ((0, 25, "under_25"), (25, 35, "25_to_34"), (35, 45, "35_to_44"),
             (45, 55, "45_to_54"), (55, 200, "55_and_over"))
"""Age bands at referral: [low, high) years and their name."""
SUBGROUP_COLUMNS = ("subgroup", "level", "metric", "arm", *SUMMARY_STATISTICS)
ADDITIVE = ("clients", "additional_employed_competitive_by_horizon",
            "additional_months_worked_by_horizon", "benefits_saved_eur_pv",
            "taxes_gained_eur_pv", "earnings_gained_eur_pv")
"""Difference metrics that are totals for the subgroup: the subgroups of a grouping add up to
the whole (the summary's rows of the same name)."""


def client_totals(ledger: dict[str, np.ndarray], discount: np.ndarray) -> dict[str, np.ndarray]:
    """Per client of an arm's ledger (rows in client order): months in competitive work, and
    gross earnings, benefits and taxes and contributions over the horizon, discounted."""
    taxes = sum(v for k, v in ledger.items() if k.startswith(("tax_", "employee_", "employer_")))
    benefits = sum(ledger[k] for k in ("national_pension", "earnings_related_pension",
                                       "labour_market_subsidy", "sickness_allowance")
                   if k in ledger)
    return {"competitive_months": (ledger["competitive_days"] > 0).sum(axis=1).astype(float),
            "earnings_eur_pv": ledger["earnings"] @ discount,
            "benefits_eur_pv": np.asarray(benefits) @ discount,
            "taxes_eur_pv": np.asarray(taxes) @ discount}


def levels(scenario: Scenario, clients: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each client's level of every grouping (text), from an arm's client table."""
    age = clients["age"]
    band = np.empty(len(age), dtype=object)
    for low, high, name in AGE_BANDS:
        band[(age >= low) & (age < high)] = name
    names = np.array([r.name for r in scenario.regions], dtype=object)
    return {"main_activity": clients["main_activity"], "benefit": clients["benefit"],
            "diagnosis": np.where(clients["psychosis"], "psychosis", "other").astype(object),
            "age_band": band, "time_since_work": clients["time_since_work"],
            "region": names[clients["region"]]}


def subgroup_metrics(scenario: Scenario, clients: dict[str, dict[str, np.ndarray]],
                     totals: dict[str, dict[str, np.ndarray]]
                     ) -> dict[tuple[str, str], dict[str, dict[str, float]]]:
    """One replication's figures per (grouping, level): per arm and, for IPS against usual
    services, ``difference`` (paired within the replication). ``clients``: each arm's client
    table (the same clients in the same order); ``totals``: each arm's :func:`client_totals`
    over all its clients, in the same order."""
    first_competitive = {arm: ~np.isnan(clients[arm]["first_competitive_job_day"])
                         for arm in totals}
    out: dict[tuple[str, str], dict[str, dict[str, float]]] = {}
    for grouping, level_of in levels(scenario, clients["ips"]).items():
        # Each client's level as its rank among the level names (one dictionary look-up a
        # client), so that a level's clients are found by comparing integers, not names.
        rank = {level: i for i, level in enumerate(sorted(set(level_of)))}
        code = np.array([rank[level] for level in level_of.tolist()])
        for level, i in rank.items():
            mine = code == i
            n = float(mine.sum())
            per_arm = {arm: _arm_figures(totals[arm], first_competitive[arm], mine, n)
                       for arm in ("ips", "usual")}
            ips, usual = per_arm["ips"], per_arm["usual"]
            difference = {k: ips[k] - usual[k] for k in ips if k != "clients"}
            difference |= {
                "clients": n,
                "additional_employed_competitive_by_horizon": ips["ever_employed_competitive"]
                - usual["ever_employed_competitive"],
                "additional_months_worked_by_horizon": ips["competitive_months"]
                - usual["competitive_months"],
                "benefits_saved_eur_pv": usual["benefits_eur_pv"] - ips["benefits_eur_pv"],
                "taxes_gained_eur_pv": ips["taxes_eur_pv"] - usual["taxes_eur_pv"],
                "earnings_gained_eur_pv": ips["earnings_eur_pv"] - usual["earnings_eur_pv"],
            }
            out[(grouping, str(level))] = per_arm | {"difference": difference}
    return out


def _arm_figures(totals: dict[str, np.ndarray], ever: np.ndarray, mine: np.ndarray,
                 n: float) -> dict[str, float]:
    """One arm's figures for the clients ``mine``: totals and their per-client means."""
    employed = float(ever[mine].sum())
    months = float(totals["competitive_months"][mine].sum())
    return {
        "clients": n,
        "ever_employed_competitive": employed,
        "ever_employed_competitive_by_horizon_share": employed / n if n else math.nan,
        "competitive_months": months,
        "months_employed_competitive_by_horizon_per_client": months / n if n else math.nan,
        "earnings_eur_pv": float(totals["earnings_eur_pv"][mine].sum()),
        "benefits_eur_pv": float(totals["benefits_eur_pv"][mine].sum()),
        "taxes_eur_pv": float(totals["taxes_eur_pv"][mine].sum()),
    }


ORDERS = {"main_activity": MAIN_ACTIVITIES, "age_band": tuple(name for *_, name in AGE_BANDS),
          "time_since_work": TIME_SINCE_WORK}
"""Groupings whose levels have a natural order; the others' levels are sorted by name."""


def _order(key: tuple[str, str]) -> tuple[int, int, str]:
    grouping, level = key
    order = ORDERS.get(grouping, ())
    return GROUPINGS.index(grouping), order.index(level) if level in order else len(order), level


def summarise_subgroups(replications: list[dict[tuple[str, str], dict[str, dict[str, float]]]]
                        ) -> dict[str, list]:
    """Columns of ``summary_subgroups.csv``: per grouping, level, metric and arm, the summary
    over replications (:func:`ipssim.stats.describe`). A level that some replication lacks (no
    client of it was referred there) counts as zero clients and zero money in it, so that the
    levels still add up to the whole; its shares are left out (NaN) there."""
    keys = sorted({key for r in replications for key in r}, key=_order)
    rows: dict[str, list] = {c: [] for c in SUBGROUP_COLUMNS}
    for key in keys:
        present = next(r[key] for r in replications if key in r)
        for arm in ARM_ROWS:
            for metric in present[arm]:
                values = [r[key][arm][metric] if key in r else
                          (math.nan if metric.endswith(("_share", "_per_client")) else 0.0)
                          for r in replications]
                for column, value in zip(SUBGROUP_COLUMNS, (*key, metric, arm, *describe(values)),
                                         strict=True):
                    rows[column].append(value)
    return rows
