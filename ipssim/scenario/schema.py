"""Scenario: every model parameter as one typed, validated object loaded from YAML.

Defaults carry the fact ID they come from (see ``shared/evidence/facts.md`` and ``outside.md``) or
say ``ASSUMPTION`` with the reasoning. A scenario file only states what differs from the defaults,
plus its regions. Unknown fields are rejected, so a misspelt parameter never passes silently.
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ipssim.scenario.uncertainty import Uncertainty

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]

MAIN_ACTIVITIES = (
    "unemployed",
    "sick_leave",
    "disability_pension",
    "rehabilitation_subsidy",
    "working",
    "studying",
    "other",
)
TIME_SINCE_WORK = ("under_1y", "1_to_3y", "over_3y")


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message is one line naming the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StaffingChange(_Strict):
    """A change of a region's headcount from a month on (a hiring ramp, a budget cut)."""

    month: NonNegative
    coaches: Annotated[int, Field(ge=0)]
    team_leaders: Annotated[int, Field(ge=0)] | None = Field(
        None, description="team leaders from this month; default: unchanged")


class Region(_Strict):
    """One IPS team: coaches, team leaders, a referral stream and a local employer population.

    Staff are given either as a headcount (``coaches``, ``team_leaders``, and optional
    ``staffing`` changes over time) or as a budget per programme year (``budget_eur_per_year``),
    which :func:`ipssim.funding.staff_for_budget` converts to a headcount when the scenario is
    loaded.
    """

    name: str
    coaches: Annotated[int, Field(ge=1)] | None = None
    team_leaders: Annotated[int, Field(ge=0)] = 1
    staffing: list[StaffingChange] = Field(
        default_factory=list, description="headcount changes, in month order")
    budget_eur_per_year: Annotated[list[Positive], Field(min_length=1)] | None = Field(
        None, description="programme budget of each year from month 0 (the last one repeats)")
    referrals_per_month: NonNegative = 0.0
    referral_months: tuple[NonNegative, NonNegative] | None = Field(
        None, description="[first, last) month of intake; default: the whole horizon"
    )
    cohort_size: Annotated[int, Field(ge=0)] = 0
    operating_months: Positive | None = Field(
        None, description="the programme closes after this month; default: runs to the horizon"
    )
    fidelity: Annotated[float, Field(ge=25, le=125)] = 100.0
    integrated: bool = True
    employers: Annotated[int, Field(ge=1)] = 60

    @model_validator(mode="after")
    def _staff(self) -> Region:
        if self.coaches is None:
            raise ValueError(f"regions[{self.name}]: give coaches or budget_eur_per_year")
        months = [change.month for change in self.staffing]
        if months != sorted(months):
            raise ValueError(f"regions[{self.name}].staffing: months must be in increasing order")
        return self

    @property
    def posts(self) -> int:
        """The most coaches the region ever has (at the start or after a staffing change)."""
        return max([self.coaches or 0, *(change.coaches for change in self.staffing)])


class AgeMix(_Strict):
    """BAS-02: mean 37, SD 9.97, range 19-64 (truncated normal)."""

    mean: float = 37.0
    sd: Positive = 9.97
    min: float = 19.0
    max: float = 64.0


class ClientMix(_Strict):
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


def _check_mix(field: str, mix: dict[str, float], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(mix) - set(allowed))
    if unknown:
        raise ValueError(f"{field}: unknown category {unknown[0]!r}; allowed: {', '.join(allowed)}")
    total = sum(mix.values())
    if abs(total - 1.0) > 0.01:
        raise ValueError(f"{field}: shares must sum to 1 (got {total:.3f})")


class Employability(_Strict):
    """Latent employability: work history (EMP-08) times lognormal individual heterogeneity.

    ASSUMPTION: relative job-finding rates 1 / 0.6 / 0.3 by time since last work; the evidence
    names work history as the strongest predictor (EMP-08) but gives no slope.
    """

    work_history_multiplier: dict[str, Positive] = Field(
        default_factory=lambda: {"under_1y": 1.0, "1_to_3y": 0.6, "over_3y": 0.3}
    )
    heterogeneity_sd: NonNegative = 1.0  # ASSUMPTION: log-scale SD, calibrated (issue 3)
    population_multiplier: Positive = 1.0
    """Employability of this scenario's population relative to the Finnish pilot clients (1 = the
    same). The pooled trials (EMP-01) come from other countries, benefit systems and eligibility
    rules (EMP-06, INC-14), so the calibration fits it for trial-like populations."""


class Coaching(_Strict):
    """The coach side of the IPS pathway."""

    caseload_cap: Annotated[int, Field(ge=1)] = 20  # STF-01 (fidelity item 1, OUT-E4)
    full_attention_caseload: Positive = 10.0
    """ASSUMPTION: up to this many clients a coach gives each one full attention; Norway's 10-15
    works and results deteriorate at >= 20 (STF-03)."""
    caseload_elasticity: NonNegative = 0.5
    """ASSUMPTION: job-offer rate scales as (full_attention_caseload / caseload) ** elasticity above
    full attention, i.e. less coach time per client means fewer offers."""
    employer_contacts_per_week: NonNegative = 2.5
    """Fidelity asks 6 (STF-08); the Finnish pilots scored 2.8/5 on item 17 at best (FID-09).
    ASSUMPTION: 2.5 contacts a week."""
    review_interval_days: Positive = 14.0
    """ASSUMPTION: a coach reviews each client's search about twice a month (COA-03: 73% met at
    least 2-3 times a month); the job-offer rate is re-evaluated at each review."""
    engagement_days_mean: NonNegative = 30.0
    """ASSUMPTION: engagement and vocational profile before active search; rapid search puts the
    first employer contact within 30 days (TTJ-05)."""
    dropout_rate_per_month: NonNegative = 0.03
    """ASSUMPTION: hazard of dropping out while not working; calibrated to 16% (COA-05) in issue 3."""
    end_rate_searching_per_month: NonNegative = 0.06
    """ASSUMPTION: hazard that coaching ends without a job (searching state)."""
    end_rate_working_per_month: NonNegative = 0.15
    """ASSUMPTION: follow-along support fades (COA-17); hazard that a working client no longer
    wants support. Together these shape coaching duration, mean 235 d (COA-01)."""
    end_hazard_shape: Positive = 1.0
    """ASSUMPTION, calibrated: Weibull shape of both coaching-end hazards in time since IPS start
    (1 = constant; above 1 = rising, as when coaches close cases as they age); the two rates above
    are then their averages over the first year. COA-01's spread (CV 0.67) is below the 1 that a
    constant hazard gives."""
    turnover_per_year: NonNegative = 0.0
    """ASSUMPTION: coaches leave at this rate (STF-10 reports turnover but gives no rate). Off by
    default, because the calibration ran without it; a leaver's post stays vacant for
    ``vacancy_months`` and a new coach then ramps up."""
    vacancy_months: NonNegative = 2.0  # ASSUMPTION: months to recruit a replacement coach
    ramp_up_months: NonNegative = 3.0
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
    waiting_patience_days: Positive | None = None
    """Mean days a referred client waits before abandoning the waiting list; None: never abandons."""
    fidelity_slope: NonNegative = 0.1
    """ASSUMPTION: offer rate x (1 + slope * (fidelity - 100) / 25). Direction only (EMP-16)."""
    not_integrated_multiplier: Positive = 0.8
    """ASSUMPTION: offer-rate multiplier when coaches are not integrated in psychiatric care
    (STF-06, EMP-09 direction only)."""


class Jobs(_Strict):
    """Job finding, job attributes and tenure."""

    ips_offer_rate_per_month: Positive = 0.30
    """ASSUMPTION: job-offer rate at employability 1 with a coach; calibrated in issue 3."""
    usual_offer_rate_per_month: Positive = 0.06
    """ASSUMPTION: job-finding rate without a coach (usual services); calibrated to EMP-01's 20%."""
    subsidised_share: Share = 0.188  # JOB-02
    other_share: Share = 0.229  # JOB-02 (work trials etc.); none for disability pensioners, BAR-04
    work_trials_from_day: NonNegative = 0.0
    """Days in IPS before the coach offers work trials and other non-paid transitions; until then
    every offer is for a paid job (FID-11: competitive employment is the goal, rapid search for
    it; BAR-09: coaches saw work trials as what might have helped those still without work).
    ASSUMPTION on the mechanism; the value is calibrated (TTJ-01 > TTJ-02: the first transition
    of any type comes later on average than the first paid job, so trials come late)."""
    permanent_share: Share = 0.388  # JOB-06, paid jobs
    part_time_share: Share = 0.726  # JOB-10, paid jobs
    full_time_hours: Positive = 37.5  # ASSUMPTION: Finnish standard full-time week
    part_time_hours_mean: Positive = 17.0
    """ASSUMPTION: gives a mean of about 22 h/week over paid jobs (JOB-11) with 27% full time."""
    other_hours_mean: Positive = 15.0  # ASSUMPTION: work trials are typically part-day
    hourly_wage_median_eur: Positive = 13.5
    """ASSUMPTION: wages are not reported (JOB-17); a Finnish entry-level service wage."""
    hourly_wage_sd_log: NonNegative = 0.15  # ASSUMPTION
    tenure_weibull_shape: Positive = 0.8
    """ASSUMPTION: < 1 gives the heavy tail of ended spells (JOB-07: CV 1.19)."""
    tenure_scale_days_fixed_term: Positive = 150.0  # ASSUMPTION; calibrated against JOB-07
    tenure_scale_days_permanent: Positive = 500.0  # ASSUMPTION
    tenure_scale_days_other: Positive = 60.0  # ASSUMPTION: work trials last weeks to months
    keep_under_earnings_limit_share: Share = 0.3
    """BAR-03: 16% of all clients had benefit difficulties, mostly earnings limits, and 55% were
    pensioners (BAS-09). ASSUMPTION: 30% of pensioners (about 16/55) choose hours that keep their
    monthly earnings under the pension's earnings limit (``economics.benefits``)."""
    kept_share_of_earnings_limit: Share = 0.95
    """ASSUMPTION: those who keep under the limit aim at 95% of it, a margin for extra shifts."""


class Employers(_Strict):
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
    vacancies_per_employer_per_month: Positive = 0.35
    """ASSUMPTION: suitable entry-level vacancies opening per employer."""
    vacancy_open_days_mean: Positive = 30.0  # ASSUMPTION
    openness_beta: tuple[Positive, Positive] = (2.0, 3.0)
    """ASSUMPTION: Beta(a, b) openness to hiring a person with a mental illness (mean 0.4)."""
    relationship_gain_per_contact: Share = 0.3
    """ASSUMPTION: each coach contact closes this fraction of the gap to a full relationship."""
    relationship_decay_days: Positive = 90.0  # ASSUMPTION: relationships fade without contact


PAYERS = ("state", "kela", "pension_providers", "wellbeing_county", "municipality", "employer",
          "client")
"""Who pays or receives each euro. The first five are the public purse (OUT-C6: results by sector)."""
PUBLIC_PAYERS = PAYERS[:5]
Payer = Literal["state", "kela", "pension_providers", "wellbeing_county", "municipality", "employer",
                "client"]


class Benefits(_Strict):
    """Benefit amounts and earnings tests (euros a month, before tax)."""

    national_pension_eur: NonNegative = 775.70  # OUT-B1: Kela full amount, living alone
    national_pension_cohabiting_eur: NonNegative = 692.54  # OUT-B1
    national_pension_offset_threshold_eur: NonNegative = 65.62  # OUT-B1
    national_pension_ceiling_eur: NonNegative = 1601.21
    """OUT-B1: no national pension above this earnings-related pension."""
    earnings_related_pension_eur: NonNegative = 300.0
    """ASSUMPTION: small earnings-related pension of young clients with short work histories."""
    pension_earnings_limit_eur: NonNegative = 976.59
    """OUT-B2 (2024): earnings up to this never affect Kela's pension; ASSUMPTION: it is also the
    earnings-related limit, since 40% of these clients' short previous earnings is lower."""
    suspension_min_months: Annotated[int, Field(ge=1)] = 3
    """OUT-B2: earnings above the limit suspend the pension for at least 3 months."""
    suspension_max_months: Annotated[int, Field(ge=1)] = 24
    """OUT-B2: a pension suspended for 2 years ends. ASSUMPTION: the client then counts as
    unemployed and draws the labour-market subsidy in months with low earnings."""
    labour_market_subsidy_eur: NonNegative = 800.0  # OUT-B3: 37.21 EUR/day x 21.5 days
    labour_market_subsidy_taper: Share = 0.5  # OUT-B3: 50% of earnings reduce the benefit
    labour_market_subsidy_protected_eur: NonNegative = 0.0
    """ASSUMPTION: no protected earnings before the taper (OUT-B3 asks to verify the 2024 rule)."""
    sickness_allowance_eur: NonNegative = 900.0
    """ASSUMPTION: typical allowance for a low previous income; paid only in months without work."""
    sickness_allowance_months_left: Annotated[int, Field(ge=0)] = 6
    """OUT-B4: about 300 working days (12 months) at most; ASSUMPTION: a client on sick leave at
    entry has half of it left; after it a rehabilitation subsidy follows (OUT-B4)."""


class Taxes(_Strict):
    """Income tax and social contributions (Finland 2024), by the payer that receives them."""

    state_tax_brackets: tuple[tuple[NonNegative, Share], ...] = (
        (0.0, 0.1264), (20_500.0, 0.19), (30_500.0, 0.3025), (50_400.0, 0.34),
        (88_200.0, 0.4175), (150_000.0, 0.4425))
    """State income tax scale 2024 (vero.fi, 'Basis for 2024 prepayments'): (annual taxable
    income from which, marginal rate). Entered from the published scale without access to it
    here: verify before relying on it. Only the first two brackets matter at these incomes."""
    municipal_tax_rate: Share = 0.0746  # 2024 average municipal tax rate (same sources)
    tax_free_allowance_eur_per_year: NonNegative = 10_000.0
    """ASSUMPTION: one annual allowance standing for the basic, earned-income and pension-income
    deductions and the work income tax credit, which leave a full national pension and a
    labour-market subsidy almost untaxed at these incomes. Income is taxed month by month as if
    the month's income lasted a year (no annual averaging)."""
    health_care_contribution_wage_rate: Share = 0.0051  # vero.fi 2024: on wages (to Kela)
    health_care_contribution_benefit_rate: Share = 0.0148  # vero.fi 2024: on pensions, benefits
    daily_allowance_contribution_rate: Share = 0.0101
    """vero.fi 2024: on wages of wage earners with annual income >= 16,499 EUR (to Kela)."""
    daily_allowance_threshold_eur_per_year: NonNegative = 16_499.0  # vero.fi 2024
    employee_pension_rate: Share = 0.0715  # varma.fi 2024: TyEL employee share, under 53
    employee_unemployment_rate: Share = 0.015
    """ASSUMPTION: 2024 employee unemployment insurance (not verified); booked to the state, which
    here stands for the Employment Fund."""
    employer_pension_rate: Share = 0.1766
    """varma.fi 2024: average TyEL contribution 24.81% of wages less the employee's 7.15%."""
    employer_health_insurance_rate: Share = 0.0187  # ASSUMPTION: 2024 level (not verified); Kela
    employer_unemployment_rate: Share = 0.0052
    """ASSUMPTION: 2024 level for a small payroll (not verified); booked to the state."""


class ProgrammeCosts(_Strict):
    """Full cost of running IPS teams."""

    coach_salary_eur_per_year: NonNegative = 40_000.0
    """ASSUMPTION: Finnish employment coach pay; CST-14 says no cost figures are in the evidence."""
    team_leader_salary_eur_per_year: NonNegative = 50_000.0  # ASSUMPTION
    employer_cost_rate: NonNegative = 0.23
    """ASSUMPTION: the employer's statutory contributions and holiday pay on staff salaries."""
    coaches_per_full_time_leader: Positive = 9.0
    """STF-04 (one supervisor per 8-10 staff), STF-05 (9:1 at HUS). ASSUMPTION: a team leader of a
    smaller team spends only coaches / 9 of their time on IPS, so only that share is costed."""
    overhead_rate: NonNegative = 0.15  # ASSUMPTION: premises, IT, travel, on full staff cost
    training_eur_per_new_coach: NonNegative = 3_000.0
    """ASSUMPTION: IPS basic training and induction of each coach hired (initial and replacement)."""
    fidelity_review_eur: NonNegative = 4_000.0
    """ASSUMPTION: external reviewer and peer reviewers, two days on site plus the report (FID-06)."""
    review_interval_months: Positive = 6.0  # FID-03: every 6 months until the score is >= 100
    good_fidelity_review_interval_months: Positive = 12.0  # FID-03: then yearly
    good_fidelity: Annotated[float, Field(ge=25, le=125)] = 100.0  # FID-02, FID-03: "good"


class Payers(_Strict):
    """Who pays what (OUT-C6: results per paying sector)."""

    programme: dict[Payer, Share] = Field(default_factory=lambda: {"state": 1.0})
    """CST-04: the pilots ran on state grants from the ministry (STM); CST-11 names STM, Kela or
    the regions as possible single-channel funders."""
    wage_subsidy: Payer = "state"
    """ASSUMPTION: the TE office (state) pays the wage subsidy; from 2025 municipalities do."""
    labour_market_subsidy_municipal_share: Share = 0.5
    """ASSUMPTION: municipalities pay half the labour-market subsidy of the long-term unemployed
    (the share grows with unemployment duration); Kela (state-funded) pays the rest."""

    @model_validator(mode="after")
    def _programme_shares(self) -> Payers:
        total = sum(self.programme.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"economics.payers.programme: shares must sum to 1 (got {total:.3f})")
        return self


class Qaly(_Strict):
    """Optional quality-adjusted life years (off by default: utilities are assumptions)."""

    enabled: bool = False
    utility_not_working: Share = 0.70
    """ASSUMPTION: EQ-5D of people with psychosis not in work; no utility is in the evidence."""
    utility_working: Share = 0.75
    """ASSUMPTION: +0.05 in months in work (psychosocial gains concentrate among those working,
    PSY-01..PSY-10, direction only)."""


class Economics(_Strict):
    """Money: benefits, taxes, wage subsidy, programme costs, payers, discounting, QALYs."""

    benefits: Benefits = Benefits()
    taxes: Taxes = Taxes()
    costs: ProgrammeCosts = ProgrammeCosts()
    payers: Payers = Payers()
    qaly: Qaly = Qaly()
    wage_subsidy_rate: Share = 0.5
    """ASSUMPTION: wage subsidy for a person whose illness impairs work capacity, 50% of the wage
    and the employer's contributions (JOB-03: 24% of competitive jobs were subsidised)."""
    discount_rate_per_year: Annotated[float, Field(ge=0.0, le=0.2)] = 0.03
    """ASSUMPTION: a 3% annual rate, common in health-economic guidance; applied monthly."""
    price_year: int = 2024  # the year of the benefit and tax rules above (OUT-B1..B3)


PERSPECTIVES = ("public", "society")  # as in ipssim.accounts.metrics
SUMMARY_METRICS: dict[str, tuple[str, ...]] = {
    "both": ("ever_employed_competitive_in_window_share",
             "ever_employed_unsubsidised_in_window_share", "ever_employed_competitive_share",
             "ever_employed_share", "months_employed_per_client", "hours_per_client",
             "earnings_eur_per_client", "benefits_eur_per_client", "taxes_eur_per_client",
             "programme_cost_eur", "net_fiscal_eur", "months_employed_competitive_per_client",
             "wage_subsidy_eur", "pensions_ended_at_horizon", "benefits_eur_pv", "taxes_eur_pv",
             "programme_cost_eur_pv", *(f"net_{k}_eur_pv" for k in (*PAYERS, *PERSPECTIVES)),
             "qalys_pv"),
    "ips": ("clients_referred", "clients_started", "mean_wait_days", "waited_share",
            "dropout_share", "max_caseload"),
    "usual": ("clients_referred",),
    "difference": ("benefits_saved_eur_pv", "taxes_gained_eur_pv",
                   "cost_per_additional_employed_eur", "cost_per_additional_month_worked_eur",
                   *(f"{m}_{v}" for v in PERSPECTIVES for m in ("break_even_month", "breaks_even",
                                                                "roi")),
                   "icer_eur_per_qaly"),
}
"""The rows of ``summary.csv`` (``ipssim.accounts.metrics``): metrics of both arms and their difference
(``both``), and those of one arm or of the difference only. ``tests/test_programmes.py`` checks
this against a real run."""
QALY_METRICS = ("qalys_pv", "icer_eur_per_qaly")  # only with economics.qaly.enabled


def summary_metrics(arm: str) -> tuple[str, ...]:
    """The metric names ``summary.csv`` has for ``arm`` (ips, usual or difference)."""
    both = SUMMARY_METRICS["both"]
    return (*SUMMARY_METRICS.get(arm, ()), *both) if arm != "difference" else \
        (*both, *SUMMARY_METRICS["difference"])


class Published(_Strict):
    """A published outcome of the programme a scenario stands for, shown beside the simulated
    one in the run report."""

    metric: str = Field(description="the summary.csv metric closest to the published outcome")
    arm: Literal["ips", "usual", "difference"]
    value: float = Field(description="in the metric's unit (shares as fractions: 0.44, not 44)")
    source: Annotated[str, Field(min_length=1)] = Field(description="fact ID, e.g. EMP-09")
    note: str = Field("", description="exact published definition and window, and how it differs "
                      "from the simulated metric")


class Scenario(_Strict):
    """A complete, validated scenario."""

    name: str
    description: str = ""
    calibration: str | None = Field(
        None, description="calibrated parameter file, relative to the scenario file; its values "
        "replace the defaults and the scenario's own fields override them")
    calibration_scope: str | None = Field(
        None, description="which scoped values of the calibration file also apply (a value named "
        "'trial:employability.population_multiplier' applies only with scope 'trial')")
    mode: Literal["trial", "programme"]
    horizon_months: Annotated[int, Field(ge=1, le=600)] = 48
    outcome_window_months: Annotated[int, Field(ge=1, le=600)] = 24
    regions: Annotated[list[Region], Field(min_length=1)]
    clients: ClientMix = ClientMix()
    employability: Employability = Employability()
    coaching: Coaching = Coaching()
    jobs: Jobs = Jobs()
    employers: Employers = Employers()
    economics: Economics = Economics()
    uncertainty: Uncertainty | None = Field(
        None, description="distributions of parameters for sensitivity sweeps (ipssim sweep)")
    published: list[Published] = Field(
        default_factory=list, description="published outcomes of this programme (fact IDs), shown "
        "beside the simulated ones in the run report")

    @model_validator(mode="before")
    @classmethod
    def _funding(cls, data: object) -> object:
        """Give each region funded by a budget the headcount its budget buys, year by year, as
        its ``coaches``, ``team_leaders`` and ``staffing`` (see :mod:`ipssim.money.funding`)."""
        if not isinstance(data, dict) or not isinstance(data.get("regions"), list) or not any(
                isinstance(r, dict) and r.get("budget_eur_per_year") is not None
                for r in data["regions"]):
            return data
        from ipssim.money.funding import staffing_for_budgets, yearly_cost  # funding builds on this

        try:
            econ = Economics.model_validate(data.get("economics", {}))
            horizon = int(data.get("horizon_months", 48))
        except (ValidationError, TypeError, ValueError):
            return data  # the field validation reports it
        regions = []
        for i, region in enumerate(data["regions"]):
            budgets = region.get("budget_eur_per_year") if isinstance(region, dict) else None
            if not isinstance(budgets, list) or not all(
                    isinstance(b, int | float) and b > 0 for b in budgets) or not budgets:
                regions.append(region)
                continue
            fidelity = float(region.get("fidelity", 100.0))
            months = min(horizon, region.get("operating_months") or horizon)
            staff = staffing_for_budgets(budgets, math.ceil(months / 12), fidelity, econ)
            if staff[0][0] < 1:
                raise ValueError(
                    f"regions[{i}].budget_eur_per_year: the first year buys no coach (one coach "
                    f"costs {yearly_cost(1, 1, fidelity, econ):,.0f} EUR in its first year)")
            resolved = {"coaches": staff[0][0], "team_leaders": staff[0][1], "staffing": [
                {"month": 12 * year, "coaches": coaches, "team_leaders": leaders}
                for year, (coaches, leaders) in enumerate(staff)
                if year and (coaches, leaders) != staff[year - 1]]}
            for key, value in resolved.items():
                if region.get(key) not in (None, value):
                    raise ValueError(f"regions[{i}].{key}: set by budget_eur_per_year (it buys "
                                     f"{value}); remove {key}")
            regions.append({**region, **resolved})
        return {**data, "regions": regions}

    @model_validator(mode="after")
    def _mode_rules(self) -> Scenario:
        cap = self.coaching.caseload_cap
        for i, region in enumerate(self.regions):
            where = f"regions[{i}]"
            if self.mode == "trial":
                if region.cohort_size < 1:
                    raise ValueError(f"{where}.cohort_size: trial mode needs a cohort of at least 1")
                if region.coaches * cap < region.cohort_size:
                    raise ValueError(
                        f"{where}.coaches: trial mode has no waiting list, so coaches x caseload_cap"
                        f" must be >= cohort_size ({region.cohort_size}); got {region.coaches} x {cap}"
                    )
            elif region.referrals_per_month <= 0:
                raise ValueError(f"{where}.referrals_per_month: programme mode needs a rate > 0")
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
                raise ValueError(f"published[{i}].metric: {item.metric!r} is not a summary.csv "
                                 f"metric; allowed: {', '.join(names)}")
            if item.metric not in summary_metrics(item.arm):
                having = [arm for arm in arms if item.metric in summary_metrics(arm)]
                raise ValueError(f"published[{i}].arm: summary.csv has no {item.arm!r} row for "
                                 f"{item.metric!r}; allowed: {', '.join(having)}")
            if item.metric in QALY_METRICS and not self.economics.qaly.enabled:
                raise ValueError(f"published[{i}].metric: {item.metric!r} needs "
                                 "economics.qaly.enabled: true")
        return self


def load_scenario(path: str | Path) -> tuple[Scenario, str]:
    """Read and validate a scenario file, applying its base scenario (``extends``) and its
    calibration file if it names them.

    Returns the scenario and the SHA-256 of the bytes of the scenario file, its base files and
    the calibration file, so a change to any of them changes the hash.
    """
    path = Path(path)
    data, raw = _scenario_data(path, ())
    if data.get("calibration") is None:
        return parse_scenario(data, source=str(path)), hashlib.sha256(raw).hexdigest()
    if not isinstance(data["calibration"], str):
        raise ScenarioError(f"{path}: calibration: must be a file path (got {data['calibration']!r})")
    calibration_path = path.parent / data["calibration"]
    calibration_raw = _read(calibration_path, "calibration")
    values = _mapping(calibration_raw, calibration_path).get("values")
    if not isinstance(values, dict):
        raise ScenarioError(f"{calibration_path}: values: must be a mapping of parameter paths")
    merged = with_values(data, scoped_values(values, data.get("calibration_scope")))
    return parse_scenario(merged, source=str(path)), hashlib.sha256(raw + calibration_raw).hexdigest()


def _scenario_data(path: Path, seen: tuple[Path, ...]) -> tuple[dict, bytes]:
    """A scenario file's mapping merged over the base it ``extends`` (a path relative to it; the
    variant's fields win, lists such as ``regions`` are replaced whole), and the bytes read."""
    raw = _read(path, "scenario")
    data = _mapping(raw, path)
    base = data.pop("extends", None)
    if base is None:
        return data, raw
    if not isinstance(base, str):
        raise ScenarioError(f"{path}: extends: must be the path of a base scenario file")
    base_path = path.parent / base
    if base_path.resolve() in seen:
        raise ScenarioError(f"{path}: extends: {base} extends this file again (a cycle)")
    base_data, base_raw = _scenario_data(base_path, (*seen, path.resolve()))
    if isinstance(base_data.get("calibration"), str):  # keep it relative to the variant
        base_data["calibration"] = os.path.relpath(base_path.parent / base_data["calibration"],
                                                   path.parent)
    return _deep_merge(base_data, data), base_raw + raw


def scoped_values(values: dict[str, float], scope: str | None) -> dict[str, float]:
    """The calibrated values that apply within ``scope``: unscoped ones (``jobs.x``) and those
    named ``<scope>:jobs.x``, without the prefix."""
    out = {}
    for name, value in values.items():
        prefix, _, path = name.rpartition(":")
        if not prefix or prefix == scope:
            out[path] = value
    return out


def read_scenario_data(path: str | Path) -> dict:
    """The mapping of a scenario file with its base applied (without its calibration)."""
    return _scenario_data(Path(path), ())[0]


def with_values(data: dict, values: dict[str, float]) -> dict:
    """Scenario data with dotted-path parameter values (``jobs.ips_offer_rate_per_month``) as
    defaults under the scenario's own fields."""
    merged: dict = {}
    for dotted, value in values.items():
        node = merged
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return _deep_merge(merged, data)


def _deep_merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(f"{what} file not found: {path}") from None
    except IsADirectoryError:
        raise ScenarioError(f"{what} path is a folder, not a YAML file: {path}") from None


def _mapping(raw: bytes, path: Path) -> dict:
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML ({_first_line(str(exc))})") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: must be a YAML mapping of fields")
    return data


def parse_scenario(data: dict, source: str = "scenario") -> Scenario:
    """Validate a mapping; raise ScenarioError with one line per problem joined by '; '."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"{source}: " + "; ".join(_describe(e) for e in exc.errors())) from None


def _describe(error: dict) -> str:
    loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"]).lstrip(".")
    kind = error["type"]
    if kind == "extra_forbidden":
        model = _model_at(error["loc"][:-1])
        allowed = ", ".join(model.model_fields) if model else "see the scenario schema"
        return f"{loc}: unknown field; allowed here: {allowed}"
    if kind == "value_error":
        return _first_line(str(error["ctx"]["error"]))
    message = error["msg"]
    return f"{loc}: {message} (got {error.get('input')!r})" if loc else message


def _model_at(loc: tuple) -> type[BaseModel] | None:
    model: type[BaseModel] = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
        inner = getattr(annotation, "__args__", None)
        candidates = inner if inner else (annotation,)
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            return None
        model = nested[0]
    return model


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
