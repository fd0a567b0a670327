"""Scalar outcome metrics per replication and arm, and their summary over replications.

Each replication gives one value per metric and arm; ``difference`` is IPS minus usual services
within the same replication (paired: both arms share clients and luck). Over replications,
``mean`` is the Monte Carlo mean, ``mc_se`` its standard error, and ``lo95``/``hi95`` the 2.5th and
97.5th percentiles: the range of outcomes a programme of this size could see.
"""

from __future__ import annotations

import math

import numpy as np

from ipssim.accounts.ledger import places_in_use
from ipssim.money import rules
from ipssim.scenario.schema import Scenario
from ipssim.stats import SUMMARY_STATISTICS, Summary, band95, describe
from ipssim.vocabulary import ARM_ROWS, MONTH_DAYS, PAYERS, PERSPECTIVES

SUMMARY_COLUMNS = ("metric", "arm", *SUMMARY_STATISTICS)
NET_COLUMNS = tuple(f"net_{k}_eur" for k in (*PAYERS, *PERSPECTIVES))
"""Net money of each payer and perspective in the trajectories; ``_pv`` metrics are their
discounted totals over the horizon."""


def waits_for_coach(clients: dict[str, np.ndarray], horizon_days: float,
                    returns: np.ndarray | None = None) -> np.ndarray:
    """Each referral's wait for a coach (an arm's client table, then its ``returns``, the
    referrals after a client's first): from referral to the start with a coach, or, for who is
    never placed, to leaving or to the horizon (as ``ipssim size``)."""
    referred, start, end = clients["referral_day"], clients["start_day"], clients["exit_day"]
    if returns is not None and len(returns):
        referred, start, end = (np.concatenate([column, returns[:, k]]) for k, column in
                                ((1, referred), (2, start), (3, end)))
    end = np.where(np.isnan(end), horizon_days, end)
    return np.where(np.isnan(start), end, start) - referred


def arm_metrics(clients: dict[str, np.ndarray], trajectory: dict[str, np.ndarray],
                scenario: Scenario, arm: str, returns: np.ndarray | None = None
                ) -> dict[str, float]:
    """One replication's metrics for one arm, from its client table, monthly trajectory and
    referrals after the first (``ArmHistory.returns``): the waits and the places used count each
    referral (a client referred twice waits twice), the people served count each person placed
    with a coach once, on whichever referral."""
    horizon = scenario.horizon_months * MONTH_DAYS
    window = scenario.outcome_window_months * MONTH_DAYS
    referral = clients["referral_day"]
    n = len(referral)
    competitive_delay = clients["first_competitive_job_day"] - referral
    unsubsidised_delay = clients["first_unsubsidised_job_day"] - referral
    # Clients whose whole outcome window lies within the horizon (all of them in trial mode).
    observed = referral + window <= horizon + 1e-9
    n_observed = int(observed.sum())
    started = ~np.isnan(clients["start_day"])
    wait = np.where(started, clients["start_day"], clients["exit_day"]) - referral
    served = started
    if returns is not None and len(returns):
        again = ~np.isnan(returns[:, 2])
        served = started | np.isin(clients["client_id"], returns[again, 0])
        wait = np.concatenate([wait, np.where(again, returns[:, 2], returns[:, 3])
                               - returns[:, 1]])
    enrolled_or_left = ~np.isnan(wait)
    monthly = {k: float(np.sum(trajectory[k])) for k in (
        "hours", "earnings_eur", "benefits_eur", "taxes_eur", "programme_cost_eur",
        "net_fiscal_eur")}
    metrics = {
        "clients_referred": float(n),
        "ever_employed_competitive_in_outcome_window_share": _share(
            (competitive_delay[observed] < window).sum(), n_observed),
        # The trial outcome of EMP-01 (an open-market job without subsidy; see observation.py).
        "ever_employed_unsubsidised_in_outcome_window_share": _share(
            (unsubsidised_delay[observed] < window).sum(), n_observed),
        "ever_employed_competitive_by_horizon_share": _share(
            (~np.isnan(clients["first_competitive_job_day"])).sum(), n),
        "ever_employed_by_horizon_share": _share((~np.isnan(clients["first_job_day"])).sum(), n),
        "months_employed_by_horizon_per_client": _share(trajectory["employed"].sum(), n),
        "hours_by_horizon_per_client": _share(monthly["hours"], n),
        "earnings_eur_by_horizon_per_client": _share(monthly["earnings_eur"], n),
        "benefits_eur_by_horizon_per_client": _share(monthly["benefits_eur"], n),
        "taxes_eur_by_horizon_per_client": _share(monthly["taxes_eur"], n),
        "programme_cost_eur": monthly["programme_cost_eur"],
        "net_fiscal_eur": monthly["net_fiscal_eur"],
        "months_employed_competitive_by_horizon_per_client": _share(
            trajectory["employed_competitive"].sum(), n),
        "wage_subsidy_eur": float(np.sum(trajectory["wage_subsidy_eur"])),
        "pensions_ended_at_horizon": float(trajectory["pensions_ended"][-1]),
        "admissions_by_horizon_per_client": _share(np.sum(trajectory["admissions"]), n),
        "inpatient_days_by_horizon_per_client": _share(np.sum(trajectory["inpatient_days"]), n),
    }
    discount = trajectory["discount_factor"]
    for column in ("benefits_eur", "taxes_eur", "programme_cost_eur", "wage_subsidy_eur",
                   "care_cost_eur", "usual_services_cost_eur", *NET_COLUMNS):
        metrics[f"{column}_pv"] = float(np.sum(trajectory[column] * discount))
    if "qalys" in trajectory:
        effects = rules.discount_factors(len(discount), scenario.economics, effects=True)
        metrics["qalys_pv"] = float(np.sum(trajectory["qalys"] * effects))
    if arm == "ips":
        # Places: the most coaches each region has, times the caseload cap.
        places = sum(r.posts for r in scenario.regions) * scenario.coaching.caseload_cap
        open_months = max(min(scenario.horizon_months,
                              math.ceil(scenario.closing_month(r) or scenario.horizon_months))
                          for r in scenario.regions)
        metrics |= {
            "clients_started": float(served.sum()),
            # Referred but never placed with a coach by the horizon: the list left at the end.
            "clients_waiting_at_horizon": float(trajectory["waiting"][-1]),
            "mean_wait_days": float(np.mean(wait[enrolled_or_left])) if enrolled_or_left.any()
            else math.nan,
            "waited_share": _share((wait[enrolled_or_left] > 0).sum(), enrolled_or_left.sum()),
            "dropout_share": _share((clients["exit_reason"][started] == "dropout").sum(),
                                    started.sum()),
            "max_caseload": float(np.max(trajectory["max_caseload"])),
            "places": float(places),
            # Places in use (a client in work at the follow-along weight) over the places,
            # averaged over the months the programme is open.
            "utilisation_share": _share(np.mean(places_in_use(trajectory, scenario)[:open_months]),
                                        places),
        }
    return metrics


def replication_metrics(per_arm: dict[str, dict[str, float]],
                        incremental: dict[str, float]) -> dict[str, dict[str, float]]:
    """Add the paired ``difference`` arm: IPS minus usual for metrics both arms have, and the
    ``incremental`` metrics that only exist for the comparison."""
    ips, usual = per_arm["ips"], per_arm["usual"]
    difference = {k: ips[k] - usual[k] for k in ips if k in usual and k != "clients_referred"}
    return {"ips": ips, "usual": usual, "difference": difference | incremental}


def net_effect_by_month(ips: dict[str, np.ndarray],
                        usual: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Discounted net money of IPS against usual services in each month, per perspective."""
    discount = ips["discount_factor"]
    return {view: (ips[f"net_{view}_eur"] - usual[f"net_{view}_eur"]) * discount
            for view in PERSPECTIVES}


def incremental_metrics(ips: dict[str, np.ndarray], usual: dict[str, np.ndarray],
                        per_arm: dict[str, dict[str, float]]) -> dict[str, float]:
    """Metrics of IPS against usual services in one replication, from both arms' trajectories.

    Money is discounted (``_pv``). Break-even: the first month from which the cumulative
    discounted net effect stays >= 0 (infinity if none within the horizon). ROI: net effect per
    euro of programme cost. Cost per additional person in competitive work (ever) and per
    additional month in competitive work: programme cost over the increment (NaN if IPS adds none).
    """
    a, b = per_arm["ips"], per_arm["usual"]
    cost = a["programme_cost_eur_pv"]
    # People who found competitive work since referral (the trials' outcome; a job held at
    # referral is no effect of either arm): the share's difference times the clients.
    share = "ever_employed_competitive_by_horizon_share"
    extra_employed = (a[share] - b[share]) * a["clients_referred"]
    extra_months = np.sum(ips["employed_competitive"]) - np.sum(usual["employed_competitive"])
    out = {
        "additional_employed_competitive_by_horizon": float(extra_employed),
        "additional_months_worked_by_horizon": float(extra_months),
        "benefits_saved_eur_pv": b["benefits_eur_pv"] - a["benefits_eur_pv"],
        "taxes_gained_eur_pv": a["taxes_eur_pv"] - b["taxes_eur_pv"],
        # the county's care costs net of the clients' inpatient fees, and the usual services
        "care_saved_eur_pv": float(np.sum((usual["care_cost_eur"] - usual["care_fees_eur"]
                                           - ips["care_cost_eur"] + ips["care_fees_eur"])
                                          * ips["discount_factor"])),
        "usual_services_saved_eur_pv": b["usual_services_cost_eur_pv"]
        - a["usual_services_cost_eur_pv"],
        "cost_per_additional_employed_eur": cost / extra_employed if extra_employed > 0
        else math.nan,
        "cost_per_additional_month_worked_eur": cost / extra_months if extra_months > 0
        else math.nan,
    }
    for view, monthly in net_effect_by_month(ips, usual).items():
        month = rules.break_even_month(np.cumsum(monthly))
        out[f"break_even_month_{view}"] = month
        out[f"breaks_even_{view}"] = float(math.isfinite(month))
        out[f"roi_{view}"] = float(np.sum(monthly)) / cost if cost else math.nan
    if "qalys_pv" in a:
        gained = a["qalys_pv"] - b["qalys_pv"]
        net_cost = b["net_public_eur_pv"] - a["net_public_eur_pv"]
        out["icer_eur_per_qaly"] = net_cost / gained if gained > 0 else math.nan
    return out


def summarise(replications: list[dict[str, dict[str, float]]],
              net_effects: dict[str, np.ndarray]) -> dict[str, list]:
    """Columns of ``summary.csv``: one row per metric and arm, over all replications
    (:func:`ipssim.stats.describe`).

    ``net_effects`` holds, per perspective, every replication's discounted monthly net effect
    (replications x months). A break-even month is censored at the horizon, so its row differs
    (:func:`break_even_summary`).
    """
    rows: dict[str, list] = {c: [] for c in SUMMARY_COLUMNS}
    for arm in ARM_ROWS:
        for metric in replications[0][arm]:
            values = np.array([r[arm][metric] for r in replications], dtype=float)
            if metric.startswith("break_even_month_"):
                row = break_even_summary(values, net_effects[metric.removeprefix("break_even_month_")])
            else:
                row = describe(values)
            for column, value in zip(SUMMARY_COLUMNS, (metric, arm, *row), strict=True):
                rows[column].append(value)
    return rows


def break_even_summary(months: np.ndarray, monthly: np.ndarray) -> Summary:
    """The summary row of a break-even month over replications: ``mean`` is the break-even month
    of the mean cumulative net effect (``monthly``: replications x months), ``lo95``/``hi95`` are
    a censored band (:func:`ipssim.stats.band95`: infinity means no break-even within the
    horizon), and there is no Monte Carlo standard error (NaN)."""
    months = months[~np.isnan(months)]
    lo, hi = band95(months, censored=True)
    mean = rules.break_even_month(np.cumsum(monthly, axis=1).mean(axis=0))
    return Summary(mean, float(lo), float(hi), math.nan, len(months))


def net_effect_table(net_effects: dict[str, np.ndarray]) -> dict[str, list]:
    """Columns of ``net_effect.csv``: the cumulative discounted net effect of IPS against usual
    services at the end of each month, per perspective (mean and 2.5th/97.5th percentiles)."""
    table: dict[str, list] = {c: [] for c in ("perspective", "month", "mean", "lo95", "hi95")}
    for view, monthly in net_effects.items():
        cumulative = np.cumsum(monthly, axis=1)
        lo, hi = band95(cumulative, axis=0)
        months = cumulative.shape[1]
        table["perspective"] += [view] * months
        table["month"] += list(range(1, months + 1))
        table["mean"] += cumulative.mean(axis=0).tolist()
        table["lo95"] += lo.tolist()
        table["hi95"] += hi.tolist()
    return table


def _share(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else math.nan
