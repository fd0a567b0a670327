"""The API's arguments, checked at the door: one line naming the argument and what is allowed.

Every public function checks what it is given before any work starts, so a mistake (``0``
replications, ``workers="2"``, a dict where a scenario belongs) is an :class:`InputError` naming
the argument, never a TypeError, a ValueError or an IndexError from deep inside, nor a run that
"finishes" with nothing in it. Whole numbers are refused as floats, booleans or strings, as the
scenario schema refuses them (``2.0``, ``True`` and ``"2"`` are not ``2``).
"""

from __future__ import annotations

import math
import numbers
import os
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ipssim.parallel import available_cores
from ipssim.scenario.paths import parse_path
from ipssim.scenario.schema import Scenario
from ipssim.validation import InputError, one_line

SEEDS = 2**63
"""Seeds are whole numbers from 0 to 2**63 - 1 (what every output file can hold as an integer)."""
SCHEDULER = re.compile(r"(tcp|tls|ucx|inproc)://[A-Za-z0-9_.\-\[\]:]+:\d{1,5}")
"""A Dask scheduler's address, like ``tcp://10.0.0.5:8786``."""


def got(value: object) -> str:
    """What was given, short enough for one line."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def whole(value: object, name: str, minimum: int = 0, maximum: int | None = None) -> int:
    """A whole number within bounds (an ``int`` or a numpy integer; not a bool, float or str)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name}: must be a whole number >= {minimum} (got {got(value)})")
    number = int(value)
    if number < minimum or (maximum is not None and number > maximum):
        allowed = f"from {minimum:,} to {maximum:,}" if maximum is not None else f">= {minimum:,}"
        raise InputError(f"{name}: must be a whole number {allowed} (got {got(value)})")
    return number


def seed(value: object) -> int:
    """A run seed: a whole number from 0 to 2**63 - 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) \
            or not 0 <= int(value) < SEEDS:
        raise InputError(f"seed: must be a whole number from 0 to 2**63 - 1 (got {got(value)})")
    return int(value)


def workers(value: object, scheduler: str | None = None) -> int:
    """Local worker processes, at most the cores this process may use (more only queue for the
    same cores: a warning says so and the cores are used); with a ``scheduler`` the cluster's
    workers run the work and the number is kept as given."""
    number = whole(value, "workers", 1)
    cores = available_cores()
    if scheduler is None and number > cores:
        warnings.warn(f"workers {number} is more than the {cores} cores here; using {cores}",
                      stacklevel=3)
        return cores
    return number


def number(value: object, name: str, low: float, high: float, allowed: str,
           open_low: bool = False, open_high: bool = False) -> float:
    """A finite real number within bounds (not a bool or a string); ``allowed`` says them."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not math.isfinite(float(value)):
        raise InputError(f"{name}: must be {allowed} (got {got(value)})")
    x = float(value)
    if x < low or x > high or (open_low and x == low) or (open_high and x == high):
        raise InputError(f"{name}: must be {allowed} (got {got(value)})")
    return x


def choice(value: object, name: str, allowed: Iterable[str]) -> str:
    """One of the ``allowed`` words."""
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise InputError(f"{name}: must be one of {', '.join(allowed)} (got {got(value)})")
    return value


def flag(value: object, name: str) -> bool:
    """True or False (not a number or a string)."""
    if not isinstance(value, bool):
        raise InputError(f"{name}: must be True or False (got {got(value)})")
    return value


def callback(value: object, name: str = "progress") -> Callable | None:
    """None, or something to call (``progress(done, total)``)."""
    if value is not None and not callable(value):
        raise InputError(f"{name}: must be None or a function called as {name}(done, total) "
                         f"(got {got(value)})")
    return value


def scheduler(value: object) -> str | None:
    """None (local processes), or a Dask scheduler's address."""
    if value is None:
        return None
    if not isinstance(value, str) or not SCHEDULER.fullmatch(value):
        raise InputError(f"scheduler: {got(value)} is not a Dask scheduler address (like "
                         "tcp://10.0.0.5:8786)")
    return value


def path(value: object, name: str) -> Path:
    """A file or folder path: a string or a path object, neither empty nor holding a NUL."""
    if not isinstance(value, str | os.PathLike):
        raise InputError(f"{name}: must be a file path (a str or a pathlib.Path; got {got(value)})")
    text = os.fspath(value)
    if not isinstance(text, str) or not text or "\0" in text:
        raise InputError(f"{name}: must be a file path, not empty and without NUL characters "
                         f"(got {got(value)})")
    return Path(text)


def optional_path(value: object, name: str) -> Path | None:
    return None if value is None else path(value, name)


def out_place(value: object, default: Callable[[], Path]) -> Path | None:
    """Where a function writes: a path, ``True`` for a new place under ``outputs/`` (its
    ``default``), or None (nothing written)."""
    if value is True:
        return default()
    if value is None or value is False:
        return None
    return path(value, "out")


def scenario(value: object, name: str = "scenario") -> Scenario:
    """A validated scenario (from :func:`ipssim.load_scenario`)."""
    if not isinstance(value, Scenario):
        raise InputError(f"{name}: must be an ipssim.Scenario (from ipssim.load_scenario or "
                         f"ipssim.with_changes; got {got(value)})")
    return value


def scenarios(values: object) -> list[Scenario]:
    """Scenarios to compare: any iterable of at least one scenario (a list, a tuple, a
    generator, read once), each an :class:`~ipssim.Scenario`."""
    if isinstance(values, Scenario | str | bytes | Mapping) or not isinstance(values, Iterable):
        raise InputError("scenarios: must be a list (or other iterable) of ipssim.Scenario "
                         f"objects (got {got(values)})")
    items = list(values)
    if not items:
        raise InputError("scenarios: give at least one scenario (got none)")
    for index, item in enumerate(items):
        scenario(item, f"scenarios[{index}]")
    return items


def changes(value: object) -> dict[str, Any]:
    """Parameter changes: a mapping of dotted paths to a field (``coaching.caseload_cap``,
    ``regions[North].coaches``) to values, each value a number, a word or a list, not a
    section (a mapping would replace the whole section, dropping the fields it does not give)."""
    if not isinstance(value, Mapping):
        raise InputError("changes: must be a mapping of parameter paths to values, like "
                         f"{{'coaching.caseload_cap': 15}} (got {got(value)})")
    for key, new in value.items():
        if not isinstance(key, str):
            raise InputError(f"changes: keys must be parameter paths like coaching.caseload_cap "
                             f"(got {got(key)})")
        try:
            segments = parse_path(key)
        except InputError as exc:  # its message quotes the path, however long
            raise type(exc)(one_line(str(exc))) from None
        if segments[-1][1] is not None:
            field = f"{key}.{'coaches' if segments[-1][0] == 'regions' else '<field>'}"
            raise InputError(f"changes: {got(key)} names an entry, not a field; give each field "
                             f"its own path, like {field}")
        if isinstance(new, Mapping):
            raise InputError(f"changes: {key}: give each field of the section its own path "
                             f"({key}.<field>), not a mapping")
    return dict(value)


def region(scenario: Scenario, value: object) -> str:
    """The name of one of the scenario's regions; the error lists the names."""
    names = [r.name for r in scenario.regions]
    if not isinstance(value, str) or value not in names:
        raise InputError(f"region: unknown region {got(value)}; allowed: {', '.join(names)}")
    return value


def name(value: object) -> str | None:
    """None (keep the scenario's name), or a new name (the schema checks its letters)."""
    if value is not None and not isinstance(value, str):
        raise InputError(f"name: must be None or a scenario name (text; got {got(value)})")
    return value
