# ruff: noqa: F405  (the names of __all__ come from ipssim.api, star-imported for type checkers)
"""ipssim: a discrete-event simulator of IPS (Individual Placement and Support) programmes.

The public API, listed once in ``__all__`` below and described in docs/reference.md::

    import ipssim
    scenario = ipssim.load_scenario("scenarios/finland_pilot.yaml")
    result = ipssim.run(scenario, replications=20)
    result.summary   # a pandas DataFrame

Every name lives in :mod:`ipssim.api` and is loaded from there on first use (PEP 562), so that a
worker process, which imports only the model, does not pay for pandas and plotly.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from ipssim._version import __version__

__all__ = [  # the public API, each name documented in docs/reference.md
    "DEFAULT_SEED",
    "CalibrationResult",
    "Capacity",
    "ComparisonResult",
    "InputError",
    "Levers",
    "OutputError",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SizingResult",
    "SweepResult",
    "__version__",
    "budget_split",
    "calibrate",
    "capacity",
    "compare",
    "load_scenario",
    "overlay",
    "planned_scenario",
    "run",
    "scenario_sha256",
    "size",
    "sweep",
    "validate_calibration",
    "with_changes",
]

if TYPE_CHECKING:
    from ipssim.api import *  # noqa: F403

# The package ipssim.sweep shares its name with the function ipssim.sweep. Importing a package
# binds it on its parent, which would hide the function: the package (a docstring) is imported
# now and unbound, so that no later import can bind it again and ipssim.sweep is the function.
import_module("ipssim.sweep")
globals().pop("sweep")


def __getattr__(name: str) -> object:
    if name in __all__:
        value = getattr(import_module("ipssim.api"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ipssim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
