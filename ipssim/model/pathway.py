"""The IPS pathway and usual services as SimPy processes, one generator per client.

IPS (COA-18): referral, waiting list (with usual services meanwhile), engagement and vocational
profile, rapid job search with the coach, job start, follow-along support while working (COA-17),
job end and renewed search, exit (dropout, coaching ended, support no longer wanted, programme
closed). After exit, and in the
usual-services arm throughout, the client looks for work without a coach at the lower rate.

A way back in (``coaching.re_referral_rate_per_month``): a client who has left IPS, except at
the programme's close, may be referred again while the programme is open; the clock is the
client's own (``CLOCK`` draws), the client joins the waiting list like any referral and, once
placed, starts IPS afresh (engagement, search, follow-along). The client table records the first
referral; each later one is a row of :attr:`Pathway.returns`.

Work that builds on work (``employability.experience_effect``): the no-coach rate is multiplied
by (1 + effect x years worked since referral). Work only accumulates while working and the rate
only matters while not, so within a search the factor is a constant and the exact integration
below is unchanged. Which evidence fits it and which checks it, decided before any fit:
OUT-C5 (Bern, 5 years: 65% vs 33% in competitive work) is the calibration target that
identifies it (``europe_rct`` read at 60 months, the arms' difference, with IPS offered for
the 60 months as Bern did: ``rct_long_ever_competitive_difference`` in calibration/targets.yaml,
no longer validation);
OUT-L1..L3 have no control group (L1, L2) or report no share the model produces (L3), so they
stay validation, for the direction: former participants keep working years after IPS.

Without a coach the job-finding rate depends on time out of work
(``employability.duration_dependence``, :meth:`Pathway._no_coach_wait`): the evidence that the
arms stay apart for years (OUT-C5, Bern, 5 years: 65% vs 33% in competitive work; OUT-C3,
EQOLISE, 18 months: 55% vs 28%) cannot come from a constant no-coach rate, under which the
arms converge once coaching ends. With a coach the rate does not depend on time since referral
or out of work: coaching lasts months (COA-01), the first job comes within about four months
(TTJ-01/02), and no figure asks for a slope there (ASSUMPTION).

Work trials come among ordinary offers (``jobs.other_share``, from ``jobs.work_trials_from_day``)
and, for a client who has had no paid job, on a route of their own that the client's
employability does not scale (``jobs.trial_route_rate_per_month``): FIN-01 against FIN-03 says a
tenth of the Finnish clients had trials and no paid job (BAR-09: coaches saw trials as what
might help those still without work).

Job search uses a cumulative-hazard clock: one exponential draw per offer, spent at the current
offer rate, which the coach re-evaluates at every review (the caseload may have changed).

A client in hospital (:mod:`ipssim.model.care`) is not searching: an offer that comes during a
stay is turned down, which, the clocks being memoryless, is searching at rate zero there. A stay
that ends the job wakes the client from the wait for the job's end (:meth:`Pathway._work`).
"""

from __future__ import annotations

import math

import simpy

from ipssim.model.care import JOB_LOST
from ipssim.model.clients import Client
from ipssim.model.coaches import Team
from ipssim.model.employers import EmployerMarket
from ipssim.model.jobs import draw_job_type, draw_spell, earnings_cap
from ipssim.model.streams import CLOCK, JOB, SEARCH
from ipssim.scenario.schema import Scenario
from ipssim.vocabulary import MONTH_DAYS, YEAR_DAYS

INF = math.inf
ABANDONED = "abandoned"
LEVEL_ENDS = (YEAR_DAYS, 3 * YEAR_DAYS, INF)
"""Days out of work at which each level of the no-coach rate ends (``Pathway._no_coach_wait``)."""


class Pathway:
    """Client processes of one arm; collects every job spell they start."""

    def __init__(self, env: simpy.Environment, scenario: Scenario):
        self.env = env
        self.coaching = scenario.coaching
        self.jobs = scenario.jobs
        self.earnings_limit = scenario.economics.benefits.pension_earnings_limit_eur
        self.ips_rate = scenario.jobs.ips_offer_rate_per_month / MONTH_DAYS
        self.usual_rate = scenario.jobs.usual_offer_rate_per_month / MONTH_DAYS
        self.route_rate = scenario.jobs.trial_route_rate_per_month / MONTH_DAYS
        c = scenario.coaching
        self.dropout_rate = c.dropout_rate_per_month / MONTH_DAYS
        self.end_searching_rate = c.end_rate_searching_per_month / MONTH_DAYS
        self.end_working_rate = c.end_rate_working_per_month / MONTH_DAYS
        self.end_shape = c.end_hazard_shape
        # A recruited trial serves each participant for its service months (by default the
        # outcome window) from their own entry.
        self.service_days = scenario.service_months * MONTH_DAYS if \
            scenario.mode == "trial" and scenario.recruitment_months else INF
        self.re_referral_rate = c.re_referral_rate_per_month / MONTH_DAYS
        e = scenario.employability
        self.dependence = e.duration_dependence
        self.experience = e.experience_effect / YEAR_DAYS  # per day worked
        levels = e.work_history_multiplier
        # Relative level by years out of work: < 1, 1-3, > 3 (the BAS-10 categories).
        self.levels = (levels["under_1y"], levels["1_to_3y"], levels["over_3y"])
        # Per time since work at referral, each level's rate multiplier,
        # (level / level at referral) ** duration_dependence, with the day out of work it ends.
        self.level_spans = {category: tuple(((level / own) ** self.dependence, end)
                                           for level, end in zip(self.levels, LEVEL_ENDS,
                                                                 strict=True))
                            for category, own in levels.items()}
        self.years_at_referral = e.years_out_of_work_at_referral
        self.spells: list = []
        # Clients moved back to the waiting list by a cut post: [client_id, day moved, day
        # placed again (inf while still waiting)].
        self.requeues: list[list[float]] = []
        # Referrals after the first: [client_id, day referred again, day placed with a coach,
        # day left IPS] (NaN: not yet, or never placed).
        self.returns: list[list[float]] = []

    # -- the two arms -------------------------------------------------------------------------

    def ips(self, client: Client, team: Team, market: EmployerMarket):
        """Referral to exit under IPS, then usual services, until a re-referral (if any) starts
        the next round; usual services for the rest of the horizon after the last."""
        env = self.env
        client.process = env.active_process
        self._entry_job(client)
        record = None
        while True:
            reason = yield from self._referral(client, team, market, record)
            again = self._re_referral_day(client, team, reason)
            if again == INF:
                break
            yield from self._usual_services(client, market, until=again)
            record = [client.client_id, env.now, math.nan, math.nan]
            self.returns.append(record)
        yield from self._usual_services(client, market)

    def _referral(self, client: Client, team: Team, market: EmployerMarket,
                  record: list[float] | None):
        """One referral: the waiting list, IPS, exit; returns the exit reason. ``record``: the
        row of :attr:`returns` of a referral after the first (None: the first, recorded on the
        client)."""
        env = self.env
        coach = yield from self._wait(client, team, market, team.request(client))
        if coach == ABANDONED or coach is None:
            left = ABANDONED if coach == ABANDONED else "programme_closed"
            self._exit(client, left, record)
            return left
        client.ips_start = env.now
        if record is None:
            client.start_day = env.now
            client.coach_id = client.coach.coach_id
        else:
            record[2] = env.now
        engaged_at = env.now + self.coaching.engagement_days_mean * client.luck.exponential(CLOCK)
        reason: str | None = None
        while reason is None:
            try:
                reason = yield from self._coaching(client, team, market, engaged_at)
            except simpy.Interrupt as stop:
                if stop.cause is JOB_LOST:  # a job already over (a cut post came first)
                    continue
                requeue = [client.client_id, env.now, INF]
                self.requeues.append(requeue)
                coach = yield from self._placed(client, team, team.request(client, first=True))
                requeue[2] = env.now
                if coach is None:
                    reason = "programme_closed"
        if client.coach is not None:
            team.release(client.coach, client)
        self._exit(client, reason, record)
        return reason

    def _placed(self, client: Client, team: Team, request: simpy.Event):
        """Wait for a place (the request's value: a coach, or None when the programme closes).
        A client whose post is cut with no free place elsewhere is interrupted (see
        ``Team._cut``) and waits again at the front of the waiting list."""
        while True:
            try:
                yield request
                return request.value
            except simpy.Interrupt as stop:
                if stop.cause is not JOB_LOST:
                    request = team.request(client, first=True)

    def _wait(self, client: Client, team: Team, market: EmployerMarket, request: simpy.Event):
        """Wait on the list for a place: the coach, None if the programme closes, or
        ``ABANDONED`` once the client's patience runs out. Meanwhile the client has usual services
        (ASSUMPTION: the waiting list is not a gap in services), so keeps or looks for work at the
        usual rate, on the same random clock as in the usual-services arm. A client who finds a
        job stays on the list and starts IPS with follow-along support."""
        env = self.env
        patience = self.coaching.waiting_patience_days
        give_up = env.now + patience * client.baseline.patience_draw if patience is not None \
            else INF
        # A recruited trial serves a participant for its service months from entry: a return
        # still waiting when they end leaves the list as at the programme's close.
        service_end = client.referral_day + self.service_days
        offer_at = INF
        while not request.triggered:
            job = self._current_job(client)
            if job is None and offer_at == INF:
                offer_at = env.now + self._no_coach_wait(client, client.luck.exponential(SEARCH))
            wake = min(job.end_day if job is not None else offer_at, give_up, service_end)
            try:
                yield request | env.timeout(wake - env.now)
            except simpy.Interrupt as stop:
                if stop.cause is not JOB_LOST:
                    request = team.request(client, first=True)
                continue
            if request.triggered:
                break
            if env.now >= service_end:
                team.cancel(request)
                return None
            if env.now >= give_up:
                team.cancel(request)
                return ABANDONED
            if env.now >= offer_at:
                offer_at = INF
                self._try_hire(client, market, None, in_ips=False)
        return (yield from self._placed(client, team, request))

    def usual(self, client: Client, market: EmployerMarket):
        """Usual services: the same client, no coach, the lower job-finding rate."""
        client.process = self.env.active_process
        self._entry_job(client)
        client.exit_reason = "usual_services"
        yield from self._usual_services(client, market)

    # -- stages -------------------------------------------------------------------------------

    def _coaching(self, client: Client, team: Team, market: EmployerMarket, engaged_at: float):
        """Engagement (until ``engaged_at``), search and follow-along with the coach; returns the
        exit reason."""
        env = self.env
        close = min(team.close_day, client.referral_day + self.service_days)
        rate = self.ips_rate * client.baseline.employability
        while True:
            now = env.now
            job = self._current_job(client)
            team.weigh(client, job is not None)  # follow-along takes less of a place
            if job is not None:
                support_end = self._end_clock(client, self.end_working_rate)
                if job.end_day <= min(support_end, close):
                    yield from self._work(job.end_day)
                    self._job_over(client)
                    continue
                if (yield from self._work(min(support_end, close))):
                    continue  # the job ended in hospital: search again, with the coach
                return "completed" if support_end < close else "programme_closed"
            # The trial route (jobs.trial_route_rate_per_month) opens at work_trials_from_day
            # for a client with no paid job so far; a search stops there to add it.
            opens = self._route_opens(client)
            route = self.route_rate if now >= opens else 0.0
            dropout_at = now + self._clock(client, self.dropout_rate)
            ended_at = self._end_clock(client, self.end_searching_rate)
            deadline = min(dropout_at, ended_at, close)
            stop = opens if now < opens < deadline else deadline
            offered = False
            if now < engaged_at:
                yield env.timeout(min(engaged_at, stop) - now)
                if engaged_at < stop:
                    offered = yield from self._search(client, rate + route, team, stop)
            else:
                offered = yield from self._search(client, rate + route, team, stop)
            if not offered:
                if stop < deadline:
                    continue
                if deadline == close:
                    return "programme_closed"
                return "dropout" if deadline == dropout_at else "ended"
            trial = route > 0 and client.luck.uniform(JOB) * (rate + route) < route
            self._try_hire(client, market, client.coach.index, in_ips=True,
                           job_type="other" if trial else None)

    def _route_opens(self, client: Client) -> float:
        """Day the trial route opens for this client (infinity: never, or not any more)."""
        if (self.route_rate == 0.0 or not client.baseline.work_trials_allowed
                or not math.isnan(client.first_competitive_job_day)):
            return INF
        return client.ips_start + self.jobs.work_trials_from_day

    def _search(self, client: Client, rate: float, team: Team, deadline: float):
        """Spend one exponential clock at the coach-adjusted rate; True if an offer comes first.
        The rate follows the coach's caseload and effectiveness, re-read at every review."""
        env = self.env
        review = self.coaching.review_interval_days
        multiplier = team.multiplier
        remaining = client.luck.exponential(SEARCH)
        while True:
            now = env.now
            coach = client.coach
            current = rate * multiplier[coach.caseload] * coach.effectiveness
            round_end = now + review if now + review < deadline else deadline
            span = round_end - now
            if current * span >= remaining:
                yield env.timeout(remaining / current)
                return True
            remaining -= current * span
            yield env.timeout(span)
            if round_end == deadline:
                return False

    def _usual_services(self, client: Client, market: EmployerMarket, until: float = INF):
        """Work until the current job ends, then look for work without a coach; repeat, until
        day ``until`` (a re-referral), a job then going on."""
        env = self.env
        while True:
            job = self._current_job(client)
            if job is not None:
                if job.end_day >= until:
                    if not (yield from self._work(until)):
                        return
                    continue  # the job ended in hospital first
                yield from self._work(job.end_day)
                self._job_over(client)
            wait = self._no_coach_wait(client, client.luck.exponential(SEARCH))
            if env.now + wait >= until:
                yield env.timeout(until - env.now)
                return
            yield env.timeout(wait)
            self._try_hire(client, market, None, in_ips=False)

    def _re_referral_day(self, client: Client, team: Team, reason: str) -> float:
        """Day the client who left IPS for ``reason`` is referred again (infinity: never, as
        after the programme's close, or not while it is open)."""
        if self.re_referral_rate == 0.0 or reason == "programme_closed":
            return INF
        day = self.env.now + self._clock(client, self.re_referral_rate)
        return day if day < min(team.close_day, client.referral_day + self.service_days) else INF

    def _work(self, until: float):
        """Work until ``until``; True if a hospital stay ended the job first (the spell's end
        is then moved to the admission: :mod:`ipssim.model.care`)."""
        try:
            yield self.env.timeout(until - self.env.now)
        except simpy.Interrupt as stop:
            if stop.cause is not JOB_LOST:
                raise
            return True
        return False

    def _no_coach_wait(self, client: Client, budget: float) -> float:
        """Days until an offer without a coach: spend the exponential ``budget`` of cumulative
        hazard at the usual rate times the client's employability times
        (level(years out of work) / level at referral) ** ``duration_dependence`` times
        (1 + ``experience_effect`` x years worked since referral), a rate that
        is constant between the 1- and 3-year marks of time out of work (exact piecewise
        integration)."""
        rate = self.usual_rate * client.baseline.employability
        if self.experience:
            rate *= 1.0 + self.experience * client.worked_days
        if self.dependence == 0.0:
            return budget / rate
        if math.isnan(client.idle_from):
            years = self.years_at_referral[client.baseline.time_since_work]
            client.idle_from = client.referral_day - years * YEAR_DAYS
        out = self.env.now - client.idle_from
        waited = 0.0
        for relative, mark in self.level_spans[client.baseline.time_since_work]:
            if out + waited >= mark:
                continue
            current = rate * relative
            span = mark - (out + waited)
            if current * span >= budget:
                return waited + budget / current
            budget -= current * span
            waited += span
        return waited  # not reached: the last segment is unbounded

    # -- helpers ------------------------------------------------------------------------------

    def _current_job(self, client: Client):
        """The client's job if it is still going (a job held at referral may end while waiting)."""
        if client.job is not None and client.job.end_day <= self.env.now:
            self._job_over(client)
        return client.job

    @staticmethod
    def _job_over(client: Client) -> None:
        """The job has ended: time out of work counts from its end, and its days since referral
        add to the work done."""
        job = client.job
        client.idle_from = job.end_day
        client.worked_days += job.end_day - max(job.start_day, client.referral_day)
        client.job = None

    def _clock(self, client: Client, rate: float) -> float:
        return client.luck.exponential(CLOCK) / rate if rate > 0 else INF

    def _end_clock(self, client: Client, rate: float) -> float:
        """Day coaching ends if nothing else happens first, under a Weibull hazard in time since
        IPS start: cumulative hazard rate * YEAR_DAYS * (t / YEAR_DAYS) ** shape, so ``rate`` is the mean
        hazard over the first year. A fresh draw at each change of state is exact (the clock
        has no memory beyond the hazard's dependence on time in IPS)."""
        if self.end_shape == 1.0:
            return self.env.now + self._clock(client, rate)
        if rate <= 0:
            return INF
        shape, spent = self.end_shape, (self.env.now - client.ips_start) / YEAR_DAYS
        budget = client.luck.exponential(CLOCK) / (rate * YEAR_DAYS)
        return client.ips_start + YEAR_DAYS * (spent**shape + budget) ** (1.0 / shape)

    def _entry_job(self, client: Client) -> None:
        """A client working at referral (BAS-09) keeps that job until its tenure ends."""
        if client.baseline.main_activity == "working":
            client.job = draw_spell(client.client_id, client.luck, self.jobs, "competitive",
                                    self.env.now, -1, in_ips=False, at_entry=True)
            self.spells.append(client.job)

    def _try_hire(self, client: Client, market: EmployerMarket, coach: int | None,
                  in_ips: bool, job_type: str | None = None) -> None:
        """A job from an offer: of ``job_type``, or of the type drawn from the offer mix."""
        now = self.env.now
        if client.hospital_until > now:
            return  # in hospital: not searching, the offer is turned down
        if job_type is None:
            trials = not in_ips or now - client.ips_start >= self.jobs.work_trials_from_day
            job_type = draw_job_type(client.baseline, client.luck, self.jobs, trials)
        if job_type is None:
            return
        employer = market.match(client.luck, coach)
        if employer is None:
            return
        spell = draw_spell(client.client_id, client.luck, self.jobs, job_type, now, employer,
                           in_ips, earnings_cap_eur=earnings_cap(client.baseline, self.jobs,
                                                                 self.earnings_limit))
        client.job = spell
        self.spells.append(spell)
        if math.isnan(client.first_job_day):
            client.first_job_day = now
        if spell.competitive and math.isnan(client.first_competitive_job_day):
            client.first_competitive_job_day = now
        if spell.job_type == "competitive" and math.isnan(client.first_unsubsidised_job_day):
            client.first_unsubsidised_job_day = now

    def _exit(self, client: Client, reason: str, record: list[float] | None = None) -> None:
        """Leave IPS (or the waiting list): on the client for the first referral, else on its
        row of :attr:`returns`."""
        if record is None:
            client.exit_day = self.env.now
            client.exit_reason = reason
        else:
            record[3] = self.env.now
