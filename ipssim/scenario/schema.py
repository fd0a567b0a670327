"""The scenario schema: every model parameter as one typed, validated, frozen object.

Defaults carry the fact ID they come from (see ``shared/evidence/facts.md`` and ``outside.md``) or
say ``ASSUMPTION`` with the reasoning. A scenario file only states what differs from the defaults,
plus its regions. Unknown fields are rejected, so a misspelt parameter never passes silently.
Reading files and budgets is :mod:`ipssim.scenario.load`'s job; this module only describes.
"""

from __future__ import annotations

import math
import unicodedata
from difflib import get_close_matches
from itertools import pairwise
from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from ipssim.money.parameters import Economics
from ipssim.scenario.care import Care
from ipssim.scenario.uncertainty import Uncertainty
from ipssim.validation import FOLLOWS, Count, InputError, Real, Share, Strict
from ipssim.vocabulary import MAIN_ACTIVITIES, MONTH_DAYS, QALY_METRICS, TIME_SINCE_WORK, summary_metrics


class ScenarioError(InputError):
    """A scenario that cannot be used; the message is one line naming the field."""


MAX_STAFF = 10_000
"""The most coaches or team leaders of a region (a whole country's IPS is a few hundred)."""
Staff = Annotated[Count, Field(le=MAX_STAFF)]
MAX_REFERRALS_PER_MONTH = 10_000
Month = Annotated[Real, Field(ge=0, le=600)]
"""A month of the simulation (the horizon is at most 600 months)."""
RatePerMonth = Annotated[Real, Field(ge=0, le=30)]
"""A hazard or rate per month: at most about one event a day."""
Days = Annotated[Real, Field(ge=1, le=36_525)]
"""A duration in days, from a day to a century."""
Multiplier = Annotated[Real, Field(gt=0, le=100)]
MAX_BUDGET = 1e10
Budget = Annotated[Real, Field(gt=0, le=MAX_BUDGET)]
"""Euros a year (ten billion at most)."""
MAX_REGIONS = 1000
"""The most regions of a scenario (Finland has 21 wellbeing services counties)."""
MAX_REGION_NAME = 100
FORMULA_STARTS = ("=", "+", "-", "@")
"""A cell starting with one of these is a formula to a spreadsheet (CSV formula injection)."""


def _region_name(name: str) -> str:
    """A region's name as it is written into every table and report: printable characters
    only, not blank, not read as a formula by a spreadsheet."""
    if not name.strip():
        raise PydanticCustomError("region_name", "must not be blank")
    if any(unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp")
           for ch in name):
        raise PydanticCustomError("region_name", "no control or invisible characters (NUL, "
                                  "newline, tab and the like)")
    if name.startswith(FORMULA_STARTS):
        raise PydanticCustomError("region_name", "must not start with = + - or @ (a "
                                  "spreadsheet would read it as a formula)")
    return name


RegionName = Annotated[str, Field(min_length=1, max_length=MAX_REGION_NAME),
                       AfterValidator(_region_name)]
"""A region's name: 1 to 100 printable characters, not starting with = + - or @; unique within
a scenario, ignoring case."""


class StaffingChange(Strict):
    """A change of a region's headcount from a month on (a hiring ramp, a budget cut)."""

    month: Month
    coaches: Staff
    team_leaders: Staff | None = Field(
        None, description="team leaders from this month; default: unchanged")


class Region(Strict):
    """One IPS team: coaches, team leaders, a referral stream and a local employer population.

    Staff are given either as a headcount (``coaches``, ``team_leaders``, and optional
    ``staffing`` changes over time) or as a budget per programme year (``budget_eur_per_year``),
    which :mod:`ipssim.scenario.budgets` converts to a headcount when the scenario is loaded.
    """

    name: RegionName
    coaches: Annotated[Count, Field(ge=1, le=MAX_STAFF)] | None = None
    team_leaders: Staff = 1
    staffing: list[StaffingChange] = Field(
        default_factory=list, description="headcount changes, in month order")
    budget_eur_per_year: Annotated[list[Budget], Field(min_length=1, max_length=50)] | None = Field(
        None, description="programme budget of each year from month 0 (the last one repeats)")
    referrals_per_month: Annotated[Real, Field(ge=0, le=MAX_REFERRALS_PER_MONTH)] = 0.0
    eligible_people: Annotated[Count, Field(ge=1, le=10_000_000)] | None = Field(
        None, description="people eligible for IPS in the region (with uptake_per_year, instead "
        "of referrals_per_month)")
    uptake_per_year: Annotated[Real, Field(gt=0, le=1)] | None = Field(
        None, description="share of the eligible people referred a year; referrals_per_month is "
        "then eligible_people x uptake_per_year / 12")
    referral_months: tuple[Month, Month] | None = Field(
        None, description="[first, last) month of intake; default: the whole horizon"
    )
    cohort_size: Annotated[Count, Field(le=200_000)] = 0
    operating_months: Annotated[Real, Field(gt=0, le=600)] | None = Field(
        None, description="the programme closes after this month; default: runs to the horizon"
    )
    fidelity: Annotated[Real, Field(ge=25, le=125)] = 100.0
    integrated: bool = True
    employers: Annotated[Count, Field(ge=1, le=100_000)] = 60

    @model_validator(mode="before")
    @classmethod
    def _demand(cls, data: object) -> object:
        """Demand as ``referrals_per_month`` or as ``eligible_people`` x ``uptake_per_year``
        (exactly one of the two forms); the second gives the first, which the model uses."""
        if not isinstance(data, dict) or (data.get("eligible_people") is None
                                          and data.get("uptake_per_year") is None):
            return data
        where = f"regions[{str(data.get('name'))[:80]}]"
        people, uptake = data.get("eligible_people"), data.get("uptake_per_year")
        if people is None or uptake is None:
            missing = "uptake_per_year" if uptake is None else "eligible_people"
            raise ValueError(f"{where}.{missing}: give eligible_people and uptake_per_year "
                             "together (or referrals_per_month alone)")
        if type(people) is not int or isinstance(uptake, bool) or \
                not isinstance(uptake, int | float):
            return data  # the field validation reports it
        rate = people * uptake / 12
        if rate > MAX_REFERRALS_PER_MONTH:
            raise ValueError(f"{where}: eligible_people x uptake_per_year / 12 gives {rate:,.0f} "
                             f"referrals a month; at most {MAX_REFERRALS_PER_MONTH:,}")
        given = data.get("referrals_per_month")
        if given is not None and not (isinstance(given, int | float)
                                      and math.isclose(given, rate, rel_tol=1e-9)):
            raise ValueError(f"{where}: give referrals_per_month or eligible_people and "
                             "uptake_per_year, not both")
        return {**data, "referrals_per_month": rate}

    @model_validator(mode="after")
    def _staff(self) -> Region:
        if self.coaches is None and self.budget_eur_per_year is not None:
            raise PydanticCustomError(FOLLOWS, f"regions[{self.name}].budget_eur_per_year: not "
                                      "costed while another field is refused")
        if self.coaches is None:
            raise ValueError(f"regions[{self.name}]: give coaches or budget_eur_per_year")
        months = [change.month for change in self.staffing]
        if any(later <= earlier for earlier, later in pairwise(months)):
            raise ValueError(f"regions[{self.name}].staffing: months must be strictly increasing "
                             f"(got {', '.join(f'{m:g}' for m in months)})")
        if self.referral_months is not None and not \
                self.referral_months[0] < self.referral_months[1]:
            raise ValueError(f"regions[{self.name}].referral_months: give [first, last) with "
                             f"first < last (got {list(self.referral_months)})")
        return self

    @property
    def posts(self) -> int:
        """The most coaches the region ever has (at the start or after a staffing change)."""
        return max([self.coaches or 0, *(change.coaches for change in self.staffing)])


class AgeMix(Strict):
    """BAS-02: mean 37, SD 9.97, range 19-64 (truncated normal)."""

    mean: Annotated[Real, Field(ge=15, le=100)] = 37.0
    sd: Annotated[Real, Field(gt=0, le=50)] = 9.97
    min: Annotated[Real, Field(ge=15, le=100)] = 19.0
    max: Annotated[Real, Field(ge=15, le=100)] = 64.0

    @model_validator(mode="after")
    def _range(self) -> AgeMix:
        if not self.min < self.max:
            raise ValueError(f"clients.age: min must be below max (got {self.min:g} and {self.max:g})")
        if not self.min <= self.mean <= self.max:
            raise ValueError(f"clients.age.mean: must lie within [min, max] ([{self.min:g}, "
                             f"{self.max:g}]; got {self.mean:g})")
        return self


class ClientMix(Strict):
    """Baseline mix of referred clients (BAS-02..BAS-10, Finnish pilots)."""

    age: AgeMix = AgeMix()
    male_share: Share = 0.619  # BAS-03
    psychosis_share: Share = 0.913  # BAS-08: F20-29
    main_activity: dict[str, Share] = Field(  # BAS-09
        default_factory=lambda: {
            "unemployed": 0.269,
            "sick_leave": 0.074,
            "disability_pension": 0.266,
            "rehabilitation_subsidy": 0.283,
            "working": 0.061,
            "studying": 0.027,
            "other": 0.020,
        }
    )
    time_since_work: dict[str, Share] = Field(  # BAS-10
        default_factory=lambda: {"under_1y": 0.382, "1_to_3y": 0.277, "over_3y": 0.341}
    )
    upper_secondary_share: Share = 0.412  # BAS-06
    degree_share: Share = 0.197  # BAS-07
    lives_alone_share: Share = 0.663  # BAS-05

    @model_validator(mode="after")
    def _shares(self) -> ClientMix:
        _check_mix("clients.main_activity", self.main_activity, MAIN_ACTIVITIES)
        _check_mix("clients.time_since_work", self.time_since_work, TIME_SINCE_WORK)
        return self


def _each_category(allowed: tuple[str, ...]) -> AfterValidator:
    """A value for each category of ``allowed``, and for no other (the model looks each one up)."""

    def check(values: dict) -> dict:
        unknown = [key for key in values if key not in allowed]
        missing = [key for key in allowed if key not in values]
        if unknown or missing:
            what = f"unknown category {unknown[0][:40]!r}" if unknown else \
                f"missing category {missing[0]!r}"
            raise PydanticCustomError("categories", f"{what}; give a value for each of "
                                      f"{', '.join(allowed)}")
        return values

    return AfterValidator(check)


def _check_mix(field: str, mix: dict[str, float], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(mix) - set(allowed))
    if unknown:
        raise ValueError(f"{field}: unknown category {unknown[0]!r:.80}; allowed: {', '.join(allowed)}")
    total = sum(mix.values())
    if abs(total - 1.0) > 0.01:
        raise ValueError(f"{field}: shares must sum to 1 (got {total:.3f})")


class Employability(Strict):
    """Latent employability: work history (EMP-08) times lognormal individual heterogeneity.

    ASSUMPTION: relative job-finding rates 1 / 0.6 / 0.3 by time since last work; the evidence
    names work history as the strongest predictor (EMP-08) but gives no slope.
    """

    work_history_multiplier: Annotated[dict[str, Multiplier],
                                       _each_category(TIME_SINCE_WORK)] = Field(
        default_factory=lambda: {"under_1y": 1.0, "1_to_3y": 0.6, "over_3y": 0.3}
    )
    # ASSUMPTION: log-scale SD, fitted by the calibration
    heterogeneity_sd: Annotated[Real, Field(ge=0, le=5)] = 1.0
    duration_dependence: Annotated[Real, Field(ge=0, le=1)] = 1.0
    """How far the work-history levels above act over time for a client looking for work without
    a coach (usual services, the waiting list, after IPS): the job-finding rate is multiplied by
    (level(time out of work now) / level(at referral)) ** this, so it falls as time out of work
    passes the 1- and 3-year marks and rises again after a job. 0: the levels are fixed at
    referral (the model without this parameter). ASSUMPTION, not fitted: EMP-08 gives the direction;
    OUT-C5 (5 years, 65% vs 33%) and OUT-C3 (18 months, 55% vs 28%) show the arms staying
    apart for years, which a constant no-coach rate cannot give; 1 reads the
    cross-sectional levels as causal, the strongest case; swept over 0-1."""
    years_out_of_work_at_referral: Annotated[dict[str, Annotated[Real, Field(ge=0, le=100)]],
                                             _each_category(TIME_SINCE_WORK)] = Field(
        default_factory=lambda: {"under_1y": 0.5, "1_to_3y": 2.0, "over_3y": 5.0})
    """ASSUMPTION: years since the last job at referral for each BAS-10 category (midpoints; 5
    for over 3 years), where the clock of ``duration_dependence`` starts."""
    experience_effect: Annotated[Real, Field(ge=0, le=10)] = 0.0
    """Work that builds on work: without a coach the job-finding rate is multiplied by
    (1 + this x years worked since referral), the work counted at each job's end
    (:meth:`ipssim.model.pathway.Pathway._no_coach_wait`). 0: no state dependence (the model
    without this parameter). ASSUMPTION, fitted by the calibration with OUT-C5 read at 60 months
    as its target (calibration/parameters.yaml, bounds 0-2; swept over 0-1): labour economics
    finds past employment raises
    future employment beyond what fixed traits explain (state dependence), and IPS follow-ups
    find former participants working years later (OUT-L1: a third worked in 5 or more of 10
    years; OUT-L2: 71% worked more than half of 8-12 years; OUT-L3: the advantage still there 7
    years after services ended), which a rate fixed at referral cannot give once coaching ends;
    OUT-C5 (Bern, 5 years: 65% vs 33%) sizes it."""
    population_multiplier: Multiplier = 1.0
    """Employability of this scenario's population relative to the Finnish pilot clients (1 = the
    same). The pooled trials (EMP-01) come from other countries, benefit systems and eligibility
    rules (EMP-06, INC-14), so the calibration fits it for trial-like populations."""


class Coaching(Strict):
    """The coach side of the IPS pathway."""

    caseload_cap: Annotated[Count, Field(ge=1, le=1000)] = 20  # STF-01 (fidelity item 1, OUT-E4)
    full_attention_caseload: Annotated[Real, Field(gt=0, le=1000)] = 10.0
    """ASSUMPTION: up to this many clients a coach gives each one full attention; Norway's 10-15
    works and results deteriorate at >= 20 (STF-03)."""
    caseload_elasticity: Annotated[Real, Field(ge=0, le=10)] = 0.5
    """ASSUMPTION: job-offer rate scales as (full_attention_caseload / caseload) ** elasticity above
    full attention, i.e. less coach time per client means fewer offers."""
    employer_contacts_per_week: Annotated[Real, Field(ge=0, le=100)] = 2.5
    """Fidelity asks 6 (STF-08); the Finnish pilots scored 2.8/5 on item 17 at best (FID-09).
    ASSUMPTION: 2.5 contacts a week."""
    review_interval_days: Days = 14.0
    """ASSUMPTION: a coach reviews each client's search about twice a month (COA-03: 73% met at
    least 2-3 times a month); the job-offer rate is re-evaluated at each review."""
    engagement_days_mean: Annotated[Real, Field(ge=0, le=3650)] = 30.0
    """ASSUMPTION: engagement and vocational profile before active search; rapid search puts the
    first employer contact within 30 days (TTJ-05)."""
    dropout_rate_per_month: RatePerMonth = 0.03
    """ASSUMPTION: hazard of dropping out while not working; fitted to 16% (COA-05) by the calibration."""
    end_rate_searching_per_month: RatePerMonth = 0.06
    """ASSUMPTION: hazard that coaching ends without a job (searching state)."""
    end_rate_working_per_month: RatePerMonth = 0.15
    """ASSUMPTION: follow-along support fades (COA-17); hazard that a working client no longer
    wants support. Together these shape coaching duration, mean 235 d (COA-01)."""
    follow_along_weight: Annotated[Real, Field(ge=0.1, le=1)] = 0.5
    """How much of a place a client working with follow-along support (COA-17) takes on the
    coach's caseload, a searching client taking a whole one (counted in hundredths of a place).
    ASSUMPTION: about 0.5; support in work is faded gradually (COA-17), and employed clients
    needed less help keeping a job than finding one (BAR-07: very much help with retention 12%,
    with finding a new job 34%; BAR-06: 41% needed at least fairly much support at job start);
    the fidelity scale counts every client on the caseload as one (OUT-E4), the upper end (1: a
    working client takes a whole place). Range 0.25-1."""
    end_hazard_shape: Annotated[Real, Field(ge=0.1, le=10)] = 1.0
    """ASSUMPTION, calibrated: Weibull shape of both coaching-end hazards in time since IPS start
    (1 = constant; above 1 = rising, as when coaches close cases as they age); the two rates above
    are then their averages over the first year. COA-01's spread (CV 0.67) is below the 1 that a
    constant hazard gives."""
    turnover_per_year: Annotated[Real, Field(ge=0, le=12)] = 0.0
    """ASSUMPTION: coaches leave at this rate (STF-10 reports turnover but gives no rate). Off by
    default, because the calibration ran without it; a leaver's post stays vacant for
    ``vacancy_months`` and a new coach then ramps up."""
    # ASSUMPTION: months to recruit a replacement coach
    vacancy_months: Annotated[Real, Field(ge=0, le=120)] = 2.0
    ramp_up_months: Annotated[Real, Field(ge=0, le=120)] = 3.0
    """ASSUMPTION: a new coach's effectiveness rises linearly from ``new_coach_effectiveness``
    to full over these months (STF-10: new inductions after turnover)."""
    new_coach_effectiveness: Share = 0.5  # ASSUMPTION
    vacancy_cover: Share = 0.5
    """ASSUMPTION: while a post is vacant its clients keep their place and colleagues and the
    team leader cover them at this share of a coach's effectiveness; no new client joins it."""
    capacity_cut_policy: Literal["keep_until_exit", "waiting_list"] = "keep_until_exit"
    """When a staffing change removes posts: their coaches keep their clients until each
    exits and take no new ones (``keep_until_exit``), or their clients move to free places of
    other coaches and, where there is none, to the front of the waiting list (``waiting_list``)."""
    re_referral_rate_per_month: RatePerMonth = 0.005
    """A way back in: hazard that a client who has left IPS (dropout, coaching ended, support no
    longer wanted, or the waiting list abandoned; not the programme's close) is referred again,
    while out of IPS and the programme is open; a re-referred client joins the same team's
    waiting list like any new referral (IPS arm only). ASSUMPTION: IPS is open to all who want
    work (FID-11, zero exclusion) and treats a lost job as a step to the next one, and coaches
    judged IPS not timely for 28% of clients for reasons that pass (poor health, acute life
    problems: COA-09), but the evidence gives no rate of return. 0.005 a month would bring back
    6% of leavers within a year and 26% within five, about COA-09's 28% (0: no way back in).
    Swept over 0-0.03 a month (up to about a third of leavers back within a year)."""
    waiting_patience_days: Days | None = None
    """Mean days a referred client waits before abandoning the waiting list; None: never abandons."""
    fidelity_slope: Annotated[Real, Field(ge=0, le=0.25)] = 0.1
    """ASSUMPTION: offer rate x (1 + slope * (fidelity - 100) / 25). Direction only (EMP-16)."""
    not_integrated_multiplier: Annotated[Real, Field(gt=0, le=10)] = 0.8
    """ASSUMPTION: offer-rate multiplier when coaches are not integrated in psychiatric care
    (STF-06, EMP-09 direction only)."""


class Jobs(Strict):
    """Job finding, job attributes and tenure."""

    ips_offer_rate_per_month: Annotated[Real, Field(gt=0, le=30)] = 0.30
    """ASSUMPTION: job-offer rate at employability 1 with a coach; fitted by the calibration."""
    usual_offer_rate_per_month: Annotated[Real, Field(gt=0, le=30)] = 0.06
    """ASSUMPTION: job-finding rate without a coach (usual services); calibrated to EMP-01's 20%."""
    subsidised_share: Share = 0.188  # JOB-02
    other_share: Share = 0.229  # JOB-02 (work trials etc.); none for disability pensioners, BAR-04
    work_trials_from_day: Annotated[Real, Field(ge=0, le=36_525)] = 0.0
    """Days in IPS before the coach offers work trials and other non-paid transitions; until then
    every offer is for a paid job (FID-11: competitive employment is the goal, rapid search for
    it; BAR-09: coaches saw work trials as what might have helped those still without work).
    ASSUMPTION on the mechanism; the value is calibrated (TTJ-01 > TTJ-02: the first transition
    of any type comes later on average than the first paid job, so trials come late)."""
    trial_route_rate_per_month: Annotated[Real, Field(ge=0, le=30)] = 0.0
    """Work trials the coach arranges for an IPS client who has had no paid job, from
    ``work_trials_from_day`` on, at this rate per month times the coach's caseload multiplier
    and effectiveness but NOT the client's employability (a route for those furthest from work),
    besides the trials among ordinary offers (``other_share``). Why: FIN-01 (59%) against FIN-03
    (49%) says a tenth of the clients had a trial and no paid job, which trials drawn from the
    same employability-scaled offers as paid jobs cannot give (calibration/experiments/
    blocked_targets.md); BAR-09: coaches named work trials as what might have helped those still
    without work. ASSUMPTION on the mechanism; the rate is calibrated (0: no route)."""
    permanent_share: Share = 0.388  # JOB-06, paid jobs
    part_time_share: Share = 0.726  # JOB-10, paid jobs
    full_time_hours: Annotated[Real, Field(gt=0, le=80)] = 37.5  # ASSUMPTION: Finnish standard full-time week
    part_time_hours_mean: Annotated[Real, Field(gt=0, le=80)] = 17.0
    """ASSUMPTION: gives a mean of about 22 h/week over paid jobs (JOB-11) with 27% full time."""
    # ASSUMPTION: work trials are typically part-day
    other_hours_mean: Annotated[Real, Field(gt=0, le=80)] = 15.0
    hourly_wage_median_eur: Annotated[Real, Field(gt=0, le=1000)] = 13.5
    """ASSUMPTION: wages are not reported (JOB-17); a Finnish entry-level service wage."""
    hourly_wage_sd_log: Annotated[Real, Field(ge=0, le=3)] = 0.15  # ASSUMPTION
    paid_fragile_share: Share = 0.4
    """Share of paid jobs that are fragile matches, ending within weeks (JOB-08: 42% of ended paid
    jobs lasted under a month; Finnish law allows a trial period of up to 6 months in which
    either side may end the contract). ASSUMPTION on the mechanism; the value is calibrated."""
    tenure_days_fragile: Days = 20.0
    """Mean tenure (exponential) of a fragile paid job. ASSUMPTION, calibrated (JOB-08 < 1 month)."""
    tenure_scale_days_fixed_term: Days = 300.0
    """Mean tenure (exponential) of a stable fixed-term paid job. ASSUMPTION, calibrated (JOB-07,
    JOB-08, JOB-09)."""
    tenure_permanent_ratio: Annotated[Real, Field(ge=1, le=20)] = 3.0
    """Mean tenure of a stable permanent paid job over that of a stable fixed-term one.
    ASSUMPTION: 3 (a permanent contract has no end date; JOB-06 only gives the 39% share); the
    documentation window (at most 364 days, JOB-07) cannot tell the two apart, so it is not
    fitted; swept over 1.5-6 in ``finland_pilot_uncertainty``."""
    tenure_scale_days_other: Days = 60.0
    """Weibull scale of work-trial tenure. ASSUMPTION: trials last weeks to months; calibrated."""
    tenure_shape_other: Annotated[Real, Field(ge=0.1, le=10)] = 1.5
    """Weibull shape of work-trial tenure. ASSUMPTION: a trial is agreed for a planned period, so
    its exit hazard rises (> 1); calibrated (JOB-08 all transitions vs paid jobs)."""
    follow_along_fragile_multiplier: Annotated[Real, Field(ge=0, le=1)] = 1.0
    """ASSUMPTION, not fitted: the fragile share of a paid job that starts with a coach's
    follow-along support (COA-17) is multiplied by this. The Finnish data have no control group,
    so no figure identifies it; 1 (no effect) by default, swept over 0.6-1 in
    ``finland_pilot_uncertainty``."""
    keep_under_earnings_limit_share: Share = 0.3
    """BAR-03: 16% of all clients had benefit difficulties, mostly earnings limits, and 55% were
    pensioners (BAS-09). ASSUMPTION: 30% of pensioners (about 16/55) choose hours that keep their
    monthly earnings under the pension's earnings limit (``economics.benefits``)."""
    kept_share_of_earnings_limit: Share = 0.95
    """ASSUMPTION: those who keep under the limit aim at 95% of it, a margin for extra shifts."""

    @model_validator(mode="after")
    def _hours(self) -> Jobs:
        if self.part_time_hours_mean > self.full_time_hours:
            raise ValueError(f"jobs.part_time_hours_mean: must be <= full_time_hours "
                             f"({self.full_time_hours:g}; got {self.part_time_hours_mean:g})")
        return self


class Employers(Strict):
    """Employer population of each region: sectors, vacancies, openness, relationships."""

    sectors: dict[str, Share] = Field(
        default_factory=lambda: {
            "hospitality": 0.2,
            "retail": 0.2,
            "care": 0.15,
            "cleaning_maintenance": 0.2,
            "public_sector": 0.15,
            "it_communications": 0.1,
        }
    )
    """ASSUMPTION: sector mix echoing the job titles in JOB-05."""
    vacancies_per_employer_per_month: Annotated[Real, Field(gt=0, le=30)] = 0.35
    """ASSUMPTION: suitable entry-level vacancies opening per employer."""
    vacancy_open_days_mean: Days = 30.0  # ASSUMPTION
    openness_beta: tuple[Annotated[Real, Field(gt=0, le=1000)],
                         Annotated[Real, Field(gt=0, le=1000)]] = (2.0, 3.0)
    """ASSUMPTION: Beta(a, b) openness to hiring a person with a mental illness (mean 0.4)."""
    relationship_gain_per_contact: Share = 0.3
    """ASSUMPTION: each coach contact closes this fraction of the gap to a full relationship."""
    relationship_decay_days: Days = 90.0  # ASSUMPTION: relationships fade without contact


class Published(Strict):
    """A published outcome of the programme a scenario stands for, shown beside the simulated
    one in the run report."""

    metric: str = Field(description="the summary.csv metric closest to the published outcome")
    arm: Literal["ips", "usual", "difference"]
    value: Real = Field(description="in the metric's unit (shares as fractions: 0.44, not 44)")
    source: Annotated[str, Field(min_length=1)] = Field(description="fact ID, e.g. EMP-09")
    note: str = Field("", description="exact published definition and window, and how it differs "
                      "from the simulated metric")


class Scenario(Strict):
    """A complete, validated scenario."""

    name: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    """Names the output folders: letters, digits, ``_``, ``.`` and ``-`` (no ``/``)."""
    description: str = ""
    calibration: str | None = Field(
        None, description="calibrated parameter file, relative to the scenario file; its values "
        "replace the defaults and the scenario's own fields override them")
    calibration_scope: str | None = Field(
        None, description="which scoped values of the calibration file also apply (a value named "
        "'trial:employability.population_multiplier' applies only with scope 'trial')")
    mode: Literal["trial", "programme"]
    horizon_months: Annotated[Count, Field(ge=1, le=600)] = 48
    outcome_window_months: Annotated[Count, Field(ge=1, le=600)] = 24
    """Window of the ever-employed-in-window outcome: 24 months, as the trials' follow-up
    (EMP-01), or the horizon when that is shorter (a longer window is refused)."""
    referral_months: tuple[Month, Month] | None = Field(
        None, description="[first, last) month of intake of every region without its own; "
        "default: the whole horizon")
    operating_months: Annotated[Real, Field(gt=0, le=600)] | None = Field(
        None, description="every region without its own closes after this month; default: the "
        "horizon in programme mode, the outcome window in trial mode")
    recruitment_months: Annotated[Real, Field(ge=0, le=600)] = 0.0
    """Trial mode: the cohort enters evenly over this many months from day 0 (0: all on day 0),
    each participant is served for the outcome window from entry, and each region's coaches
    (at most ``coaches``) are set at each month's start to what the clients in IPS and the
    month's recruits need at the caseload cap, so that nobody waits and no caseload exceeds the
    cap (:meth:`ipssim.model.coaches.Team.follow_caseload`). The default 0 is the cohort the
    calibration was fitted on; trials recruit over a year or more (ASSUMPTION: the evidence
    gives no window; europe_rct.yaml sets 12 months)."""
    trial_service_months: Annotated[Count, Field(ge=1, le=600)] | None = None
    """Trial mode: months of IPS each participant is offered from entry (a recruited trial) and,
    with ``recruitment_months``, how long after the last recruit the service closes; default:
    the outcome window, as a 24-month trial serves its participants for its follow-up. A trial
    whose design kept IPS for its 5-year follow-up sets 60."""
    regions: Annotated[list[Region], Field(min_length=1, max_length=MAX_REGIONS)]
    clients: ClientMix = ClientMix()
    employability: Employability = Employability()
    coaching: Coaching = Coaching()
    jobs: Jobs = Jobs()
    employers: Employers = Employers()
    economics: Economics = Economics()
    care: Care = Care()
    """Health and social care use by state (its prices: ``economics.care``)."""
    uncertainty: Uncertainty | None = Field(
        None, description="distributions of parameters for sensitivity sweeps (ipssim sweep)")
    published: list[Published] = Field(
        default_factory=list, description="published outcomes of this programme (fact IDs), shown "
        "beside the simulated ones in the run report")

    @model_validator(mode="before")
    @classmethod
    def _window_within_horizon(cls, data: object) -> object:
        """Without a window of its own, a scenario shorter than 24 months uses its horizon."""
        if isinstance(data, dict) and "outcome_window_months" not in data:
            horizon = data.get("horizon_months", 48)
            if type(horizon) is int and 1 <= horizon < 24:
                return {**data, "outcome_window_months": horizon}
        return data

    def intake_months(self, region: Region) -> tuple[float, float]:
        """[first, last) month of a region's referrals: its own ``referral_months``, else the
        scenario's, else the whole horizon (programme mode)."""
        return region.referral_months or self.referral_months or (0.0, self.horizon_months)

    def closing_month(self, region: Region) -> float | None:
        """The month after which a region's programme closes, or None if it runs to the horizon.

        The rule, so that a longer horizon needs no other edit: the region's own
        ``operating_months``, else the scenario's; without either, a programme runs to the
        horizon and a trial's IPS service runs for its outcome window after the last recruit
        enters (the trial's follow-up: each participant is served for the outcome window from
        their own entry, :class:`ipssim.model.pathway.Pathway`, and a team sized for the cohort
        is not paid for the years after, which a 120-month horizon would otherwise do)."""
        months = region.operating_months or self.operating_months
        if months is None and self.mode == "trial":
            months = self.recruitment_months + self.service_months
        return None if months is None or months >= self.horizon_months else float(months)

    @property
    def service_months(self) -> int:
        """Trial mode: months of IPS each participant is offered (``trial_service_months``)."""
        return self.trial_service_months or self.outcome_window_months

    @model_validator(mode="after")
    def _mode_rules(self) -> Scenario:
        cap = self.coaching.caseload_cap
        if self.referral_months is not None:
            first, last = self.referral_months
            if not first < last:
                raise ValueError(f"referral_months: give [first, last) with first < last "
                                 f"(got {list(self.referral_months)})")
            if last > self.horizon_months:
                raise ValueError(f"referral_months: intake must end by the horizon "
                                 f"({self.horizon_months} months; got {last:g})")
        if self.recruitment_months and self.mode != "trial":
            raise ValueError("recruitment_months: applies to trial mode only (programme mode "
                             "takes referrals_per_month)")
        for i, region in enumerate(self.regions):
            where = f"regions[{i}]"
            closing = self.closing_month(region)
            if self.mode == "trial" and closing is not None and \
                    self.recruitment_months >= closing:
                raise ValueError(f"recruitment_months: must end before {where} closes (month "
                                 f"{closing:g}; got {self.recruitment_months:g})")
            if self.recruitment_months and region.staffing:
                raise ValueError(f"{where}.staffing: a recruited trial hires its coaches as the "
                                 "cohort needs them (recruitment_months); give coaches only")
            if self.mode == "trial":
                if region.cohort_size < 1:
                    raise ValueError(f"{where}.cohort_size: trial mode needs a cohort of at least 1")
                if (region.coaches or 0) * cap < region.cohort_size:
                    raise ValueError(
                        f"{where}.coaches: trial mode has no waiting list, so coaches x caseload_cap"
                        f" must be >= cohort_size ({region.cohort_size}); got {region.coaches} x {cap}"
                    )
            elif region.referrals_per_month <= 0:
                raise ValueError(f"{where}.referrals_per_month: programme mode needs a rate > 0 "
                                 "(or eligible_people and uptake_per_year)")
            else:
                first, last = self.intake_months(region)
                if last > self.horizon_months:
                    raise ValueError(f"{where}.referral_months: intake must end by the horizon "
                                     f"({self.horizon_months} months; got {last:g})")
                expected = region.referrals_per_month * (last - first)
                if expected < 1:
                    raise ValueError(
                        f"{where}.referrals_per_month: expects {expected:.3g} referrals over the "
                        f"intake months; give a rate that refers at least one client")
            for change in region.staffing:
                if change.month >= self.horizon_months:
                    raise ValueError(f"{where}.staffing: month {change.month:g} is not before the "
                                     f"horizon ({self.horizon_months} months)")
        seen: dict[str, int] = {}
        for i, region in enumerate(self.regions):
            first = seen.setdefault(region.name.casefold(), i)
            if first != i:
                raise ValueError(f"regions: names must be unique, ignoring case (given twice: "
                                 f"{self.regions[first].name!r} and {region.name!r})")
        if self.trial_service_months is not None:
            if self.mode != "trial":
                raise ValueError("trial_service_months: applies to trial mode only (programme "
                                 "mode serves each client until they leave)")
            if self.trial_service_months > self.horizon_months:
                raise ValueError(f"trial_service_months: must be <= horizon_months "
                                 f"({self.horizon_months}; got {self.trial_service_months})")
        if self.outcome_window_months > self.horizon_months:
            raise ValueError(f"outcome_window_months: must be <= horizon_months "
                             f"({self.horizon_months}; got {self.outcome_window_months})")
        _check_mix("employers.sectors", self.employers.sectors, tuple(self.employers.sectors))
        if self.jobs.subsidised_share + self.jobs.other_share > 1:
            raise ValueError("jobs.subsidised_share + jobs.other_share: must be <= 1")
        return self

    @model_validator(mode="after")
    def _published_metrics(self) -> Scenario:
        arms = ("ips", "usual", "difference")
        names = sorted({m for arm in arms for m in summary_metrics(arm)})
        for i, item in enumerate(self.published):
            if item.metric not in names:
                close = get_close_matches(item.metric, names, n=5, cutoff=0.0)
                raise ValueError(f"published[{i}].metric: {item.metric!r:.80} is not a summary.csv "
                                 f"metric; closest allowed: {', '.join(close)} (all {len(names)} "
                                 "in the README's Outputs section)")
            if item.metric not in summary_metrics(item.arm):
                having = [arm for arm in arms if item.metric in summary_metrics(arm)]
                raise ValueError(f"published[{i}].arm: summary.csv has no {item.arm!r} row for "
                                 f"{item.metric!r}; allowed: {', '.join(having)}")
            if item.metric in QALY_METRICS and not self.economics.qaly.enabled:
                raise ValueError(f"published[{i}].metric: {item.metric!r} needs "
                                 "economics.qaly.enabled: true")
        return self


def recruitment_days(cohort_size: int, window_months: float) -> np.ndarray:
    """The days a trial's cohort enters: evenly over the recruitment window from day 0 (all on
    day 0 without a window)."""
    return np.arange(cohort_size) * (window_months * MONTH_DAYS / cohort_size)
