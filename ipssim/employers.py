"""Employers: a regional population by sector, with vacancies that open and close, an openness
to hiring a person with a mental illness, and relationships with coaches that grow with contact.

A job is a match between a client and an open vacancy. The vacancy stream (when, where, how long
open) is drawn once per region and replication, so both arms face the same labour market.
"""

from __future__ import annotations

import math

import numpy as np
import simpy

from ipssim.scenario import Employers
from ipssim.streams import JOB, LuckCursor

MONTH_DAYS = 365.25 / 12


class Vacancy:
    __slots__ = ("close_day", "employer", "filled")

    def __init__(self, employer: int, close_day: float):
        self.employer = employer
        self.close_day = close_day
        self.filled = False


class EmployerMarket:
    """The employers of one region and the vacancies they open over the horizon."""

    def __init__(self, env: simpy.Environment, params: Employers, n_employers: int,
                 n_coaches: int, horizon_days: float, rng: np.random.Generator):
        self.env = env
        self.params = params
        sectors = list(params.sectors)
        weights = np.array([params.sectors[s] for s in sectors])
        self.sector = rng.choice(len(sectors), size=n_employers, p=weights / weights.sum())
        self.sector_names = sectors
        self.openness = rng.beta(*params.openness_beta, size=n_employers).tolist()
        rate = n_employers * params.vacancies_per_employer_per_month / MONTH_DAYS
        n = rng.poisson(rate * horizon_days)
        self._opening_days = np.sort(rng.uniform(0.0, horizon_days, n)).tolist()
        self._opening_employer = rng.integers(0, n_employers, n).tolist()
        self._open_days = rng.exponential(params.vacancy_open_days_mean, n).tolist()
        self.open: list[Vacancy] = []
        # Relationship strength of each coach with each employer, stored with the day it was set.
        self._strength = [[0.0] * n_employers for _ in range(n_coaches)]
        self._since = [[0.0] * n_employers for _ in range(n_coaches)]
        self._decay = 1.0 / params.relationship_decay_days
        env.process(self.vacancies())

    def vacancies(self):
        """Open each vacancy at its day; it closes when filled or when its open period ends."""
        env = self.env
        for day, employer, length in zip(self._opening_days, self._opening_employer,
                                         self._open_days, strict=True):
            yield env.timeout(day - env.now)
            self.open = [v for v in self.open if not v.filled and v.close_day > day]
            self.open.append(Vacancy(employer, day + length))

    def relationship(self, coach: int, employer: int) -> float:
        """Current strength in [0, 1]: it decays exponentially since the last contact."""
        return self._strength[coach][employer] * math.exp(
            -(self.env.now - self._since[coach][employer]) * self._decay)

    def contact(self, coach: int, employer: int) -> None:
        """A coach's employer contact strengthens the relationship (closes part of the gap to 1)."""
        strength = self.relationship(coach, employer)
        self._strength[coach][employer] = strength + (1.0 - strength) * \
            self.params.relationship_gain_per_contact
        self._since[coach][employer] = self.env.now

    def match(self, luck: LuckCursor, coach: int | None) -> int | None:
        """Try to place a client in an open vacancy; return the employer, or None if no match.

        Without a coach the client picks an open vacancy at random and is hired with the
        employer's openness. A coach steers to vacancies where hiring is likelier and vouches
        for the client: acceptance is openness + (1 - openness) x relationship strength.
        """
        now = self.env.now
        candidates = [v for v in self.open if not v.filled and v.close_day > now]
        self.open = candidates
        if not candidates:
            luck.uniform(JOB)
            luck.uniform(JOB)
            return None
        if coach is None:
            chosen = candidates[min(int(luck.uniform(JOB) * len(candidates)), len(candidates) - 1)]
            accept = self.openness[chosen.employer]
        else:
            accepts = []
            for v in candidates:
                o = self.openness[v.employer]
                accepts.append(o + (1.0 - o) * self.relationship(coach, v.employer))
            chosen, accept = _weighted_pick(candidates, accepts, luck.uniform(JOB))
        if luck.uniform(JOB) >= accept:
            return None
        chosen.filled = True
        if coach is not None:
            self.contact(coach, chosen.employer)
        return chosen.employer


def _weighted_pick(items: list[Vacancy], weights: list[float], u: float) -> tuple[Vacancy, float]:
    target = u * sum(weights)
    acc = 0.0
    for item, weight in zip(items, weights, strict=True):
        acc += weight
        if target < acc:
            return item, weight
    return items[-1], weights[-1]
