"""Clients: baseline attributes drawn from the observed mix, and the record of what happened.

The baseline and the latent employability are drawn from the client's own uniforms, so the same
client (same seed, replication, region and index) is the same person in every arm and scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from ipssim.scenario import MAIN_ACTIVITIES, TIME_SINCE_WORK, ClientMix, Employability
from ipssim.streams import BASELINE, Luck

NORMAL = NormalDist()
EDUCATION = ("comprehensive", "upper_secondary")
BENEFIT_AT_ENTRY = {
    "unemployed": "labour_market_subsidy",
    "sick_leave": "sickness_allowance",
    "disability_pension": "disability_pension",
    "rehabilitation_subsidy": "rehabilitation_subsidy",
    "working": "none",
    "studying": "none",
    "other": "none",
}
BENEFITS = ("none", "labour_market_subsidy", "sickness_allowance", "disability_pension",
            "rehabilitation_subsidy")


@dataclass(frozen=True, slots=True)
class Baseline:
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

    @property
    def work_trials_allowed(self) -> bool:
        """BAR-04: work trials are impossible for people on a (permanent) disability pension."""
        return self.main_activity != "disability_pension"


def draw_baseline(luck: Luck, mix: ClientMix, employability: Employability) -> Baseline:
    """Draw one client's baseline from the first uniforms of the client's own stream."""
    u = luck.rows[BASELINE]
    age = _truncated_normal(u[0], mix.age.mean, mix.age.sd, mix.age.min, mix.age.max)
    activity = _categorical(u[3], mix.main_activity, MAIN_ACTIVITIES)
    history = _categorical(u[4], mix.time_since_work, TIME_SINCE_WORK)
    sd = employability.heterogeneity_sd
    # Mean-one lognormal heterogeneity on top of the work-history level.
    frailty = math.exp(sd * NORMAL.inv_cdf(min(max(u[8], 1e-12), 1 - 1e-12)) - sd * sd / 2)
    return Baseline(
        age=age,
        male=u[1] < mix.male_share,
        psychosis=u[2] < mix.psychosis_share,
        main_activity=activity,
        benefit=BENEFIT_AT_ENTRY[activity],
        time_since_work=history,
        upper_secondary=u[5] < mix.upper_secondary_share,
        degree=u[6] < mix.degree_share,
        lives_alone=u[7] < mix.lives_alone_share,
        employability=employability.work_history_multiplier[history] * frailty,
        patience_draw=-math.log1p(-u[9]),
    )


def _truncated_normal(u: float, mean: float, sd: float, lo: float, hi: float) -> float:
    a, b = NORMAL.cdf((lo - mean) / sd), NORMAL.cdf((hi - mean) / sd)
    p = min(max(a + u * (b - a), 1e-12), 1 - 1e-12)
    return mean + sd * NORMAL.inv_cdf(p)


def _categorical(u: float, shares: dict[str, float], order: tuple[str, ...]) -> str:
    total = sum(shares.get(k, 0.0) for k in order)
    acc = 0.0
    last = order[0]
    for key in order:
        share = shares.get(key, 0.0)
        if share <= 0:
            continue
        acc += share / total
        last = key
        if u < acc:
            return key
    return last


class Client:
    """A referred client in one arm: baseline, luck cursor, and the record of events."""

    __slots__ = (
        "baseline",
        "client_id",
        "coach_id",
        "exit_day",
        "exit_reason",
        "first_competitive_job_day",
        "first_job_day",
        "job",
        "luck",
        "referral_day",
        "region",
        "start_day",
    )

    def __init__(self, client_id: int, region: int, referral_day: float, baseline: Baseline,
                 luck: Luck):
        self.client_id = client_id
        self.region = region
        self.referral_day = referral_day
        self.baseline = baseline
        self.luck = luck.cursor()
        self.start_day = math.nan
        self.exit_day = math.nan
        self.exit_reason = ""
        self.coach_id = -1
        self.first_job_day = math.nan
        self.first_competitive_job_day = math.nan
        self.job = None
