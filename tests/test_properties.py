"""Invariants of the real model on random small scenarios (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipssim.experiments.runner import run_replication
from ipssim.model.coaches import largest_caseload, place_units
from ipssim.money.rules import BENEFIT_TYPES, employer_contribution_rate
from ipssim.scenario.load import parse_scenario
from ipssim.scenario.schema import Scenario
from ipssim.vocabulary import MONTH_DAYS, PAYERS, PUBLIC_PAYERS

IPS_EXITS = {"abandoned", "programme_closed", "dropout", "ended", "completed", "waiting",
             "in_programme"}


@st.composite
def scenarios(draw) -> Scenario:
    cap = draw(st.integers(1, 6))
    mode = draw(st.sampled_from(["programme", "trial"]))
    regions = []
    for r in range(draw(st.integers(1, 2))):
        coaches = draw(st.integers(1, 3))
        region = {"name": f"r{r}", "coaches": coaches, "team_leaders": draw(st.integers(0, 1)),
                  "employers": draw(st.integers(1, 30)),
                  "integrated": draw(st.booleans()),
                  "fidelity": draw(st.floats(50, 125))}
        if mode == "trial":
            region["cohort_size"] = draw(st.integers(1, coaches * cap))
        else:
            region["referrals_per_month"] = draw(st.floats(0.5, 10.0))
        if draw(st.booleans()):  # else: the horizon, or a trial's outcome window
            region["operating_months"] = draw(st.floats(1.0, 18.0))
        regions.append(region)
    patience = draw(st.one_of(st.none(), st.floats(1.0, 90.0)))
    return parse_scenario({
        "name": "random", "mode": mode, "horizon_months": draw(st.integers(2, 18)),
        "outcome_window_months": 2, "regions": regions,
        "coaching": {"caseload_cap": cap, "waiting_patience_days": patience,
                     "follow_along_weight": draw(st.sampled_from([0.25, 0.5, 1.0])),
                     "engagement_days_mean": draw(st.floats(0.0, 45.0)),
                     "dropout_rate_per_month": draw(st.floats(0.0, 0.5)),
                     "full_attention_caseload": draw(st.floats(1.0, 10.0))},
        "jobs": {"ips_offer_rate_per_month": draw(st.floats(0.05, 3.0)),
                 "usual_offer_rate_per_month": draw(st.floats(0.01, 1.0))},
        "care": {"admission_rate_per_month": draw(st.sampled_from([0.0, 0.022, 0.3])),
                 "job_loss_share": draw(st.floats(0.0, 1.0))},
    })


PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _concurrent_max(start: np.ndarray, end: np.ndarray) -> int:
    """Largest number of [start, end) intervals open at once (ends before starts at a tie)."""
    times = np.concatenate([start, end])
    steps = np.concatenate([np.ones(len(start)), -np.ones(len(end))])
    order = np.lexsort((steps, times))
    return int(np.max(np.cumsum(steps[order]), initial=0))


@PROPERTY
@given(scenarios(), st.integers(0, 2**32 - 1))
def test_no_coach_ever_above_the_cap(scenario, seed):
    """Above the cap only by what returns from follow-along can add (nothing at weight 1;
    admissions: test_follow_along)."""
    result = run_replication(scenario, seed, 0)
    units, _ = place_units(scenario.coaching)
    cap = largest_caseload(scenario.coaching) // units  # clients, and places, at most
    clients = result.clients["ips"]
    horizon = scenario.horizon_months * MONTH_DAYS
    started = ~np.isnan(clients["start_day"])
    end = np.where(np.isnan(clients["exit_day"]), horizon, clients["exit_day"])
    for coach in np.unique(clients["coach_id"][started]):
        mine = started & (clients["coach_id"] == coach)
        assert _concurrent_max(clients["start_day"][mine], end[mine]) <= cap
    assert np.all(result.trajectories["ips"]["max_caseload"] <= cap)


@PROPERTY
@given(scenarios(), st.integers(0, 2**32 - 1))
def test_every_client_in_exactly_one_state_at_each_month_end(scenario, seed):
    result = run_replication(scenario, seed, 0)
    c = result.clients["ips"]
    month_end = (np.arange(scenario.horizon_months) + 1) * MONTH_DAYS
    referred = c["referral_day"][:, None] < month_end
    started = c["start_day"][:, None] < month_end
    exited = c["exit_day"][:, None] < month_end
    states = np.stack([~referred, referred & ~started & ~exited, started & ~exited, exited])
    assert np.all(states.sum(axis=0) == 1)
    t = result.trajectories["ips"]
    np.testing.assert_array_equal(t["waiting"] + t["enrolled"] + t["exited"], t["referred"])
    assert set(c["exit_reason"]) <= IPS_EXITS
    # order of events for each client
    has_start = ~np.isnan(c["start_day"])
    assert np.all(c["start_day"][has_start] >= c["referral_day"][has_start])
    both = has_start & ~np.isnan(c["exit_day"])
    assert np.all(c["exit_day"][both] >= c["start_day"][both])
    assert set(c["exit_reason"][~has_start]) <= {"abandoned", "programme_closed", "waiting"}


@PROPERTY
@given(scenarios(), st.integers(0, 2**32 - 1))
def test_employment_counts_nest_and_spells_do_not_overlap(scenario, seed):
    result = run_replication(scenario, seed, 0)
    for arm in ("ips", "usual"):
        t = result.trajectories[arm]
        assert np.all(t["employed_competitive"] <= t["employed"])
        assert np.all(t["employed"] <= t["referred"])
        assert np.all(t["referred"] <= t["clients"])
        assert np.all(t["ever_employed_competitive"] <= t["ever_employed"])
        assert np.all(np.diff(t["ever_employed"]) >= 0)
        s = result.spells[arm]
        referral = result.clients[arm]["referral_day"][s["client_id"]]
        assert np.all(s["start_day"] >= referral)
        finite = ~np.isnan(s["end_day"])
        assert np.all(s["end_day"][finite] > s["start_day"][finite])
        for client in np.unique(s["client_id"]):
            mine = np.flatnonzero(s["client_id"] == client)
            order = mine[np.argsort(s["start_day"][mine])]
            ends = np.where(np.isnan(s["end_day"][order]), np.inf, s["end_day"][order])
            assert np.all(s["start_day"][order][1:] >= ends[:-1])


@PROPERTY
@given(scenarios(), st.integers(0, 2**32 - 1))
def test_money_identities(scenario, seed):
    result = run_replication(scenario, seed, 0)
    econ = scenario.economics
    horizon = scenario.horizon_months * MONTH_DAYS
    for arm in ("ips", "usual"):
        t = result.trajectories[arm]
        # care and the usual services are paid from the public purse (their default payers), the
        # clients' inpatient fees flow into it
        care = t["care_cost_eur"] - t["care_fees_eur"] + t["usual_services_cost_eur"]
        np.testing.assert_allclose(t["net_fiscal_eur"],
                                   t["taxes_eur"] - t["benefits_eur"] - t["wage_subsidy_eur"]
                                   - t["programme_cost_eur"] - care, atol=1e-6)
        np.testing.assert_allclose(t["benefits_eur"], sum(t[f"{k}_eur"] for k in BENEFIT_TYPES))
        # every euro is booked to a payer: the payers sum to the perspective totals
        np.testing.assert_allclose(t["net_public_eur"],
                                   sum(t[f"net_{k}_eur"] for k in PUBLIC_PAYERS), atol=1e-6)
        np.testing.assert_allclose(t["net_fiscal_eur"], t["net_public_eur"])
        np.testing.assert_allclose(t["net_society_eur"], sum(t[f"net_{k}_eur"] for k in PAYERS),
                                   atol=1e-6)
        production = t["earnings_eur"] * (1 + employer_contribution_rate(econ))
        np.testing.assert_allclose(t["net_society_eur"], production - t["programme_cost_eur"]
                                   - t["care_cost_eur"] - t["usual_services_cost_eur"], atol=1e-6)
        # the client's net is earnings plus benefits less taxes and employee contributions
        employer = employer_contribution_rate(econ) * t["earnings_eur"]
        np.testing.assert_allclose(t["net_client_eur"], t["earnings_eur"] + t["benefits_eur"]
                                   - (t["taxes_eur"] - employer) - t["care_fees_eur"], atol=1e-6)
        # earnings and hours over the horizon equal the sum over spells of their worked days
        s = result.spells[arm]
        days = np.where(np.isnan(s["end_day"]), horizon, s["end_day"]) - s["start_day"]
        hours = days / 7.0 * s["hours_per_week"]
        np.testing.assert_allclose(t["hours"].sum(), hours.sum(), rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(t["earnings_eur"].sum(), (hours * s["hourly_wage_eur"]).sum(),
                                   rtol=1e-9, atol=1e-6)
        # benefits never exceed what everyone referred would get without any earnings
        assert np.all(t["benefits_eur"] >= 0)
    assert np.all(result.trajectories["usual"]["programme_cost_eur"] == 0)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 2**32 - 1))
def test_same_seed_gives_identical_output(scenario, seed):
    a, b = run_replication(scenario, seed, 1), run_replication(scenario, seed, 1)
    for arm in ("ips", "usual"):
        for table in ("trajectories", "clients", "spells"):
            left, right = getattr(a, table)[arm], getattr(b, table)[arm]
            assert left.keys() == right.keys()
            for key in left:
                np.testing.assert_array_equal(left[key], right[key])
    assert a.metrics == b.metrics or all(
        np.allclose(list(a.metrics[k].values()), list(b.metrics[k].values()), equal_nan=True)
        for k in a.metrics)
