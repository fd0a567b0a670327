"""Coaches and their team: hard caseload cap, FIFO waiting list, weekly employer contacts.

A team holds its coaches as objects with their own caseloads (not a ``simpy.Resource``), so the
per-coach caseload is observable and the cap is enforced per coach at every instant.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import simpy

from ipssim.employers import EmployerMarket
from ipssim.scenario import Coaching, Region


class Coach:
    """An employment specialist with a caseload and a weekly employer-contact budget."""

    __slots__ = ("caseload", "coach_id", "index")

    def __init__(self, coach_id: int, index: int):
        self.coach_id = coach_id
        self.index = index
        self.caseload = 0


class Team:
    """The coaches of one region, their team leaders, and the region's waiting list."""

    def __init__(self, env: simpy.Environment, region: Region, coaching: Coaching,
                 market: EmployerMarket, first_coach_id: int, close_day: float,
                 horizon_days: float, rng: np.random.Generator):
        self.env = env
        self.coaching = coaching
        self.cap = coaching.caseload_cap
        self.market = market
        self.coaches = [Coach(first_coach_id + i, i) for i in range(region.coaches)]
        self.team_leaders = region.team_leaders
        self.close_day = close_day
        self.waiting: deque[tuple[simpy.Event, object]] = deque()
        # (day, largest caseload of any coach) after every change: the caseload trace.
        self.caseload_trace: list[tuple[float, int]] = []
        self._max_caseload = 0
        quality = 1.0 + coaching.fidelity_slope * (region.fidelity - 100.0) / 25.0
        self.quality = max(quality, 0.0) * (1.0 if region.integrated else
                                            coaching.not_integrated_multiplier)
        # Offer-rate multiplier by caseload (0 to the cap): less coach time per client above full
        # attention means fewer job offers.
        full = coaching.full_attention_caseload
        self.multiplier = [self.quality * min(1.0, full / load) ** coaching.caseload_elasticity
                           if load else self.quality for load in range(self.cap + 1)]
        weeks = int(min(close_day, horizon_days) // 7) + 1
        # Each coach's employer contacts: how many in each week, and the employers, in order
        # (lists: read item by item every week).
        contacts = rng.poisson(coaching.employer_contacts_per_week, (region.coaches, weeks))
        counts = contacts.ravel().tolist()
        targets = rng.integers(0, len(market.openness), int(contacts.sum())).tolist()
        ends = np.cumsum(contacts.sum(axis=1)).tolist()
        self._contacts = [counts[c * weeks:(c + 1) * weeks] for c in range(region.coaches)]
        self._targets = [targets[start:end] for start, end in zip([0, *ends[:-1]], ends, strict=True)]
        for coach in self.coaches:
            env.process(self.work_week(coach))
        if math.isfinite(close_day):
            env.process(self.close())

    def request(self, client: object) -> simpy.Event:
        """Ask for a coach; the event's value is the coach, or None if the programme closed."""
        event = self.env.event()
        if self.env.now >= self.close_day:
            return event.succeed(None)
        coach = self._free_coach()
        if coach is not None and not self.waiting:
            self._assign(event, coach)
        else:
            self.waiting.append((event, client))
        return event

    def cancel(self, event: simpy.Event) -> None:
        """Remove an abandoned request from the waiting list."""
        self.waiting = deque(w for w in self.waiting if w[0] is not event)

    def release(self, coach: Coach) -> None:
        """A client leaves the caseload; the longest-waiting client takes the place."""
        coach.caseload -= 1
        if coach.caseload + 1 == self._max_caseload:
            self._max_caseload = max(c.caseload for c in self.coaches)
        self._trace()
        if self.waiting and self.env.now < self.close_day:
            event, _ = self.waiting.popleft()
            self._assign(event, coach)

    def work_week(self, coach: Coach):
        """Each week a coach contacts employers (a Poisson number, at random employers)."""
        env, market, close, index = self.env, self.market, self.close_day, coach.index
        targets = self._targets[index]
        first = 0
        for n in self._contacts[index]:
            yield env.timeout(7.0)
            if env.now >= close:
                return
            market.contact(index, targets[first:first + n])
            first += n

    def close(self):
        """At the programme's close everyone still waiting is turned away."""
        yield self.env.timeout(self.close_day)
        while self.waiting:
            event, _ = self.waiting.popleft()
            event.succeed(None)

    def _free_coach(self) -> Coach | None:
        best = None
        for coach in self.coaches:
            if coach.caseload < self.cap and (best is None or coach.caseload < best.caseload):
                best = coach
        return best

    def _assign(self, event: simpy.Event, coach: Coach) -> None:
        coach.caseload += 1
        self._max_caseload = max(self._max_caseload, coach.caseload)
        self._trace()
        event.succeed(coach)

    def _trace(self) -> None:
        self.caseload_trace.append((self.env.now, self._max_caseload))
