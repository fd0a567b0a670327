"""The trial route (jobs.trial_route_rate_per_month): work trials the coach arranges for IPS
clients who have had no paid job, from work_trials_from_day on, not scaled by employability."""

from __future__ import annotations

import numpy as np

from ipssim.experiments.runner import run_replication
from ipssim.scenario.load import parse_scenario

FROM_DAY = 90.0


def _run(route: float, other_share: float, seed: int = 3):
    scenario = parse_scenario({
        "name": "route", "mode": "programme", "horizon_months": 36,
        "regions": [{"name": "A", "coaches": 6, "referrals_per_month": 8.0,
                     "referral_months": [0, 18], "employers": 40}],
        "jobs": {"trial_route_rate_per_month": route, "other_share": other_share,
                 "work_trials_from_day": FROM_DAY, "ips_offer_rate_per_month": 0.4}})
    result = run_replication(scenario, seed, 0)
    return result.clients["ips"], result.spells["ips"]


def _trials_only_share(clients, spells) -> float:
    """Share of the clients who started IPS with a work trial in IPS and no paid job in IPS."""
    new = spells["in_ips"] & ~spells["at_entry"]
    who = spells["client_id"]
    trial = set(who[new & (spells["job_type"] == "other")].tolist())
    paid = set(who[new & (spells["job_type"] != "other")].tolist())
    started = np.isfinite(clients["start_day"]).sum()
    return len(trial - paid) / started


def test_route_trials_come_after_the_opening_day_before_any_paid_job_and_not_to_pensioners():
    clients, spells = _run(route=0.6, other_share=0.0)  # every IPS trial is from the route
    new = spells["in_ips"] & ~spells["at_entry"]
    trials = new & (spells["job_type"] == "other")
    assert trials.sum() > 20
    who = spells["client_id"][trials]
    start = spells["start_day"][trials]
    assert np.all(start >= clients["start_day"][who] + FROM_DAY - 1e-9)
    first_paid = clients["first_competitive_job_day"][who]
    assert np.all(np.isnan(first_paid) | (first_paid > start))
    assert not np.any(clients["main_activity"][who] == "disability_pension")  # BAR-04


def test_the_route_gives_trials_to_clients_who_get_no_paid_job():
    without, with_route = (_trials_only_share(*_run(route, other_share=0.2))
                           for route in (0.0, 0.6))
    assert with_route > without + 0.05
