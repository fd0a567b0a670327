"""The shared words of the model: units of time, arms, payers, perspectives, job types, the
categories of a client's baseline, the metrics of ``summary.csv`` and the headline.

A leaf: every layer may import it, it imports nothing of ipssim.
"""

from __future__ import annotations

from typing import Literal

MONTH_DAYS = 365.25 / 12
"""Days in a calendar month: months are equal slices of the Julian year."""
YEAR_DAYS = 12 * MONTH_DAYS

ARMS = ("ips", "usual")
"""The two arms every replication simulates on the same clients: IPS and usual services."""
ARM_ROWS = (*ARMS, "difference")
"""The rows of a summary: each arm, and IPS minus usual services within a replication."""

PAYERS = ("state", "kela", "pension_providers", "wellbeing_county", "municipality", "employer",
          "client")
"""Who pays or receives each euro. The first five are the public purse (OUT-C6: results by sector)."""
Payer = Literal["state", "kela", "pension_providers", "wellbeing_county", "municipality", "employer",
                "client"]
"""One of :data:`PAYERS`, as a type for the parameters that name a payer."""
PUBLIC_PAYERS = PAYERS[:5]
PERSPECTIVES = ("public", "society")
"""Net effects are summed over the public payers (``public``) or over everyone (``society``)."""

JOB_TYPES = ("competitive", "subsidised", "other")
"""Open-market job, wage-subsidised competitive job, other transition such as a work trial (JOB-02)."""

MAIN_ACTIVITIES = ("unemployed", "sick_leave", "disability_pension", "rehabilitation_subsidy",
                   "working", "studying", "other")
"""Main activity at referral (BAS-09)."""
TIME_SINCE_WORK = ("under_1y", "1_to_3y", "over_3y")
"""Time since last work at referral (BAS-10)."""

DEFAULT_SEED = 20261122
"""The run seed of every command that simulates, unless the user gives one."""
CALIBRATION_SEED = 2026
"""The seed of ``ipssim calibrate`` (the one the bundled calibration was fitted with)."""

SUMMARY_METRICS: dict[str, tuple[str, ...]] = {
    "both": ("ever_employed_competitive_in_outcome_window_share",
             "ever_employed_unsubsidised_in_outcome_window_share",
             "ever_employed_competitive_by_horizon_share", "ever_employed_by_horizon_share",
             "months_employed_by_horizon_per_client", "hours_by_horizon_per_client",
             "earnings_eur_by_horizon_per_client", "benefits_eur_by_horizon_per_client",
             "taxes_eur_by_horizon_per_client", "programme_cost_eur", "net_fiscal_eur",
             "months_employed_competitive_by_horizon_per_client",
             "wage_subsidy_eur", "pensions_ended_at_horizon", "benefits_eur_pv", "taxes_eur_pv",
             "programme_cost_eur_pv", "wage_subsidy_eur_pv",
             *(f"net_{k}_eur_pv" for k in (*PAYERS, *PERSPECTIVES)),
             "qalys_pv", "admissions_by_horizon_per_client",
             "inpatient_days_by_horizon_per_client", "care_cost_eur_pv",
             "usual_services_cost_eur_pv"),
    "ips": ("clients_referred", "clients_started", "clients_waiting_at_horizon", "mean_wait_days",
            "waited_share", "dropout_share", "max_caseload", "places", "utilisation_share"),
    "usual": ("clients_referred",),
    "difference": ("additional_employed_competitive_by_horizon", "additional_months_worked_by_horizon",
                   "benefits_saved_eur_pv", "taxes_gained_eur_pv", "care_saved_eur_pv",
                   "usual_services_saved_eur_pv",
                   "cost_per_additional_employed_eur", "cost_per_additional_month_worked_eur",
                   *(f"{m}_{v}" for v in PERSPECTIVES for m in ("break_even_month", "breaks_even",
                                                                "roi")),
                   "icer_eur_per_qaly"),
}
"""The rows of ``summary.csv``: metrics of both arms and their difference (``both``), and those of
one arm or of the difference only. ``tests/test_programmes.py`` checks this against a real run."""
NET_RETURN_WORDS = "Net return per euro of programme cost (net effect / programme cost)"
"""The words of ``roi_<perspective>``: what a euro of programme cost brings back after repaying
itself (0 is break-even), as against the gross ratio."""
GROSS_RATIO_WORDS = "Gross benefit-cost ratio (benefits / programme cost)"
"""The words of the gross benefit-cost ratio, ``1 + roi_<perspective>``: the benefits (net effect
plus programme cost) a euro of programme cost brings back (1 is break-even)."""
HEADLINE: tuple[tuple[str, str, str, str], ...] = (
    ("clients_referred", "ips", "People referred", "people"),
    ("clients_started", "ips", "People served (placed with a coach)", "people"),
    ("clients_waiting_at_horizon", "ips", "Still waiting at the end", "people"),
    ("additional_employed_competitive_by_horizon", "difference",
     "Additional people in competitive work", "people"),
    ("additional_months_worked_by_horizon", "difference",
     "Additional months in competitive work", "months"),
    ("benefits_saved_eur_pv", "difference", "Benefits saved", "eur"),
    ("taxes_gained_eur_pv", "difference", "Taxes and contributions gained", "eur"),
    ("care_saved_eur_pv", "difference", "Health and social care saved (county)", "eur"),
    ("usual_services_saved_eur_pv", "difference", "Usual services saved", "eur"),
    ("wage_subsidy_eur_pv", "difference", "Wage subsidy paid", "eur"),
    ("programme_cost_eur_pv", "difference", "Programme cost", "eur"),
    ("net_public_eur_pv", "difference", "Net effect for the public purse", "eur"),
    ("net_wellbeing_county_eur_pv", "difference", "Net effect for the wellbeing services county",
     "eur"),
    ("net_society_eur_pv", "difference", "Net effect for society", "eur"),
    *((f"net_{payer}_eur_pv", "difference", f"Net effect for {words}", "eur") for payer, words in (
        ("state", "the state"), ("kela", "Kela"), ("pension_providers", "pension providers"),
        ("municipality", "the municipality"), ("employer", "employers"),
        ("client", "the clients"))),
    ("break_even_month_public", "difference", "Break-even, public purse", "month"),
    ("break_even_month_society", "difference", "Break-even, society", "month"),
    ("roi_public", "difference", NET_RETURN_WORDS + ", public purse", "ratio"),
    ("roi_society", "difference", NET_RETURN_WORDS + ", society", "ratio"),
    ("mean_wait_days", "ips", "Mean wait for a coach", "days"),
)
"""The headline of a run, in order: summary metric, arm, words, unit (money discounted). The
planner's headline (the web page and ``ipssim run``), the console's comparison and the reports'
region table show these rows; ``tests/test_headline.py`` checks them against
:data:`SUMMARY_METRICS`."""
WINDOWS = {
    "in_outcome_window": "the first {outcome_window} months after each client's referral, over "
                         "the clients whose window ends by month {horizon} (a trial's follow-up)",
    "by_horizon": "from each client's referral to the end of month {horizon}: clients referred "
                  "late have had less time",
    "at_horizon": "at the end of month {horizon}",
    "discounted": "months 1 to {horizon}, discounted to month 1 (pv: present value)",
    "whole_run": "months 1 to {horizon}, not discounted",
}
"""The windows over which a summary metric counts; every metric's name states its window
(:func:`metric_window`) except money over the whole run (``_pv``: discounted) and the run's
counts (``whole_run``). ``{outcome_window}`` and ``{horizon}`` are the scenario's months."""
DISCOUNTED = ("break_even_month_", "breaks_even_", "roi_", "cost_per_", "icer_")
"""Metrics built from discounted money, though their names do not end in ``_pv``."""
QALY_METRICS = ("qalys_pv", "icer_eur_per_qaly")
"""Metrics present only with ``economics.qaly.enabled``."""


def summary_metrics(arm: str) -> tuple[str, ...]:
    """The metric names ``summary.csv`` has for ``arm`` (ips, usual or difference)."""
    both = SUMMARY_METRICS["both"]
    return (*SUMMARY_METRICS.get(arm, ()), *both) if arm != "difference" else \
        (*both, *SUMMARY_METRICS["difference"])


def metric_window(metric: str) -> str:
    """The key in :data:`WINDOWS` of the window over which ``metric`` counts."""
    for window in ("in_outcome_window", "by_horizon", "at_horizon"):
        if f"_{window}" in metric:
            return window
    return "discounted" if metric.endswith("_pv") or metric.startswith(DISCOUNTED) else "whole_run"


def window_glossary(outcome_window_months: int, horizon_months: int) -> dict[str, str]:
    """Each window of :data:`WINDOWS` in words, with the scenario's months."""
    return {key: text.format(outcome_window=outcome_window_months, horizon=horizon_months)
            for key, text in WINDOWS.items()}


def money_unit(metric: str, price_year: int) -> str:
    """The currency and price year of a money metric (``EUR 2024``, ``EUR 2024, discounted``;
    a return per euro: ``EUR per EUR``), or ``""`` for a metric that is not money."""
    if metric.startswith(("roi_", "gross_ratio_")):
        return "EUR per EUR"
    if "_eur" not in metric:
        return ""
    return f"EUR {price_year}" + (", discounted" if metric_window(metric) == "discounted" else "")
