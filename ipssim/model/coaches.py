"""Coaches and their team: hard caseload cap, FIFO waiting list, weekly employer contacts, and
staffing that changes over time (hiring ramps, cuts, turnover with vacancies and ramp-up).

A team holds its coach posts as objects with their own caseloads (not a ``simpy.Resource``), so
the per-coach caseload is observable and the cap is enforced per post on admission: a client
only ever takes a free place at a post that accepts clients.

Follow-along (COA-17): a client working while on the caseload takes ``follow_along_weight`` of a
place, a searching client a whole one, so a coach's caseload is weighted. Caseloads are counted
in whole units of ``units`` per place (the weight rounded to a hundredth of a place, in the
fewest units that hold it: 1 at weight 1, 2 at 0.5), so every structure indexed by caseload stays
an integer array. A client is admitted only where a whole place is free (weighted caseload + 1 <=
the cap). A follow-along client whose job ends goes back to a whole place with the same coach
(continuity of the coach, an IPS principle), which may take the weighted caseload above the cap
until clients leave; the post then takes nobody new. The caseload trace and the offer-rate
multiplier read the weighted caseload (in places).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from fractions import Fraction
from heapq import heappop, heappush

import numpy as np
import simpy

from ipssim.model.clients import Client
from ipssim.model.employers import EmployerMarket, WeekOfContacts
from ipssim.scenario.schema import Coaching, Region
from ipssim.vocabulary import MONTH_DAYS

FILLED, VACANT, CLOSING, CLOSED = "filled", "vacant", "closing", "closed"
"""States of a coach post: a coach in it (taking clients while under the cap); waiting for a
replacement (its clients covered, no new ones); cut but keeping its clients until they exit;
not in use."""


def place_units(coaching: Coaching) -> tuple[int, int]:
    """(units per place, units a follow-along client takes): the follow-along weight rounded to a
    hundredth of a place, in the fewest whole units that hold it (1 and 1 at weight 1)."""
    weight = Fraction(round(coaching.follow_along_weight * 100), 100)
    return weight.denominator, weight.numerator


def follow_along_weight(coaching: Coaching) -> float:
    """The share of a place a working client on a caseload takes, as the coaches count it
    (rounded to a hundredth: :func:`place_units`)."""
    units, follow = place_units(coaching)
    return follow / units


def largest_caseload(coaching: Coaching) -> int:
    """The most units (:func:`place_units`) a post can hold: every client joined where there was
    room for at least the follow-along weight (a whole place for a new one), then all back at
    whole places (the cap itself at weight 1)."""
    units, follow = place_units(coaching)
    return coaching.caseload_cap * units // follow * units


def recruited_in_month(recruits: np.ndarray, month: int) -> int:
    """Recruits entering in ``month`` (0-based; one on the month's last day counted)."""
    return int(np.searchsorted(recruits, (month + 1) * MONTH_DAYS, side="right")
               - np.searchsorted(recruits, month * MONTH_DAYS, side="left"))


class Coach:
    """A coach post: its caseload (weighted, in units of :func:`place_units`), its clients, and
    how effective its coach is right now."""

    __slots__ = ("caseload", "clients", "coach_id", "effectiveness", "hired_day", "index", "staffed",
                 "state")

    def __init__(self, coach_id: int, index: int, state: str):
        self.coach_id = coach_id
        self.index = index
        self.caseload = 0
        self.clients: set[Client] = set()
        self.state = state
        self.staffed = state == FILLED  # a coach is in the post (and paid)
        self.effectiveness = 1.0
        self.hired_day = -math.inf  # the coaches of the first team count as experienced


class Team:
    """The coach posts of one region, its team leaders, and the region's waiting list."""

    def __init__(self, env: simpy.Environment, region: Region, coaching: Coaching,
                 market: EmployerMarket, first_coach_id: int, close_day: float,
                 horizon_days: float, rng: np.random.Generator,
                 recruits: np.ndarray | None = None):
        """``recruits``: the days a recruited trial's cohort enters (sorted); the team then
        follows its caseload month by month (:meth:`follow_caseload`) instead of a headcount."""
        self.env = env
        self.coaching = coaching
        self.cap = coaching.caseload_cap
        self.units, self.follow_units = place_units(coaching)
        self.cap_units = self.cap * self.units
        most = largest_caseload(coaching)
        self.market = market
        posts = region.posts
        staffed = region.coaches
        assert staffed is not None  # a validated region has a headcount (a budget gives one)
        if recruits is not None:
            staffed = min(max(1, math.ceil(recruited_in_month(recruits, 0) / self.cap)), posts)
        self.coaches = [Coach(first_coach_id + i, i, FILLED if i < staffed else CLOSED)
                        for i in range(posts)]
        self.team_leaders = region.team_leaders
        self.close_day = close_day
        self.rng = rng
        self.waiting: deque[tuple[simpy.Event, Client]] = deque()
        # (day, largest weighted caseload of any coach, in places) after every change: the
        # caseload trace.
        self.caseload_trace: list[tuple[float, float]] = []
        self._max_caseload = 0
        # How many posts have each caseload (0 to the most, in units), so the largest is known
        # at once.
        self._with_load = [0] * (most + 2)
        self._with_load[0] = posts
        # Posts with a whole place free, as one heap of caseload x posts + post number, checked
        # when read (an entry is current while the post is filled and still has that caseload),
        # so the free post with the lowest caseload (the first such post on ties) is found
        # without looking at every post.
        self._free: list[int] = []
        for coach in self.coaches:
            self._may_take(coach)
        # (day, coaches in post, team leaders, coaches hired so far) after every change.
        self.staffing_trace: list[tuple[float, int, int, int]] = []
        self.hires = staffed
        self._record_staffing()
        quality = 1.0 + coaching.fidelity_slope * (region.fidelity - 100.0) / 25.0
        self.quality = max(quality, 0.0) * (1.0 if region.integrated else
                                            coaching.not_integrated_multiplier)
        # Offer-rate multiplier by weighted caseload (in units, 0 to the most): less coach time
        # per client above full attention means fewer job offers.
        full = coaching.full_attention_caseload
        self.multiplier = [self.quality * min(1.0, full / (load / self.units))
                           ** coaching.caseload_elasticity if load else self.quality
                           for load in range(most + 1)]
        weeks = int(min(close_day, horizon_days) // 7) + 1
        # Each post's employer contacts: how many in each week, and the employers, in order
        # (lists: read item by item every week).
        contacts = rng.poisson(coaching.employer_contacts_per_week, (posts, weeks))
        counts = contacts.ravel().tolist()
        targets = rng.integers(0, len(market.openness), int(contacts.sum())).tolist()
        ends = np.cumsum(contacts.sum(axis=1)).tolist()
        self._contacts = [counts[c * weeks:(c + 1) * weeks] for c in range(posts)]
        self._targets = [targets[start:end] for start, end in zip([0, *ends[:-1]], ends, strict=True)]
        self._turnover = coaching.turnover_per_year / (12 * MONTH_DAYS)
        self._ramp_days = coaching.ramp_up_months * MONTH_DAYS
        if region.staffing or self._turnover > 0 or recruits is not None:
            for coach in self.coaches:
                env.process(self.work_week(coach))
        else:
            # Nobody is hired, cut or leaves, so each week's contacts are known in advance: the
            # market makes them when it next needs the relationships, instead of by an event a
            # coach a week (the same contacts, in the same order, at the same days).
            market.defer_contacts(self._weekly_contacts())
        for coach in self.coaches:
            if coach.state == FILLED:
                self._schedule_leaving(coach)
        if region.staffing:
            env.process(self.staffing([(c.month * MONTH_DAYS, c.coaches, c.team_leaders)
                                       for c in region.staffing]))
        if recruits is not None:
            env.process(self.follow_caseload(recruits))
        if math.isfinite(close_day):
            env.process(self.close())

    # -- clients ------------------------------------------------------------------------------

    def request(self, client: Client, first: bool = False) -> simpy.Event:
        """Ask for a coach; the event's value is the coach, or None if the programme closed.
        ``first`` puts the client at the front of the waiting list (a client whose post was cut)."""
        event = self.env.event()
        if self.env.now >= self.close_day:
            return event.succeed(None)
        coach = self._free_coach()
        if coach is not None and not self.waiting:
            self._assign(event, coach, client)
        elif first:
            self.waiting.appendleft((event, client))
        else:
            self.waiting.append((event, client))
        return event

    def cancel(self, event: simpy.Event) -> None:
        """Remove an abandoned request from the waiting list."""
        self.waiting = deque(w for w in self.waiting if w[0] is not event)

    def weigh(self, client: Client, working: bool) -> None:
        """A client on a caseload starts (``working``) or stops following along: they take the
        follow-along weight of a place, or a whole one again with the same coach (which may
        take the caseload above the cap: the post then takes nobody new). A place freed goes to
        the longest-waiting client at once."""
        units = self.follow_units if working else self.units
        coach = client.coach
        if coach is None or client.place == units:
            return
        self._change(coach, units - client.place)
        client.place = units
        self._trace()
        if working:
            self._serve_waiting()

    def release(self, coach: Coach, client: Client) -> None:
        """A client leaves the caseload; the longest-waiting client takes the place."""
        self._leave(coach, client)
        if coach.state == CLOSING and not coach.caseload:
            coach.state = CLOSED
            coach.staffed = False
            self._record_staffing()
        self._trace()
        self._serve_waiting()

    # -- coaches ------------------------------------------------------------------------------

    def work_week(self, coach: Coach):
        """Each week a coach in post contacts employers (a Poisson number, at random employers)
        and, while new, grows into the job."""
        env, market, close, index = self.env, self.market, self.close_day, coach.index
        targets = self._targets[index]
        first = 0
        for n in self._contacts[index]:
            yield env.timeout(7.0)
            if env.now >= close:
                return
            if coach.staffed:
                market.contact(index, targets[first:first + n])
                if coach.effectiveness < 1.0 and coach.state == FILLED:
                    coach.effectiveness = self._effectiveness(coach)
            first += n

    def _weekly_contacts(self) -> Iterator[WeekOfContacts]:
        """Every week's contacts as ``work_week`` makes them, for a team whose posts never
        change: (day, [(post, employers), ...]) on each week's day (the clock's 7.0, 14.0, ...)
        with any contact, posts in order, none from the programme's close on."""
        coaches, close = self.coaches, self.close_day
        staffed = [c.index for c in coaches if c.staffed]
        firsts = [0] * len(coaches)
        weeks = len(self._contacts[0]) if coaches else 0
        day = 0.0
        for week in range(weeks):
            day = day + 7.0
            if day >= close:
                return
            contacts = []
            for index in staffed:
                n = self._contacts[index][week]
                if n:
                    first = firsts[index]
                    contacts.append((index, self._targets[index][first:first + n]))
                    firsts[index] = first + n
            if contacts:
                yield day, contacts

    def staffing(self, changes: list[tuple[float, int, int | None]]):
        """Headcount changes at their days: open or reopen posts, or cut them."""
        env = self.env
        for day, coaches, leaders in changes:
            if day > env.now:
                yield env.timeout(day - env.now)
            if env.now >= self.close_day:
                return
            if leaders is not None:
                self.team_leaders = leaders
            self._headcount(coaches)

    def follow_caseload(self, recruits: np.ndarray):
        """A recruited trial's coaches, set at each month's start to what the clients in IPS
        and the month's recruits need at the cap (at least one), so that nobody waits and no
        caseload exceeds it. Hiring follows the caseload actually there, as a trial hires for
        its participants; a post cut hands its clients to the other coaches (there is room for
        all of them, so nobody is moved to a waiting list), whatever ``capacity_cut_policy``
        says, as a trial team consolidates its caseloads."""
        env = self.env
        month = 1
        while month * MONTH_DAYS < self.close_day:
            yield env.timeout(month * MONTH_DAYS - env.now)
            self._headcount(self._needed(month, recruits), hand_over=True)
            month += 1

    def _needed(self, month: int, recruits: np.ndarray) -> int:
        """Coaches for the clients in IPS now and those recruited in ``month``, at the cap; at
        most the posts, and at least one while recruits are still to come."""
        in_ips = sum(c.caseload for c in self.coaches)  # weighted, in units
        needed = math.ceil((in_ips + recruited_in_month(recruits, month) * self.units)
                           / self.cap_units)
        still_to_come = len(recruits) and recruits[-1] >= month * MONTH_DAYS
        return min(max(needed, int(bool(still_to_come))), len(self.coaches))

    def _headcount(self, coaches: int, hand_over: bool = False) -> None:
        """Open or reopen posts, or cut them, to ``coaches`` in post (``hand_over``: a cut post's
        clients go to the other coaches, see :meth:`_cut`)."""
        active = [c for c in self.coaches if c.state in (FILLED, VACANT)]
        if coaches > len(active):
            self._open_posts(coaches - len(active))
        else:
            # Cut vacant posts first, then those with the fewest clients (latest first).
            order = sorted(active, key=lambda c: (c.state == FILLED, c.caseload, -c.index))
            for coach in order[:len(active) - coaches]:
                self._cut(coach, hand_over)
        self._record_staffing()
        self._trace()
        self._serve_waiting()

    def close(self):
        """At the programme's close everyone still waiting is turned away."""
        yield self.env.timeout(self.close_day)
        while self.waiting:
            event, _ = self.waiting.popleft()
            event.succeed(None)

    def _open_posts(self, n: int) -> None:
        """Bring ``n`` posts into use: posts still keeping clients after a cut first, then
        unused ones, each with a newly hired coach."""
        for coach in [c for c in self.coaches if c.state == CLOSING and c.staffed][:n]:
            coach.state = FILLED
            self._may_take(coach)
            n -= 1
        for coach in [c for c in self.coaches
                      if c.state == CLOSED or (c.state == CLOSING and not c.staffed)][:n]:
            self._hire(coach)

    def _cut(self, coach: Coach, hand_over: bool = False) -> None:
        """Close a post: its coach keeps the clients until each exits (``keep_until_exit``,
        unless ``hand_over``), or they move to free places of other coaches (a follow-along
        client to room for its weight) and, where there is none, to the front of the waiting
        list."""
        if self.coaching.capacity_cut_policy == "keep_until_exit" and coach.caseload and \
                not hand_over:
            coach.state = CLOSING  # a vacant post's clients stay covered, unpaid, until they exit
            return
        coach.state = CLOSED
        coach.staffed = False
        for client in sorted(coach.clients, key=lambda c: c.client_id):
            self._leave(coach, client)
            other = self._room(client.place)
            if other is not None:
                self._join(other, client, client.place)
            else:
                assert client.process is not None  # set when the client's IPS process starts
                client.process.interrupt("post cut")

    def _schedule_leaving(self, coach: Coach) -> None:
        if self._turnover > 0:
            self.env.process(self._leaving(coach, self.rng.exponential() / self._turnover))

    def _leaving(self, coach: Coach, after: float):
        """The coach leaves; the post stays vacant, then a replacement is hired."""
        env = self.env
        yield env.timeout(after)
        if coach.state != FILLED or env.now >= self.close_day:
            return  # cut meanwhile: the coach leaves with the post
        coach.state = VACANT
        coach.staffed = False
        coach.effectiveness = self.coaching.vacancy_cover
        self.market.forget(coach.index)
        self._record_staffing()
        yield env.timeout(self.coaching.vacancy_months * MONTH_DAYS)
        if coach.state == VACANT and env.now < self.close_day:
            self._hire(coach)
            self._record_staffing()
            self._serve_waiting()

    def _hire(self, coach: Coach) -> None:
        coach.state = FILLED
        self._may_take(coach)
        coach.staffed = True
        coach.hired_day = self.env.now
        coach.effectiveness = self._effectiveness(coach)
        self.hires += 1
        self._schedule_leaving(coach)

    def _effectiveness(self, coach: Coach) -> float:
        """A new coach's effectiveness, rising linearly to 1 over the ramp-up."""
        if self._ramp_days <= 0:
            return 1.0
        start = self.coaching.new_coach_effectiveness
        return min(1.0, start + (1.0 - start) * (self.env.now - coach.hired_day) / self._ramp_days)

    # -- places -------------------------------------------------------------------------------

    def _free_coach(self) -> Coach | None:
        """The filled post with a whole place free and the lowest caseload (the first on ties),
        if any."""
        coaches, free, posts = self.coaches, self._free, len(self.coaches)
        while free:
            load, index = divmod(free[0], posts)
            coach = coaches[index]
            if coach.state == FILLED and coach.caseload == load:
                return coach
            heappop(free)  # out of date: the post's caseload or state has changed
        return None

    def _room(self, units: int) -> Coach | None:
        """A filled post with room for ``units`` (a whole place: :meth:`_free_coach`; less, for
        a follow-along client moved from a cut post: the lowest caseload with room, looked up
        post by post as cuts are rare)."""
        coach = self._free_coach()
        if coach is None and units < self.units:
            fits = [c for c in self.coaches
                    if c.state == FILLED and c.caseload + units <= self.cap_units]
            coach = min(fits, key=lambda c: (c.caseload, c.index), default=None)
        return coach

    def _may_take(self, coach: Coach) -> None:
        """Note a filled post with a whole place free under its caseload (see ``_free``)."""
        if coach.state == FILLED and coach.caseload + self.units <= self.cap_units:
            heappush(self._free, coach.caseload * len(self.coaches) + coach.index)

    def _serve_waiting(self) -> None:
        """Give free places to the longest-waiting clients."""
        while self.waiting and self.env.now < self.close_day:
            coach = self._free_coach()
            if coach is None:
                return
            event, client = self.waiting.popleft()
            self._assign(event, coach, client)

    def _assign(self, event: simpy.Event, coach: Coach, client: Client) -> None:
        """A new client takes a whole place (the pathway weighs a working one at once)."""
        self._join(coach, client, self.units)
        event.succeed(coach)

    def _join(self, coach: Coach, client: Client, units: int) -> None:
        coach.clients.add(client)
        client.coach = coach
        client.place = units
        self._change(coach, units)
        self._trace()

    def _leave(self, coach: Coach, client: Client) -> None:
        coach.clients.discard(client)
        client.coach = None
        self._change(coach, -client.place)

    def _change(self, coach: Coach, units: int) -> None:
        """Add ``units`` (negative: take them) to the post's caseload and follow it in the
        caseload structures."""
        with_load = self._with_load
        with_load[coach.caseload] -= 1
        coach.caseload += units
        with_load[coach.caseload] += 1
        self._may_take(coach)
        if coach.caseload > self._max_caseload:
            self._max_caseload = coach.caseload
        while self._max_caseload and not with_load[self._max_caseload]:
            self._max_caseload -= 1

    def _trace(self) -> None:
        self.caseload_trace.append((self.env.now, self._max_caseload / self.units))

    def _record_staffing(self) -> None:
        in_post = sum(c.staffed for c in self.coaches)
        self.staffing_trace.append((self.env.now, in_post, self.team_leaders, self.hires))
