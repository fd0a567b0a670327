"""Loading scenarios: YAML files, their base (``extends``), their calibration and their budgets.

:func:`read_scenario_file` reads a file; :func:`parse_scenario` validates a mapping (from a file, a
notebook or the web page). Both give each region funded by a budget the headcount it buys
(:mod:`ipssim.scenario.budgets`) before the schema checks it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
from pathlib import Path

import yaml

from ipssim.money.parameters import FUNDING_FORMS
from ipssim.scenario.budgets import with_budget_staff
from ipssim.scenario.edits import edited
from ipssim.scenario.paths import check_path
from ipssim.scenario.schema import MAX_REGIONS, Scenario, ScenarioError
from ipssim.validation import first_line, read_file, validate, yaml_mapping


def read_scenario_file(path: str | Path, text: bytes | None = None) -> tuple[Scenario, str]:
    """Read and validate a scenario file, applying its base scenario (``extends``), its regions
    table and its calibration file if it names them. With ``text``, that is the file's content
    (an upload) and ``path`` only says where its relative paths start.

    Returns the scenario and the SHA-256 of the bytes of the scenario file, its base files, its
    regions table and the calibration file, so a change to any of them changes the hash.
    """
    path = Path(path)
    data, raw = _file_data(path, text)
    if data.get("calibration") is None:
        return parse_scenario(data, source=str(path)), hashlib.sha256(raw).hexdigest()
    if not isinstance(data["calibration"], str):
        raise ScenarioError(f"{path}: calibration: must be a file path (got {data['calibration']!r:.80})")
    calibration_path = path.parent / data["calibration"]
    calibration_raw = read_file(calibration_path, "calibration", ScenarioError)
    values = yaml_mapping(calibration_raw, calibration_path, ScenarioError).get("values")
    if not isinstance(values, dict):
        raise ScenarioError(f"{calibration_path}: values: must be a mapping of parameter paths")
    check_values(values, f"{calibration_path}: values")
    merged = with_values(data, scoped_values(values, data.get("calibration_scope")))
    return parse_scenario(merged, source=str(path)), hashlib.sha256(raw + calibration_raw).hexdigest()


def _scenario_data(path: Path, seen: tuple[Path, ...], text: bytes | None = None
                   ) -> tuple[dict, bytes]:
    """A scenario file's mapping (its content ``text`` if given) merged over the base it
    ``extends`` (a path relative to it; the variant's fields win, lists such as ``regions`` are
    replaced whole), and the bytes read."""
    raw = read_file(path, "scenario", ScenarioError) if text is None else text
    data = yaml_mapping(raw, path, ScenarioError)
    base = data.pop("extends", None)
    if base is None:
        return data, raw
    if not isinstance(base, str) or not base or "\0" in base:
        raise ScenarioError(f"{path}: extends: must be the path of a base scenario file")
    base_path = path.parent / base
    if base_path.resolve() in seen:
        raise ScenarioError(f"{path}: extends: {base} extends this file again (a cycle)")
    base_data, base_raw = _scenario_data(base_path, (*seen, path.resolve()))
    for key in ("calibration", "regions_table"):  # keep them relative to the variant
        if isinstance(base_data.get(key), str):
            base_data[key] = os.path.relpath(base_path.parent / base_data[key], path.parent)
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


def _file_data(path: Path, text: bytes | None = None) -> tuple[dict, bytes]:
    """A scenario file's mapping with its base, its regions table and its region defaults
    applied, and the bytes of every file read."""
    data, raw = _scenario_data(path, (), text)
    data, table_raw = with_region_table(data, path.parent, str(path))
    return with_region_defaults(data), raw + table_raw


def read_scenario_data(path: str | Path) -> dict:
    """The mapping of a scenario file with its base, its regions table and its region defaults
    applied (without its calibration)."""
    return _file_data(Path(path))[0]


def check_values(values: dict, where: str) -> None:
    """Refuse calibrated values that are not dotted paths to finite numbers, or where one path
    lies inside another (``jobs`` and ``jobs.x``: the second cannot be set)."""
    if not all(isinstance(name, str) and name for name in values):
        raise ScenarioError(f"{where}: keys must be parameter paths like jobs.ips_offer_rate_per_month")
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ScenarioError(f"{where}: {name:.80}: must be a finite number (got {value!r:.40})")
    paths = {name.rpartition(":")[2] for name in values}
    for path in sorted(paths):
        parts = path.split(".")
        for cut in range(1, len(parts)):
            if ".".join(parts[:cut]) in paths:
                raise ScenarioError(f"{where}: {path:.80}: {'.'.join(parts[:cut])!r} is also given "
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


TABLE_COLUMNS = ("name", "referrals_per_month", "eligible_people", "uptake_per_year",
                 "budget_eur_per_year", "coaches", "team_leaders", "cohort_size",
                 "operating_months", "fidelity", "integrated", "employers")
"""The columns a regions table may have: the region fields that hold one value (a budget cell is
the budget of every year)."""


def with_region_table(data: dict, folder: Path, source: str) -> tuple[dict, bytes]:
    """Scenario data whose ``regions_table`` (a CSV file relative to ``folder``, one region a
    row, a column per field) is written out as the first ``regions``, and the bytes read."""
    table = data.get("regions_table") if isinstance(data, dict) else None
    if table is None:
        return data, b""
    if not isinstance(table, str):
        raise ScenarioError(f"{source}: regions_table: must be the path of a CSV file, relative "
                            "to the scenario file")
    path = folder / table
    raw = read_file(path, "regions table", ScenarioError)
    rows = _table_rows(raw, path, max(MAX_REGIONS - _count(data.get("regions")), 0))
    if not rows or "name" not in rows[0][1]:
        raise ScenarioError(f"{path}: the first row must name the columns, one of them 'name'")
    header = [cell.strip() for cell in rows[0][1]]
    unknown = [c for c in header if c not in TABLE_COLUMNS]
    if unknown or len(set(header)) < len(header):
        what = f"unknown column {unknown[0]!r:.80}" if unknown else "a column named twice"
        raise ScenarioError(f"{path}: {what}; allowed: {', '.join(TABLE_COLUMNS)}")
    regions = []
    for number, row in rows[1:]:
        if len(row) != len(header):
            raise ScenarioError(f"{path}: row {number}: {len(row)} cells for {len(header)} columns")
        region = {key: _cell(cell.strip(), key) for key, cell in zip(header, row, strict=True)
                  if cell.strip()}
        if "budget_eur_per_year" in region:
            region["budget_eur_per_year"] = [region["budget_eur_per_year"]]
        regions.append(region)
    listed = data.get("regions") or []
    if not isinstance(listed, list):
        return data, raw  # the schema reports it
    rest = {k: v for k, v in data.items() if k != "regions_table"}
    return {**rest, "regions": regions + listed}, raw


def _table_rows(raw: bytes, path: Path, most: int) -> list[tuple[int, list[str]]]:
    """The numbered rows of a CSV table (the header and the regions, blank rows left out),
    refused at the first region beyond ``most``: a table of many thousand rows is refused
    before any cell is read."""
    try:
        rows: list[tuple[int, list[str]]] = []
        for number, row in enumerate(csv.reader(io.StringIO(raw.decode("utf-8-sig"))), start=1):
            if rows and not any(cell.strip() for cell in row):
                continue
            rows.append((number, row))
            if len(rows) - 1 > most:
                raise ScenarioError(f"{path}: more than {most:,} regions; a scenario has at most "
                                    f"{MAX_REGIONS:,} (with those listed under regions)")
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError(f"{path}: not a UTF-8 CSV file ({first_line(str(exc))})") from None
    return rows


def _count(listed: object) -> int:
    return len(listed) if isinstance(listed, list) else 0


def _cell(text: str, column: str) -> object:
    """A CSV cell as YAML would read it as a plain value (``12`` an integer, ``0.5`` a number,
    ``true`` a boolean), except ``name``, which stays text. Only a single value is read: a cell
    that YAML would read as a list or a mapping (``[...]``, ``a: b``) stays text, for the schema
    to refuse, so no cell can nest deeply or expand aliases."""
    if column == "name":
        return text
    loader = yaml.SafeLoader("")
    try:
        tag = loader.resolve(yaml.ScalarNode, text, (True, False))
        return loader.construct_object(yaml.ScalarNode(tag, text))
    except (yaml.YAMLError, ValueError, OverflowError):
        return text
    finally:
        loader.dispose()


def with_region_defaults(data: dict) -> dict:
    """Scenario data whose ``region_defaults`` (fields every region takes unless it gives its
    own) are applied to each region; a region that gives one form of staff or demand does not
    take the defaults' other form (:func:`ipssim.scenario.edits.edited`)."""
    if not isinstance(data, dict) or "region_defaults" not in data:
        return data
    defaults = data["region_defaults"]
    rest = {k: v for k, v in data.items() if k != "region_defaults"}
    if not isinstance(defaults, dict) or "name" in defaults:
        raise ScenarioError("region_defaults: must be a mapping of region fields other than name")
    if not isinstance(rest.get("regions"), list):
        return rest  # the schema reports it
    return {**rest, "regions": [edited(defaults, r) if isinstance(r, dict) else r
                                for r in rest["regions"]]}


def parse_scenario(data: dict, source: str = "scenario") -> Scenario:
    """Validate a mapping (applying ``region_defaults``); raise ScenarioError with one line
    naming every problem."""
    if isinstance(data, dict) and "regions_table" in data:
        raise ScenarioError(f"{source}: regions_table: a table is read only with its scenario "
                            "file (ipssim.load_scenario(path)); give the regions here")
    try:
        data = with_region_defaults(data)
        data = with_budget_staff(data)
    except ValueError as exc:
        raise ScenarioError(f"{source}: {exc}") from None
    scenario = validate(Scenario, data, source, ScenarioError, FUNDING_FORMS)
    check_uncertainty(scenario, source)
    return scenario


def check_uncertainty(scenario: Scenario, source: str) -> None:
    """Refuse a path under ``uncertainty.parameters`` that names no numeric parameter of the
    scenario (resolved as the sweep resolves it), so ``validate`` and ``run`` refuse it too."""
    if scenario.uncertainty is None:
        return
    for path in scenario.uncertainty.parameters:
        try:
            check_path(path, scenario)
        except ScenarioError as exc:
            raise ScenarioError(f"{source}: uncertainty.parameters[{path[:80]}]: "
                                f"{str(exc).split(': ', 1)[-1]}") from None
