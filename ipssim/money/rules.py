"""Money rules as pure functions: benefits after their earnings tests, taxes, contributions,
wage subsidy, programme cost, and the booking of every euro to a payer.

Every function takes plain numbers or numpy arrays and the scenario's ``Economics`` parameters,
so it can be checked by hand and re-applied to stored histories without re-simulating. Amounts
are euros a month at the price year of the rules (``Economics.price_year``).
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np

from ipssim.money.parameters import Economics
from ipssim.vocabulary import MONTH_DAYS, PAYERS, PUBLIC_PAYERS

PENSIONS = ("disability_pension", "rehabilitation_subsidy")
BENEFIT_TYPES = ("national_pension", "earnings_related_pension", "labour_market_subsidy",
                 "sickness_allowance")


def national_pension(earnings_related: np.ndarray | float, lives_alone: np.ndarray | bool,
                     econ: Economics) -> np.ndarray:
    """Kela national pension (OUT-B1): full amount less half the earnings-related pension above
    the threshold; never below zero, and none above the ceiling of earnings-related pension."""
    b = econ.benefits
    earnings_related = np.asarray(earnings_related)
    full = np.where(lives_alone, b.national_pension_eur, b.national_pension_cohabiting_eur)
    offset = 0.5 * np.maximum(earnings_related - b.national_pension_offset_threshold_eur, 0.0)
    return np.where(earnings_related > b.national_pension_ceiling_eur, 0.0,
                    np.maximum(full - offset, 0.0))


def disability_pension(earnings: np.ndarray | float, lives_alone: np.ndarray | bool,
                       econ: Economics) -> np.ndarray:
    """Disability pension or rehabilitation subsidy in a month that is not suspended (OUT-B1,
    OUT-B2): national plus earnings-related pension in full at earnings up to the limit, nothing
    above it. :func:`benefit_history` adds the suspension rules over months."""
    b = econ.benefits
    full = national_pension(b.earnings_related_pension_eur, lives_alone, econ) + \
        b.earnings_related_pension_eur
    return np.where(np.asarray(earnings) <= b.pension_earnings_limit_eur, full, 0.0)


def labour_market_subsidy(earnings: np.ndarray | float, econ: Economics) -> np.ndarray:
    """Labour-market subsidy (OUT-B3): reduced by the taper share of earnings above the protected
    amount, never below zero."""
    b = econ.benefits
    excess = np.maximum(np.asarray(earnings) - b.labour_market_subsidy_protected_eur, 0.0)
    return np.maximum(b.labour_market_subsidy_eur - b.labour_market_subsidy_taper * excess, 0.0)


def sickness_allowance(earnings: np.ndarray | float, econ: Economics) -> np.ndarray:
    """Sickness allowance (ASSUMPTION: flat amount, paid only in months without earnings)."""
    return np.where(np.asarray(earnings) > 0, 0.0, econ.benefits.sickness_allowance_eur)


def benefit_history(benefit_at_entry: np.ndarray, earnings: np.ndarray, active: np.ndarray,
                    lives_alone: np.ndarray, econ: Economics) -> dict[str, np.ndarray]:
    """Benefits paid to each client in each month, following each benefit's rules over time.

    ``benefit_at_entry`` (n,) names the benefit at referral (BAS-09,
    ``ipssim.model.clients.BENEFIT_AT_ENTRY``);
    ``earnings`` and ``active`` are (n, months): gross earnings, and whether the client has been
    referred. The rules, vectorised over clients and stepped month by month:

    - pension (disability pension or rehabilitation subsidy, OUT-B1, OUT-B2): paid in full in a
      month with earnings up to the limit. Earnings above it suspend the pension; a suspension
      lasts at least ``suspension_min_months`` and ends in the first month after that with
      earnings at or under the limit (the pension resumes that month). After
      ``suspension_max_months`` suspended months the pension ends and the client counts as
      unemployed from the next month;
    - labour-market subsidy (OUT-B3): tapered by earnings, every month;
    - sickness allowance: paid in months without earnings until the months left at entry are used
      up, then a rehabilitation subsidy follows (OUT-B4).

    Returns the amount of each of ``BENEFIT_TYPES`` (n, months), and the boolean states
    ``pension_suspended`` and ``pension_ended``.
    """
    b = econ.benefits
    n, months = earnings.shape
    benefit_at_entry = np.asarray(benefit_at_entry)
    pensioner = np.isin(benefit_at_entry, PENSIONS)
    unemployed = benefit_at_entry == "labour_market_subsidy"
    sick = benefit_at_entry == "sickness_allowance"
    ended = np.zeros(n, dtype=bool)
    suspended_for = np.zeros(n, dtype=np.int64)  # months in the current suspension
    sick_left = np.full(n, b.sickness_allowance_months_left, dtype=np.int64)
    national = national_pension(b.earnings_related_pension_eur, lives_alone, econ)
    out = {k: np.zeros((n, months)) for k in BENEFIT_TYPES}
    suspended_state = np.zeros((n, months), dtype=bool)
    ended_state = np.zeros((n, months), dtype=bool)
    for t in range(months):
        e, on = earnings[:, t], active[:, t]
        # Sickness allowance runs out into a rehabilitation subsidy (OUT-B4).
        moving = on & sick & (sick_left <= 0)
        pensioner |= moving
        sick &= ~moving
        paid_sick = on & sick & (e <= 0)
        sick_left -= paid_sick
        out["sickness_allowance"][:, t] = np.where(paid_sick, b.sickness_allowance_eur, 0.0)
        # Pension: suspension starts above the limit, resumes at or under it after the minimum.
        over = e > b.pension_earnings_limit_eur
        in_suspension = suspended_for > 0
        resumes = in_suspension & ~over & (suspended_for >= b.suspension_min_months)
        suspended_now = on & pensioner & (over | (in_suspension & ~resumes))
        suspended_for = np.where(suspended_now, suspended_for + 1, 0)
        paid_pension = on & pensioner & ~suspended_now
        out["national_pension"][:, t] = np.where(paid_pension, national, 0.0)
        out["earnings_related_pension"][:, t] = np.where(paid_pension,
                                                         b.earnings_related_pension_eur, 0.0)
        suspended_state[:, t] = suspended_now
        ending = suspended_now & (suspended_for >= b.suspension_max_months)
        ended |= ending
        pensioner &= ~ending
        suspended_for[ending] = 0
        ended_state[:, t] = ended & on
        # Labour-market subsidy; the months after a pension ended count as unemployment.
        lms = on & (unemployed | (ended & ~ending))
        out["labour_market_subsidy"][:, t] = np.where(lms, labour_market_subsidy(e, econ), 0.0)
    return out | {"pension_suspended": suspended_state, "pension_ended": ended_state}


def state_income_tax(annual_taxable: np.ndarray | float, econ: Economics) -> np.ndarray:
    """State income tax on annual taxable income by the progressive scale (brackets: from, rate)."""
    income = np.asarray(annual_taxable, dtype=float)
    tax = np.zeros_like(income)
    brackets = econ.taxes.state_tax_brackets
    for (start, rate), (stop, _) in zip(brackets, (*brackets[1:], (math.inf, 0.0)), strict=True):
        tax += rate * np.clip(income - start, 0.0, stop - start)
    return tax


def income_taxes(earnings: np.ndarray | float, benefits: np.ndarray | float,
                 econ: Economics) -> dict[str, np.ndarray]:
    """Monthly state and municipal income tax on earnings plus benefits, taxed as if the month's
    income lasted a year, after the tax-free allowance."""
    t = econ.taxes
    annual = 12.0 * (np.asarray(earnings) + np.asarray(benefits))
    taxable = np.maximum(annual - t.tax_free_allowance_eur_per_year, 0.0)
    return {"state": state_income_tax(taxable, econ) / 12.0,
            "municipality": t.municipal_tax_rate * taxable / 12.0}


def employee_contributions(earnings: np.ndarray | float, benefits: np.ndarray | float,
                           econ: Economics) -> dict[str, np.ndarray]:
    """The client's social contributions in a month, by receiving payer."""
    t = econ.taxes
    earnings = np.asarray(earnings, dtype=float)
    daily = np.where(12.0 * earnings >= t.daily_allowance_threshold_eur_per_year,
                     t.daily_allowance_contribution_rate, 0.0)
    return {
        "pension_providers": t.employee_pension_rate * earnings,
        "state": t.employee_unemployment_rate * earnings,
        "kela": (t.health_care_contribution_wage_rate + daily) * earnings
        + t.health_care_contribution_benefit_rate * np.asarray(benefits),
    }


def employer_contribution_rate(econ: Economics) -> float:
    """The employer's statutory contributions as a share of wages."""
    t = econ.taxes
    return t.employer_pension_rate + t.employer_health_insurance_rate + t.employer_unemployment_rate


def employer_contributions(earnings: np.ndarray | float, econ: Economics) -> dict[str, np.ndarray]:
    """The employer's statutory contributions on wages, by receiving payer."""
    t = econ.taxes
    earnings = np.asarray(earnings, dtype=float)
    return {"pension_providers": t.employer_pension_rate * earnings,
            "kela": t.employer_health_insurance_rate * earnings,
            "state": t.employer_unemployment_rate * earnings}


def wage_subsidy(subsidised_earnings: np.ndarray | float, econ: Economics) -> np.ndarray:
    """Wage subsidy to the employer: a share of the wage cost (wage plus contributions)."""
    return econ.wage_subsidy_rate * np.asarray(subsidised_earnings) * \
        (1.0 + employer_contribution_rate(econ))


def leader_time(team_leaders: np.ndarray | float, coaches: np.ndarray | float,
                econ: Economics) -> np.ndarray:
    """Full-time equivalents of team leadership a team takes: its leaders, but no more than one
    per ``coaches_per_full_time_leader`` coaches (STF-04: a supervisor per 8-10 staff), so a
    small team's leader is costed only for the share of time it takes."""
    return np.minimum(team_leaders, np.asarray(coaches) / econ.costs.coaches_per_full_time_leader)


def staff_cost_per_month(coaches: np.ndarray | float, leaders: np.ndarray | float,
                         econ: Economics) -> np.ndarray:
    """Full monthly cost of ``coaches`` coaches and ``leaders`` full-time-equivalent team leaders
    (see :func:`leader_time`) in post for a whole month: salaries plus employer costs plus
    overheads."""
    c = econ.costs
    salaries = np.asarray(coaches) * c.coach_salary_eur_per_year + \
        np.asarray(leaders) * c.team_leader_salary_eur_per_year
    return salaries * (1.0 + c.employer_cost_rate) * (1.0 + c.overhead_rate) / 12.0


def reviews_per_year(fidelity: float, econ: Economics) -> float:
    """Fidelity reviews a year (FID-03): every 6 months until the score is good, then yearly."""
    c = econ.costs
    return 12.0 / (c.good_fidelity_review_interval_months if fidelity >= c.good_fidelity
                   else c.review_interval_months)


def fidelity_review_months(fidelity: float, months_open: float, econ: Economics) -> list[int]:
    """Months (0-based) in which a team's fidelity review falls (FID-03): every 6 months while
    the score is under "good", yearly once it is good; the first after one interval, the last
    in a month the team still operates (none once it has closed)."""
    c = econ.costs
    interval = c.good_fidelity_review_interval_months if fidelity >= c.good_fidelity else \
        c.review_interval_months
    return [int(k * interval) for k in range(1, math.ceil(months_open / interval))]


def discount_factors(months: int, econ: Economics, effects: bool = False) -> np.ndarray:
    """Present-value factor of each month's money (or, with ``effects``, health effects) at
    mid-month, at the annual discount rate of costs (or of effects).

    Each factor comes from the C library's ``pow``, not numpy's array power: numpy dispatches
    that by CPU (AVX-512 machines take another routine, a last bit apart in about half the
    months), and outputs must be the same bit for bit on every machine (the golden files)."""
    rate = econ.effects_discount_rate_per_year if effects else econ.discount_rate_per_year
    return np.array([math.pow(1.0 + rate, -(month + 0.5) / 12.0) for month in range(months)])


def payer_flows(flows: dict[str, np.ndarray], econ: Economics) -> dict[str, np.ndarray]:
    """Net money of each payer from the monthly totals of every flow: positive is a gain.

    ``flows`` holds monthly totals (over clients) for: ``earnings``, ``subsidised_earnings``,
    the ``BENEFIT_TYPES``, income taxes ``tax_state`` and ``tax_municipality``, contributions
    ``employee_<payer>`` and ``employer_<payer>``, and ``programme_cost``. Production, valued at
    the wage plus the employer's contributions, accrues to the employer; so the payers' sum is
    production less programme cost, transfers cancelling out (the society perspective).
    """
    zero = np.zeros(len(flows["earnings"]))
    net = {p: zero.copy() for p in PAYERS}

    def book(amount: np.ndarray, source: str | None, target: str | None) -> None:
        if source is not None:
            net[source] -= amount
        if target is not None:
            net[target] += amount

    p = econ.payers
    book(flows["earnings"] * (1.0 + employer_contribution_rate(econ)), None, "employer")
    book(flows["earnings"], "employer", "client")
    for payer in ("pension_providers", "kela", "state"):
        book(flows[f"employer_{payer}"], "employer", payer)
        book(flows[f"employee_{payer}"], "client", payer)
    book(flows["tax_state"], "client", "state")
    book(flows["tax_municipality"], "client", "municipality")
    book(flows["national_pension"], "kela", "client")
    book(flows["sickness_allowance"], "kela", "client")
    book(flows["earnings_related_pension"], "pension_providers", "client")
    municipal = p.labour_market_subsidy_municipal_share
    book(flows["labour_market_subsidy"] * municipal, "municipality", "client")
    book(flows["labour_market_subsidy"] * (1.0 - municipal), "kela", "client")
    book(wage_subsidy(flows["subsidised_earnings"], econ), p.wage_subsidy, "employer")
    for payer, share in p.programme_shares(len(flows["programme_cost"])).items():
        book(flows["programme_cost"] * share, payer, None)
    public = cast(np.ndarray, sum(net[k] for k in PUBLIC_PAYERS))  # sum() adds its start, 0, to arrays
    return net | {"public": public, "society": cast(np.ndarray, sum(net[k] for k in PAYERS))}


def qalys(employed_days: np.ndarray, active: np.ndarray, econ: Economics) -> np.ndarray:
    """QALYs of each client-month: utility when working for the share of the month worked,
    otherwise the utility out of work, from referral on (ASSUMPTION utilities)."""
    q = econ.qaly
    worked = np.clip(employed_days / MONTH_DAYS, 0.0, 1.0)
    utility = q.utility_not_working + (q.utility_working - q.utility_not_working) * worked
    return utility * active / 12.0


def break_even_month(cumulative: np.ndarray) -> float:
    """First month (1-based) from which a cumulative net effect stays >= 0 to the horizon;
    infinity if it ends below zero (no break-even within the horizon)."""
    cumulative = np.asarray(cumulative, dtype=float)
    if not len(cumulative) or cumulative[-1] < 0:
        return math.inf
    negative = np.flatnonzero(cumulative < 0)
    return float(negative[-1] + 2) if len(negative) else 1.0
