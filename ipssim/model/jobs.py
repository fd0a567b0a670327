"""Job spells: type, hours, wage, permanence and tenure of a job when it starts."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ipssim.model.clients import NORMAL, Baseline
from ipssim.model.streams import JOB, LuckCursor
from ipssim.scenario.schema import Jobs
from ipssim.vocabulary import MONTH_DAYS


@dataclass(slots=True)
class Spell:
    """One job (or other labour-market transition) of one client."""

    client_id: int
    job_type: str
    start_day: float
    end_day: float
    hours_per_week: float
    hourly_wage_eur: float
    permanent: bool
    employer_id: int
    in_ips: bool
    at_entry: bool

    @property
    def competitive(self) -> bool:
        """Competitive labour market, with or without wage subsidy (the S003 definition)."""
        return self.job_type != "other"


def draw_job_type(baseline: Baseline, luck: LuckCursor, jobs: Jobs,
                  trials_offered: bool = True) -> str | None:
    """Type of the job an offer leads to (JOB-02); None for a work trial offered to a disability
    pensioner, which cannot happen (BAR-04), so that offer comes to nothing. While IPS offers no
    work trials yet (``jobs.work_trials_from_day``) the same uniform picks a paid job in the
    proportions of the paid types."""
    u = luck.uniform(JOB)
    if not trials_offered:
        u = jobs.other_share + u * (1.0 - jobs.other_share)
    if u < jobs.other_share:
        return "other" if baseline.work_trials_allowed else None
    return "subsidised" if u < jobs.other_share + jobs.subsidised_share else "competitive"


def earnings_cap(baseline: Baseline, jobs: Jobs, pension_limit_eur: float) -> float:
    """Monthly earnings a client will not exceed (BAR-03): a share of pensioners keep under their
    pension's earnings limit, with a margin; everyone else has no cap."""
    pensioner = baseline.benefit in ("disability_pension", "rehabilitation_subsidy")
    if pensioner and baseline.limit_draw < jobs.keep_under_earnings_limit_share:
        return jobs.kept_share_of_earnings_limit * pension_limit_eur
    return math.inf


def draw_spell(client_id: int, luck: LuckCursor, jobs: Jobs, job_type: str, start_day: float,
               employer_id: int, in_ips: bool, at_entry: bool = False,
               earnings_cap_eur: float = math.inf) -> Spell:
    """Draw the terms of a new job from the client's job uniforms (JOB-06, JOB-10, JOB-11).

    A client with an earnings cap (:func:`earnings_cap`) takes fewer weekly hours if a full month
    at the drawn hours and wage would earn more; the draws themselves are unchanged. Tenure:
    :func:`tenure_days`."""
    if job_type == "other":
        permanent = False
        hours = jobs.other_hours_mean
        wage = 0.0  # work trials are unpaid; the client keeps the benefit
    else:
        permanent = luck.uniform(JOB) < jobs.permanent_share
        if luck.uniform(JOB) < jobs.part_time_share:
            # Part-time hours spread uniformly over half to one and a half times the mean.
            hours = jobs.part_time_hours_mean * (0.5 + luck.uniform(JOB))
        else:
            hours = jobs.full_time_hours
        z = NORMAL.inv_cdf(min(max(luck.uniform(JOB), 1e-12), 1 - 1e-12))
        wage = jobs.hourly_wage_median_eur * math.exp(jobs.hourly_wage_sd_log * z)
        hours = min(hours, earnings_cap_eur / (wage * MONTH_DAYS / 7.0))
    supported = in_ips and not at_entry
    tenure = tenure_days(jobs, job_type, permanent, supported, luck.uniform(JOB),
                         luck.exponential(JOB))
    return Spell(client_id, job_type, start_day, start_day + max(tenure, 1.0), hours, wage,
                 permanent, employer_id, in_ips, at_entry)


def fragile_share(jobs: Jobs, supported: bool) -> float:
    """Share of paid jobs that are fragile matches; lower with follow-along support if
    ``jobs.follow_along_fragile_multiplier`` < 1 (an ASSUMPTION, 1 by default)."""
    return jobs.paid_fragile_share * (jobs.follow_along_fragile_multiplier if supported else 1.0)


def tenure_days(jobs: Jobs, job_type: str, permanent: bool, supported: bool, u: float,
                e: float) -> float:
    """Tenure of a job from one uniform ``u`` (which component) and one standard exponential
    ``e`` (how long), by inversion.

    Paid jobs: a mixture of fragile and stable matches, each with a constant exit hazard:
    fragile (share ``paid_fragile_share``, mean ``tenure_days_fragile``) or stable (mean
    ``tenure_scale_days_fixed_term``, times ``tenure_permanent_ratio`` if permanent).
    Why a mixture: JOB-08 says 42% of the ended paid jobs lasted under a month while JOB-09
    says half of all spells outlast the documentation, a bimodality that one Weibull or
    log-normal cannot give inside a window of at most a year; a mixture of exponentials has an
    exit hazard that falls with tenure (the fragile matches leave early, the survivors are the
    stable ones), permanence keeps its own stable mean, and each component has a reading (a
    trial period that fails, a job that fits).
    Work trials: a Weibull of their own (``tenure_scale_days_other``, ``tenure_shape_other``),
    since a trial is agreed for a planned period.
    """
    if job_type == "other":
        return jobs.tenure_scale_days_other * e ** (1.0 / jobs.tenure_shape_other)
    if u < fragile_share(jobs, supported):
        return jobs.tenure_days_fragile * e
    return stable_mean(jobs, permanent) * e


def stable_mean(jobs: Jobs, permanent: bool) -> float:
    """Mean tenure of a stable paid job: fixed-term, or that times the permanent ratio."""
    return jobs.tenure_scale_days_fixed_term * (jobs.tenure_permanent_ratio if permanent else 1.0)


def tenure_quantile(jobs: Jobs, job_type: str, permanent: bool, supported: bool,
                    p: float) -> float:
    """The ``p`` quantile of :func:`tenure_days` (by bisection for the paid mixture), for tests
    and reports."""
    if job_type == "other":
        return jobs.tenure_scale_days_other * (-math.log1p(-p)) ** (1.0 / jobs.tenure_shape_other)
    share = fragile_share(jobs, supported)
    stable = stable_mean(jobs, permanent)

    def cdf(t: float) -> float:
        return share * (1 - math.exp(-t / jobs.tenure_days_fragile)) + \
            (1 - share) * (1 - math.exp(-t / stable))

    lo, hi = 0.0, 1.0
    while cdf(hi) < p:
        hi *= 2
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) < p else (lo, mid)
    return (lo + hi) / 2
