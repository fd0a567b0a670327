"""Employers: a regional population by sector, with vacancies that open and close, an openness
to hiring a person with a mental illness, and relationships with coaches that grow with contact.

A job is a match between a client and an open vacancy. The vacancy stream (when, where, how long
open) is drawn once per region and replication, so both arms face the same labour market.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from math import exp

import numpy as np
import simpy

from ipssim.scenario import Employers
from ipssim.streams import JOB, LuckCursor

MONTH_DAYS = 365.25 / 12


class LabourMarket:
    """The employers of one region and the vacancies they open over the horizon.

    Drawn once per replication and region and shared by both arms (read only), so both arms face
    the same labour market without drawing it twice.
    """

    def __init__(self, params: Employers, n_employers: int, horizon_days: float,
                 rng: np.random.Generator):
        self.params = params
        sectors = list(params.sectors)
        weights = np.array([params.sectors[s] for s in sectors])
        self.sector = rng.choice(len(sectors), size=n_employers, p=weights / weights.sum())
        self.sector_names = sectors
        openness = rng.beta(*params.openness_beta, size=n_employers)
        rate = n_employers * params.vacancies_per_employer_per_month / MONTH_DAYS
        n = rng.poisson(rate * horizon_days)
        # Vacancy i: the day it opens, its employer, the day it closes unless filled before.
        # Plain lists, not arrays: the matching loops read them item by item, and a list item
        # is read about twice as fast as an array item (no float object to build).
        opening_days = np.sort(rng.uniform(0.0, horizon_days, n))
        employer = rng.integers(0, n_employers, n)
        self.openness: list[float] = openness.tolist()
        self.opening_days: list[float] = opening_days.tolist()
        self.employer: list[int] = employer.tolist()
        self.vacancy_openness: list[float] = openness[employer].tolist()
        # 1 - openness, once per vacancy rather than at every coach's pick (the same float).
        self.vacancy_reluctance: list[float] = (1.0 - openness[employer]).tolist()
        self.close_day: list[float] = (
            opening_days + rng.exponential(params.vacancy_open_days_mean, n)).tolist()


class EmployerMarket:
    """One arm's view of a region's labour market: which vacancies are open, and coaches'
    relationships with employers."""

    def __init__(self, env: simpy.Environment, labour: LabourMarket, n_coaches: int):
        self.env = env
        self.labour = labour
        self.openness = labour.openness
        # Open vacancies, in the order they opened, plus some that have closed since the list was
        # last pruned; a vacancy leaves the list as soon as it is filled.
        self.open: list[int] = []
        self._prune_at = 16
        # Relationship strength of each coach with each employer. It decays exponentially at the
        # same rate for all, so it is kept scaled up by that decay since a reference day:
        # strength = scaled x exp(-(now - reference) / decay days). Decay then costs one exp()
        # per contact or match rather than one per employer.
        self._scaled = [[0.0] * len(labour.openness) for _ in range(n_coaches)]
        self._reference = 0.0
        self._decay = 1.0 / labour.params.relationship_decay_days
        self._gain = labour.params.relationship_gain_per_contact
        env.process(self.vacancies())

    def vacancies(self):
        """Open each vacancy at its day; it closes when filled or when its open period ends."""
        env, open_ = self.env, self.open
        timeout = env.timeout
        for vacancy, day in enumerate(self.labour.opening_days):
            yield timeout(day - env.now)
            open_.append(vacancy)
            if len(open_) >= self._prune_at:
                self._open_now(day)

    def _open_now(self, now: float) -> list[int]:
        """Drop expired vacancies from the open list and return it."""
        close_day = self.labour.close_day
        self.open[:] = [v for v in self.open if close_day[v] > now]
        self._prune_at = max(2 * len(self.open), 16)
        return self.open

    def _decay_factor(self, now: float) -> float:
        """exp(-(now - reference) / decay days): scaled strength x this = strength now.

        The reference day moves up to now, rescaling every strength, long before the scale
        could overflow.
        """
        elapsed = (now - self._reference) * self._decay
        if elapsed > 50.0:
            factor = exp(-elapsed)
            self._scaled = [[x * factor for x in row] for row in self._scaled]
            self._reference, elapsed = now, 0.0
        return exp(-elapsed)

    def forget(self, coach: int) -> None:
        """A coach left: the relationships of the post start again from nothing."""
        self._scaled[coach] = [0.0] * len(self.openness)

    def contact(self, coach: int, employers: Sequence[int]) -> None:
        """Contacts strengthen the coach's relationships (each closes part of the gap to 1)."""
        if not employers:
            return
        # strength + (1 - strength) x gain, on the scaled strength.
        keep, gain = 1.0 - self._gain, self._gain / self._decay_factor(self.env.now)
        scaled = self._scaled[coach]
        for employer in employers:
            scaled[employer] = scaled[employer] * keep + gain

    def match(self, luck: LuckCursor, coach: int | None) -> int | None:
        """Try to place a client in an open vacancy; return the employer, or None if no match.

        Without a coach the client picks an open vacancy at random and is hired with the
        employer's openness. A coach steers to vacancies where hiring is likelier and vouches
        for the client: acceptance is openness + (1 - openness) x relationship strength.
        """
        candidates = self._open_now(self.env.now)
        if not candidates:
            luck.uniform(JOB)
            luck.uniform(JOB)
            return None
        if coach is None:
            chosen = candidates[min(int(luck.uniform(JOB) * len(candidates)), len(candidates) - 1)]
            accept = self.labour.vacancy_openness[chosen]
        else:
            chosen, accept = self._steer(candidates, coach, luck.uniform(JOB))
        if luck.uniform(JOB) >= accept:
            return None
        candidates.remove(chosen)  # filled
        employer = self.labour.employer[chosen]
        if coach is not None:
            self.contact(coach, (employer,))
        return employer

    def _steer(self, candidates: list[int], coach: int, u: float) -> tuple[int, float]:
        """The coach's pick among open vacancies, in proportion to the chance each would hire."""
        labour = self.labour
        openness, reluctance, employer_of = (labour.vacancy_openness, labour.vacancy_reluctance,
                                             labour.employer)
        scaled, decay = self._scaled[coach], self._decay_factor(self.env.now)
        accepts = [openness[v] + reluctance[v] * scaled[employer_of[v]] * decay
                   for v in candidates]
        cumulative = list(accumulate(accepts))
        chosen = min(bisect_right(cumulative, u * cumulative[-1]), len(candidates) - 1)
        return candidates[chosen], accepts[chosen]
