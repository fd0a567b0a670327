"""Parameters of the money rules: benefits, taxes, programme costs, payers, QALYs, discounting.

Defaults carry the fact ID they come from (``shared/evidence/facts.md`` and ``outside.md``) or
say ``ASSUMPTION`` with the reasoning. They live with the rules (:mod:`ipssim.money.rules`) so
that money is a layer of its own: a scenario holds an :class:`Economics`, and re-pricing a run
needs nothing else.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated

import numpy as np
from pydantic import Discriminator, Field, Tag, model_validator

from ipssim.money.care import CarePrices, UsualServices
from ipssim.validation import Count, Real, Share, Strict
from ipssim.vocabulary import Payer

MAX_MONTHLY_EUR = 1e6
MonthlyEur = Annotated[Real, Field(ge=0, le=MAX_MONTHLY_EUR)]
"""Euros a month to one person (a benefit, an earnings limit): at most a million, far above any
benefit (the full national pension is 776 EUR, OUT-B1), so a typing error is refused."""
MAX_EUROS = 1e8
Euros = Annotated[Real, Field(ge=0, le=MAX_EUROS)]
"""A sum of euros of one person or one item (a year's income threshold or salary, a training, a
review): at most a hundred million."""
Rate = Annotated[Real, Field(ge=0, le=10)]
"""A rate on a sum of money (an employer's cost rate, overheads): at most 10 (1000%)."""
Months = Annotated[Real, Field(ge=1, le=600)]
"""Months between two reviews: from one month up to the longest horizon."""



class Benefits(Strict):
    """Benefit amounts and earnings tests (euros a month, before tax; each at most
    :data:`MAX_MONTHLY_EUR`)."""

    national_pension_eur: MonthlyEur = 775.70  # OUT-B1: Kela full amount, living alone
    national_pension_cohabiting_eur: MonthlyEur = 692.54  # OUT-B1
    national_pension_offset_threshold_eur: MonthlyEur = 65.62  # OUT-B1
    national_pension_ceiling_eur: MonthlyEur = 1601.21
    """OUT-B1: no national pension above this earnings-related pension."""
    earnings_related_pension_eur: MonthlyEur = 300.0
    """ASSUMPTION: small earnings-related pension of young clients with short work histories."""
    pension_earnings_limit_eur: MonthlyEur = 976.59
    """OUT-B2 (2024): earnings up to this never affect Kela's pension; ASSUMPTION: it is also the
    earnings-related limit, since 40% of these clients' short previous earnings is lower."""
    suspension_min_months: Annotated[Count, Field(ge=1, le=600)] = 3
    """OUT-B2: earnings above the limit suspend the pension for at least 3 months."""
    suspension_max_months: Annotated[Count, Field(ge=1, le=600)] = 24
    """OUT-B2: a pension suspended for 2 years ends. ASSUMPTION: the client then counts as
    unemployed and draws the labour-market subsidy in months with low earnings."""
    labour_market_subsidy_eur: MonthlyEur = 800.0  # OUT-B3: 37.21 EUR/day x 21.5 days
    labour_market_subsidy_taper: Share = 0.5  # OUT-B3: 50% of earnings reduce the benefit
    labour_market_subsidy_protected_eur: MonthlyEur = 0.0
    """ASSUMPTION: no protected earnings before the taper (OUT-B3 asks to verify the 2024 rule)."""
    sickness_allowance_eur: MonthlyEur = 900.0
    """ASSUMPTION: typical allowance for a low previous income; paid only in months without work."""
    sickness_allowance_months_left: Annotated[Count, Field(le=600)] = 6
    """OUT-B4: about 300 working days (12 months) at most; ASSUMPTION: a client on sick leave at
    entry has half of it left; after it a rehabilitation subsidy follows (OUT-B4)."""


    @model_validator(mode="after")
    def _order(self) -> Benefits:
        """The schedules in their order: the offset of the national pension starts below its
        ceiling, the cohabiting amount is at most the full one, a suspension's least months at
        most its most."""
        if self.suspension_max_months < self.suspension_min_months:
            raise ValueError("economics.benefits.suspension_max_months: must be >= "
                             f"suspension_min_months ({self.suspension_min_months})")
        if self.national_pension_offset_threshold_eur >= self.national_pension_ceiling_eur:
            raise ValueError("economics.benefits.national_pension_offset_threshold_eur: must be "
                             "below national_pension_ceiling_eur "
                             f"({self.national_pension_ceiling_eur:g}; got "
                             f"{self.national_pension_offset_threshold_eur:g})")
        if self.national_pension_cohabiting_eur > self.national_pension_eur:
            raise ValueError("economics.benefits.national_pension_cohabiting_eur: must be <= "
                             f"national_pension_eur ({self.national_pension_eur:g}; got "
                             f"{self.national_pension_cohabiting_eur:g})")
        return self


class Taxes(Strict):
    """Income tax and social contributions (Finland 2024), by the payer that receives them;
    incomes in euros a year, each at most :data:`MAX_EUROS`."""

    state_tax_brackets: tuple[tuple[Euros, Share], ...] = (
        (0.0, 0.1264), (20_500.0, 0.19), (30_500.0, 0.3025), (50_400.0, 0.34),
        (88_200.0, 0.4175), (150_000.0, 0.4425))
    """State income tax scale 2024 (vero.fi, 'Basis for 2024 prepayments'): (annual taxable
    income from which, marginal rate). Entered from the published scale without access to it
    here: verify before relying on it. Only the first two brackets matter at these incomes.
    The incomes must rise from bracket to bracket."""
    municipal_tax_rate: Share = 0.0746  # 2024 average municipal tax rate (same sources)
    tax_free_allowance_eur_per_year: Euros = 10_000.0
    """ASSUMPTION: one annual allowance standing for the basic, earned-income and pension-income
    deductions and the work income tax credit, which leave a full national pension and a
    labour-market subsidy almost untaxed at these incomes. Income is taxed month by month as if
    the month's income lasted a year (no annual averaging)."""
    health_care_contribution_wage_rate: Share = 0.0051  # vero.fi 2024: on wages (to Kela)
    health_care_contribution_benefit_rate: Share = 0.0148  # vero.fi 2024: on pensions, benefits
    daily_allowance_contribution_rate: Share = 0.0101
    """vero.fi 2024: on wages of wage earners with annual income >= 16,499 EUR (to Kela)."""
    daily_allowance_threshold_eur_per_year: Euros = 16_499.0  # vero.fi 2024
    employee_pension_rate: Share = 0.0715  # varma.fi 2024: TyEL employee share, under 53
    employee_unemployment_rate: Share = 0.015
    """ASSUMPTION: 2024 employee unemployment insurance (not verified); booked to the state, which
    here stands for the Employment Fund."""
    employer_pension_rate: Share = 0.1766
    """varma.fi 2024: average TyEL contribution 24.81% of wages less the employee's 7.15%."""
    employer_health_insurance_rate: Share = 0.0187  # ASSUMPTION: 2024 level (not verified); Kela
    employer_unemployment_rate: Share = 0.0052
    """ASSUMPTION: 2024 level for a small payroll (not verified); booked to the state."""

    @model_validator(mode="after")
    def _brackets(self) -> Taxes:
        starts = [start for start, _ in self.state_tax_brackets]
        if any(later <= earlier for earlier, later in pairwise(starts)):
            raise ValueError("economics.taxes.state_tax_brackets: the incomes from which each "
                             "rate applies must rise from bracket to bracket (got "
                             f"{', '.join(f'{start:g}' for start in starts[:12])}"
                             f"{', ...' if len(starts) > 12 else ''})")
        return self


class ProgrammeCosts(Strict):
    """Full cost of running IPS teams (each sum in euros at most :data:`MAX_EUROS`)."""

    coach_salary_eur_per_year: Euros = 40_000.0
    """ASSUMPTION: Finnish employment coach pay; CST-14 says no cost figures are in the evidence."""
    team_leader_salary_eur_per_year: Euros = 50_000.0  # ASSUMPTION
    employer_cost_rate: Rate = 0.23
    """ASSUMPTION: the employer's statutory contributions and holiday pay on staff salaries."""
    coaches_per_full_time_leader: Annotated[Real, Field(gt=0, le=1000)] = 9.0
    """STF-04 (one supervisor per 8-10 staff), STF-05 (9:1 at HUS). ASSUMPTION: a team leader of a
    smaller team spends only coaches / 9 of their time on IPS, so only that share is costed."""
    overhead_rate: Rate = 0.15  # ASSUMPTION: premises, IT, travel, on full staff cost
    training_eur_per_new_coach: Euros = 3_000.0
    """ASSUMPTION: IPS basic training and induction of each coach hired (initial and replacement)."""
    fidelity_review_eur: Euros = 4_000.0
    """ASSUMPTION: external reviewer and peer reviewers, two days on site plus the report (FID-06)."""
    review_interval_months: Months = 6.0  # FID-03: every 6 months until the score is >= 100
    good_fidelity_review_interval_months: Months = 12.0  # FID-03: then yearly
    good_fidelity: Annotated[Real, Field(ge=25, le=125)] = 100.0  # FID-02, FID-03: "good"


ProgrammeShares = dict[Payer, Share]
"""Who pays the programme: each payer's share of its cost, the shares summing to 1."""


class FundingPeriod(Strict):
    """Who pays the programme from a programme year on (year 1 starts at month 0)."""

    from_year: Annotated[Count, Field(ge=1, le=50)]
    shares: ProgrammeShares

    @model_validator(mode="after")
    def _sum(self) -> FundingPeriod:
        _check_shares(self.shares, f"economics.payers.programme[from_year {self.from_year}]")
        return self


def _check_shares(shares: ProgrammeShares, where: str) -> None:
    total = sum(shares.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"{where}: shares must sum to 1 (got {total:.3f})")


def _state_grant() -> ProgrammeShares:
    return {"state": 1.0}


FUNDING_FORMS = ("funding_shares", "funding_by_year")
"""The two forms of ``payers.programme``: the tags of its union, which error lines leave out."""


def _funding_form(value: object) -> str:
    """Which form ``programme`` is given in, so that an error names only that form's problem."""
    return FUNDING_FORMS[1] if isinstance(value, list) else FUNDING_FORMS[0]


class Payers(Strict):
    """Who pays what (OUT-C6: results per paying sector)."""

    programme: Annotated[Annotated[ProgrammeShares, Tag(FUNDING_FORMS[0])]
                         | Annotated[list[FundingPeriod], Tag(FUNDING_FORMS[1])],
                         Discriminator(_funding_form)] = Field(default_factory=_state_grant)
    """Who funds the coaches: payer shares (``{state: 1.0}``), or a list of ``{from_year,
    shares}`` periods (the first from year 1, years rising) for funding that changes by year.
    Default: a state grant. CST-04: the pilots ran on state grants from the ministry (STM);
    CST-02: the 2023-2024 expansion to six wellbeing services counties was a state grant
    (Sustainable Growth Programme); CST-11 names STM, Kela or the regions as possible
    single-channel funders. A grant the state pays to the county that runs IPS is booked to the
    state: the county spends it but is no poorer (ASSUMPTION: the grant covers the full cost)."""
    wage_subsidy: Payer = "state"
    """ASSUMPTION: the TE office (state) pays the wage subsidy; from 2025 municipalities do."""
    labour_market_subsidy_municipal_share: Share = 0.5
    """ASSUMPTION: municipalities pay half the labour-market subsidy of the long-term unemployed
    (the share grows with unemployment duration); Kela (state-funded) pays the rest."""

    @model_validator(mode="after")
    def _programme_shares(self) -> Payers:
        if isinstance(self.programme, dict):
            _check_shares(self.programme, "economics.payers.programme")
            return self
        years = [period.from_year for period in self.programme]
        if not years or years[0] != 1 or any(b <= a for a, b in pairwise(years)):
            raise ValueError("economics.payers.programme: give periods with from_year rising "
                             f"from 1 (got {', '.join(map(str, years[:12])) or 'none'})")
        return self

    def programme_shares(self, months: int) -> dict[str, np.ndarray]:
        """Each funder's share of the programme's cost in each of ``months`` months (month 0
        is year 1's first): the shares of the period the month's year falls in."""
        if isinstance(self.programme, dict):
            return {payer: np.full(months, share) for payer, share in self.programme.items()}
        year = np.arange(months) // 12 + 1
        out: dict[str, np.ndarray] = {}
        for period in self.programme:
            for payer, share in period.shares.items():
                out.setdefault(payer, np.zeros(months))[year >= period.from_year] = share
            for gone in out.keys() - period.shares.keys():
                out[gone][year >= period.from_year] = 0.0
        return out


class Qaly(Strict):
    """Optional quality-adjusted life years (off by default: utilities are assumptions)."""

    enabled: bool = False
    utility_not_working: Share = 0.70
    """ASSUMPTION: EQ-5D of people with psychosis not in work; no utility is in the evidence."""
    utility_working: Share = 0.75
    """ASSUMPTION: +0.05 in months in work (psychosocial gains concentrate among those working,
    PSY-01..PSY-10, direction only)."""


class Economics(Strict):
    """Money: benefits, taxes, wage subsidy, programme costs, payers, discounting, QALYs."""

    benefits: Benefits = Benefits()
    taxes: Taxes = Taxes()
    costs: ProgrammeCosts = ProgrammeCosts()
    payers: Payers = Payers()
    qaly: Qaly = Qaly()
    care: CarePrices = CarePrices()
    """Unit costs of psychiatric and social care, paid by the wellbeing services county."""
    usual_services: UsualServices = UsualServices()
    """The comparator's services: cost per client-month, payers, share IPS replaces."""
    wage_subsidy_rate: Share = 0.5
    """ASSUMPTION: wage subsidy for a person whose illness impairs work capacity, 50% of the wage
    and the employer's contributions (JOB-03: 24% of competitive jobs were subsidised)."""
    discount_rate_per_year: Annotated[Real, Field(ge=0.0, le=0.2)] = 0.03
    """The discount rate of costs and money. ASSUMPTION: a 3% annual rate, common in
    health-economic guidance; applied monthly."""
    effects_discount_rate_per_year: Annotated[Real, Field(ge=0.0, le=0.2)] = 0.03
    """The discount rate of health effects (QALYs). ASSUMPTION: 3%, as costs, by default; some
    guidance discounts effects more slowly (1.5%), so the range is 0 to 5%."""
    # the year of the benefit and tax rules above (OUT-B1..B3)
    price_year: Annotated[Count, Field(ge=1990, le=2100)] = 2024

