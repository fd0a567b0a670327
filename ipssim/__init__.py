"""ipssim: a discrete-event simulator of IPS (Individual Placement and Support) programmes.

The public API (see README, "Using ipssim from Python")::

    import ipssim
    scenario = ipssim.load_scenario("scenarios/finland_pilot.yaml")
    result = ipssim.run(scenario, replications=20)
    result.summary   # a pandas DataFrame

The names are loaded on first use (PEP 562), so that a worker process that imports only the
model does not pay for pandas and plotly.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from ipssim._version import __version__

_HOMES = {
    "ComparisonResult": "ipssim.api", "RunResult": "ipssim.api", "SizingResult": "ipssim.api",
    "compare": "ipssim.api", "load_scenario": "ipssim.api", "run": "ipssim.api",
    "size": "ipssim.api", "with_changes": "ipssim.api",
    "Scenario": "ipssim.scenario.schema", "ScenarioError": "ipssim.scenario.schema",
    "InputError": "ipssim.validation",
}
__all__ = [
    "ComparisonResult",
    "InputError",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SizingResult",
    "__version__",
    "compare",
    "load_scenario",
    "run",
    "size",
    "with_changes",
]

if TYPE_CHECKING:
    from ipssim.api import (
        ComparisonResult,
        RunResult,
        SizingResult,
        compare,
        load_scenario,
        run,
        size,
        with_changes,
    )
    from ipssim.scenario.schema import Scenario, ScenarioError
    from ipssim.validation import InputError


def __getattr__(name: str) -> object:
    if name in _HOMES:
        value = getattr(import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ipssim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
