"""Results per region: they add up to the totals, are the region accounted on its own, and
follow each region's own staffing."""

from __future__ import annotations

import math

import numpy as np

from conftest import SMALL, small_scenario
from ipssim.accounts.ledger import TRAJECTORY_COLUMNS, client_ledger, monthly_sums
from ipssim.accounts.metrics import summarise
from ipssim.accounts.rollup import account, region_history, region_scenario
from ipssim.experiments.runner import net_effects, run_replication, run_replications
from ipssim.model.simulation import draw_cohort, simulate_arm
from ipssim.outputs import region_summaries
from ipssim.vocabulary import ARMS

NOT_ADDITIVE = ("month", "max_caseload", "discount_factor")
ADDITIVE = tuple(c for c in TRAJECTORY_COLUMNS if c not in NOT_ADDITIVE)
"""Counts and money: every net_* column, benefits by type, clients, referred, waiting, ..."""
ADDITIVE_METRICS = ("clients_referred", "clients_started", "programme_cost_eur_pv",
                    "net_public_eur_pv", "net_society_eur_pv", "net_state_eur_pv",
                    "net_kela_eur_pv", "net_employer_eur_pv", "net_client_eur_pv",
                    "benefits_eur_pv", "taxes_eur_pv", "wage_subsidy_eur",
                    "benefits_saved_eur_pv", "taxes_gained_eur_pv")


def _two_regions():
    return small_scenario(horizon_months=18, regions=[
        {**SMALL["regions"][0], "name": "crowded", "coaches": 1, "referrals_per_month": 8.0},
        {**SMALL["regions"][0], "name": "roomy", "coaches": 6, "referrals_per_month": 3.0,
         "staffing": [{"month": 9, "coaches": 4}]}])


def test_regions_add_up_to_the_totals():
    result = run_replication(_two_regions(), 3, 0)
    assert len(result.regions) == 2
    for arm in ARMS:
        for column in ADDITIVE:
            parts = sum(r.trajectories[arm][column] for r in result.regions)
            np.testing.assert_allclose(parts, result.trajectories[arm][column], atol=1e-6,
                                       err_msg=column)
        np.testing.assert_array_equal(
            np.maximum(*(r.trajectories[arm]["max_caseload"] for r in result.regions)),
            result.trajectories[arm]["max_caseload"])
    checked = 0
    for arm in (*ARMS, "difference"):
        for metric in ADDITIVE_METRICS:
            if metric in result.metrics[arm]:
                parts = sum(r.metrics[arm][metric] for r in result.regions)
                assert np.isclose(parts, result.metrics[arm][metric], atol=1e-6), (arm, metric)
                checked += 1
    assert checked >= 3 * 9
    for view, monthly in result.net_effect.items():
        np.testing.assert_allclose(sum(r.net_effect[view] for r in result.regions), monthly,
                                   atol=1e-6)


def test_region_summaries_add_up_to_the_summary():
    scenario = _two_regions()
    results = run_replications(scenario, 3, 4, 1)
    total = summarise([r.metrics for r in results], net_effects(results))
    means = {(m, a): v for m, a, v in zip(total["metric"], total["arm"], total["mean"],
                                          strict=True)}
    summed: dict[tuple[str, str], float] = {}
    for summary in region_summaries(scenario, results).values():
        assert summary["metric"] == total["metric"] and summary["arm"] == total["arm"]
        for m, a, v in zip(summary["metric"], summary["arm"], summary["mean"], strict=True):
            summed[(m, a)] = summed.get((m, a), 0.0) + v
    for key in means:
        if key[0] in ADDITIVE_METRICS:
            assert np.isclose(summed[key], means[key], atol=1e-6), key


def _assert_same_accounts(got, expected):
    for arm in ARMS:
        assert got.trajectories[arm].keys() == expected.trajectories[arm].keys()
        for column, values in expected.trajectories[arm].items():
            np.testing.assert_array_equal(got.trajectories[arm][column], values,
                                          err_msg=f"{arm} {column}")
    for arm, metrics in expected.metrics.items():
        assert got.metrics[arm].keys() == metrics.keys()
        for metric, value in metrics.items():
            assert got.metrics[arm][metric] == value or (
                math.isnan(value) and math.isnan(got.metrics[arm][metric])), (arm, metric)
    for view, monthly in expected.net_effect.items():
        np.testing.assert_array_equal(got.net_effect[view], monthly)


def _accounted_alone(scenario, histories, region):
    """The region's history accounted from scratch, with its own client ledger."""
    alone = region_scenario(scenario, region)
    own = {arm: region_history(h, region) for arm, h in histories.items()}
    return account(alone, own, {arm: monthly_sums(client_ledger(h, alone, arm), arm)
                               for arm, h in own.items()})


def test_each_region_is_the_region_accounted_alone():
    """A replication's regions must be exactly each region's own clients, spells and team
    accounted on their own (in both arms)."""
    scenario = _two_regions()
    result = run_replication(scenario, 3, 0)
    cohort = draw_cohort(scenario, 3, 0)
    histories = {arm: simulate_arm(scenario, cohort, arm, 3, 0) for arm in ARMS}
    for r, accounts in enumerate(result.regions):
        _assert_same_accounts(accounts, _accounted_alone(scenario, histories, r))


def test_totals_accounted_region_by_region_are_those_of_one_ledger():
    """The totals continue each region's monthly sums (one region's client ledger in memory at a
    time); they must be the very floats of one ledger of every client."""
    scenario = _two_regions()
    result = run_replication(scenario, 3, 0)
    cohort = draw_cohort(scenario, 3, 0)
    histories = {arm: simulate_arm(scenario, cohort, arm, 3, 0) for arm in ARMS}
    whole = account(scenario, histories)
    _assert_same_accounts(result, whole)


def test_each_region_follows_its_own_staffing():
    result = run_replication(_two_regions(), 3, 0)
    crowded, roomy = (r.metrics["ips"] for r in result.regions)
    assert crowded["mean_wait_days"] > roomy["mean_wait_days"] + 30
    assert crowded["max_caseload"] >= 20  # full; follow-along returns may pass the cap
    # the roomy region pays for 6 coaches, then 4; the crowded one for 1
    assert roomy["programme_cost_eur_pv"] > 3 * crowded["programme_cost_eur_pv"]
    assert result.regions[1].trajectories["usual"]["programme_cost_eur"].sum() == 0
    assert result.regions[0].trajectories["usual"]["waiting"].sum() == 0


def test_a_single_region_is_the_total():
    scenario = small_scenario()
    result = run_replication(scenario, 3, 0)
    (region,) = result.regions
    assert region.metrics is result.metrics and region.trajectories is result.trajectories
    # and the region accounted on its own gives exactly the totals too
    cohort = draw_cohort(scenario, 3, 0)
    histories = {arm: simulate_arm(scenario, cohort, arm, 3, 0) for arm in ARMS}
    _assert_same_accounts(_accounted_alone(scenario, histories, 0), region)
