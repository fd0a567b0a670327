"""Money rules as pure functions: benefits after the earnings test, taxes, programme cost.

Every function takes plain numbers or numpy arrays and the scenario's ``Economics`` parameters,
so it can be checked by hand and re-applied to stored histories without re-simulating.
"""

from __future__ import annotations

import numpy as np

from ipssim.scenario import Economics


def national_pension(earnings_related: np.ndarray | float, lives_alone: np.ndarray | bool,
                     econ: Economics) -> np.ndarray:
    """Kela national pension (OUT-B1): full amount less half the earnings-related pension above
    the threshold; never below zero."""
    full = np.where(lives_alone, econ.national_pension_eur, econ.national_pension_cohabiting_eur)
    offset = 0.5 * np.maximum(np.asarray(earnings_related) - econ.national_pension_offset_threshold_eur,
                              0.0)
    return np.maximum(full - offset, 0.0)


def disability_pension(earnings: np.ndarray | float, lives_alone: np.ndarray | bool,
                       econ: Economics) -> np.ndarray:
    """Disability pension or rehabilitation subsidy in a month (OUT-B1, OUT-B2): national plus
    earnings-related pension, paid in full at earnings up to the limit and not at all above it
    (basic monthly test; the suspension rules of OUT-B2 come with the economics issue)."""
    full = national_pension(econ.earnings_related_pension_eur, lives_alone, econ) + \
        econ.earnings_related_pension_eur
    return np.where(np.asarray(earnings) <= econ.pension_earnings_limit_eur, full, 0.0)


def labour_market_subsidy(earnings: np.ndarray | float, econ: Economics) -> np.ndarray:
    """Labour-market subsidy (OUT-B3): reduced by the taper share of earnings, never below zero."""
    return np.maximum(econ.labour_market_subsidy_eur
                      - econ.labour_market_subsidy_taper * np.asarray(earnings), 0.0)


def sickness_allowance(earnings: np.ndarray | float, econ: Economics) -> np.ndarray:
    """Sickness allowance (ASSUMPTION: flat amount, paid only in months without earnings)."""
    return np.where(np.asarray(earnings) > 0, 0.0, econ.sickness_allowance_eur)


def monthly_benefit(benefit: np.ndarray, earnings: np.ndarray, lives_alone: np.ndarray,
                    econ: Economics) -> np.ndarray:
    """Benefit paid in a month, by benefit at entry (names as in ``clients.BENEFITS``)."""
    benefit = np.asarray(benefit)
    pension = (benefit == "disability_pension") | (benefit == "rehabilitation_subsidy")
    return np.select(
        [pension, benefit == "labour_market_subsidy", benefit == "sickness_allowance"],
        [disability_pension(earnings, lives_alone, econ), labour_market_subsidy(earnings, econ),
         sickness_allowance(earnings, econ)],
        default=0.0,
    )


def taxes(earnings: np.ndarray | float, benefits: np.ndarray | float,
          econ: Economics) -> np.ndarray:
    """Income tax and employee contributions at the documented effective rates."""
    return econ.earnings_tax_rate * np.asarray(earnings) + \
        econ.benefit_tax_rate * np.asarray(benefits)


def staff_cost_per_month(coaches: float, team_leaders: float, econ: Economics) -> float:
    """Full monthly cost of a team: salaries plus employer costs plus overheads."""
    salaries = coaches * econ.coach_salary_eur_per_year + \
        team_leaders * econ.team_leader_salary_eur_per_year
    return salaries * (1.0 + econ.employer_cost_rate) * (1.0 + econ.overhead_rate) / 12.0
