"""Health and social care use and the comparator's services: the real model on small cohorts.

Hand-worked money of one stay, the bookings per payer, a client in hospital not searching, a
stay ending a job, the parameters moving results the expected way, and care use switched off
leaving employment exactly as it was."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import small_scenario
from ipssim.accounts.ledger import trajectories
from ipssim.experiments.runner import run_replication
from ipssim.model.simulation import draw_cohort, simulate_arm
from ipssim.money.care import CarePrices, care_costs, care_payer_flows, usual_service_costs
from ipssim.scenario.care import OutpatientVisits
from ipssim.scenario.load import parse_scenario
from ipssim.scenario.schema import Scenario
from ipssim.validation import InputError, validate
from ipssim.vocabulary import PAYERS

EMPLOYMENT = ("start_day", "first_job_day", "first_competitive_job_day", "exit_day", "exit_reason")


def trial(size: int = 120, months: int = 24, **care: object) -> Scenario:
    """A small trial cohort (both arms on the same clients) with these care parameters."""
    return parse_scenario({
        "name": "care", "mode": "trial", "horizon_months": months,
        "regions": [{"name": "A", "coaches": math.ceil(size / 20), "cohort_size": size,
                     "employers": 40}],
        "jobs": {"ips_offer_rate_per_month": 0.6, "usual_offer_rate_per_month": 0.15},
        "care": care})


def free_of_charge(scenario: Scenario) -> Scenario:
    """The scenario with no care or usual service priced, no supported housing and no
    outpatient contacts (so one stay's money stands alone)."""
    econ = scenario.economics
    free = {name: s.model_copy(update={"eur_per_month": 0.0})
            for name, s in econ.usual_services.each().items()}
    return scenario.model_copy(update={
        "care": scenario.care.model_copy(update={
            "supported_housing_share": 0.0,
            "outpatient_visits_per_month": OutpatientVisits(working=0.0, coached=0.0,
                                                           without_coach=0.0)}),
        "economics": econ.model_copy(update={
            "usual_services": econ.usual_services.model_copy(update=free)})})


def unpriced(scenario: Scenario) -> Scenario:
    """The scenario with care and the usual services priced at zero (the same use)."""
    econ = scenario.economics
    free = {name: s.model_copy(update={"eur_per_month": 0.0})
            for name, s in econ.usual_services.each().items()}
    return scenario.model_copy(update={"economics": econ.model_copy(update={
        "care": CarePrices(inpatient_day_eur=0.0, inpatient_fee_eur_per_day=0.0,
                           outpatient_visit_eur=0.0, supported_housing_day_eur=0.0),
        "usual_services": econ.usual_services.model_copy(update=free)})})


def test_one_stay_by_hand():
    """A client working from referral (day 0) to day 40, admitted on day 40 for 10 days, the job
    ending on admission: month 2 has 10 hospital days, and the county pays 10 x (650 - 22.80) =
    6,272 EUR, the client 228 EUR of fees; the job's earnings stop on day 40."""
    scenario = free_of_charge(trial(size=1, months=3, admission_rate_per_month=0.0))
    history = simulate_arm(scenario, draw_cohort(scenario, 1, 0), "usual", 1, 0)
    spells = {"client_id": np.array([0]), "job_type": np.array(["competitive"], dtype=object),
              "start_day": np.array([0.0]), "end_day": np.array([40.0]),
              "hours_per_week": np.array([20.0]), "hourly_wage_eur": np.array([10.0]),
              "permanent": np.array([False]), "employer_id": np.array([0]),
              "in_ips": np.array([False]), "at_entry": np.array([False])}
    clients = history.clients | {"supported_housing": np.array([False])}
    history = replace(history, clients=clients, spells=spells,
                      stays=np.array([[0, 40.0, 50.0, 1.0]]))
    t = trajectories(history, scenario, "usual")
    np.testing.assert_allclose(t["inpatient_days"], [0.0, 10.0, 0.0])
    np.testing.assert_allclose(t["admissions"], [0.0, 1.0, 0.0])
    np.testing.assert_allclose(t["inpatient_cost_eur"], [0.0, 6500.0, 0.0])
    np.testing.assert_allclose(t["care_fees_eur"], [0.0, 228.0, 0.0])
    np.testing.assert_allclose(t["care_cost_eur"], [0.0, 6500.0, 0.0])
    np.testing.assert_allclose(t["usual_services_cost_eur"], 0.0)
    # work interrupted: paid for the 40 days worked, none after
    np.testing.assert_allclose(t["earnings_eur"].sum(), 40 / 7 * 20 * 10.0)
    assert t["earnings_eur"][2] == 0
    # the county's net is the stay less the fee, beyond what it had without the stay
    without = trajectories(replace(history, stays=np.zeros((0, 4))), scenario, "usual")
    np.testing.assert_allclose(t["net_wellbeing_county_eur"] - without["net_wellbeing_county_eur"],
                               [0.0, -6272.0, 0.0])
    np.testing.assert_allclose(t["net_client_eur"] - without["net_client_eur"], [0.0, -228.0, 0.0])
    np.testing.assert_allclose(t["net_society_eur"] - without["net_society_eur"],
                               [0.0, -6500.0, 0.0])


def test_prices_by_hand():
    """Unit costs times use; the usual services less the replaced share of coached months."""
    prices = CarePrices()
    costs = care_costs(np.array([2.0]), np.array([3.0]), np.array([30.0]), prices)
    assert costs["inpatient_cost"][0] == 1300.0
    assert costs["outpatient_cost"][0] == 900.0
    assert costs["supported_housing_cost"][0] == 30 * 154.0
    assert costs["care_fees"][0] == pytest.approx(45.6)
    services = trial().economics.usual_services
    cost = usual_service_costs(np.array([1.0]), np.array([1.0]), services)
    assert cost["vocational_rehabilitation"][0] == pytest.approx(100 * 0.2)
    assert cost["employment_services"][0] == pytest.approx(60 * 0.5)
    assert cost["day_activities"][0] == pytest.approx(80 * 0.7)


def test_care_sums_add_up_per_payer():
    """Each payer's net with care and services priced, less its net with them free, is what
    the bookings give that payer; and the payers' bookings sum to the care and service costs
    (the fees only move money from clients to the county)."""
    scenario = trial(size=60, admission_rate_per_month=0.1)
    priced = run_replication(scenario, 3, 0)
    free = run_replication(unpriced(scenario), 3, 0)
    econ = scenario.economics
    for arm in ("ips", "usual"):
        t, f = priced.trajectories[arm], free.trajectories[arm]
        np.testing.assert_array_equal(t["earnings_eur"], f["earnings_eur"])
        costs = {k: t[f"{k}_eur"] for k in ("inpatient_cost", "outpatient_cost",
                                             "supported_housing_cost", "care_fees")}
        services = {k: t[f"{k}_eur"] for k in econ.usual_services.each()}
        booked = care_payer_flows(costs, services, econ.usual_services)
        for payer in PAYERS:
            np.testing.assert_allclose(t[f"net_{payer}_eur"] - f[f"net_{payer}_eur"],
                                       booked.get(payer, 0.0), atol=1e-6)
        np.testing.assert_allclose(sum(booked.values()),
                                   -(t["care_cost_eur"] + t["usual_services_cost_eur"]), atol=1e-6)
        np.testing.assert_allclose(booked["wellbeing_county"],
                                   -(t["care_cost_eur"] - t["care_fees_eur"]
                                     + t["day_activities_eur"]), atol=1e-6)
        assert t["care_cost_eur"].sum() > 0 and t["usual_services_cost_eur"].sum() > 0


def test_in_hospital_not_searching_and_a_stay_ends_the_job():
    """No job starts during a client's stay; with job_loss_share 1 every stay that finds the
    client in work ends that job on the day of admission, with 0 none does."""
    for loss in (0.0, 1.0):
        scenario = trial(size=150, admission_rate_per_month=0.3, job_loss_share=loss)
        cohort = draw_cohort(scenario, 2, 0)
        ended = 0
        for arm in ("ips", "usual"):
            history = simulate_arm(scenario, cohort, arm, 2, 0)
            s = history.spells
            assert len(history.stays) > 20
            for client, admitted, discharged, lost in history.stays.tolist():
                mine = s["client_id"] == client
                starts = s["start_day"][mine]
                assert not np.any((starts > admitted) & (starts < discharged))
                assert np.any(s["end_day"][mine] == admitted) == bool(lost)
                ended += int(lost)
        assert (ended > 0) == (loss == 1.0)


def test_care_off_leaves_employment_as_it_was():
    """Stays that do not act on work (affects_work false) leave every job, search and exit
    exactly as with no admissions at all, while still costing the county; with them acting on
    work, employment moves."""
    off = run_replication(trial(size=150, admission_rate_per_month=0.0), 4, 0)
    inert = run_replication(trial(size=150, admission_rate_per_month=0.3, affects_work=False), 4, 0)
    on = run_replication(trial(size=150, admission_rate_per_month=0.3), 4, 0)
    for arm in ("ips", "usual"):
        for column, values in off.spells[arm].items():
            np.testing.assert_array_equal(inert.spells[arm][column], values)
        for column in EMPLOYMENT:
            np.testing.assert_array_equal(inert.clients[arm][column], off.clients[arm][column])
        for column in ("employed", "hours", "earnings_eur", "benefits_eur", "programme_cost_eur"):
            np.testing.assert_array_equal(inert.trajectories[arm][column],
                                          off.trajectories[arm][column])
        assert off.trajectories[arm]["inpatient_days"].sum() == 0
        assert inert.trajectories[arm]["inpatient_days"].sum() > 0
    assert not np.array_equal(on.spells["usual"]["start_day"], off.spells["usual"]["start_day"])


SMALL = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SMALL
@given(st.integers(0, 2**32 - 1))
def test_more_admissions_more_hospital_days(seed):
    low = run_replication(trial(admission_rate_per_month=0.01), seed, 0)
    high = run_replication(trial(admission_rate_per_month=0.15), seed, 0)
    for arm in ("ips", "usual"):
        assert high.metrics[arm]["inpatient_days_by_horizon_per_client"] > \
            low.metrics[arm]["inpatient_days_by_horizon_per_client"]
        assert high.metrics[arm]["care_cost_eur_pv"] > low.metrics[arm]["care_cost_eur_pv"]


@SMALL
@given(st.integers(0, 2**32 - 1))
def test_a_stronger_effect_saves_more_care_in_ips(seed):
    """A lower relative admission rate with support and work lowers the IPS arm's admissions
    against usual services (the difference falls)."""
    none = run_replication(trial(size=200, admission_rate_per_month=0.1, relative_rate=1.0),
                           seed, 0)
    strong = run_replication(trial(size=200, admission_rate_per_month=0.1, relative_rate=0.2),
                             seed, 0)
    metric = "admissions_by_horizon_per_client"
    assert strong.metrics["difference"][metric] < none.metrics["difference"][metric]
    assert strong.metrics["difference"]["care_saved_eur_pv"] > \
        none.metrics["difference"]["care_saved_eur_pv"]


@SMALL
@given(st.integers(0, 2**32 - 1))
def test_job_loss_shortens_work(seed):
    kept = run_replication(trial(size=150, admission_rate_per_month=0.3, job_loss_share=0.0),
                           seed, 0)
    lost = run_replication(trial(size=150, admission_rate_per_month=0.3, job_loss_share=1.0),
                           seed, 0)
    metric = "months_employed_by_horizon_per_client"
    for arm in ("ips", "usual"):
        assert lost.metrics[arm][metric] < kept.metrics[arm][metric]


@SMALL
@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(1.0, 500.0))
def test_usual_services_replaced_in_ips(low, high, price):
    """Pricing the services dearer raises both arms' cost; IPS replacing more of them lowers
    the IPS arm's cost and leaves the usual arm's (accounting only: the same histories)."""
    low, high = sorted((low, high))
    base = trial(size=40, admission_rate_per_month=0.0)
    result = run_replication(base, 9, 0)
    costs = {}
    for share in (low, high):
        econ = base.economics
        services = {name: s.model_copy(update={"replaced_in_ips": share, "eur_per_month": price})
                    for name, s in econ.usual_services.each().items()}
        scenario = base.model_copy(update={"economics": econ.model_copy(update={
            "usual_services": econ.usual_services.model_copy(update=services)})})
        costs[share] = {arm: run_replication(scenario, 9, 0).metrics[arm]["usual_services_cost_eur_pv"]
                        for arm in ("ips", "usual")}
    assert costs[high]["ips"] <= costs[low]["ips"] + 1e-6
    assert costs[high]["usual"] == pytest.approx(costs[low]["usual"])
    assert costs[low]["usual"] > 0
    assert result.metrics["usual"]["usual_services_cost_eur_pv"] > 0


@pytest.mark.parametrize(("field", "value", "words"), [
    ("care.admission_rate_per_month", -0.1, "greater than or equal to 0"),
    ("care.relative_rate", 0.0, "greater than 0"),
    ("care.relative_rate", 1.5, "less than or equal to 1"),
    ("care.job_loss_share", 2.0, "less than or equal to 1"),
    ("care.outpatient_visits_per_month", {"working": -1.0}, "greater than or equal to 0"),
    ("economics.care.inpatient_day_eur", "650", "number"),
    ("economics.usual_services.day_activities.payers", {"state": 0.5}, "sum to 1"),
])
def test_bad_care_parameters_are_refused_in_one_line(field, value, words):
    data = {"name": "x", "mode": "trial", "regions": [{"name": "A", "coaches": 1,
                                                       "cohort_size": 5}]}
    node = data
    *parents, last = field.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    if last == "payers":
        node.update(eur_per_month=80.0, replaced_in_ips=0.3)
    with pytest.raises(InputError) as error:
        validate(Scenario, data, "scenario", InputError)
    message = str(error.value)
    assert "\n" not in message and field.split(".")[-1] in message and words in message


def test_default_rates_read_the_evidence():
    """The default admission rate gives OUT-H1's 31% in 18 months to a client who neither works
    nor has a coach, a little above it (the vocational arm spent some time in work, at a lower
    rate); the relative rate is OUT-H1's hazard ratio."""
    care = small_scenario().care
    assert 0.31 < 1 - math.exp(-18 * care.admission_rate_per_month) < 0.34
    assert care.relative_rate == pytest.approx(math.log(0.8) / math.log(0.69), abs=0.01)
