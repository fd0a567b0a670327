"""The page's values as the server receives them, checked before any is used.

A browser sends what the page's controls hold, but anyone can post anything to the server's
callback address: a number where a choice belongs, text where a number belongs, a million table
rows, a malformed request (session ids are checked by the store that handed them out). Each value
is checked here against what its control can hold; what fails raises :class:`Invalid` with one
line naming the field and what is allowed, which the page shows beside the field (or ignores,
for values no planner can type).
"""

from __future__ import annotations

import math

from ipssim import api

BUDGET_MODES = {"scenario": " as in the scenario",
                "total": " total budget a year, split by demand",
                "per_region": " budget per region (table below)",
                "coaches": " coaches per region (table below)"}
DEMAND_MODES = {"referrals": " referrals a year",
                "eligible": " eligible people x uptake (% a year)"}
INTEGRATED = {"keep": " as in the scenario", "yes": " yes", "no": " no"}
ROW_NUMBERS = ("referrals", "eligible", "uptake", "budget", "coaches")
"""The number columns of the regions table (beside ``name``)."""
MAX_SEED = 2**53 - 1
"""The largest whole number a browser holds exactly."""
MAX_TICKS = 50


class Invalid(ValueError):
    """A value the page's control could not hold: ``lever`` is the form field it is about, and
    the message (one line for the page) starts with it."""

    def __init__(self, lever: str, message: str) -> None:
        super().__init__(f"{lever}: {message}")
        self.lever = lever


def choice(value: object, allowed, field: str):
    """One of the values of a radio list or dropdown."""
    if isinstance(value, str | int) and not isinstance(value, bool) and value in allowed:
        return value
    raise Invalid(field, f"pick one of {', '.join(str(a) for a in allowed)}")


def number(value: object, field: str) -> float | int | None:
    """A number input: nothing (the scenario's own value) or a finite number."""
    if value is None or (isinstance(value, int | float) and _finite(value)):
        return value
    raise Invalid(field, "give a number, or leave it empty")


def replications(value: object) -> int:
    return choice(value, list(api.REPLICATIONS.values()), "replications")


def seed(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SEED:
        return value
    raise Invalid("seed", f"give a whole number from 0 to {MAX_SEED:,}")


def rows(value: object, scenario: api.Scenario) -> list[dict]:
    """The regions table: one row for each region of the scenario, in its order, named as it
    is, each number cell empty or a finite number."""
    regions = [r.name for r in scenario.regions]
    if not isinstance(value, list) or len(value) != len(regions) or not all(
            isinstance(row, dict) and row.get("name") == name for row, name in zip(
                value, regions, strict=False)):
        raise Invalid("regions", "the table does not match the scenario; pick the scenario again")
    for row, name in zip(value, regions, strict=True):
        unknown = set(row) - {"name", *ROW_NUMBERS}
        if unknown:
            raise Invalid("regions", "the table has a column it does not show; allowed: "
                                     f"{', '.join(ROW_NUMBERS)}")
        for key in ROW_NUMBERS:
            cell = row.get(key)
            if not (cell is None or cell == "" or _finite(cell)):
                raise Invalid("regions", f"{key} for {name}: give a number, or leave it empty")
    return value


def switch(value: object, field: str) -> bool:
    """A one-box checklist: nothing ticked (None or []) or its box ticked (["on"])."""
    if value is None or value == []:
        return False
    if value == ["on"]:
        return True
    raise Invalid(field, "tick the box or leave it empty")


def ticks(value: object) -> list[int]:
    """The run numbers ticked in the history (nothing ticked: an empty list)."""
    if value is None:
        return []
    if isinstance(value, list) and len(value) <= MAX_TICKS and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        return value
    raise Invalid("history", "tick runs of the list")


def callback_problem(body: object, callbacks: dict) -> str | None:
    """What is wrong with the body of a callback request, or None: it must name a callback of
    the page (``callbacks``: Dash's ``callback_map``) and give that callback's own outputs,
    inputs and states, in order, each with at most a value."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    output = body.get("output")
    spec = callbacks.get(output) if isinstance(output, str) else None
    if spec is None:
        return "no such callback"
    declared = spec["output"]
    wanted = [{"id": o.component_id, "property": o.component_property}
              for o in (declared if isinstance(declared, list) else [declared])]
    outputs = body.get("outputs")
    if isinstance(declared, list) != isinstance(outputs, list) or (
            [_dependency(o) for o in outputs] if isinstance(outputs, list)
            else [_dependency(outputs)]) != wanted:
        return "outputs: not those of the callback"
    for key in ("inputs", "state"):
        given = body.get(key, [])
        if not isinstance(given, list) or len(given) != len(spec[key]) or not all(
                isinstance(item, dict) and set(item) <= {"id", "property", "value"}
                and _dependency(item) == want for item, want in zip(given, spec[key],
                                                                    strict=False)):
            return f"{key}: not those of the callback"
    changed = body.get("changedPropIds", [])
    names = {f"{i['id']}.{i['property']}" for i in spec["inputs"]}
    if not isinstance(changed, list) or not all(isinstance(c, str) and c in names
                                                for c in changed):
        return "changedPropIds: not inputs of the callback"
    return None


def _dependency(item: object) -> dict | None:
    return ({"id": item.get("id"), "property": item.get("property")}
            if isinstance(item, dict) else None)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
