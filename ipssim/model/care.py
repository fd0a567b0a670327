"""Psychiatric hospital stays as a SimPy process per client, beside the client's pathway.

Admissions follow a hazard that depends on the client's state (``scenario.care``, see
:class:`ipssim.scenario.care.Care`): in work, with a coach, neither. They are drawn as a
thinned Poisson process: candidate days come at the highest hazard (that of a client with
neither, as work and support only lower it), and a candidate is an admission with probability
hazard(state now) / highest. So a client costs one event per candidate (about one every four
years at the default), never an event a month, and the draws come from the client's own care
stream (:data:`ipssim.model.streams.CARE`), keyed like the client's luck and shared by both
arms: with no admission hazard, or with stays that do not act on work (``care.affects_work``),
the pathway's draws and events are exactly those of a run without care use.

A stay: the client is in hospital from admission to discharge (``Client.hospital_until``), and
takes no job offer meanwhile (the pathway turns it down: ``Pathway._try_hire``); since offers
come from memoryless clocks, turning down those that fall in a stay is the same as searching at
rate zero there. With ``care.job_loss_share`` the current job ends on the day of admission: its
spell's end is moved to that day and the pathway, asleep until the old end, is woken
(:data:`JOB_LOST`). Outpatient contacts and supported housing are not events: the accounts count
them from the days spent in each state (:mod:`ipssim.accounts.ledger`).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from statistics import NormalDist

import numpy as np
import simpy

from ipssim.model.clients import Client
from ipssim.model.streams import CARE, Luck, LuckCursor, compact
from ipssim.scenario.care import Care
from ipssim.vocabulary import MONTH_DAYS

NORMAL = NormalDist()
JOB_LOST = "job lost to a hospital stay"
"""The cause of the interrupt that wakes a working client whose job a stay has ended."""
GAP, ADMIT, STAY, JOB = range(4)
"""The purposes of a client's care stream: days to the next candidate admission, whether a
candidate is admitted, the length of a stay, whether it ends the job."""


class CareLuck(Luck):
    """A client's pre-drawn care uniforms (:data:`GAP`, :data:`ADMIT`, :data:`STAY`,
    :data:`JOB`), extended from their own sub-streams as :class:`Luck`'s are."""

    PURPOSES = ("gap", "admit", "stay", "job")
    BLOCK = 4
    WIDTH = len(PURPOSES) * BLOCK
    __slots__ = ()


class CareDraws:
    """A cohort's care streams (:class:`CareLuck`), shared by both arms, each client's built only
    when first needed.

    Every client's first candidate admission is drawn at referral from the first :data:`GAP`
    uniform, kept here as its exponential (:attr:`first_gaps`); for most clients it falls past
    the horizon, and a client whose first candidate comes never needs the rest of the stream.
    So a client's :class:`CareLuck`, and each arm's cursor over it, are made at the first
    candidate (:meth:`cursor`), with the same uniforms as if made at referral."""

    def __init__(self, seed: int, replication: int):
        self.seed = seed
        self.replication = replication
        self.first_gaps: list[float] = []
        """Per client (by ``client_id``): the first candidate's gap at rate 1."""
        self._starts: list[int] = []  # each region's first client_id
        self._values: list = []  # each region's uniforms, client after client (compact)
        self._lucks: dict[int, CareLuck] = {}

    def add_region(self, uniforms: np.ndarray) -> None:
        """The next region's clients' uniforms: (client, :attr:`CareLuck.WIDTH`), each client's
        purposes one block after the other."""
        self._starts.append(len(self.first_gaps))
        self._values.append(compact(uniforms.ravel()))
        self.first_gaps += [-math.log1p(-u) for u in uniforms[:, GAP * CareLuck.BLOCK].tolist()]

    def cursor(self, client_id: int) -> LuckCursor:
        """An arm's cursor over the client's care stream, its first :data:`GAP` uniform (that
        of :attr:`first_gaps`) already read."""
        luck = self._lucks.get(client_id)
        if luck is None:
            r = bisect_right(self._starts, client_id) - 1
            k, width = client_id - self._starts[r], CareLuck.WIDTH
            luck = self._lucks[client_id] = CareLuck(
                self.seed, (CARE, self.replication, r, k),
                self._values[r][k * width:(k + 1) * width])
        cursor = luck.cursor()
        cursor.uniform(GAP)
        return cursor


class CareUse:
    """Hospital stays of one arm's clients; records each stay."""

    def __init__(self, env: simpy.Environment, care: Care, horizon: float,
                 draws: CareDraws | None):
        """``draws``: the cohort's care streams (None when nobody is ever admitted)."""
        self.env = env
        self.draws = draws
        self.horizon = horizon
        """The arm's last day: a candidate after it is never scheduled (it could not fire)."""
        self.top = care.admission_rate_per_month / MONTH_DAYS
        self.working = care.relative_rate ** care.effect_from_work
        self.coached = care.relative_rate ** (1.0 - care.effect_from_work)
        self.job_loss = care.job_loss_share
        self.affects_work = care.affects_work
        mean, sd = care.stay_days_mean, care.stay_days_sd
        self.sdlog = math.sqrt(math.log1p((sd / mean) ** 2))
        self.meanlog = math.log(mean) - self.sdlog ** 2 / 2
        self.stays: list[tuple[int, float, float, bool]] = []
        """(client_id, admission day, discharge day, job ended) of every stay."""

    @property
    def on(self) -> bool:
        """Whether anyone is ever admitted."""
        return self.top > 0

    def relative(self, client: Client) -> float:
        """The client's admission hazard now over the highest (in work, with a coach, both)."""
        job = client.job
        relative = self.working if job is not None and job.end_day > self.env.now else 1.0
        return relative * self.coached if client.coach is not None else relative

    def start(self, client: Client) -> None:
        """The client's first candidate admission, from referral (now): as
        :meth:`_candidate_after` with no delay, its gap from :attr:`CareDraws.first_gaps`."""
        assert self.draws is not None  # care is on
        self._schedule(client, self.draws.first_gaps[client.client_id] / self.top)

    def _candidate_after(self, client: Client, delay: float) -> None:
        """Schedule the client's next candidate admission after ``delay`` days plus the gap
        drawn at the highest hazard."""
        self._schedule(client, delay + client.care_luck.exponential(GAP) / self.top)

    def _schedule(self, client: Client, after: float) -> None:
        """A candidate ``after`` days from now: a bare timeout with :meth:`_candidate` as its
        callback, so a candidate costs one event (no process to start or resume), and none past
        the horizon (about half of all candidates: every client's last)."""
        if self.env.now + after < self.horizon:
            self.env.timeout(after, client).callbacks.append(self._candidate)

    def _candidate(self, event: simpy.Event) -> None:
        """A candidate day: admitted with probability hazard(state) / highest; a stay starts,
        may end the job, and the next candidate is drawn from discharge (none in hospital)."""
        client: Client = event.value  # type: ignore[assignment]  # the timeout carries its client
        luck = client.care_luck
        if luck is None:  # the client's first candidate
            assert self.draws is not None  # care is on
            luck = client.care_luck = self.draws.cursor(client.client_id)
        if luck.uniform(ADMIT) >= self.relative(client):
            self._candidate_after(client, 0.0)
            return
        days = math.exp(self.meanlog + self.sdlog * NORMAL.inv_cdf(
            min(max(luck.uniform(STAY), 1e-12), 1 - 1e-12)))
        now = self.env.now
        self.stays.append((client.client_id, now, now + days, False))
        if not self.affects_work:
            self._candidate_after(client, days)
            return
        job = client.job
        ended = job is not None and job.end_day > now and luck.uniform(JOB) < self.job_loss
        client.hospital_until = now + days
        if ended:
            self.stays[-1] = (client.client_id, now, now + days, True)
            job.end_day = now
            process = client.process
            if process is not None and process.is_alive:
                process.interrupt(JOB_LOST)
        self._candidate_after(client, days)
