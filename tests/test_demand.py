"""Demand made explicit and scenarios that scale by pattern: eligible people x uptake, regions
from a CSV table, region defaults, and what each region's staff can serve against its demand."""

from __future__ import annotations

import copy

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SCENARIOS, SMALL, ipssim, write_yaml
from ipssim.experiments.capacity import IDLE_UTILISATION, capacity
from ipssim.planner import scenario_yaml
from ipssim.scenario.load import parse_scenario, read_scenario_file
from ipssim.scenario.schema import ScenarioError


def _region(**fields: object) -> dict:
    data = copy.deepcopy(SMALL)
    data["regions"][0].pop("referrals_per_month")
    data["regions"][0].update(fields)
    return data


@given(people=st.integers(1, 1_000_000), uptake=st.floats(0.001, 1.0))
@settings(max_examples=40, deadline=None)
def test_eligible_people_times_uptake_is_the_referral_rate(people, uptake):
    data = _region(eligible_people=people, uptake_per_year=uptake)
    if not 1 <= people * uptake <= 120_000:  # 12 months must expect a referral, at most 10,000 a month
        with pytest.raises(ScenarioError, match=r"regions\[(A|0)\]"):
            parse_scenario(data)
        return
    scenario = parse_scenario(data)
    region = scenario.regions[0]
    assert region.referrals_per_month == people * uptake / 12
    # the dumped scenario (both forms, consistent) loads again to the same scenario
    again = parse_scenario(scenario.model_dump(mode="python", exclude_none=True))
    assert again == scenario


@pytest.mark.parametrize(("fields", "message"), [
    ({"eligible_people": 1000}, "small: regions[A].uptake_per_year: give eligible_people and "
     "uptake_per_year together (or referrals_per_month alone)"),
    ({"uptake_per_year": 0.1}, "small: regions[A].eligible_people: give eligible_people and "
     "uptake_per_year together (or referrals_per_month alone)"),
    ({"eligible_people": 1000, "uptake_per_year": 0.1, "referrals_per_month": 5.0},
     "small: regions[A]: give referrals_per_month or eligible_people and uptake_per_year, not both"),
    ({"eligible_people": 1000, "uptake_per_year": 1.5},
     "small: regions[0].uptake_per_year: Input should be less than or equal to 1 (got 1.5)"),
    ({"eligible_people": 10.5, "uptake_per_year": 0.5},
     "small: regions[0].eligible_people: Input should be a valid integer (got 10.5)"),
    ({}, "small: regions[0].referrals_per_month: programme mode needs a rate > 0 (or "
     "eligible_people and uptake_per_year)"),
])
def test_demand_in_one_form_or_a_one_line_error(fields, message):
    with pytest.raises(ScenarioError) as error:
        parse_scenario(_region(**fields), source="small")
    assert str(error.value) == message


def test_region_defaults_apply_unless_a_region_gives_its_own(tmp_path):
    data = {"name": "patterned", "mode": "programme", "horizon_months": 12,
            "region_defaults": {"uptake_per_year": 0.02, "fidelity": 85, "coaches": 2,
                                "employers": 30},
            "regions": [{"name": "A", "eligible_people": 3000},
                        {"name": "B", "referrals_per_month": 4.0, "fidelity": 110},
                        {"name": "C", "eligible_people": 600, "budget_eur_per_year": [300000]}]}
    scenario = parse_scenario(data)
    a, b, c = scenario.regions
    assert (a.referrals_per_month, a.fidelity, a.coaches, a.employers) == (5.0, 85, 2, 30)
    assert (b.referrals_per_month, b.uptake_per_year, b.fidelity) == (4.0, None, 110)
    assert c.budget_eur_per_year == [300000] and c.coaches == 4  # bought, not the default's 2
    assert read_scenario_file(write_yaml(tmp_path / "p.yaml", data))[0] == scenario


def test_regions_from_a_table_equal_the_regions_written_out(tmp_path):
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "regions.csv").write_text(
        "name,eligible_people,budget_eur_per_year,employers,integrated\n"
        "North,2400,250000,40,false\n\nSouth,1200,,25,\n")
    table = {"name": "tabled", "mode": "programme", "horizon_months": 12,
             "region_defaults": {"uptake_per_year": 0.05, "coaches": 3},
             "regions_table": "tables/regions.csv",
             "regions": [{"name": "Extra", "referrals_per_month": 2.0}]}
    written = {"name": "tabled", "mode": "programme", "horizon_months": 12, "regions": [
        {"name": "North", "eligible_people": 2400, "uptake_per_year": 0.05,
         "budget_eur_per_year": [250000], "employers": 40, "integrated": False},
        {"name": "South", "eligible_people": 1200, "uptake_per_year": 0.05, "coaches": 3,
         "employers": 25},
        {"name": "Extra", "referrals_per_month": 2.0, "coaches": 3}]}
    loaded, digest = read_scenario_file(write_yaml(tmp_path / "t.yaml", table))
    assert loaded == parse_scenario(written)
    # the table is part of the scenario's hash
    (tmp_path / "tables" / "regions.csv").write_text(
        "name,eligible_people,budget_eur_per_year,employers,integrated\n"
        "North,2400,250000,40,false\nSouth,1300,,25,\n")
    assert read_scenario_file(tmp_path / "t.yaml")[1] != digest
    # and a variant elsewhere that extends it still finds the table
    (tmp_path / "variants").mkdir()
    variant = write_yaml(tmp_path / "variants" / "v.yaml", {"extends": "../t.yaml", "name": "v"})
    assert [r.name for r in read_scenario_file(variant)[0].regions] == ["North", "South", "Extra"]


@pytest.mark.parametrize(("csv", "message"), [
    ("name,referals_per_month\nA,3\n", "unknown column 'referals_per_month'; allowed: name, "),
    ("region,referrals_per_month\nA,3\n", "the first row must name the columns, one of them 'name'"),
    ("name,referrals_per_month\nA,3,4\n", "row 2: 3 cells for 2 columns"),
    ("name,referrals_per_month,coaches\nA,lots,2\n",
     "regions[0].referrals_per_month: Input should be a valid number (got 'lots')"),
    ("name,referrals_per_month,coaches\nA,3,2.5\n",
     "regions[0].coaches: Input should be a valid integer (got 2.5)"),
])
def test_a_bad_table_is_one_line_and_exit_2(tmp_path, csv, message):
    (tmp_path / "r.csv").write_text(csv)
    path = write_yaml(tmp_path / "s.yaml", {"name": "s", "mode": "programme", "horizon_months": 12,
                                            "regions_table": "r.csv"})
    done = ipssim("validate", path)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    missing = write_yaml(tmp_path / "m.yaml", {"name": "m", "mode": "programme",
                                               "regions_table": "none.csv"})
    assert ipssim("validate", missing).stderr.startswith(
        f"ipssim: error: regions table file not found: {tmp_path / 'none.csv'}")


def test_ten_counties_are_a_short_file_and_a_table():
    scenario, _ = read_scenario_file(SCENARIOS / "finland_ten_counties.yaml")
    assert len(scenario.regions) == 10
    assert len((SCENARIOS / "finland_ten_counties.yaml").read_text().split("\nname:")[1]
               .splitlines()) <= 8
    budgets = [r.budget_eur_per_year[0] for r in scenario.regions]
    assert sum(budgets) == pytest.approx(5_000_000, abs=5_000)
    demand = [r.referrals_per_month for r in scenario.regions]
    for budget, referrals in zip(budgets, demand, strict=True):  # split by demand
        assert budget / sum(budgets) == pytest.approx(referrals / sum(demand), abs=0.001)
    assert all(r.coaches >= 2 and r.fidelity == 85 and r.uptake_per_year == 0.03
               for r in scenario.regions)
    # what the planner's YAML writes out loads again to the same scenario
    assert parse_scenario(yaml.safe_load(scenario_yaml(scenario))) == \
        scenario.model_copy(update={"calibration": None})


def test_capacity_is_places_over_the_mean_stay_against_demand():
    scenario = parse_scenario({
        "name": "cap", "mode": "programme", "horizon_months": 24,
        "regions": [{"name": "idle", "coaches": 10, "referrals_per_month": 2.0},
                    {"name": "busy", "coaches": 2, "referrals_per_month": 20.0},
                    {"name": "fine", "coaches": 4, "referrals_per_month": 6.0}]})
    result = capacity(scenario)
    assert 100 < result.stay_days < 1000 and "cohort of 2,000" in result.source
    idle, busy, fine = result.regions
    assert (idle.places, busy.places) == (200, 40)
    assert idle.clients_per_year == pytest.approx(200 * 365.25 / result.stay_days)
    assert busy.referrals_per_year == 240
    assert idle.load < IDLE_UTILISATION and "places exceed demand" in idle.warning
    assert busy.load > 1 and "waiting list grows" in busy.warning
    assert IDLE_UTILISATION <= fine.load <= 1 and fine.warning == ""
    # the stay is the scenario's: longer coaching (rarer ends) gives a longer stay
    slower = parse_scenario({**scenario.model_dump(mode="python", exclude_none=True),
                             "coaching": {"end_rate_searching_per_month": 0.02,
                                          "end_rate_working_per_month": 0.02}})
    assert capacity(slower).stay_days > 1.3 * result.stay_days
    assert capacity(parse_scenario(
        {**SMALL, "mode": "trial", "regions": [{"name": "t", "coaches": 2, "cohort_size": 10}]})) is None


def test_validate_prints_what_each_region_buys():
    done = ipssim("validate", SCENARIOS / "finland_pilot.yaml")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    hus = next(line for line in lines if line.strip().startswith("HUS Psychiatry:"))
    assert "9 coaches and 1 team leader, 180 places" in hus and "clients a year; demand 55 " \
        "referrals a year" in hus and "warning: places exceed demand" in hus
    assert "mean stay in coaching in place-days" in lines[-1]
    assert "of this scenario's calibrated parameters" in lines[-1]


def test_levers_for_coaches_and_eligible_people():
    from ipssim import api

    base, _ = read_scenario_file(SCENARIOS / "finland_pilot.yaml")
    names = [r.name for r in base.regions]
    coached = api.planned_scenario(base, api.Levers(
        budget_mode="coaches", region_coaches=dict.fromkeys(names, 10)))
    assert [(r.coaches, r.team_leaders, r.budget_eur_per_year) for r in coached.regions] == \
        [(10, 2, None)] * len(names)  # one team leader per 9 coaches, rounded up
    eligible = dict(zip(names, (1000, 2000, 3000, 4000), strict=True))
    planned = api.planned_scenario(base, api.Levers(
        budget_mode="total", budget_eur_per_year=1_000_000, demand_mode="eligible",
        eligible_people=eligible, uptake_per_year=dict.fromkeys(names, 6.0)))
    assert [r.referrals_per_month for r in planned.regions] == \
        pytest.approx([n * 0.06 / 12 for n in eligible.values()])
    budgets = [r.budget_eur_per_year[0] for r in planned.regions]  # split by that demand
    assert budgets == pytest.approx([100_000, 200_000, 300_000, 400_000], abs=0.01)
    assert parse_scenario(yaml.safe_load(scenario_yaml(planned))) == planned
    for levers, message in (
            (api.Levers(budget_mode="coaches", region_coaches={names[0]: 2.5}),
             "regions: coaches for HUS Psychiatry must be a whole number"),
            (api.Levers(budget_mode="coaches"), "regions: give coaches for HUS Psychiatry, a whole "
             "number from 1 to 10,000"),
            (api.Levers(demand_mode="eligible", eligible_people=eligible),
             "regions: give the uptake for HUS Psychiatry, % of the eligible referred a year, "
             "above 0 to 100")):
        with pytest.raises(api.LeverError) as error:
            api.planned_scenario(base, levers)
        assert str(error.value) == message and error.value.lever == "regions"


def test_with_changes_derives_the_referrals_again_from_eligible_people():
    from ipssim import api

    scenario, _ = read_scenario_file(SCENARIOS / "finland_ten_counties.yaml")
    changed = api.with_changes(scenario, {"regions[*].uptake_per_year": 0.06})
    assert [r.referrals_per_month for r in changed.regions] == \
        pytest.approx([2 * r.referrals_per_month for r in scenario.regions])
    referred = api.with_changes(scenario, {"regions[Pirkanmaa].referrals_per_month": 3.0})
    pirkanmaa = next(r for r in referred.regions if r.name == "Pirkanmaa")
    assert (pirkanmaa.referrals_per_month, pirkanmaa.eligible_people) == (3.0, None)  # replaced
