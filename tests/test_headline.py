"""The headline rows of ``summary.csv`` add up: the money a planner reads in the headline is the
net effect for the public purse, and the absolute counts agree with the shares they come from."""

from __future__ import annotations

import math

import pytest
import yaml

import ipssim
from conftest import ROOT, small_scenario
from ipssim import api
from ipssim.planner import DERIVED_LINES
from ipssim.reports.numbers import UNITS, number_text, range_text, with_range
from ipssim.reports.page import cell
from ipssim.vocabulary import HEADLINE, PAYERS, PERSPECTIVES, summary_metrics


def test_money_adds_up_to_the_net_public_effect():
    """benefits saved + taxes gained + care saved + usual services saved - wage subsidy paid -
    programme cost = net public (all discounted, IPS minus usual services), in every
    replication's mean within rounding."""
    result = ipssim.run(small_scenario(), replications=3, seed=11)
    value = result.value
    parts = (value("benefits_saved_eur_pv") + value("taxes_gained_eur_pv")
             + value("care_saved_eur_pv") + value("usual_services_saved_eur_pv")
             - value("wage_subsidy_eur_pv") - value("programme_cost_eur_pv"))
    assert abs(parts - value("net_public_eur_pv")) < 1e-6 * max(1.0, abs(parts))
    assert value("wage_subsidy_eur_pv") != 0 or value("wage_subsidy_eur") == 0


def test_absolute_counts_match_the_shares():
    """In each replication the absolute increments are the shares' difference times the people
    referred (both arms share the clients), and served plus still waiting is at most referred."""
    result = ipssim.run(small_scenario(), replications=3, seed=11)
    for replication in result.replications:
        ips, difference = replication.metrics["ips"], replication.metrics["difference"]
        referred = ips["clients_referred"]
        extra = difference["ever_employed_competitive_by_horizon_share"] * referred
        assert abs(difference["additional_employed_competitive_by_horizon"] - extra) < 1e-9 * referred
        months = difference["months_employed_competitive_by_horizon_per_client"] * referred
        assert abs(difference["additional_months_worked_by_horizon"] - months) < 1e-9 * max(1.0, months)
        assert ips["clients_waiting_at_horizon"] >= 0
        assert ips["clients_started"] + ips["clients_waiting_at_horizon"] <= referred


def test_levers_make_a_scenario_and_name_themselves_in_errors():
    """A total budget is split by referrals; years funded bound intake and operation; a bad
    lever's one-line error starts with its name; the YAML reloads to the same scenario."""
    base = ipssim.load_scenario(ROOT / "scenarios" / "finland_pilot.yaml")
    levers = api.Levers(budget_mode="total", budget_eur_per_year=2_000_000, years_funded=3,
                        horizon_years=5, referrals_per_year={"Siun sote": 60.0}, caseload_cap=15)
    planned = api.planned_scenario(base, levers)
    demand = {r.name: r.referrals_per_month for r in planned.regions}
    assert demand["Siun sote"] == 5.0
    budgets = {r.name: r.budget_eur_per_year[0] for r in planned.regions}
    assert abs(sum(budgets.values()) - 2_000_000) < 1
    for region in planned.regions:
        assert abs(budgets[region.name] / 2_000_000 - demand[region.name] / sum(demand.values())) < 1e-6
        assert region.referral_months == (0, 36) and region.operating_months == 36
    assert planned.horizon_months == 60 and planned.coaching.caseload_cap == 15
    assert api.load_scenario(yaml.safe_load(api.scenario_yaml(planned))) == planned
    for bad, lever in ((api.Levers(caseload_cap=0), "caseload_cap"),
                       (api.Levers(horizon_years=12), "horizon_years"),
                       (api.Levers(years_funded=9), "years_funded"),
                       (api.Levers(discount_rate_percent=-1), "discount_rate"),
                       (api.Levers(budget_mode="total", budget_eur_per_year=1000), "budget_eur_per_year"),
                       (api.Levers(referrals_per_year={"Siun sote": None}), "regions")):
        with pytest.raises(api.LeverError) as error:
            api.planned_scenario(base, bad)
        message = str(error.value)
        assert "\n" not in message and error.value.lever == lever
        assert message.removeprefix("scenario: regions[0].").startswith(lever)


def test_headline_numbers_are_fixed_point_and_say_when_none():
    assert number_text(1234567.8, "eur") == "1,234,568 EUR"
    assert number_text(math.inf, "month") == "not within the horizon"
    assert number_text(31.0, "month") == "month 31"
    assert number_text(97.5, "people") == "97.5" and number_text(0.0, "people") == "0"
    assert number_text(1e9, "people") == "1,000,000,000"
    assert [number_text(v) for v in (12.345, 0.5541, 0.5, -0.0123, 99.96, 123.4)] == \
        ["12.3", "0.554", "0.5", "-0.0123", "100", "123"]
    assert number_text(1.25e-7) == "0.000000125" and number_text(2.5e20) == f"{2.5e20:,.0f}"


def test_one_formatter_and_one_sign_for_no_value():
    """The headline, the reports' tables and the console write a number the same way, and a
    missing value (NaN) as ``-`` in every unit."""
    assert {number_text(math.nan, unit) for unit in UNITS} == {"-"}
    assert cell(math.nan) == with_range(math.nan, 1.0, 2.0) == "-"
    for value in (0.5541, 12.345, 1234567.8, -3.0, math.inf):
        assert cell(value) == number_text(value) == with_range(value, value, value)
    assert with_range(5.0, 4.25, 6.0) == "5 [4.25, 6]" and range_text(4.25, 6.0) == "4.25 to 6"
    assert range_text(3.0, 3.0) == range_text(math.nan, 1.0) == ""
    line = api.Line("x", "x", 0.25, 0.125, 0.5, "share")
    assert (line.text, line.range_text) == ("25%", "12% to 50%")


def test_the_headline_list_is_made_of_summary_metrics():
    """Every row of the one headline list is a summary metric of its arm; every net effect (each
    payer and perspective) is in it; a run's headline is its rows, in order, between the
    derived lines, and nothing else."""
    for metric, arm, label, unit in HEADLINE:
        assert metric in summary_metrics(arm), (metric, arm)
        assert label and unit in UNITS
    keys = [metric for metric, *_ in HEADLINE]
    assert len(set(keys)) == len(keys) and not set(keys) & set(DERIVED_LINES)
    assert {f"net_{who}_eur_pv" for who in (*PAYERS, *PERSPECTIVES)} <= set(keys)
    result = ipssim.run(small_scenario(), replications=2, seed=11)
    with_gross = [k for key in keys for k in (
        (key, f"gross_ratio_{key.removeprefix('roi_')}") if key.startswith("roi_") else (key,))]
    assert [line.key for line in result.headline()] == [
        "coaches", *with_gross, "wait_p90", "utilisation", "cost_per_client_started",
        "cost_per_client_month"]
    lines = {line.key: line for line in result.headline()}
    for view in PERSPECTIVES:
        net, gross = lines[f"roi_{view}"], lines[f"gross_ratio_{view}"]
        assert (gross.mean, gross.lo95, gross.hi95) == (1 + net.mean, 1 + net.lo95, 1 + net.hi95)
        assert net.label.startswith("Net return") and gross.label.startswith("Gross benefit-cost")


def test_a_quick_run_bounds_its_headline_by_the_means_interval_not_a_range():
    """Below 40 replications a percentile of the replications is no range: every headline
    line's bounds are then its mean's 95% interval (mean +/- 1.96 Monte Carlo SEs), and say
    so; from 40 on, the 95% range over replications."""
    quick = ipssim.run(small_scenario(), replications=4, seed=11)
    summary = quick.summary.set_index(["metric", "arm"])
    lines = {line.key: line for line in quick.headline()}
    net = lines["net_public_eur_pv"]
    row = summary.loc[("net_public_eur_pv", "difference")]
    assert net.bounds == "95% interval of the mean"
    assert (net.lo95, net.hi95) == pytest.approx((row["mean"] - 1.96 * row["mc_se"],
                                                  row["mean"] + 1.96 * row["mc_se"]))
    assert (net.lo95, net.hi95) != pytest.approx((row["lo95"], row["hi95"]))
    assert {line.bounds for line in lines.values()} == {"95% interval of the mean"}
    assert "none is shown" in quick.range_note()
    full = ipssim.run(small_scenario(), replications=40, seed=11)
    row = full.summary.set_index(["metric", "arm"]).loc[("net_public_eur_pv", "difference")]
    net = {line.key: line for line in full.headline()}["net_public_eur_pv"]
    assert (net.bounds, net.lo95, net.hi95) == ("95% range", row["lo95"], row["hi95"])
