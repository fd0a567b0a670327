"""Clients: baseline attributes drawn from the observed mix, and the record of what happened.

The baseline and the latent employability are drawn from the client's own uniforms, so the same
client (same seed, replication, region and index) is the same person in every arm and scenario.
"""

from __future__ import annotations

import math
from itertools import accumulate
from statistics import NormalDist
from typing import Any, NamedTuple

import numpy as np
from simpy.events import Process

from ipssim.model.streams import Luck
from ipssim.scenario.schema import ClientMix, Employability
from ipssim.vocabulary import MAIN_ACTIVITIES, TIME_SINCE_WORK

NORMAL = NormalDist()
BENEFIT_AT_ENTRY = {
    "unemployed": "labour_market_subsidy",
    "sick_leave": "sickness_allowance",
    "disability_pension": "disability_pension",
    "rehabilitation_subsidy": "rehabilitation_subsidy",
    "working": "none",
    "studying": "none",
    "other": "none",
}


class Baseline(NamedTuple):
    """A client's attributes at referral (BAS-02..BAS-10) and latent employability (EMP-08)."""

    age: float
    male: bool
    psychosis: bool
    main_activity: str
    benefit: str
    time_since_work: str
    upper_secondary: bool
    degree: bool
    lives_alone: bool
    employability: float
    patience_draw: float
    limit_draw: float
    """Uniform deciding whether a pensioner keeps earnings under the limit (BAR-03, jobs.py)."""

    @property
    def work_trials_allowed(self) -> bool:
        """BAR-04: work trials are impossible for people on a (permanent) disability pension."""
        return self.main_activity != "disability_pension"


class BaselineSampler:
    """Draws baselines from a client mix; the age bounds and category cut points are set up once."""

    def __init__(self, mix: ClientMix, employability: Employability):
        self.mix = mix
        age = mix.age
        self._age_cdf = (NORMAL.cdf((age.min - age.mean) / age.sd),
                         NORMAL.cdf((age.max - age.mean) / age.sd))
        self._activity = _Categories(mix.main_activity, MAIN_ACTIVITIES)
        self._history = _Categories(mix.time_since_work, TIME_SINCE_WORK)
        self._multiplier = {history: level * employability.population_multiplier
                            for history, level in employability.work_history_multiplier.items()}
        self._sd = employability.heterogeneity_sd

    def draw(self, uniforms: np.ndarray, limit_draws: np.ndarray) -> list[Baseline]:
        """Baselines of several clients, one per row of their first baseline uniforms, with each
        client's earnings-limit uniform (``streams.EARNINGS_LIMIT``)."""
        mix, sd = self.mix, self._sd
        lo, hi = self._age_cdf
        u = uniforms.T
        age = [mix.age.mean + mix.age.sd * _normal_quantile(p)
               for p in (lo + u[0] * (hi - lo)).tolist()]
        activity = self._activity.pick(u[3])
        history = self._history.pick(u[4])
        # Mean-one lognormal heterogeneity on top of the work-history level.
        frailty = [math.exp(sd * _normal_quantile(p) - sd * sd / 2) for p in u[8].tolist()]
        patience = [-math.log1p(-p) for p in u[9].tolist()]
        columns = zip(
            age,
            (u[1] < mix.male_share).tolist(),
            (u[2] < mix.psychosis_share).tolist(),
            activity,
            [BENEFIT_AT_ENTRY[a] for a in activity],
            history,
            (u[5] < mix.upper_secondary_share).tolist(),
            (u[6] < mix.degree_share).tolist(),
            (u[7] < mix.lives_alone_share).tolist(),
            [self._multiplier[h] * f for h, f in zip(history, frailty, strict=True)],
            patience,
            limit_draws.tolist(),
            strict=True,
        )
        return [Baseline(*values) for values in columns]


def _normal_quantile(p: float) -> float:
    return NORMAL.inv_cdf(min(max(p, 1e-12), 1 - 1e-12))


class _Categories:
    """Categories with their shares: a uniform picks the first whose cumulative share exceeds it."""

    def __init__(self, shares: dict[str, float], order: tuple[str, ...]):
        present = [k for k in order if shares.get(k, 0.0) > 0]
        total = sum(shares.get(k, 0.0) for k in order)
        self.names = present or [order[0]]
        self.cuts = np.array(list(accumulate(shares[k] / total for k in present)))

    def pick(self, u: np.ndarray) -> list[str]:
        index = np.minimum(np.searchsorted(self.cuts, u, side="right"), len(self.names) - 1)
        return [self.names[i] for i in index.tolist()]


class Client:
    """A referred client in one arm: baseline, luck cursor, and the record of events."""

    __slots__ = (
        "baseline",
        "care_luck",
        "client_id",
        "coach",
        "coach_id",
        "exit_day",
        "exit_reason",
        "first_competitive_job_day",
        "first_job_day",
        "first_unsubsidised_job_day",
        "hospital_until",
        "idle_from",
        "ips_start",
        "job",
        "luck",
        "place",
        "process",
        "referral_day",
        "region",
        "start_day",
        "worked_days",
    )

    def __init__(self, client_id: int, region: int, referral_day: float, baseline: Baseline,
                 luck: Luck):
        self.client_id = client_id
        self.region = region
        self.referral_day = referral_day
        self.baseline = baseline
        self.luck = luck.cursor()
        self.start_day = math.nan  # the first start with a coach (the client table's)
        self.ips_start = math.nan  # the current round's start with a coach (a re-referral's)
        self.exit_day = math.nan
        self.exit_reason = ""
        self.coach_id = -1
        # the coach post while in IPS (it may change when posts are cut): a coaches.Coach, typed
        # Any as that module imports this one
        self.coach: Any = None
        self.place = 0  # units of a place the client takes on the coach's caseload (coaches.place_units)
        self.process: Process | None = None  # the client's SimPy process, to interrupt if its post is cut
        self.first_job_day = math.nan
        self.first_competitive_job_day = math.nan
        self.first_unsubsidised_job_day = math.nan
        self.job: Any = None  # the current job: a jobs.Spell (typed Any: jobs imports this module)
        self.idle_from = math.nan  # day time out of work counts from (set by the pathway)
        self.worked_days = 0.0  # days worked since referral in jobs that have ended
        self.care_luck: Any = None  # the client's care stream (model.care), from a first candidate
        self.hospital_until = -math.inf  # day of discharge from the last hospital stay
