"""Employers: a regional population by sector, with vacancies that open and close, an openness
to hiring a person with a mental illness, and relationships with coaches that grow with contact.

A job is a match between a client and an open vacancy. The vacancy stream (when, where, how long
open) is drawn once per region and replication, so both arms face the same labour market.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from itertools import accumulate
from math import exp

import numpy as np
import simpy

from ipssim.model.streams import JOB, MATCHING, LuckCursor, stream
from ipssim.scenario.schema import Employers
from ipssim.vocabulary import MONTH_DAYS

WeekOfContacts = tuple[float, list[tuple[int, list[int]]]]
"""A day's employer contacts: (day, [(coach, employers contacted), ...]) in the order made."""


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
        # The clock time at which each vacancy opens: the day as a chain of timeouts from day 0
        # reaches it (each waits ``day - now`` from the opening before), to the last bit.
        self.open_times: list[float] = _chained(opening_days)
        # Vacancies in the order their open period ends (ties by vacancy number).
        self.closing_order: list[int] = np.argsort(
            np.asarray(self.close_day), kind="stable").tolist()
        # Their closing days in that order (sorted), read in turn as the clock passes them.
        self.closing_days: list[float] = [self.close_day[v] for v in self.closing_order]


class EmployerMarket:
    """One arm's view of a region's labour market: which vacancies are open, and coaches'
    relationships with employers.

    Every operation costs the same whatever the size of the region (amortised, in expectation):
    the open vacancies are kept in a list with each one's position, so a vacancy is added,
    removed (filled, or closed by time) and drawn at random in constant time, and a coach's pick
    in proportion to the chance each would hire is drawn by rejection (see :meth:`_steer`).
    """

    ATTEMPTS = 64
    """Rejection proposals before a coach's pick falls back to weighing every open vacancy."""

    def __init__(self, env: simpy.Environment, labour: LabourMarket, n_coaches: int,
                 seed: int | None = None, key: tuple[int, ...] = ()):
        """``seed`` and ``key``: the market's own stream (``streams.MATCHING``), drawn from only
        if a coach's first proposal is rejected."""
        self.env = env
        self.labour = labour
        self.openness = labour.openness
        # Open vacancies (in no particular order) and each vacancy's place in the list (-1 when
        # not open). Vacancies open and close at known times, so they are added and removed when
        # a match next needs them (by two pointers over the opening and closing orders) rather
        # than by an event each.
        self.open: list[int] = []
        self._place = [-1] * len(labour.opening_days)
        self._opened = 0  # vacancies opened so far
        self._closed = 0  # vacancies, in order of closing day, whose closing day has passed
        self._next_change = -math.inf  # the next time a vacancy opens or closes by time
        # Relationship strength of each coach with each employer it has contacted (a dict per
        # coach: memory grows with the contacts, not coaches x employers). It decays
        # exponentially at the same rate for all, so it is kept scaled up by that decay since a
        # reference day: strength = scaled x exp(-(now - reference) / decay days). Decay then
        # costs one exp() per contact or match rather than one per employer.
        self._scaled: list[dict[int, float]] = [{} for _ in range(n_coaches)]
        self._reference = 0.0
        self._decay = 1.0 / labour.params.relationship_decay_days
        self._gain = labour.params.relationship_gain_per_contact
        # Coaches' weekly contacts not yet made (see ``defer_contacts``) and the next one due.
        self._deferred: Iterator[WeekOfContacts] = iter(())
        self._due: WeekOfContacts | None = None
        # Uniforms for a coach's rejected proposals (the first proposal uses the client's own).
        self._seed, self._key = seed, key
        self._rng: np.random.Generator | None = None
        self._spare: Iterator[float] = iter(())

    def _open_now(self, now: float) -> list[int]:
        """The vacancies open at ``now``: add those opened since the last match (unless already
        closed again), drop those closed since, and return the list.

        A vacancy opens at its ``open_times`` entry and closes when filled or when its open period
        ends (``close_day``). Both lists are walked from where the last call stopped: a call
        usually meets a handful of changes, fewer comparisons than a bisection of the lists
        (2% of a national replication's instructions, ``valgrind --tool=callgrind``)."""
        if now < self._next_change:
            return self.open
        labour = self.labour
        close_day, open_times = labour.close_day, labour.open_times
        open_, place = self.open, self._place
        opened, n = self._opened, len(open_times)
        while opened < n and open_times[opened] <= now:
            if close_day[opened] > now:
                place[opened] = len(open_)
                open_.append(opened)
            opened += 1
        self._opened = opened
        order, closing_days, closed = labour.closing_order, labour.closing_days, self._closed
        while closed < n and closing_days[closed] <= now:
            vacancy = order[closed]
            at = place[vacancy]
            if at >= 0:  # still open: removed as ``_remove`` does, written out
                last = open_.pop()
                if last != vacancy:
                    open_[at] = last
                    place[last] = at
                place[vacancy] = -1
            closed += 1
        self._closed = closed
        # Nothing opens or closes by time before this (a vacancy filled meanwhile is removed by
        # ``match`` itself).
        self._next_change = min(open_times[opened] if opened < n else math.inf,
                                closing_days[closed] if closed < n else math.inf)
        return open_

    def _remove(self, vacancy: int) -> None:
        """Take a vacancy out of the open list: the last one takes its place."""
        open_, place = self.open, self._place
        at, last = place[vacancy], open_.pop()
        if last != vacancy:
            open_[at] = last
            place[last] = at
        place[vacancy] = -1

    def _decay_factor(self, now: float) -> float:
        """exp(-(now - reference) / decay days): scaled strength x this = strength now.

        The reference day moves up to now, rescaling every strength, long before the scale
        could overflow.
        """
        elapsed = (now - self._reference) * self._decay
        if elapsed > 50.0:
            factor = exp(-elapsed)
            self._scaled = [{e: x * factor for e, x in row.items()} for row in self._scaled]
            self._reference, elapsed = now, 0.0
        return exp(-elapsed)

    def forget(self, coach: int) -> None:
        """A coach left: the relationships of the post start again from nothing."""
        self._scaled[coach] = {}

    def defer_contacts(self, weeks: Iterator[WeekOfContacts]) -> None:
        """Coaches' contacts known in advance: for each day with any, (day, [(coach, employers),
        ...]) in the order they happen. Each day's are made before the relationships are next
        used (a match with a coach), so relationships read exactly as if made on the day."""
        self._deferred = weeks
        self._due = next(weeks, None)

    def end(self) -> None:
        """The run is over: drop the contacts still deferred (their generator refers to the
        team, which refers to this market), so that reference counting frees both."""
        self._deferred, self._due = iter(()), None

    def _catch_up(self, now: float) -> None:
        """Make the deferred contacts due by ``now``, as :meth:`contact` would have on their day:
        the decay factor is the same for every contact of a day (a rescaling, if any, comes at
        the first), so it is taken once a day."""
        due, deferred = self._due, self._deferred
        keep = 1.0 - self._gain
        while due is not None and due[0] <= now:
            day, contacts = due
            gain = self._gain / self._decay_factor(day)
            rows = self._scaled
            for coach, employers in contacts:
                scaled = rows[coach]
                get = scaled.get
                for employer in employers:
                    scaled[employer] = get(employer, 0.0) * keep + gain
            due = next(deferred, None)
        self._due = due

    def contact(self, coach: int, employers: Sequence[int]) -> None:
        """Contacts strengthen the coach's relationships (each closes part of the gap to 1)."""
        if not employers:
            return
        # strength + (1 - strength) x gain, on the scaled strength.
        keep, gain = 1.0 - self._gain, self._gain / self._decay_factor(self.env.now)
        scaled = self._scaled[coach]
        get = scaled.get
        for employer in employers:
            scaled[employer] = get(employer, 0.0) * keep + gain

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
            self._catch_up(self.env.now)
            chosen, accept = self._steer(candidates, coach, luck.uniform(JOB))
        if luck.uniform(JOB) >= accept:
            return None
        self._remove(chosen)  # filled
        employer = self.labour.employer[chosen]
        if coach is not None:
            self.contact(coach, (employer,))
        return employer

    def _steer(self, candidates: list[int], coach: int, u: float) -> tuple[int, float]:
        """The coach's pick among open vacancies, in proportion to the chance each would hire
        (openness + (1 - openness) x strength, at most 1): by rejection, each proposal an open
        vacancy at random, taken with that chance.

        The first proposal and its test come from the client's uniform ``u`` (the whole part of
        ``u`` x open vacancies picks the vacancy, the fraction is the test), later ones from the
        market's own stream. After :attr:`ATTEMPTS` rejections the pick is made by weighing every
        open vacancy, which leaves the probabilities exact (each attempt is independent)."""
        labour = self.labour
        openness, reluctance, employer_of = (labour.vacancy_openness, labour.vacancy_reluctance,
                                             labour.employer)
        scaled, decay = self._scaled[coach], self._decay_factor(self.env.now)
        get = scaled.get
        n = len(candidates)
        for _ in range(self.ATTEMPTS):
            x = u * n
            index = int(x)
            if index >= n:
                index = n - 1
            v = candidates[index]
            accept = openness[v] + reluctance[v] * get(employer_of[v], 0.0) * decay
            if x - index < accept:
                return v, accept
            u = self._uniform()
        accepts = [openness[v] + reluctance[v] * get(employer_of[v], 0.0) * decay
                   for v in candidates]
        cumulative = list(accumulate(accepts))
        chosen = min(bisect_right(cumulative, u * cumulative[-1]), n - 1)
        return candidates[chosen], accepts[chosen]

    def _uniform(self) -> float:
        """The next uniform of the market's own stream (drawn in blocks)."""
        try:
            return next(self._spare)
        except StopIteration:
            if self._rng is None:
                if self._seed is None:
                    raise RuntimeError("a coach's pick needs the market's stream") from None
                self._rng = stream(self._seed, MATCHING, *self._key)
            self._spare = iter(self._rng.random(256).tolist())
            return next(self._spare)


def _chained(days: np.ndarray) -> list[float]:
    """Clock times reached by waiting ``day - now`` from day 0 for each day in turn (sorted).

    ``now + (day - now)`` is ``day`` itself whenever ``day - now`` is exact (always when
    ``now`` >= ``day`` / 2), so the times are the days except where a step is not: there, and
    until the chain lands on a day again, they are worked out one by one."""
    d = np.asarray(days, dtype=float)
    previous = np.concatenate(([0.0], d[:-1]))
    lands = previous + (d - previous) == d  # step i lands on day i if step i - 1 did
    times, day = d.tolist(), d.tolist()
    for i in np.flatnonzero(~lands).tolist():
        now = times[i - 1] if i else 0.0
        for j in range(i, len(day)):
            now = now + (day[j] - now)
            times[j] = now
            if now == day[j]:
                break
    return times
