"""A way back in, work that builds on work, and trial mode that follows the trial (issue 26,
points 2-4): a client who left IPS may be referred again through the waiting list, the no-coach
rate grows with the work done since referral, and a trial serves its participants for as long
as its design did (``trial_service_months``)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import simpy
import test_properties as props
from hypothesis import given, settings
from hypothesis import strategies as st

from ipssim.accounts.metrics import waits_for_coach
from ipssim.experiments.runner import run_replication
from ipssim.model.clients import Baseline, Client
from ipssim.model.jobs import Spell
from ipssim.model.pathway import Pathway
from ipssim.model.simulation import ArmHistory, draw_cohort, simulate_arm
from ipssim.model.streams import region_luck, region_uniforms
from ipssim.scenario.load import parse_scenario
from ipssim.scenario.schema import ScenarioError
from ipssim.vocabulary import MONTH_DAYS, YEAR_DAYS

BUSY = {"name": "busy", "mode": "programme", "horizon_months": 48,
        "regions": [{"name": "P", "coaches": 1, "referrals_per_month": 3.0,
                     "referral_months": [0, 36], "employers": 30}],
        "coaching": {"re_referral_rate_per_month": 0.3, "dropout_rate_per_month": 0.2,
                     "caseload_cap": 5, "follow_along_weight": 1.0}}
"""One coach of five places and more referrals than it can take: a waiting list throughout,
and leavers soon referred again (every client a whole place, so the caseload never passes the
cap: follow-along at a lower weight may, tests/test_follow_along.py)."""


def _ips(data: dict, seed: int = 3) -> ArmHistory:
    """The IPS arm's history of the scenario ``data`` (its ``returns`` with it)."""
    scenario = parse_scenario(data)
    return simulate_arm(scenario, draw_cohort(scenario, seed, 0), "ips", seed, 0)


def test_a_re_referred_client_waits_on_the_list_like_any_other():
    history = _ips(BUSY)
    c, returns = history.clients, history.returns
    assert len(returns) > 10
    first_exit = c["exit_day"][returns[:, 0].astype(int)]
    # referred again only after leaving, never after the programme's close turned them away
    assert np.all(returns[:, 1] >= first_exit)
    assert not np.any(c["exit_reason"][returns[:, 0].astype(int)] == "programme_closed")
    placed = ~np.isnan(returns[:, 2])
    assert np.all(returns[placed, 2] >= returns[placed, 1])
    assert np.any(returns[placed, 2] > returns[placed, 1])  # some of them waited
    # one first-come-first-served list for new and returning referrals: ordered by the day of
    # referral, the days placed never go back (nobody abandons and no post is cut here)
    requested = np.concatenate([c["referral_day"], returns[:, 1]])
    start = np.concatenate([c["start_day"], returns[:, 2]])
    start = np.where(np.isnan(start), np.inf, start)
    ordered = start[np.lexsort((start, requested))]
    assert np.all(ordered[1:] >= ordered[:-1])


def test_each_referral_counts_once_in_the_waits_and_places_and_each_person_once_served():
    scenario = parse_scenario(BUSY)
    result = run_replication(scenario, 3, 0)
    history = _ips(BUSY)
    returns = history.returns
    c = result.clients["ips"]
    first = ~np.isnan(c["start_day"])
    placed_again = returns[~np.isnan(returns[:, 2]), 0].astype(int)
    # people served: each person placed with a coach, once, whichever referral placed them
    served = first.copy()
    served[placed_again] = True
    assert result.metrics["ips"]["clients_started"] == served.sum()
    assert served.sum() < first.sum() + len(placed_again)  # some were placed twice
    assert len(result.waits) == len(c["referral_day"]) + len(returns)
    np.testing.assert_array_equal(result.waits, waits_for_coach(
        c, scenario.horizon_months * MONTH_DAYS, returns))
    t = result.trajectories["ips"]
    np.testing.assert_array_equal(t["waiting"] + t["enrolled"] + t["exited"], t["referred"])
    # the months of a return are months in IPS, not out of it
    month_end = (np.arange(scenario.horizon_months) + 1) * MONTH_DAYS
    first = ((c["start_day"][:, None] < month_end) & ~(c["exit_day"][:, None] < month_end)).sum(0)
    assert np.all(t["enrolled"] >= first) and np.any(t["enrolled"] > first)
    assert np.all(t["max_caseload"] <= scenario.coaching.caseload_cap)


def test_no_re_referral_after_a_closed_programme_and_none_by_default():
    closing = {**BUSY, "regions": [{**BUSY["regions"][0], "operating_months": 12}]}
    history = _ips(closing)
    assert np.all(history.returns[:, 1] < 12 * MONTH_DAYS)
    history = _ips({**BUSY, "coaching": {**BUSY["coaching"], "re_referral_rate_per_month": 0}})
    assert history.returns.shape == (0, 4)


def _searcher(effect: float, dependence: float) -> tuple[Pathway, Client]:
    scenario = parse_scenario({**BUSY, "employability": {"experience_effect": effect,
                                                         "duration_dependence": dependence}})
    pathway = Pathway(simpy.Environment(), scenario)
    luck = region_luck(1, 0, 0, region_uniforms(1, 0, 0, 1))[0]
    baseline = Baseline(37.0, True, True, "unemployed", "labour_market_subsidy", "1_to_3y",
                        False, False, True, 1.0, 1.0, 1.0)
    return pathway, Client(0, 0, 0.0, baseline, luck)


@settings(max_examples=200, deadline=None)
@given(st.floats(0.0, 2.0), st.floats(0.0, 10.0), st.floats(1e-4, 20.0),
       st.sampled_from([0.0, 0.5, 1.0]))
def test_work_done_raises_the_no_coach_rate_by_the_factor_the_parameter_says(
        effect, years, budget, dependence):
    """The rate is multiplied by 1 + effect x years worked: spending a budget of cumulative
    hazard takes as long as spending budget / (1 + effect x years) without the work done,
    whatever the duration dependence (the factor scales every segment alike)."""
    pathway, client = _searcher(effect, dependence)
    client.idle_from = 0.0
    plain = pathway._no_coach_wait(client, budget / (1.0 + effect * years))
    client.worked_days = years * YEAR_DAYS
    experienced = pathway._no_coach_wait(client, budget)
    assert experienced == pytest.approx(plain, rel=1e-9)
    client.worked_days = 0.0
    assert experienced <= pathway._no_coach_wait(client, budget) * (1 + 1e-12)


def test_work_counts_from_referral_at_each_job_end():
    _, client = _searcher(0.5, 1.0)
    client.referral_day = 100.0
    client.job = Spell(0, "competitive", 40.0, 300.0, 20.0, 12.0, False, -1, False, True)
    Pathway._job_over(client)  # a job held at referral counts from the referral
    client.job = Spell(0, "competitive", 400.0, 460.0, 20.0, 12.0, False, 1, False, False)
    Pathway._job_over(client)
    assert client.worked_days == pytest.approx(200.0 + 60.0)
    assert client.idle_from == 460.0


TRIAL = {"name": "long_service", "mode": "trial", "horizon_months": 84,
         "outcome_window_months": 24, "recruitment_months": 12,
         "regions": [{"name": "T", "coaches": 4, "cohort_size": 60, "employers": 30}],
         "coaching": {"end_rate_searching_per_month": 0.0, "end_rate_working_per_month": 0.0,
                      "dropout_rate_per_month": 0.0}}


def test_a_trial_keeps_ips_for_as_long_as_its_design_did():
    default = parse_scenario(TRIAL)
    assert default.service_months == 24 and default.closing_month(default.regions[0]) == 36
    long = parse_scenario({**TRIAL, "trial_service_months": 60})
    assert long.closing_month(long.regions[0]) == 72
    for scenario, months in ((default, 24), (long, 60)):
        result = run_replication(scenario, 7, 0)
        c = result.clients["ips"]
        served = np.nan_to_num(c["exit_day"], nan=np.inf) - c["referral_day"]
        # nobody leaves on their own here: everyone is served to the end of their service
        assert np.all(served <= months * MONTH_DAYS + 1e-6)
        assert np.all(served >= months * MONTH_DAYS - 1e-6)
        enrolled = result.trajectories["ips"]["enrolled"]
        assert enrolled[months + 12 - 1] == 0 and enrolled[months - 1] > 0
    with_coach_after_24 = run_replication(long, 7, 0).trajectories["ips"]["enrolled"][30]
    assert with_coach_after_24 == 60


@pytest.mark.parametrize(("changes", "message"), [
    ({"trial_service_months": 90}, "trial_service_months: must be <= horizon_months (84; got 90)"),
    ({"trial_service_months": 0}, "trial_service_months"),
    ({"mode": "programme", "trial_service_months": 30, "recruitment_months": 0,
      "regions": [{"name": "P", "coaches": 1, "referrals_per_month": 1.0, "employers": 5}]},
     "trial_service_months: applies to trial mode only"),
])
def test_trial_service_months_is_validated(changes, message):
    with pytest.raises(ScenarioError, match=re.escape(message)) as caught:
        parse_scenario({**TRIAL, **changes})
    assert "\n" not in str(caught.value).strip()


LONG = [
    {"name": "long_programme", "mode": "programme", "horizon_months": 120,
     "regions": [{"name": "P", "coaches": 2, "referrals_per_month": 2.0,
                  "referral_months": [0, 100], "operating_months": 110, "employers": 30}],
     "coaching": {"re_referral_rate_per_month": 0.05, "waiting_patience_days": 60.0},
     "employability": {"experience_effect": 0.5},
     "care": {"admission_rate_per_month": 0.05, "job_loss_share": 0.5}},
    {**TRIAL, "name": "long_trial", "horizon_months": 120, "trial_service_months": 60,
     "coaching": {"re_referral_rate_per_month": 0.05},
     "employability": {"experience_effect": 0.5}},
]


@pytest.mark.parametrize("data", LONG, ids=[d["name"] for d in LONG])
def test_every_earlier_invariant_holds_at_120_months_with_the_new_mechanisms(data):
    scenario = parse_scenario(data)
    history = _ips(data, 11)
    assert len(history.returns) > 0
    for check in (props.test_no_coach_ever_above_the_cap,
                  props.test_every_client_in_exactly_one_state_at_each_month_end,
                  props.test_employment_counts_nest_and_spells_do_not_overlap,
                  props.test_money_identities):
        check.hypothesis.inner_test(scenario, 11)
    result = run_replication(scenario, 11, 0)
    for arm in ("ips", "usual"):
        for name, values in result.trajectories[arm].items():
            assert np.isfinite(np.asarray(values, dtype=float)).all(), (arm, name)


def test_a_trial_return_is_served_only_within_its_service_window():
    """A recruited trial offers IPS for its service months from entry: a return still waiting
    when they end leaves the list, and nobody is placed or coached after them (this once
    failed with a negative delay)."""
    data = {"name": "t", "mode": "trial", "horizon_months": 48, "recruitment_months": 12,
            "regions": [{"name": "T", "coaches": 2, "cohort_size": 40, "employers": 30}],
            "coaching": {"re_referral_rate_per_month": 2.0, "dropout_rate_per_month": 0.2,
                         "end_rate_searching_per_month": 0.3}}
    scenario = parse_scenario(data)
    service_end = scenario.service_months * MONTH_DAYS
    for seed in range(4):  # seed 1 places a return after its window ends
        history = _ips(data, seed)
        returns = history.returns
        assert len(returns)
        who = returns[:, 0].astype(int)
        end = history.clients["referral_day"][who] + service_end
        placed, left = returns[:, 2], returns[:, 3]
        assert np.all(returns[:, 1] < end)
        assert np.all(np.isnan(placed) | (placed <= end))
        assert np.all(np.isnan(left) | (left <= end))
