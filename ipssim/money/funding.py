"""Funding scenarios: what a yearly budget buys in coaches and team leaders.

A region may state a budget per programme year instead of a headcount. Each year's budget buys
the most coaches whose full yearly cost fits in it, with one team leader per
``coaches_per_full_time_leader`` coaches (rounded up; STF-04), counting salaries, employer costs
and overheads (:func:`ipssim.money.rules.staff_cost_per_month`), the training of the coaches hired that
year and the year's fidelity reviews (FID-03). The cost model is the one that books the
programme's costs, so a funded scenario and the headcount it buys cost the same.
"""

from __future__ import annotations

import math

from ipssim.money import rules
from ipssim.money.parameters import Economics

MAX_COACHES = 10_000


def team_leaders_for(coaches: int, econ: Economics) -> int:
    """Team leaders of a team of ``coaches``: one per full-time leader's span, rounded up."""
    return math.ceil(coaches / econ.costs.coaches_per_full_time_leader)


def yearly_cost(coaches: int, hires: int, fidelity: float, econ: Economics) -> float:
    """Full cost of a year of a team of ``coaches`` that hires ``hires`` of them that year."""
    leaders = rules.leader_time(team_leaders_for(coaches, econ), coaches, econ)
    staff = 12.0 * float(rules.staff_cost_per_month(coaches, leaders, econ))
    reviews = rules.reviews_per_year(fidelity, econ) * econ.costs.fidelity_review_eur
    return staff + hires * econ.costs.training_eur_per_new_coach + reviews


def coaches_for_budget(budget: float, previous: int, fidelity: float, econ: Economics) -> int:
    """The most coaches a year's budget pays for, given ``previous`` coaches the year before
    (only new ones are trained). Yearly cost grows with headcount, so a bisection finds it."""
    low, high = 0, MAX_COACHES
    while low < high:
        mid = (low + high + 1) // 2
        if yearly_cost(mid, max(mid - previous, 0), fidelity, econ) <= budget:
            low = mid
        else:
            high = mid - 1
    return low


def staffing_for_budgets(budgets: list[float], years: int, fidelity: float,
                         econ: Economics) -> list[tuple[int, int]]:
    """(coaches, team leaders) for each of ``years`` programme years; the last budget repeats."""
    staff, previous = [], 0
    for year in range(years):
        coaches = coaches_for_budget(budgets[min(year, len(budgets) - 1)], previous, fidelity, econ)
        staff.append((coaches, team_leaders_for(coaches, econ)))
        previous = coaches
    return staff


def staff(coaches: int, team_leaders: int) -> str:
    """``2 coaches and 1 team leader``."""
    return (f"{coaches} coach{'es' if coaches != 1 else ''} and "
            f"{team_leaders} team leader{'s' if team_leaders != 1 else ''}")
