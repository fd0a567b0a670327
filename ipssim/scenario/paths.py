"""Parameters named by dotted paths into a scenario: check a path, set it in scenario data, read it.

``jobs.ips_offer_rate_per_month``, ``regions[Helsinki city].coaches`` (a region by index, name or
``*`` for all), ``employability.work_history_multiplier.over_3y`` (a dictionary entry by key).
"""

from __future__ import annotations

import copy
import math
import re
import types
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeGuard, Union, get_args, get_origin

from pydantic import BaseModel

from ipssim.scenario.edits import BUDGET, edited
from ipssim.scenario.schema import Scenario, ScenarioError


class ParameterPathError(ScenarioError):
    """A dotted parameter path that names no parameter, or a value it cannot take."""


_SEGMENT = re.compile(r"([A-Za-z0-9_]+)(?:\[([^\]]+)\])?(?:\.|$)")
MAX_PATH = 300
"""The longest parameter path (the longest field path with a region name is about 170
characters): every message names the path, so a longer one is refused before it is echoed."""


def parse_path(path: str) -> list[tuple[str, str | None]]:
    """``regions[Helsinki city].coaches`` -> [('regions', 'Helsinki city'), ('coaches', None)]."""
    if len(path) > MAX_PATH:
        raise ParameterPathError(f"parameter {path[:60]}...: {len(path):,} characters; a "
                                 f"parameter path has at most {MAX_PATH}")
    segments, at = [], 0
    while at < len(path):
        match = _SEGMENT.match(path, at)
        if not match:
            raise ParameterPathError(f"parameter {path}: not a dotted path (like "
                                     "jobs.ips_offer_rate_per_month or regions[0].coaches)")
        segments.append((match[1], match[2]))
        at = match.end()
    if not segments or path.endswith("."):
        raise ParameterPathError(f"parameter {path!r}: not a dotted path")
    return segments


def _unwrap(tp: object) -> object:
    """The type inside Optional[...] and Annotated[...]."""
    if get_origin(tp) is Annotated:
        return _unwrap(get_args(tp)[0])
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return tp


def _is_model(tp: object) -> TypeGuard[type[BaseModel]]:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def field_kind(path: str) -> str:
    """``int``, ``float`` or ``floats`` (a list of numbers set to one value) for a numeric
    parameter path of the scenario schema; ParameterPathError naming the path otherwise."""
    tp: object = Scenario
    where = ""
    for name, index in parse_path(path):
        tp = _unwrap(tp)
        if _is_model(tp):
            fields = tp.model_fields
            if name not in fields:
                raise ParameterPathError(f"parameter {path}: unknown field {name!r} in "
                                 f"{where or 'the scenario'}; allowed: {', '.join(fields)}")
            tp = _unwrap(fields[name].annotation)
        elif get_origin(tp) is dict:
            tp = _unwrap(get_args(tp)[1])
        elif get_origin(tp) is list and _is_model(_unwrap(get_args(tp)[0])):
            raise ParameterPathError(f"parameter {path}: {where} is a list; name an entry by index, name "
                             f"or * ({where}[0].{name}, {where}[*].{name})")
        else:
            raise ParameterPathError(f"parameter {path}: {where} is a value, it has no field {name!r}")
        where = f"{where}.{name}" if where else name
        if index is not None:
            if get_origin(tp) is not list or not _is_model(_unwrap(get_args(tp)[0])):
                raise ParameterPathError(f"parameter {path}: {where} is not a list of sections, so "
                                 f"[{index}] does not apply")
            tp = _unwrap(get_args(tp)[0])
            where = f"{where}[{index}]"
    if tp is bool or _is_model(tp):
        raise ParameterPathError(f"parameter {path}: not a numeric field (it is "
                         f"{'a section' if _is_model(tp) else 'true/false'})")
    if tp is int:
        return "int"
    if tp is float:
        return "float"
    if get_origin(tp) is list and _unwrap(get_args(tp)[0]) in (int, float):
        return "floats"
    raise ParameterPathError(f"parameter {path}: not a numeric field (it is {_type_name(tp)})")


def check_path(path: str, scenario: Scenario) -> str:
    """:func:`field_kind` of a path, also refusing an entry the scenario does not have: a region
    by index or name (``regions[7]``, ``regions[Helsinki city]``) or a key of a mapping
    (``employability.work_history_multiplier.over_9y``). The sweep resolves its paths the same
    way when it sets them."""
    kind = field_kind(path)
    nodes: list = [scenario]
    for name, index in parse_path(path):
        nodes = [_child(node, name, path) for node in nodes if node is not None]
        if index is not None:
            nodes = [item for items in nodes if items is not None
                     for item in _chosen(list(items), index, path, name)]
    return kind


def _child(node: object, name: str, path: str) -> object:
    if isinstance(node, dict):
        if name not in node:
            raise ParameterPathError(f"parameter {path}: no entry {name!r}; entries: "
                                     f"{', '.join(map(str, node))}")
        return node[name]
    return getattr(node, name, None)


def _chosen(items: list, index: str, path: str, name: str) -> list:
    return [items[i] for i in _indices(items, index, path, name)]


def _type_name(tp: object) -> str:
    if get_origin(tp) is Literal:
        return "one of " + ", ".join(map(repr, get_args(tp)))
    if (origin := get_origin(tp)) in (tuple, list, dict):
        return f"a {origin.__name__} of values"
    return getattr(tp, "__name__", None) or str(tp)


def coerce(kind: str, value: float) -> float | int:
    """A value as the field takes it: integers rounded to the nearest (halves up)."""
    if kind == "int":
        return math.floor(float(value) + 0.5)
    return float(value)


def apply_values(data: dict, values: Mapping[str, object]) -> dict:
    """Scenario data with each path set to its value (a deep copy; the data is not changed)."""
    data = copy.deepcopy(data)
    for path, value in values.items():
        _set(data, parse_path(path), value, path, Scenario)
    return data


def _set(node: dict, segments: list[tuple[str, str | None]], value: object, path: str,
         section: object) -> None:
    """Set ``path`` under ``node``, the data of a ``section`` of the schema (a model class, or
    a dictionary's type)."""
    (name, index), rest = segments[0], segments[1:]
    field = section.model_fields.get(name) if _is_model(section) else None
    child_type = _unwrap(field.annotation) if field is not None else None
    if index is None:
        if not rest:
            _set_leaf(node, name, value)
            return
        child = node.get(name)
        node[name] = dict(child) if isinstance(child, dict) else _unset(field)
        _set(node[name], rest, value, path, child_type)
        return
    items = [dict(item) if isinstance(item, dict) else item for item in node.get(name) or []]
    node[name] = items
    item_type = _unwrap(get_args(child_type)[0]) if get_origin(child_type) is list else None
    for i in _indices(items, index, path, name):
        _set(items[i], rest, value, path, item_type)


def _unset(field: Any) -> dict:
    """The data of a section the scenario leaves out, to set one value in: empty (its fields
    take their defaults), or its default written out when the section has required fields (a
    usual service's price, payers and share: setting the price alone keeps the rest)."""
    section = _unwrap(field.annotation) if field is not None else None
    if _is_model(section) and any(f.is_required() for f in section.model_fields.values()):
        default = field.get_default(call_default_factory=True)
        if isinstance(default, BaseModel):
            return default.model_dump()
    return {}


def _indices(items: list, index: str, path: str, name: str) -> list[int]:
    if index == "*":
        return list(range(len(items)))
    if re.fullmatch(r"-?\d+", index):
        i = int(index)
        if not 0 <= i < len(items):
            raise ParameterPathError(f"parameter {path}: {name}[{i}] does not exist ({len(items)} {name})")
        return [i]
    names = [item.get("name") if isinstance(item, dict) else getattr(item, "name", None)
             for item in items]
    if index not in names:
        raise ParameterPathError(f"parameter {path}: no {name} entry named {index!r}; names: "
                                 f"{', '.join(map(str, names))}")
    return [names.index(index)]


def _set_leaf(node: dict, name: str, value: object) -> None:
    """Set one field; a budget is one number, the budget of every year. The field replaces its
    other form (:func:`ipssim.scenario.edits.edited`: a headcount its budget, referrals the
    eligible people, and the other way round)."""
    changed = edited(node, {name: [value] if name in BUDGET else value})
    node.clear()
    node.update(changed)


def read_value(scenario: Scenario, path: str) -> float:
    """A parameter's value in a validated scenario (NaN where ``[*]`` regions differ)."""
    found = _read(scenario, parse_path(path))
    distinct = {tuple(v) if isinstance(v, list | tuple) else v for v in found}
    if len(distinct) != 1:
        return math.nan
    value = distinct.pop()
    if isinstance(value, list | tuple):
        return float(value[0]) if len(set(value)) == 1 else math.nan
    return math.nan if value is None else float(value)


def _read(node: object, segments: list[tuple[str, str | None]]) -> list:
    if not segments:
        return [node]
    (name, index), rest = segments[0], segments[1:]
    child: Any = node.get(name) if isinstance(node, dict) else getattr(node, name)
    if index is None:
        return _read(child, rest)
    items = list(child)
    if index == "*":
        chosen = items
    elif re.fullmatch(r"-?\d+", index):
        chosen = [items[int(index)]]
    else:
        chosen = [item for item in items if getattr(item, "name", None) == index]
    return [v for item in chosen for v in _read(item, rest)]
