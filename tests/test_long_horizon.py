"""Horizons up to 120 months are a supported use: every invariant holds over ten years, and the
no-coach job-finding rate follows time out of work (duration dependence)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import simpy
import test_properties as props

from ipssim.api import load_scenario, with_changes
from ipssim.experiments.runner import run_replication
from ipssim.model.clients import Baseline, Client
from ipssim.model.pathway import Pathway
from ipssim.model.streams import region_luck, region_uniforms
from ipssim.scenario.load import parse_scenario
from ipssim.scenario.schema import ScenarioError
from ipssim.vocabulary import MONTH_DAYS, YEAR_DAYS

ROOT = Path(__file__).resolve().parents[1]

LONG = [
    {"name": "long_trial", "mode": "trial", "horizon_months": 120, "outcome_window_months": 24,
     "regions": [{"name": "T", "coaches": 4, "cohort_size": 60, "employers": 30}]},
    {"name": "long_programme", "mode": "programme", "horizon_months": 120,
     "regions": [{"name": "P", "coaches": 2, "referrals_per_month": 2.0,
                  "referral_months": [0, 100], "operating_months": 110, "employers": 30}]},
]


@pytest.mark.parametrize("data", LONG, ids=[d["name"] for d in LONG])
def test_a_120_month_run_keeps_every_invariant(data):
    scenario = parse_scenario(data)
    result = run_replication(scenario, 11, 0)
    for arm in ("ips", "usual"):
        t = result.trajectories[arm]
        assert len(t["employed"]) == 120
        for name, values in t.items():
            assert not np.isnan(np.asarray(values, dtype=float)).any(), (arm, name)
        assert np.all(t["employed"] <= t["clients"])
    # the invariants the property tests check on short random scenarios
    for check in (props.test_every_client_in_exactly_one_state_at_each_month_end,
                  props.test_employment_counts_nest_and_spells_do_not_overlap,
                  props.test_money_identities):
        check.hypothesis.inner_test(scenario, 11)


BUNDLED = ["scenarios/europe_rct.yaml", "scenarios/finland_pilot.yaml",
           "scenarios/finland_national.yaml"]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: Path(p).stem)
def test_a_bundled_scenario_raised_to_120_months_keeps_every_invariant(path):
    """What a user does: raise ``horizon_months`` from 48 to 120 and nothing else. The windows
    follow the documented rule (Scenario.intake_months, Scenario.closing_month): the trial's IPS
    service runs until its last recruit's outcome window ends, the pilots keep their intake and
    close, a running programme (the national one, scaled down here) takes referrals and operates
    to the horizon."""
    base = load_scenario(ROOT / path)
    changes: dict[str, object] = {"horizon_months": 120}
    if base.name == "finland_national":  # one replication of 40,000 clients is too slow here
        changes |= {"regions": [region.model_dump(exclude_none=True)
                                | {"budget_eur_per_year": None, "coaches": 2, "staffing": [],
                                   "referrals_per_month": 2.0}
                                for region in base.regions[:2]]}
    scenario = with_changes(base, changes)
    result = run_replication(scenario, 5, 0)
    ips = result.trajectories["ips"]
    for arm in ("ips", "usual"):
        t = result.trajectories[arm]
        assert len(t["employed"]) == 120
        for name, values in t.items():
            assert np.isfinite(np.asarray(values, dtype=float)).all(), (arm, name)
        assert np.all(t["employed"] <= t["ever_employed"])
        assert np.all(t["ever_employed"] <= t["clients"])
    closes = [scenario.closing_month(region) for region in scenario.regions]
    clients = result.clients["ips"]
    if scenario.mode == "trial":
        assert closes == [scenario.recruitment_months + scenario.outcome_window_months]
    else:
        last = max(scenario.intake_months(region)[1] for region in scenario.regions)
        assert np.all(clients["referral_day"] < last * MONTH_DAYS)
        assert last == (30 if base.name == "finland_pilot" else 120)
    if all(close is not None for close in closes):
        close = int(max(closes))
        # nothing is paid (no coach, no fidelity review) and nobody is in IPS after the close
        assert not np.any(ips["programme_cost_eur"][close:])
        assert not np.any(ips["enrolled"][close:])
        assert np.all(np.nan_to_num(clients["exit_day"], nan=0.0) <= close * MONTH_DAYS + 1e-6)
    else:
        assert np.all(ips["programme_cost_eur"][-12:] > 0)
    # the invariants the property tests check on short random scenarios
    for check in (props.test_no_coach_ever_above_the_cap,
                  props.test_every_client_in_exactly_one_state_at_each_month_end,
                  props.test_employment_counts_nest_and_spells_do_not_overlap,
                  props.test_money_identities):
        check.hypothesis.inner_test(scenario, 5)


def _pathway(dependence: float) -> tuple[Pathway, Client]:
    scenario = parse_scenario({**LONG[0], "employability": {"duration_dependence": dependence}})
    env = simpy.Environment()
    pathway = Pathway(env, scenario)
    luck = region_luck(1, 0, 0, region_uniforms(1, 0, 0, 1))[0]
    baseline = Baseline(37.0, True, True, "unemployed", "labour_market_subsidy", "under_1y",
                        False, False, True, 1.0, 1.0, 1.0)
    return pathway, Client(0, 0, 0.0, baseline, luck)


def test_the_no_coach_rate_follows_time_out_of_work():
    pathway, client = _pathway(0.0)
    rate = pathway.usual_rate
    assert pathway._no_coach_wait(client, 0.5) == pytest.approx(0.5 / rate)
    pathway, client = _pathway(1.0)
    levels = pathway.levels
    assert levels == (1.0, 0.6, 0.3)
    # under a year out at referral (0.5 y): full rate for half a year, then 0.6, then 0.3
    half = 0.5 * YEAR_DAYS
    small = 0.1 * rate * half
    assert pathway._no_coach_wait(client, small) == pytest.approx(small / rate)
    budget = rate * half + 0.6 * rate * 2 * YEAR_DAYS + 0.3 * rate * 100.0
    assert pathway._no_coach_wait(client, budget) == pytest.approx(half + 2 * YEAR_DAYS + 100.0)
    # after a job the clock restarts: a long-unemployed client's rate rises back to the top level
    client.baseline = client.baseline._replace(time_since_work="over_3y")
    client.idle_from = 0.0
    top = rate * levels[0] / levels[2]
    assert pathway._no_coach_wait(client, 0.2 * top * YEAR_DAYS) == \
        pytest.approx(0.2 * YEAR_DAYS)
    assert math.isfinite(pathway._no_coach_wait(client, 1e3))


def test_scenario_windows_are_every_region_default_and_a_region_may_override():
    data = {**LONG[1], "referral_months": [0, 60], "operating_months": 72,
            "regions": [LONG[1]["regions"][0], {"name": "Q", "coaches": 1,
                                                 "referrals_per_month": 1.0, "employers": 5}]}
    scenario = parse_scenario(data)
    own, default = scenario.regions
    assert scenario.intake_months(own) == (0, 100) and scenario.closing_month(own) == 110
    assert scenario.intake_months(default) == (0, 60) and scenario.closing_month(default) == 72
    raised = with_changes(scenario, {"operating_months": 120})  # the horizon: runs to the end
    assert raised.closing_month(raised.regions[1]) is None
    for bad, message in (({"referral_months": [0, 130]}, "referral_months: intake must end by"),
                         ({"referral_months": [50, 40]}, "referral_months: give [first, last)"),
                         ({"operating_months": 0}, "operating_months")):
        with pytest.raises(ScenarioError, match=re.escape(message)) as caught:
            parse_scenario({**data, **bad})
        assert "\n" not in str(caught.value)
