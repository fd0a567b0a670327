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
        quality = 1.0 + coaching.fidelity_slope * (region.fidelity - 100.0) / 25.0
        self.quality = max(quality, 0.0) * (1.0 if region.integrated else
                                            coaching.not_integrated_multiplier)
        weeks = int(min(close_day, horizon_days) // 7) + 1
        self._contacts = rng.poisson(coaching.employer_contacts_per_week,
                                     (region.coaches, weeks)).tolist()
        self._targets = rng.integers(0, len(market.openness), int(sum(map(sum, self._contacts))))
        self._targets = self._targets.tolist()
        self._next_target = 0
        for coach in self.coaches:
            env.process(self.work_week(coach))
        if math.isfinite(close_day):
            env.process(self.close())

    def offer_multiplier(self, coach: Coach) -> float:
        """Less coach time per client above full attention means fewer job offers."""
        load = coach.caseload
        full = self.coaching.full_attention_caseload
        if load <= full:
            return self.quality
        return self.quality * (full / load) ** self.coaching.caseload_elasticity

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
        self._trace()
        if self.waiting and self.env.now < self.close_day:
            event, _ = self.waiting.popleft()
            self._assign(event, coach)

    def work_week(self, coach: Coach):
        """Each week a coach contacts employers (a Poisson number, at random employers)."""
        env = self.env
        for n in self._contacts[coach.index]:
            yield env.timeout(7.0)
            if env.now >= self.close_day:
                return
            for _ in range(n):
                self.market.contact(coach.index, self._targets[self._next_target])
                self._next_target += 1

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
        self._trace()
        event.succeed(coach)

    def _trace(self) -> None:
        self.caseload_trace.append((self.env.now, max(c.caseload for c in self.coaches)))
