"""A coach's job pick (``EmployerMarket._steer``) draws by rejection from the open vacancies; it
must pick each with the old rule's probability: openness + (1 - openness) x relationship
strength, over the sum of those of every open vacancy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ipssim.model.employers import EmployerMarket, LabourMarket
from ipssim.model.engine import Environment
from ipssim.scenario.schema import Employers


def _market(attempts: int | None = None) -> tuple[EmployerMarket, list[int]]:
    env = Environment()
    labour = LabourMarket(Employers(), 40, 1000.0, np.random.default_rng(3))
    market = EmployerMarket(env, labour, 2, seed=9, key=(0, 0, 0))
    if attempts is not None:
        market.ATTEMPTS = attempts
    # Coach 0 knows a few employers well and some a little.
    market.contact(0, list(range(8)) * 3 + list(range(8, 16)))
    env.run(until=400.0)
    market._catch_up(env.now)
    return market, list(market._open_now(env.now))


def _old_rule(market: EmployerMarket, candidates: list[int], coach: int) -> np.ndarray:
    labour = market.labour
    decay = market._decay_factor(market.env.now)
    weights = np.array([labour.vacancy_openness[v] + labour.vacancy_reluctance[v]
                        * market._scaled[coach].get(labour.employer[v], 0.0) * decay
                        for v in candidates])
    return weights / weights.sum()


@pytest.mark.parametrize("attempts", [None, 1])
def test_coach_pick_has_the_old_rules_probabilities(attempts):
    """Chi-square over 6,000 picks (``attempts=1``: after one rejection the fallback weighs every
    vacancy, which must leave the probabilities unchanged)."""
    market, candidates = _market(attempts)
    assert len(candidates) >= 8
    expected = _old_rule(market, candidates, 0)
    assert expected.max() / expected.min() > 1.5  # the relationships matter
    rng = np.random.default_rng(12)
    draws = 6000
    picks = [market._steer(candidates, 0, u)[0] for u in rng.random(draws)]
    counts = np.array([picks.count(v) for v in candidates])
    assert counts.sum() == draws
    _, p = stats.chisquare(counts, expected * draws)
    assert p > 1e-3, (counts, expected * draws)


def test_coach_pick_returns_the_vacancys_acceptance():
    market, candidates = _market()
    expected = dict(zip(candidates, _old_rule(market, candidates, 0), strict=True))
    labour = market.labour
    for u in np.random.default_rng(1).random(50):
        chosen, accept = market._steer(candidates, 0, u)
        assert chosen in expected
        strength = market._scaled[0].get(labour.employer[chosen], 0.0) \
            * market._decay_factor(market.env.now)
        assert accept == pytest.approx(labour.vacancy_openness[chosen]
                                       + labour.vacancy_reluctance[chosen] * strength)


def test_open_vacancies_are_those_opened_and_not_closed_or_filled():
    market, candidates = _market()
    labour, now = market.labour, market.env.now
    assert sorted(candidates) == [v for v in range(len(labour.open_times))
                                  if labour.open_times[v] <= now < labour.close_day[v]]
    market._remove(candidates[0])
    assert candidates[0] not in market._open_now(now)


def test_bucketed_event_queue_keeps_simpys_order(monkeypatch):
    """The engine's bucketed queue processes events in the order of one heap (SimPy's): the
    same histories, bit for bit, with every event in one bucket."""
    from conftest import SCENARIOS
    from ipssim.experiments.runner import run_replication
    from ipssim.model import engine
    from ipssim.scenario.load import read_scenario_file

    scenario, _ = read_scenario_file(SCENARIOS / "finland_expansion_2023.yaml")
    bucketed = run_replication(scenario, 3, 1)
    monkeypatch.setattr(engine, "_PER_DAY", 0.0)  # one bucket: a plain heap
    heap = run_replication(scenario, 3, 1)
    assert bucketed.events == heap.events
    for table in ("clients", "spells"):
        for arm, columns in getattr(bucketed, table).items():
            for name, values in columns.items():
                other = getattr(heap, table)[arm][name]
                assert np.array_equal(values, other, equal_nan=values.dtype.kind == "f"), name
