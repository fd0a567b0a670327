"""Horizons up to 120 months are a supported use: every invariant holds over ten years, and the
no-coach job-finding rate follows time out of work (duration dependence)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy
import test_properties as props

from ipssim.experiments.runner import run_replication
from ipssim.model.clients import Baseline, Client
from ipssim.model.pathway import Pathway
from ipssim.model.streams import region_luck, region_uniforms
from ipssim.scenario.load import parse_scenario
from ipssim.vocabulary import YEAR_DAYS

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
