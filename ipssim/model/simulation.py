"""One replication: draw the shared cohort, simulate each arm, return what happened as tables.

The engine only records histories (clients, spells, caseloads); money and monthly trajectories
are computed from them afterwards by :mod:`ipssim.accounts.ledger`.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import NamedTuple

import numpy as np

from ipssim.model.care import CareDraws, CareLuck, CareUse
from ipssim.model.clients import Baseline, BaselineSampler, Client
from ipssim.model.coaches import Team
from ipssim.model.employers import EmployerMarket, LabourMarket
from ipssim.model.engine import Environment
from ipssim.model.pathway import Pathway
from ipssim.model.streams import (
    BASELINE,
    CARE,
    COACHES,
    EARNINGS_LIMIT,
    EMPLOYERS,
    REFERRALS,
    Luck,
    region_luck,
    region_uniforms,
    stream,
)
from ipssim.scenario.schema import Scenario, recruitment_days
from ipssim.vocabulary import ARMS, MONTH_DAYS


def events_processed(env: Environment) -> int:
    """How many model events ``env`` has processed (for the benchmark); call it once, after the
    run.

    SimPy numbers every event it schedules and each step pops one event off the queue, so the
    events processed are those numbered minus those still queued, less the run's own stop event.
    Unlike overriding ``step``, this adds nothing to the cost of an event.
    """
    return next(env._eid) - env.pending() - 1


class CohortMember(NamedTuple):
    client_id: int
    region: int
    referral_day: float
    baseline: Baseline
    luck: Luck


@dataclass
class Cohort:
    """What both arms of a replication share: the clients referred and each region's labour
    market (drawn once, so neither is drawn again for the second arm)."""

    members: list[CohortMember]
    labour_markets: list[LabourMarket]
    baseline_table: dict[str, np.ndarray]
    care: CareDraws | None = None
    """The members' care streams (None when nobody is ever admitted: ``model.care``)."""


@dataclass
class ArmHistory:
    """Columnar record of one arm of one replication."""

    clients: dict[str, np.ndarray]
    spells: dict[str, np.ndarray]
    caseload_traces: list[np.ndarray]
    staffing_traces: list[np.ndarray]
    """Per region (IPS arm only): rows of (day, coaches in post, team leaders, coaches hired so
    far) from day 0 and after every change."""
    events: int
    requeues: np.ndarray
    """Rows of (client_id, day moved back to the waiting list by a cut post, day placed again;
    inf if still waiting at the horizon)."""
    stays: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    """Hospital stays, rows of (client_id, admission day, discharge day, 1 if the stay ended
    the client's job else 0), in order of admission (``model.care``)."""
    returns: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    """Referrals after a client's first (IPS arm, ``coaching.re_referral_rate_per_month``), rows
    of (client_id, day referred again, day placed with a coach, day left IPS or the waiting
    list), in order of the day referred; NaN: never placed, or not yet left at the horizon."""


def horizon_days(scenario: Scenario) -> float:
    return scenario.horizon_months * MONTH_DAYS


def close_day(scenario: Scenario, region_index: int) -> float:
    months = scenario.closing_month(scenario.regions[region_index])
    return math.inf if months is None else months * MONTH_DAYS


def draw_cohort(scenario: Scenario, seed: int, replication: int) -> Cohort:
    """Everyone referred within the horizon, with baseline and luck, and the regions' labour
    markets: what both arms share."""
    horizon = horizon_days(scenario)
    sampler = BaselineSampler(scenario.clients, scenario.employability)
    members: list[CohortMember] = []
    housing: list[np.ndarray] = []
    care_draws = CareDraws(seed, replication) if scenario.care.admission_rate_per_month > 0 \
        else None
    for r, region in enumerate(scenario.regions):
        if scenario.mode == "trial":
            days = recruitment_days(region.cohort_size, scenario.recruitment_months)
        else:
            first, last = scenario.intake_months(region)
            start, stop = first * MONTH_DAYS, min(last * MONTH_DAYS, horizon)
            rng = stream(seed, REFERRALS, replication, r)
            span = max(stop - start, 0.0)
            n = rng.poisson(region.referrals_per_month * span / MONTH_DAYS)
            days = np.sort(rng.uniform(start, stop, n)) if span > 0 else np.zeros(0)
        uniforms = region_uniforms(seed, replication, r, len(days))
        lucks = region_luck(seed, replication, r, uniforms)
        limit_draws = stream(seed, EARNINGS_LIMIT, replication, r).random(len(days))
        baselines = sampler.draw(uniforms[:, BASELINE], limit_draws)
        care = stream(seed, CARE, replication, r).random((len(days), 1 + CareLuck.WIDTH))
        housing.append(care[:, 0] < scenario.care.supported_housing_share)
        if care_draws is not None:
            care_draws.add_region(care[:, 1:])
        for day, baseline, luck in zip(days.tolist(), baselines, lucks, strict=True):
            members.append(CohortMember(len(members), r, day, baseline, luck))
    labour_markets = [LabourMarket(scenario.employers, region.employers, horizon,
                                   stream(seed, EMPLOYERS, replication, r))
                      for r, region in enumerate(scenario.regions)]
    table = _baseline_table([m.baseline for m in members])
    table["supported_housing"] = np.concatenate([np.zeros(0, dtype=bool), *housing])
    table["supported_housing"].flags.writeable = False
    return Cohort(members, labour_markets, table, care_draws)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while an arm runs.

    An arm's objects (clients, processes, pending events) live until the arm ends and then die
    together, in reference cycles (a waiting SimPy process and its event refer to each other).
    Collections during the run would only promote them to the oldest generation, which only
    full collections over the whole heap reclaim; paused until the arm's run has returned, the
    next young collection reclaims them at once. The runner pauses it for a whole replication
    (the cohort's objects too live until its end); paused already, it stays paused here.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def simulate_arm(scenario: Scenario, cohort: Cohort, arm: str, seed: int,
                 replication: int) -> ArmHistory:
    """Run one arm to the horizon and return its history."""
    with collector_paused():
        return _run_arm(scenario, cohort, arm, seed, replication)


def _run_arm(scenario: Scenario, cohort: Cohort, arm: str, seed: int,
             replication: int) -> ArmHistory:
    """The arm region by region, each on its own clock.

    Regions share no state (each has its own clients, coaches, employers and random streams), so
    a region's events happen exactly as they would beside the others', and a run's working set is
    one region's, not the nation's: the cost per client stays that of a region as regions are
    added. The spells (and requeues) are put back in the order of their day, as one clock
    would have recorded them (a stable sort: on a tie, regions in order)."""
    horizon = horizon_days(scenario)
    clients = [Client(m.client_id, m.region, m.referral_day, m.baseline, m.luck)
               for m in cohort.members]
    by_region: list[list[Client]] = [[] for _ in scenario.regions]
    for client in clients:
        by_region[client.region].append(client)
    spells: list = []
    requeues: list[list[float]] = []
    returns: list[list[float]] = []
    stays: list[tuple[int, float, float, bool]] = []
    caseload_traces, staffing_traces = [], []
    events = 0
    first_coach = 0
    for r, region in enumerate(scenario.regions):
        env = Environment()
        pathway = Pathway(env, scenario)
        care = CareUse(env, scenario.care, horizon, cohort.care)
        market = EmployerMarket(env, cohort.labour_markets[r], region.posts, seed,
                                (replication, r, ARMS.index(arm)))
        team = None
        if arm == "ips":
            recruits = np.array([c.referral_day for c in by_region[r]]) if \
                scenario.mode == "trial" and scenario.recruitment_months else None
            team = Team(env, region, scenario.coaching, market, first_coach, close_day(scenario, r),
                        horizon, stream(seed, COACHES, replication, r), recruits)
        first_coach += region.posts
        env.process(_referrals(env, by_region[r], pathway, care, arm, market, team))
        env.run(until=horizon)
        spells += pathway.spells
        requeues += pathway.requeues
        returns += pathway.returns
        stays += care.stays
        if team is not None:
            caseload_traces.append(np.array(team.caseload_trace, dtype=float).reshape(-1, 2))
            staffing_traces.append(np.array(team.staffing_trace, dtype=float).reshape(-1, 4))
        events += events_processed(env)
        env.discard()
        market.end()
        _release(by_region[r])
    spells.sort(key=attrgetter("start_day"))
    requeues.sort(key=itemgetter(1))
    returns.sort(key=itemgetter(1))
    stays.sort(key=itemgetter(1))
    stay_table = np.array(stays, dtype=float).reshape(-1, 4)
    return ArmHistory(
        clients=_client_table(clients, cohort.baseline_table, stay_table, horizon),
        spells=_spell_table(spells, horizon),
        caseload_traces=caseload_traces,
        staffing_traces=staffing_traces,
        events=events,
        requeues=np.array(requeues, dtype=float).reshape(-1, 3),
        stays=stay_table,
        returns=np.array(returns, dtype=float).reshape(-1, 4),
    )


def _release(clients: list[Client]) -> None:
    """Cut each client's links to the run once it is over (their process and its suspended
    generator, their coach and the coach's caseload), so that reference counting frees them at
    once.

    A client refers to their process, whose suspended generator refers to the client; a coach's
    caseload refers to the clients in it, each of whom refers to the coach. Left in place, these
    cycles would hold every client's objects until the cyclic collector's next pass, which then
    has hundreds of thousands of objects to walk (``collector_paused``): 0.29 CPU-s a national
    replication with only the process and coach cut, 0.01 with the generators closed, the
    caseloads emptied and the market's deferred contacts dropped (``EmployerMarket.end``).
    Closing a generator runs no code of ours (no pathway has a ``finally``)."""
    for client in clients:
        process = client.process
        if process is not None and process.is_alive:
            process._generator.close()
        if client.coach is not None:
            client.coach.clients.clear()
        client.process = None
        client.coach = None


def _referrals(env: Environment, clients: list[Client], pathway: Pathway, care: CareUse,
               arm: str, market: EmployerMarket, team: Team | None):
    """Start each client's hospital stays (when anyone is ever admitted) and process on the day
    of referral (in trial mode, over the recruitment window). The process starts at once
    (:meth:`Environment.start`): its first step reads nothing that later referrals change."""
    start_care = care.start if care.on else None
    for client in clients:
        if client.referral_day > env.now:
            yield env.timeout(client.referral_day - env.now)
            client.referral_day = env.now  # the clock's own value, so waits are exactly >= 0
        if start_care is not None:
            start_care(client)
        if arm == "ips":
            assert team is not None  # the IPS arm has a team
            env.start(pathway.ips(client, team, market))
        else:
            env.start(pathway.usual(client, market))


def _client_table(clients: list[Client], baseline_table: dict[str, np.ndarray],
                  stays: np.ndarray, horizon: float) -> dict[str, np.ndarray]:
    """The arm's record of each client, then the baseline columns (the same in both arms)."""
    who = stays[:, 0].astype(np.int64)
    first_admission = np.full(len(clients), np.nan)
    np.fmin.at(first_admission, who, stays[:, 1])
    return {
        "client_id": np.array([c.client_id for c in clients], dtype=np.int64),
        "region": np.array([c.region for c in clients], dtype=np.int64),
        "referral_day": np.array([c.referral_day for c in clients], dtype=float),
        "start_day": np.array([c.start_day for c in clients], dtype=float),
        "exit_day": np.array([c.exit_day for c in clients], dtype=float),
        "exit_reason": np.array([_exit_reason(c) for c in clients], dtype=object),
        "coach_id": np.array([c.coach_id for c in clients], dtype=np.int64),
        "first_job_day": np.array([c.first_job_day for c in clients], dtype=float),
        "first_competitive_job_day": np.array([c.first_competitive_job_day for c in clients],
                                              dtype=float),
        "first_unsubsidised_job_day": np.array([c.first_unsubsidised_job_day for c in clients],
                                               dtype=float),
        "first_admission_day": first_admission,
        "admissions": np.bincount(who, minlength=len(clients)).astype(np.int64),
        "inpatient_days": np.bincount(who, weights=np.minimum(stays[:, 2], horizon) - stays[:, 1],
                                      minlength=len(clients)),
        **baseline_table,
    }


def _baseline_table(b: list[Baseline]) -> dict[str, np.ndarray]:
    """Baseline columns of a cohort, built once and shared (read only) by both arms' tables."""
    table = {
        "age": np.array([x.age for x in b], dtype=float),
        "male": np.array([x.male for x in b], dtype=bool),
        "psychosis": np.array([x.psychosis for x in b], dtype=bool),
        "main_activity": np.array([x.main_activity for x in b], dtype=object),
        "benefit": np.array([x.benefit for x in b], dtype=object),
        "time_since_work": np.array([x.time_since_work for x in b], dtype=object),
        "upper_secondary": np.array([x.upper_secondary for x in b], dtype=bool),
        "degree": np.array([x.degree for x in b], dtype=bool),
        "lives_alone": np.array([x.lives_alone for x in b], dtype=bool),
        "employability": np.array([x.employability for x in b], dtype=float),
    }
    for column in table.values():
        column.flags.writeable = False
    return table


def _exit_reason(client: Client) -> str:
    if client.exit_reason:
        return client.exit_reason
    return "waiting" if math.isnan(client.start_day) else "in_programme"


def _spell_table(spells: list, horizon: float) -> dict[str, np.ndarray]:
    end = np.array([s.end_day for s in spells], dtype=float)
    return {
        "client_id": np.array([s.client_id for s in spells], dtype=np.int64),
        "job_type": np.array([s.job_type for s in spells], dtype=object),
        "start_day": np.array([s.start_day for s in spells], dtype=float),
        "end_day": np.where(end > horizon, np.nan, end),
        "hours_per_week": np.array([s.hours_per_week for s in spells], dtype=float),
        "hourly_wage_eur": np.array([s.hourly_wage_eur for s in spells], dtype=float),
        "permanent": np.array([s.permanent for s in spells], dtype=bool),
        "employer_id": np.array([s.employer_id for s in spells], dtype=np.int64),
        "in_ips": np.array([s.in_ips for s in spells], dtype=bool),
        "at_entry": np.array([s.at_entry for s in spells], dtype=bool),
    }
