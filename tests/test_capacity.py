"""Staffing that changes over time: hiring ramps, cuts, turnover, and budgets that buy staff."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SMALL, small_scenario
from ipssim.accounts.ledger import step_integral
from ipssim.experiments.runner import run_replication
from ipssim.model.coaches import largest_caseload, place_units
from ipssim.model.simulation import draw_cohort, simulate_arm
from ipssim.money import rules as economics
from ipssim.money.funding import coaches_for_budget, staffing_for_budgets, yearly_cost
from ipssim.scenario.budgets import bought_by_year
from ipssim.scenario.load import parse_scenario
from ipssim.scenario.schema import Scenario, ScenarioError
from ipssim.vocabulary import MONTH_DAYS


def _region(**changes: object) -> dict:
    return {**SMALL["regions"][0], **changes}


@st.composite
def changing_capacity(draw) -> Scenario:
    """A small programme whose headcount changes at random months, with random turnover and
    either policy for clients of posts that are cut."""
    horizon = draw(st.integers(3, 15))
    months = sorted(draw(st.lists(st.floats(0.0, horizon, exclude_max=True), min_size=1,
                                  max_size=4, unique=True)))
    staffing = [{"month": m, "coaches": draw(st.integers(0, 5))} for m in months]
    return parse_scenario({
        "name": "capacity", "mode": "programme", "horizon_months": horizon,
        "regions": [_region(coaches=draw(st.integers(1, 4)), staffing=staffing,
                            referrals_per_month=draw(st.floats(1.0, 15.0)))],
        "coaching": {"caseload_cap": draw(st.integers(1, 5)),
                     "capacity_cut_policy": draw(st.sampled_from(["keep_until_exit",
                                                                  "waiting_list"])),
                     "turnover_per_year": draw(st.sampled_from([0.0, 1.0, 4.0])),
                     "vacancy_months": draw(st.floats(0.0, 3.0)),
                     "dropout_rate_per_month": draw(st.floats(0.0, 0.3))},
    })


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changing_capacity(), st.integers(0, 2**32 - 1))
def test_caseloads_stay_within_the_cap_at_every_instant_as_capacity_changes(scenario, seed):
    result = run_replication(scenario, seed, 0)
    # the caseload trace holds the largest (weighted) caseload after every change of any
    # caseload: at most the cap, or what returns from follow-along can add to it
    units, _ = place_units(scenario.coaching)
    most = largest_caseload(scenario.coaching) / units
    assert np.all(result.trajectories["ips"]["max_caseload"] <= most)
    t = result.trajectories["ips"]
    np.testing.assert_array_equal(t["waiting"] + t["enrolled"] + t["exited"], t["referred"])
    assert np.all(t["programme_cost_eur"] >= 0)


def test_programme_cost_follows_the_staff_in_post():
    # 2 coaches, then 4 from month 3 (the start of the third month); no turnover; one leader
    scenario = small_scenario(horizon_months=4, regions=[_region(
        coaches=2, team_leaders=1, staffing=[{"month": 2, "coaches": 4}])])
    cost = run_replication(scenario, 1, 0).trajectories["ips"]["programme_cost_eur"]
    econ = scenario.economics
    two = economics.staff_cost_per_month(2, 2 / 9, econ)
    four = economics.staff_cost_per_month(4, 4 / 9, econ)
    training = econ.costs.training_eur_per_new_coach
    np.testing.assert_allclose(cost, [two + 2 * training, two, four + 2 * training, four])


def test_step_integral():
    days = np.array([0.0, 10.0, 10.0, 25.0])
    values = np.array([1.0, 5.0, 2.0, 0.0])  # the last row of day 10 counts
    np.testing.assert_allclose(step_integral(days, values, np.array([0.0, 5.0, 20.0, 40.0])),
                               [0.0, 5.0, 30.0, 40.0])


def _cut_scenario(policy: str) -> Scenario:
    return small_scenario(horizon_months=12, regions=[_region(
        coaches=4, referrals_per_month=10.0, referral_months=[0, 4],
        staffing=[{"month": 6, "coaches": 1}])], coaching={
        "caseload_cap": 5, "capacity_cut_policy": policy, "dropout_rate_per_month": 0.0,
        "end_rate_searching_per_month": 0.05, "end_rate_working_per_month": 0.05,
        "follow_along_weight": 1.0})  # one client, one place (the weight: test_follow_along)


def _in_post(result, day: float) -> float:
    trace = result.staffing_traces[0]
    return trace[np.searchsorted(trace[:, 0], day, side="right") - 1, 1]


def test_a_cut_keeps_clients_until_exit_or_moves_them_to_the_waiting_list():
    cut = 6 * MONTH_DAYS
    kept = run_replication(_cut_scenario("keep_until_exit"), 4, 0)
    moved = run_replication(_cut_scenario("waiting_list"), 4, 0)
    # keep_until_exit: the cut coaches stay (and are paid) while they have clients
    assert _in_post(kept, cut + 1.0) > 1
    # waiting_list: one coach from the cut on; the others' clients wait for places
    assert _in_post(moved, cut + 1.0) == 1
    for result in (kept, moved):
        assert np.all(result.trajectories["ips"]["max_caseload"] <= 5)
    after = slice(7, 12)
    assert kept.trajectories["ips"]["programme_cost_eur"][after].sum() > \
        moved.trajectories["ips"]["programme_cost_eur"][after].sum()


def test_turnover_leaves_posts_vacant_for_the_vacancy_period_then_hires():
    scenario = small_scenario(horizon_months=24, regions=[_region(coaches=3)], coaching={
        "turnover_per_year": 3.0, "vacancy_months": 2.0})
    trace = run_replication(scenario, 9, 0).staffing_traces[0]
    days, in_post, hires = trace[:, 0], trace[:, 1], trace[:, 3]
    assert hires[-1] > 3 + 5  # about 3 x 3 x 2 leavers, each replaced
    steps = np.diff(in_post)
    left, hired = days[1:][steps < 0], days[1:][steps > 0]
    assert len(left) >= len(hired) > 5
    # every hire comes exactly one vacancy period after a departure
    vacancy = 2.0 * MONTH_DAYS
    assert all(np.isclose(left, day - vacancy).any() for day in hired)
    assert np.all(in_post <= 3)


def test_a_budget_buys_the_most_staff_it_can_pay_for():
    econ = small_scenario().economics
    coaches = coaches_for_budget(500_000.0, 0, 100.0, econ)
    assert yearly_cost(coaches, coaches, 100.0, econ) <= 500_000 < \
        yearly_cost(coaches + 1, coaches + 1, 100.0, econ)
    # the second year trains nobody new, so the same budget buys at least as many coaches
    (first, _), (second, leaders) = staffing_for_budgets([500_000.0], 2, 100.0, econ)
    assert second >= first and leaders == -(-second // 9)


def test_a_funded_scenario_equals_the_headcount_it_buys():
    budgets = [300_000.0, 600_000.0]
    funded = small_scenario(horizon_months=24, regions=[_region(
        budget_eur_per_year=budgets, coaches=None, team_leaders=None)])
    region = funded.regions[0]
    assert region.coaches >= 1 and region.staffing and region.staffing[0].month == 12
    headcount = small_scenario(horizon_months=24, regions=[_region(
        coaches=region.coaches, team_leaders=region.team_leaders,
        staffing=[c.model_dump() for c in region.staffing])])
    a, b = run_replication(funded, 2, 0), run_replication(headcount, 2, 0)
    for arm in ("ips", "usual"):
        for name, column in a.trajectories[arm].items():
            np.testing.assert_array_equal(column, b.trajectories[arm][name], err_msg=name)
        for name, column in a.clients[arm].items():
            np.testing.assert_array_equal(column, b.clients[arm][name], err_msg=name)
    assert a.metrics == b.metrics or str(a.metrics) == str(b.metrics)  # NaN-safe equality
    # re-validating the loaded scenario gives the same staffing
    assert parse_scenario(funded.model_dump()) == funded
    bought = bought_by_year(funded)
    assert [(r["region"], r["year"], r["budget_eur"]) for r in bought] == \
        [("A", 1, 300_000), ("A", 2, 600_000)]
    first = bought[0]
    assert (first["coaches"], first["team_leaders"]) == (region.coaches, region.team_leaders)
    assert first["places"] == region.coaches * funded.coaching.caseload_cap
    # what is left over and what the next coach would take, from the same cost model
    econ = funded.economics
    cost = yearly_cost(region.coaches, region.coaches, region.fidelity, econ)
    more = yearly_cost(region.coaches + 1, region.coaches + 1, region.fidelity, econ)
    assert cost <= 300_000 < more
    assert (first["cost_eur"], first["unspent_eur"], first["next_coach_eur"]) == \
        (cost, 300_000 - cost, more)


def test_a_budget_too_small_for_one_coach_is_refused_in_one_line():
    with pytest.raises(ScenarioError) as error:
        small_scenario(regions=[_region(budget_eur_per_year=[10_000.0], coaches=None)])
    message = str(error.value)
    assert "regions[0].budget_eur_per_year: the first year buys no coach" in message
    assert "\n" not in message
    with pytest.raises(ScenarioError, match=r"regions\[0\]\.coaches: set by budget_eur_per_year"):
        small_scenario(regions=[_region(budget_eur_per_year=[500_000.0], coaches=2)])


def test_clients_moved_back_to_the_list_by_a_cut_count_as_waiting_not_enrolled():
    cap = 5
    scenario = _cut_scenario("waiting_list")
    requeues = simulate_arm(scenario, draw_cohort(scenario, 4, 0), "ips", 4, 0).requeues
    result = run_replication(scenario, 4, 0)
    assert len(requeues) > 0  # the cut moved clients back to the list
    t = result.trajectories["ips"]
    month_end = (np.arange(len(t["month"])) + 1) * MONTH_DAYS
    back = [((requeues[:, 1] < end) & (requeues[:, 2] >= end)).sum() for end in month_end]
    assert max(back) > 0
    # with a coach means a place in post: at most cap places per coach in post at each month
    # end (states are as of just before it, as in the accounting: a day < month end)
    places = np.array([cap * _in_post(result, np.nextafter(end, 0.0)) for end in month_end])
    assert np.all(t["enrolled"] <= places)
    assert np.all(t["waiting"] >= back)
    np.testing.assert_array_equal(t["waiting"] + t["enrolled"] + t["exited"], t["referred"])
