"""Results per region: they add up to the totals, and follow each region's own staffing."""

from __future__ import annotations

import numpy as np

from conftest import SMALL, small_scenario
from ipssim.runner import run_replication

ADDITIVE = ("clients", "referred", "waiting", "enrolled", "exited", "employed",
            "employed_competitive", "hours", "earnings_eur", "benefits_eur", "taxes_eur",
            "programme_cost_eur", "net_fiscal_eur", "wage_subsidy_eur", "net_public_eur",
            "net_society_eur", "net_state_eur", "net_client_eur")
ADDITIVE_METRICS = ("clients_referred", "programme_cost_eur_pv", "net_public_eur_pv",
                    "net_society_eur_pv", "benefits_eur_pv", "taxes_eur_pv", "wage_subsidy_eur")


def _two_regions():
    return small_scenario(horizon_months=18, regions=[
        {**SMALL["regions"][0], "name": "crowded", "coaches": 1, "referrals_per_month": 8.0},
        {**SMALL["regions"][0], "name": "roomy", "coaches": 6, "referrals_per_month": 3.0,
         "staffing": [{"month": 9, "coaches": 4}]}])


def test_regions_add_up_to_the_totals():
    result = run_replication(_two_regions(), 3, 0)
    assert len(result.regions) == 2
    for arm in ("ips", "usual"):
        for column in ADDITIVE:
            parts = sum(r.trajectories[arm][column] for r in result.regions)
            np.testing.assert_allclose(parts, result.trajectories[arm][column], atol=1e-6,
                                       err_msg=column)
        for metric in ADDITIVE_METRICS:
            parts = sum(r.metrics[arm][metric] for r in result.regions)
            assert np.isclose(parts, result.metrics[arm][metric], atol=1e-6), metric
    for view, monthly in result.net_effect.items():
        np.testing.assert_allclose(sum(r.net_effect[view] for r in result.regions), monthly,
                                   atol=1e-6)


def test_each_region_follows_its_own_staffing():
    result = run_replication(_two_regions(), 3, 0)
    crowded, roomy = (r.metrics["ips"] for r in result.regions)
    assert crowded["mean_wait_days"] > roomy["mean_wait_days"] + 30
    assert crowded["max_caseload"] == 20
    # the roomy region pays for 6 coaches, then 4; the crowded one for 1
    assert roomy["programme_cost_eur_pv"] > 3 * crowded["programme_cost_eur_pv"]


def test_a_single_region_is_the_total():
    result = run_replication(small_scenario(), 3, 0)
    (region,) = result.regions
    assert region.metrics is result.metrics and region.trajectories is result.trajectories
