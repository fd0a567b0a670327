"""The design of a sweep: its numbered points, each a set of parameter values and a seed.

One-way: the base case, then each parameter at its low and its high value; grid: every
combination; PSA: draws from the distributions (random or Latin hypercube); global: a Sobol
(Saltelli) or Morris design from SALib on the unit cube, mapped through the distributions. Every
point is validated by the evaluator before anything runs. The design's SHA-256 names what
determines every point's results, so a resumed sweep can tell its own points from another's.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ipssim.experiments.compare import scenario_seed
from ipssim.experiments.workload import check_points, check_replication
from ipssim.scenario.paths import coerce
from ipssim.scenario.sampling import Space, latin_hypercube, merge, parameter_space, random_design
from ipssim.sweep.evaluators import Evaluator
from ipssim.sweep.spec import GlobalSweep, Sweep, SweepError, check_size
from ipssim.validation import InputError


@dataclass(frozen=True)
class Point:
    index: int
    values: dict[str, float]
    seed: int
    label: str
    parameter: str = ""
    level: str = ""
    unit: tuple[float, ...] = ()

    @property
    def params_json(self) -> str:
        return json.dumps(self.values, sort_keys=True)

    @property
    def params_sha256(self) -> str:
        return hashlib.sha256(self.params_json.encode()).hexdigest()


@dataclass
class Design:
    """The points of a sweep, and what the analysis needs to read them."""

    spec: Sweep
    points: list[Point]
    parameters: list[str]
    base_values: dict[str, float]
    space: Space | None = None
    unit: np.ndarray | None = None
    problem: dict | None = None
    sha256: str = ""


def build_design(spec: Sweep, evaluator: Evaluator) -> Design:
    """The numbered points of a sweep, every one validated (a bad one is a one-line error).

    Its size is checked before any point is built (at most ``MAX_POINTS`` points), and the
    clients the points simulate as each is validated (at most the budget of one run), so a
    sweep beyond either is refused before anything runs."""
    evaluator.check_metrics(spec.metrics)
    uncertainty = merge(evaluator.uncertainty, spec.uncertainty)
    space, unit, problem = None, None, None
    sample = evaluator.calibrated_rows  # the calibrated sample's parameter sets, if any
    if spec.kind != "global":
        _check_size(spec, 0)
    if spec.kind == "one_way":
        paths = list(spec.parameters)
        kinds = evaluator.kinds(paths)
        needs = [p for p, r in spec.parameters.items() if r is None]
        if needs:
            missing = [p for p in needs if p not in uncertainty.parameters
                       and not (uncertainty.calibrated_sample and sample
                                and p in sample[0])]
            if missing:
                raise SweepError(f"parameters.{missing[0]}: give low and high, or a distribution "
                                 "for it under uncertainty.parameters")
            space = parameter_space(uncertainty, sample)
        rows: list[tuple[dict[str, float], str, str, str]] = [({}, "base case", "", "base")]
        for path, bounds in spec.parameters.items():
            if bounds:
                low, high = bounds.low, bounds.high
            else:
                assert space is not None  # made above for every parameter without bounds
                low = space.quantile(path, spec.percentiles[0])
                high = space.quantile(path, spec.percentiles[1])
            rows.append(({path: coerce(kinds[path], low)}, f"{path} low", path, "low"))
            rows.append(({path: coerce(kinds[path], high)}, f"{path} high", path, "high"))
    elif spec.kind == "grid":
        paths = list(spec.parameters)
        kinds = evaluator.kinds(paths)
        rows = []
        for combo in itertools.product(*spec.parameters.values()):
            values = {p: coerce(kinds[p], v) for p, v in zip(paths, combo, strict=True)}
            rows.append((values, ", ".join(f"{p}={v:g}" for p, v in values.items()), "", "grid"))
    else:
        space = parameter_space(uncertainty, sample, spec.parameters)
        paths = space.paths
        kinds = evaluator.kinds(paths)
        d = len(space.factors)
        _check_size(spec, d)
        if spec.kind == "psa":
            unit = (random_design if spec.sampling == "random" else latin_hypercube)(
                spec.draws, d, spec.seed)
        else:
            problem = {"num_vars": d, "names": space.names, "bounds": [[0.0, 1.0]] * d}
            unit = salib_design(spec, problem)
        rows = [({p: coerce(kinds[p], v) for p, v in values.items()}, f"draw {i}", "", spec.kind)
                for i, values in enumerate(space.values(unit))]
    points = [Point(i, values, scenario_seed(spec.seed, i, spec.streams == "independent"), label,
                    parameter, level, tuple(float(u) for u in unit[i]) if unit is not None else ())
              for i, (values, label, parameter, level) in enumerate(rows)]
    clients = 0.0
    for point in points:
        try:
            scenario = evaluator.scenario(point.values)
            if scenario is not None:
                clients += check_replication(scenario)
        except InputError as exc:
            raise SweepError(f"point {point.index} ({_short(point.values)}): "
                             f"{str(exc).split(': ', 1)[-1]}") from None
        try:
            check_points(clients, spec.replications, point.index, len(points))
        except InputError as exc:
            raise SweepError(str(exc)) from None
    design = Design(spec, points, paths, {p: evaluator.base_value(p) for p in paths}, space, unit,
                    problem)
    design.sha256 = design_sha256(design, evaluator)
    return design


def _check_size(spec: Sweep, factors: int) -> None:
    try:
        check_size(spec, factors)
    except ValueError as exc:
        raise SweepError(str(exc)) from None


def salib_design(spec: GlobalSweep, problem: dict) -> np.ndarray:
    """SALib's Sobol (Saltelli, first and total order) or Morris sample on the unit cube."""
    if spec.method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, spec.samples, calc_second_order=False, scramble=True,
                            seed=spec.seed)
    from SALib.sample import morris

    return morris.sample(problem, spec.samples, num_levels=spec.levels, seed=spec.seed)


def _short(values: dict[str, float]) -> str:
    text = ", ".join(f"{p}={v:.6g}" for p, v in values.items()) or "base case"
    return text if len(text) < 120 else text[:117] + "..."


def design_sha256(design: Design, evaluator: Evaluator) -> str:
    """What determines every point's results: the evaluator, the scenario files (their hash),
    the seed, the replications, the streams and each point's values."""
    spec = design.spec
    document = {"evaluator": evaluator.name, "scenario_sha256": evaluator.digest,
                "kind": spec.kind, "seed": spec.seed, "replications": spec.replications,
                "streams": spec.streams, "points": [p.values for p in design.points]}
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def design_table(design: Design) -> pa.Table:
    """One row per point: index, label, seed, parameter values (a column per path), provenance."""
    points = design.points
    columns: dict[str, pa.Array] = {
        "point": pa.array([p.index for p in points], pa.int64()),
        "label": pa.array([p.label for p in points], pa.string()),
        "parameter": pa.array([p.parameter for p in points], pa.string()),
        "level": pa.array([p.level for p in points], pa.string()),
        "seed": pa.array([p.seed for p in points], pa.int64()),
    }
    for path in design.parameters:
        columns[path] = pa.array([float(p.values.get(path, math.nan)) for p in points],
                                 pa.float64())
    if design.unit is not None and design.space is not None:
        for j, name in enumerate(design.space.names):
            columns[f"u:{name}"] = pa.array(design.unit[:, j], pa.float64())
    columns["params_json"] = pa.array([p.params_json for p in points], pa.string())
    columns["params_sha256"] = pa.array([p.params_sha256 for p in points], pa.string())
    return pa.table(columns)
