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
    at the drawn hours and wage would earn more; the draws themselves are unchanged."""
    if job_type == "other":
        permanent = False
        hours = jobs.other_hours_mean
        wage = 0.0  # work trials are unpaid; the client keeps the benefit
        scale = jobs.tenure_scale_days_other
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
        scale = jobs.tenure_scale_days_permanent if permanent else jobs.tenure_scale_days_fixed_term
    # Weibull tenure by inversion of a standard exponential draw.
    tenure = scale * luck.exponential(JOB) ** (1.0 / jobs.tenure_weibull_shape)
    return Spell(client_id, job_type, start_day, start_day + max(tenure, 1.0), hours, wage,
                 permanent, employer_id, in_ips, at_entry)
