"""Follow-along support: a working client on a caseload takes ``coaching.follow_along_weight``
of a place, nobody is admitted above the cap, and the capacity and sizing figures count a day in
work with the coach at that weight."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ipssim.model.simulation as simulation
from conftest import SMALL, small_scenario
from ipssim.experiments.capacity import place_days
from ipssim.experiments.runner import run_replication
from ipssim.experiments.sizing import utilisation
from ipssim.model.coaches import Team, follow_along_weight, place_units
from ipssim.scenario.load import parse_scenario
from ipssim.scenario.schema import Scenario

CHECK_EVERY = 3.3
"""Days between checks of every caseload (off the model's weekly and review days)."""


def _busy(weight: float, cap: int = 4, **coaching: object) -> Scenario:
    """A small programme with more referrals than places, so caseloads are full."""
    return small_scenario(horizon_months=18, coaching={
        "caseload_cap": cap, "follow_along_weight": weight, **coaching})


class Watched(Team):
    """A team that records, at every check, each post's caseload against its clients, and
    asserts at each admission and each change of weight what the cap allows."""

    log: ClassVar[list[tuple[int, int, int, int]]] = []
    """(caseload in units, searching clients, working clients, units per place) per check."""
    above: ClassVar[list[bool]] = []
    """Per change of weight that raised a caseload above the cap: True if it was a return to a
    whole place (admissions are checked in ``_join``)."""

    def __init__(self, env, *args, **kwargs):
        super().__init__(env, *args, **kwargs)
        env.process(self._check())

    def _check(self):
        while True:
            yield self.env.timeout(CHECK_EVERY)
            now = self.env.now
            for coach in self.coaches:
                working = sum(c.job is not None and c.job.end_day > now for c in coach.clients)
                Watched.log.append((coach.caseload, len(coach.clients) - working, working,
                                    self.units))

    def _join(self, coach, client, units):
        # a whole place for a new client; a client moved from a cut post keeps its weight
        assert coach.caseload + units <= self.cap_units, "admitted above the cap"
        super()._join(coach, client, units)

    def weigh(self, client, working):
        coach = client.coach
        before = coach.caseload if coach is not None else 0
        super().weigh(client, working)
        if coach is not None and coach.caseload > max(before, self.cap_units):
            Watched.above.append(not working)  # raised above the cap: only by a return


@pytest.fixture
def watched(monkeypatch):
    monkeypatch.setattr(simulation, "Team", Watched)
    Watched.log, Watched.above = [], []
    return Watched


@pytest.mark.parametrize("weight", [0.5, 0.25, 0.3, 1.0])
def test_a_coach_with_k_searching_and_m_working_clients_holds_k_plus_w_m(watched, weight):
    scenario = _busy(weight)
    result = run_replication(scenario, 3, 0)
    units, follow = place_units(scenario.coaching)
    assert follow / units == pytest.approx(weight)
    assert watched.log and any(working for _, _, working, _ in watched.log)
    for load, searching, working, per_place in watched.log:
        assert load == searching * per_place + working * follow
    cap = scenario.coaching.caseload_cap
    if weight == 1.0:  # one client, one place: the cap is never passed
        assert np.all(result.trajectories["ips"]["max_caseload"] <= cap)
    else:  # the weighted caseload can pass the cap, by returns to a whole place only
        assert all(watched.above)


def test_freed_follow_along_capacity_takes_a_client_off_the_list_at_once():
    """With a lower weight, the same referrals wait less (the places freed serve the list)."""
    waits = {w: run_replication(_busy(w), 3, 0).metrics["ips"]["mean_wait_days"]
             for w in (1.0, 0.5)}
    assert waits[0.5] < waits[1.0]


@st.composite
def busy_programmes(draw) -> Scenario:
    return parse_scenario({
        "name": "busy", "mode": "programme", "horizon_months": draw(st.integers(4, 15)),
        "regions": [{**SMALL["regions"][0], "coaches": draw(st.integers(1, 3)),
                     "referrals_per_month": draw(st.floats(1.0, 12.0)),
                     "staffing": [{"month": draw(st.floats(1.0, 3.0)),
                                   "coaches": draw(st.integers(0, 3))}]}],
        "coaching": {"caseload_cap": draw(st.integers(1, 5)),
                     "follow_along_weight": draw(st.floats(0.1, 1.0)),
                     "capacity_cut_policy": draw(st.sampled_from(["keep_until_exit",
                                                                  "waiting_list"])),
                     "end_rate_working_per_month": draw(st.floats(0.0, 0.3))},
    })


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(busy_programmes(), st.integers(0, 2**32 - 1))
def test_nobody_is_admitted_above_the_cap_and_only_returns_pass_it(watched, scenario, seed):
    Watched.log, Watched.above = [], []
    run_replication(scenario, seed, 0)
    _, follow = place_units(scenario.coaching)
    for load, searching, working, per_place in Watched.log:
        assert load == searching * per_place + working * follow
    assert all(Watched.above)


def test_place_days_count_a_day_in_work_with_the_coach_at_the_weight():
    clients = {"start_day": np.array([10.0, math.nan, 0.0]),
               "exit_day": np.array([110.0, 5.0, math.nan])}
    spells = {"client_id": np.array([0, 0, 1, 2]), "start_day": np.array([0.0, 80.0, 0.0, 50.0]),
              "end_day": np.array([30.0, 200.0, 4.0, math.nan])}
    days = place_days(clients, spells, 0.5, 200.0)
    # client 0: 100 days, 20 + 30 of them in work; client 2: 200 days to the end, 150 in work
    assert days[0] == 100 - 0.5 * 50 and math.isnan(days[1]) and days[2] == 200 - 0.5 * 150
    assert place_days(clients, spells, 0.5, 100.0)[0] == 90 - 0.5 * 40  # cut at the end
    assert place_days(clients, spells, 1.0, 200.0)[[0, 2]].tolist() == [100.0, 200.0]


def test_sizing_utilisation_counts_follow_along_at_the_weight():
    scenario = _busy(0.5)
    result = run_replication(scenario, 3, 0)
    heads = parse_scenario({**SMALL, "horizon_months": 18,
                            "coaching": {"caseload_cap": 4, "follow_along_weight": 1.0}})
    weighted, by_heads = utilisation([result], scenario, 0), utilisation([result], heads, 0)
    assert 0 < weighted < by_heads  # heads may fill more than the places
    assert follow_along_weight(scenario.coaching) == 0.5
