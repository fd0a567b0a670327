"""Loading scenarios: YAML files, their base (``extends``), their calibration and their budgets.

:func:`load_scenario` reads a file; :func:`parse_scenario` validates a mapping (from a file, a
notebook or the web page). Both give each region funded by a budget the headcount it buys
(:mod:`ipssim.scenario.budgets`) before the schema checks it.
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

from ipssim.scenario.budgets import with_budget_staff
from ipssim.scenario.schema import Scenario, ScenarioError
from ipssim.validation import read_file, validate, yaml_mapping


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
    calibration_raw = read_file(calibration_path, "calibration", ScenarioError)
    values = yaml_mapping(calibration_raw, calibration_path, ScenarioError).get("values")
    if not isinstance(values, dict):
        raise ScenarioError(f"{calibration_path}: values: must be a mapping of parameter paths")
    check_values(values, f"{calibration_path}: values")
    merged = with_values(data, scoped_values(values, data.get("calibration_scope")))
    return parse_scenario(merged, source=str(path)), hashlib.sha256(raw + calibration_raw).hexdigest()


def _scenario_data(path: Path, seen: tuple[Path, ...]) -> tuple[dict, bytes]:
    """A scenario file's mapping merged over the base it ``extends`` (a path relative to it; the
    variant's fields win, lists such as ``regions`` are replaced whole), and the bytes read."""
    raw = read_file(path, "scenario", ScenarioError)
    data = yaml_mapping(raw, path, ScenarioError)
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


def check_values(values: dict, where: str) -> None:
    """Refuse calibrated values that are not dotted paths to finite numbers, or where one path
    lies inside another (``jobs`` and ``jobs.x``: the second cannot be set)."""
    if not all(isinstance(name, str) and name for name in values):
        raise ScenarioError(f"{where}: keys must be parameter paths like jobs.ips_offer_rate_per_month")
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ScenarioError(f"{where}: {name}: must be a finite number (got {value!r:.40})")
    paths = {name.rpartition(":")[2] for name in values}
    for path in sorted(paths):
        parts = path.split(".")
        for cut in range(1, len(parts)):
            if ".".join(parts[:cut]) in paths:
                raise ScenarioError(f"{where}: {path}: {'.'.join(parts[:cut])!r} is also given "
                                    "a value")


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


def parse_scenario(data: dict, source: str = "scenario") -> Scenario:
    """Validate a mapping; raise ScenarioError with one line naming every problem."""
    try:
        data = with_budget_staff(data)
    except ValueError as exc:
        raise ScenarioError(f"{source}: {exc}") from None
    return validate(Scenario, data, source, ScenarioError)
