"""The one rule for changing a region: a budget replaces a headcount, eligible people replace
referrals, and the other way round.

A region gives its staff in one of two forms, a headcount (``coaches``, ``team_leaders``,
``staffing``) or a budget (``budget_eur_per_year``) that buys a headcount when the scenario is
loaded (:mod:`ipssim.scenario.budgets`); and its demand in one of two forms,
``referrals_per_month`` or ``eligible_people`` with ``uptake_per_year``, which give the referrals.
A change that gives a field of one form drops the other form, and a validated scenario is edited
from what its regions gave, so whatever was derived is derived again from the new values. Region
defaults, dotted-path changes, the planner's levers and the sizing of a team all edit this way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from ipssim.scenario.schema import Scenario

HEADCOUNT = ("coaches", "team_leaders", "staffing")
BUDGET = ("budget_eur_per_year",)
REFERRALS = ("referrals_per_month",)
ELIGIBLE = ("eligible_people", "uptake_per_year")
FORMS = ((HEADCOUNT, BUDGET), (REFERRALS, ELIGIBLE))
"""Each pair: the form the model reads, then the form that gives it when a region states it."""


def replaced(fields: Iterable[str]) -> set[str]:
    """The region fields that giving ``fields`` drops: the other form of each form they touch."""
    given = set(fields)
    return {other for pair in FORMS for own, others in (pair, pair[::-1])
            if given & set(own) for other in others}


def edited(region: Mapping, changes: Mapping) -> dict:
    """``region`` with ``changes`` set and the fields they replace dropped (for region
    defaults: ``region`` is the defaults, ``changes`` the region's own fields)."""
    dropped = replaced(changes)
    return {**{k: v for k, v in region.items() if k not in dropped}, **changes}


def as_given(region: Mapping) -> dict:
    """A validated region's fields without those derived from another form: the headcount its
    budget buys, the referrals its eligible people give."""
    derived = {field for own, source in FORMS
               if any(region.get(k) is not None for k in source) for field in own}
    return {k: v for k, v in region.items() if k not in derived}


def editable(scenario: Scenario, mode: Literal["python", "json"] = "python") -> dict:
    """A validated scenario as data to change and validate again: its fields (``None`` left
    out), every region as given (:func:`as_given`)."""
    data = scenario.model_dump(mode=mode, exclude_none=True)
    data["regions"] = [as_given(region) for region in data["regions"]]
    return data
