"""Evaluators: what a point of a sweep runs.

An evaluator turns a point's parameter values into per-replication metrics: its
:meth:`~ScenarioEvaluator.evaluate` ``(values, seed, replications)`` returns the ``replication``,
``arm``, ``metric`` and ``value`` columns. In the sweep, *evaluate* means this and nothing else.
:class:`ScenarioEvaluator` runs the simulator on a scenario file; :class:`FunctionEvaluator` runs a
Python function (test functions with known answers). Either one also tells the design what its
parameters are (their kinds, their base values, their uncertainty) and checks a point's values.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from ipssim.experiments.runner import run_replication
from ipssim.scenario.load import (
    parse_scenario,
    read_scenario_data,
    read_scenario_file,
    scoped_values,
    with_values,
)
from ipssim.scenario.paths import apply_values, field_kind, read_value
from ipssim.scenario.schema import Scenario, ScenarioError
from ipssim.scenario.uncertainty import Uncertainty
from ipssim.sweep.spec import MetricRef, SweepError
from ipssim.validation import read_yaml
from ipssim.vocabulary import ARM_ROWS, QALY_METRICS, summary_metrics

Columns = dict[str, list]
"""A point's result: ``replication``, ``arm``, ``metric``, ``value`` columns."""


class Evaluator(Protocol):
    """What a sweep needs of an evaluator."""

    name: str
    """What computes a point (recorded in ``sweep.json`` and in the sweep's hash)."""
    source: str
    """The scenario file, if any."""
    digest: str
    """SHA-256 of the inputs (the scenario files): part of the sweep's hash."""
    uncertainty: Uncertainty | None
    calibrated_rows: list[dict[str, float]]
    """The parameter sets of the calibrated sample (the ``calibrated`` distribution draws them)."""

    def kinds(self, paths: list[str]) -> dict[str, str]: ...

    def base_value(self, path: str) -> float: ...

    def check_metrics(self, metrics: list[MetricRef]) -> None: ...

    def scenario(self, values: dict[str, float]) -> Scenario | None: ...

    def evaluate(self, values: dict[str, float], seed: int, replications: int) -> Columns: ...


class ScenarioEvaluator:
    """A point runs ``replications`` replications of the scenario with the point's values."""

    name = "ipssim.runner.run_replication"
    """Kept as first recorded (before ``runner`` moved to ``ipssim.experiments``): it is part of
    every sweep's hash, so a new name would make finished sweeps look like other sweeps."""

    def __init__(self, scenario_path: str | Path):
        self.path = Path(scenario_path)
        self.source = str(self.path)
        self.base, self.digest = read_scenario_file(self.path)
        data = read_scenario_data(self.path)
        self.calibrated_rows: list[dict[str, float]] = []
        if isinstance(data.get("calibration"), str):  # as read_scenario_file, keeping the sample
            document = read_yaml(self.path.parent / data["calibration"], "calibration",
                                 ScenarioError)
            scope = data.get("calibration_scope")
            data = with_values(data, scoped_values(document["values"], scope))
            sets = (document.get("sample") or {}).get("sets") or []
            self.calibrated_rows = [scoped_values(s["values"], scope) for s in sets]
        self.data = data
        self.uncertainty = self.base.uncertainty

    def kinds(self, paths: list[str]) -> dict[str, str]:
        return {path: field_kind(path) for path in paths}

    def base_value(self, path: str) -> float:
        return read_value(self.base, path)

    def check_metrics(self, metrics: list[MetricRef]) -> None:
        for m in metrics:
            if m.metric not in summary_metrics(m.arm):
                having = [a for a in ARM_ROWS if m.metric in summary_metrics(a)]
                allowed = f"arms with it: {', '.join(having)}" if having else \
                    f"metrics: {', '.join(sorted(set(summary_metrics('difference'))))}"
                raise SweepError(f"metrics: {m.metric!r} has no {m.arm!r} arm; {allowed}")
            if m.metric in QALY_METRICS and not self.base.economics.qaly.enabled:
                raise SweepError(f"metrics: {m.metric!r} needs economics.qaly.enabled: true in "
                                 "the scenario")

    def scenario(self, values: dict[str, float]) -> Scenario:
        """The scenario with ``values`` (ScenarioError if they make it invalid)."""
        return parse_scenario(apply_values(self.data, values), source=str(self.path))

    def evaluate(self, values: dict[str, float], seed: int, replications: int) -> Columns:
        scenario = self.scenario(values)
        out = _columns()
        for k in range(replications):
            metrics = run_replication(scenario, seed, k).metrics
            _append(out, k, {arm: metrics[arm] for arm in ARM_ROWS})
        return out


class FunctionEvaluator:
    """A point runs a Python function of the values: ``fn(values, seed, replication)`` returns
    ``{arm: {metric: value}}``. For testing the plumbing on functions with known answers."""

    source = ""

    def __init__(self, fn: Callable[[dict[str, float], int, int], dict[str, dict[str, float]]],
                 uncertainty: Uncertainty | None = None, base: dict[str, float] | None = None):
        self.fn = fn
        self.name = f"{fn.__module__}.{fn.__qualname__}"
        self.digest = hashlib.sha256(self.name.encode()).hexdigest()
        self.uncertainty = uncertainty
        self.calibrated_rows: list[dict[str, float]] = []
        self.base = base or {}

    def kinds(self, paths: list[str]) -> dict[str, str]:
        return dict.fromkeys(paths, "float")

    def base_value(self, path: str) -> float:
        return float(self.base.get(path, math.nan))

    def check_metrics(self, metrics: list[MetricRef]) -> None:
        pass

    def scenario(self, values: dict[str, float]) -> None:
        return None

    def evaluate(self, values: dict[str, float], seed: int, replications: int) -> Columns:
        out = _columns()
        for k in range(replications):
            _append(out, k, self.fn(values, seed, k))
        return out


def _columns() -> Columns:
    return {"replication": [], "arm": [], "metric": [], "value": []}


def _append(out: Columns, replication: int, metrics: dict[str, dict[str, float]]) -> None:
    """One replication's ``{arm: {metric: value}}``, a row per metric, in the dict's order."""
    for arm, values in metrics.items():
        for metric, value in values.items():
            out["replication"].append(replication)
            out["arm"].append(arm)
            out["metric"].append(metric)
            out["value"].append(float(value))
