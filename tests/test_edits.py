"""The one rule for changing a region (``ipssim.scenario.edits``): a budget replaces a headcount,
eligible people replace referrals, and the other way round; whatever was derived is derived
again. Region defaults, dotted-path changes (``with_changes``, sweeps), the planner's levers, the
sizing of a team and the scenario file the page offers all follow it."""

from __future__ import annotations

import pytest
import yaml

from ipssim import api
from ipssim.experiments.sizing import candidate
from ipssim.scenario.edits import as_given, editable, edited, replaced
from ipssim.scenario.load import parse_scenario

BASE = {"name": "two_forms", "mode": "programme", "horizon_months": 24, "regions": [
    {"name": "Funded", "budget_eur_per_year": [300_000], "eligible_people": 3000,
     "uptake_per_year": 0.02, "employers": 30},
    {"name": "Staffed", "coaches": 2, "referrals_per_month": 4.0, "employers": 30}]}


@pytest.fixture(scope="module")
def base():
    return parse_scenario(BASE)


def test_each_form_replaces_the_other():
    assert replaced(["coaches"]) == {"budget_eur_per_year"}
    assert replaced(["budget_eur_per_year"]) == {"coaches", "team_leaders", "staffing"}
    assert replaced(["referrals_per_month"]) == {"eligible_people", "uptake_per_year"}
    assert replaced(["uptake_per_year"]) == {"referrals_per_month"}
    assert replaced(["fidelity"]) == set()


def test_a_validated_region_is_edited_from_what_it_gave(base):
    funded, staffed = (r.model_dump(exclude_none=True) for r in base.regions)
    assert funded["coaches"] == 4 and funded["referrals_per_month"] == 5.0  # derived
    assert {"coaches", "team_leaders", "staffing", "referrals_per_month"}.isdisjoint(as_given(funded))
    assert as_given(staffed) == staffed  # nothing derived
    assert [r["name"] for r in editable(base)["regions"]] == ["Funded", "Staffed"]


@pytest.mark.parametrize("region, change, expected", [
    (0, {"coaches": 3}, {"coaches": 3, "budget_eur_per_year": None}),
    (1, {"budget_eur_per_year": 300_000}, {"budget_eur_per_year": [300_000], "coaches": 4}),
    (0, {"referrals_per_month": 7.0}, {"referrals_per_month": 7.0, "eligible_people": None,
                                       "uptake_per_year": None}),
    (0, {"uptake_per_year": 0.04}, {"referrals_per_month": 10.0, "eligible_people": 3000}),
    (1, {"eligible_people": 1200, "uptake_per_year": 0.02}, {"referrals_per_month": 2.0}),
])
def test_with_changes_follows_the_rule(base, region, change, expected):
    """A dotted-path change gives the region the rule's edit, validated; the other region is
    untouched."""
    name = base.regions[region].name
    changed = api.with_changes(base, {f"regions[{name}].{k}": v for k, v in change.items()})
    values = {k: [v] if k == "budget_eur_per_year" else v for k, v in change.items()}
    data = editable(base)
    data["regions"][region] = edited(data["regions"][region], values)
    assert changed == parse_scenario(data)
    got = changed.regions[region]
    assert {k: getattr(got, k) for k in expected} == expected
    assert changed.regions[1 - region] == base.regions[1 - region]


def test_region_defaults_follow_the_rule():
    defaults = {"coaches": 2, "uptake_per_year": 0.02, "fidelity": 90}
    assert edited(defaults, {"budget_eur_per_year": [1.0], "referrals_per_month": 3.0}) == {
        "fidelity": 90, "budget_eur_per_year": [1.0], "referrals_per_month": 3.0}


def test_levers_sizing_and_the_scenario_file_follow_the_rule(base):
    coached = api.planned_scenario(base, api.Levers(
        budget_mode="coaches", region_coaches={"Funded": 5, "Staffed": 5}))
    assert [(r.coaches, r.budget_eur_per_year) for r in coached.regions] == [(5, None)] * 2
    referred = api.planned_scenario(base, api.Levers(referrals_per_year={"Funded": 24}))
    assert (referred.regions[0].referrals_per_month, referred.regions[0].eligible_people) == (2.0, None)
    assert referred.regions[0].coaches == 4  # the budget's headcount, bought again
    sized = candidate(base, 0, 6)
    assert (sized.regions[0].coaches, sized.regions[0].budget_eur_per_year) == (6, None)
    assert sized.regions[1] == base.regions[1]
    written = yaml.safe_load(api.scenario_yaml(base))
    assert {"coaches", "referrals_per_month"}.isdisjoint(written["regions"][0])
    assert written["regions"][1]["coaches"] == 2
    assert api.load_scenario(written) == base
