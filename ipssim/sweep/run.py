"""Sensitivity sweeps: a design of parameter sets (points), independent runs, then analysis.

As in SALib, a sweep has three steps. **Design**: the sweep file's kind turns the scenario and its
parameter uncertainty into a numbered list of points, each a set of parameter values (one-way:
the base case, then each parameter at its low and its high value; grid: every combination;
PSA: draws from the distributions; global: a Sobol (Saltelli) or Morris design). **Run**: every
point runs ``replications`` replications of the scenario with its values, on a Dask cluster or
serially, and its per-replication metrics go to ``points/<index>.parquet`` the moment it
arrives. **Analysis**: tables and charts from the points (``ipssim.sweep.analysis``,
``ipssim.reports.sweep``), redone on every run, so a changed metric list needs no new runs.

Parameters are named by dotted paths into the scenario, as in the calibration
(``jobs.ips_offer_rate_per_month``, ``economics.costs.coach_salary_eur_per_year``); a region's
field by index, name or all regions (``regions[0].coaches``, ``regions[Helsinki city].coaches``,
``regions[*].fidelity``); a dictionary entry by its key
(``employability.work_history_multiplier.over_3y``). A point's values override the scenario's
own and its calibration's, and every point is validated by the scenario schema. Integer fields
take the value rounded to the nearest integer (halves up). A budget
(``regions[i].budget_eur_per_year``) takes one number, the budget of every year, and replaces
the region's headcount; a headcount replaces its budget.

Random numbers. A point's run seed is the sweep seed for every point (``streams: common``, the
default): every point then sees the same clients with the same luck (common random numbers), so
what differs between points is the parameters alone. That is what a tornado, a heat map and
variance-based indices need, and what the issue asks of PSA draws. ``streams: independent`` gives
point ``i`` the seed ``SeedSequence([seed, i])`` instead. Either way a point's results depend
only on the scenario, its values, its seed and the number of replications, never on which
worker ran it or when, so a sweep gives the same bits on any number of workers.

Resuming. ``sweep.json`` in the output folder records the sweep's SHA-256 (of the evaluator, the
scenario files' hash, the seed, the replications, the streams and every point's values). A
rerun into the same folder skips every point whose file holds that hash and computes the rest;
another sweep's folder is refused. Point files are written to a temporary name and renamed, so
an interrupted sweep never leaves a partial one.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from ipssim import __version__
from ipssim.experiments.compare import scenario_seed
from ipssim.experiments.runner import run_replication
from ipssim.scenario.load import parse_scenario, read_scenario_data, scoped_values, with_values
from ipssim.scenario.paths import apply_values, coerce, field_kind, read_value
from ipssim.scenario.sampling import (
    Space,
    latin_hypercube,
    merge,
    parameter_space,
    random_design,
)
from ipssim.scenario.schema import Scenario, ScenarioError
from ipssim.scenario.uncertainty import Uncertainty
from ipssim.sweep.spec import (
    GlobalSweep,
    MetricRef,
    Sweep,
    SweepError,
)
from ipssim.vocabulary import ARM_ROWS, QALY_METRICS, summary_metrics

# -- models: what a point runs --------------------------------------------------------------------

Columns = dict[str, list]
"""A point's result: ``replication``, ``arm``, ``metric``, ``value`` columns."""


class SimulatorModel:
    """A point runs ``replications`` replications of the scenario with the point's values."""

    evaluator = "ipssim.runner.run_replication"

    def __init__(self, scenario_path: str | Path):
        from ipssim.scenario.load import load_scenario

        self.path = Path(scenario_path)
        self.base, self.digest = load_scenario(self.path)
        data = read_scenario_data(self.path)
        self.rows: list[dict[str, float]] = []
        if isinstance(data.get("calibration"), str):  # as load_scenario, keeping the sample
            document = yaml.safe_load((self.path.parent / data["calibration"]).read_text())
            scope = data.get("calibration_scope")
            data = with_values(data, scoped_values(document["values"], scope))
            sets = (document.get("sample") or {}).get("sets") or []
            self.rows = [scoped_values(s["values"], scope) for s in sets]
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
        return parse_scenario(apply_values(self.data, values), source=str(self.path))

    def evaluate(self, values: dict[str, float], seed: int, replications: int) -> Columns:
        scenario = self.scenario(values)
        out: Columns = {"replication": [], "arm": [], "metric": [], "value": []}
        for k in range(replications):
            metrics = run_replication(scenario, seed, k).metrics
            for arm in ARM_ROWS:
                for metric, value in metrics[arm].items():
                    out["replication"].append(k)
                    out["arm"].append(arm)
                    out["metric"].append(metric)
                    out["value"].append(float(value))
        return out


class FunctionModel:
    """A point runs a Python function of the values: ``fn(values, seed, replication)`` returns
    ``{arm: {metric: value}}``. For testing the plumbing on functions with known answers."""

    def __init__(self, fn: Callable[[dict[str, float], int, int], dict[str, dict[str, float]]],
                 uncertainty: Uncertainty | None = None, base: dict[str, float] | None = None):
        self.fn = fn
        self.evaluator = f"{fn.__module__}.{fn.__qualname__}"
        self.digest = hashlib.sha256(self.evaluator.encode()).hexdigest()
        self.uncertainty = uncertainty
        self.rows: list[dict[str, float]] = []
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
        out: Columns = {"replication": [], "arm": [], "metric": [], "value": []}
        for k in range(replications):
            for arm, metrics in self.fn(values, seed, k).items():
                for metric, value in metrics.items():
                    out["replication"].append(k)
                    out["arm"].append(arm)
                    out["metric"].append(metric)
                    out["value"].append(float(value))
        return out


# -- design -----------------------------------------------------------------------------------------

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
    notes: list[str] = field(default_factory=list)


def build_design(spec: Sweep, model: SimulatorModel | FunctionModel) -> Design:
    """The numbered points of a sweep, every one validated (a bad one is a one-line error)."""
    model.check_metrics(spec.metrics)
    uncertainty = merge(model.uncertainty, spec.uncertainty)
    space, unit, problem = None, None, None
    if spec.kind == "one_way":
        paths = list(spec.parameters)
        kinds = model.kinds(paths)
        needs = [p for p, r in spec.parameters.items() if r is None]
        if needs:
            missing = [p for p in needs if p not in uncertainty.parameters
                       and not (uncertainty.calibrated_sample and model.rows
                                and p in model.rows[0])]
            if missing:
                raise SweepError(f"parameters.{missing[0]}: give low and high, or a distribution "
                                 "for it under uncertainty.parameters")
            space = parameter_space(uncertainty, model.rows)
        rows = [({}, "base case", "", "base")]
        for path, bounds in spec.parameters.items():
            low, high = (bounds.low, bounds.high) if bounds else \
                (space.quantile(path, spec.percentiles[0]), space.quantile(path, spec.percentiles[1]))
            rows.append(({path: coerce(kinds[path], low)}, f"{path} low", path, "low"))
            rows.append(({path: coerce(kinds[path], high)}, f"{path} high", path, "high"))
    elif spec.kind == "grid":
        paths = list(spec.parameters)
        kinds = model.kinds(paths)
        rows = []
        for combo in itertools.product(*spec.parameters.values()):
            values = {p: coerce(kinds[p], v) for p, v in zip(paths, combo, strict=True)}
            rows.append((values, ", ".join(f"{p}={v:g}" for p, v in values.items()), "", "grid"))
    else:
        space = parameter_space(uncertainty, model.rows, spec.parameters)
        paths = space.paths
        kinds = model.kinds(paths)
        d = len(space.factors)
        if spec.kind == "psa":
            unit = (random_design if spec.sampling == "random" else latin_hypercube)(
                spec.draws, d, spec.seed)
        else:
            problem = {"num_vars": d, "names": space.names, "bounds": [[0.0, 1.0]] * d}
            unit = _salib_design(spec, problem)
        rows = [({p: coerce(kinds[p], v) for p, v in values.items()}, f"draw {i}", "", spec.kind)
                for i, values in enumerate(space.values(unit))]
    points = [Point(i, values, scenario_seed(spec.seed, i, spec.streams == "independent"), label,
                    parameter, level, tuple(float(u) for u in unit[i]) if unit is not None else ())
              for i, (values, label, parameter, level) in enumerate(rows)]
    for point in points:
        try:
            model.scenario(point.values)
        except ScenarioError as exc:
            raise SweepError(f"point {point.index} ({_short(point.values)}): "
                             f"{str(exc).split(': ', 1)[-1]}") from None
    design = Design(spec, points, paths, {p: model.base_value(p) for p in paths}, space, unit,
                    problem)
    design.sha256 = design_sha256(design, model)
    return design


def _salib_design(spec: GlobalSweep, problem: dict) -> np.ndarray:
    if spec.method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, spec.samples, calc_second_order=False, scramble=True,
                            seed=spec.seed)
    from SALib.sample import morris

    return morris.sample(problem, spec.samples, num_levels=spec.levels, seed=spec.seed)


def _short(values: dict[str, float]) -> str:
    text = ", ".join(f"{p}={v:.6g}" for p, v in values.items()) or "base case"
    return text if len(text) < 120 else text[:117] + "..."


def design_sha256(design: Design, model: SimulatorModel | FunctionModel) -> str:
    """What determines every point's results: the evaluator, the scenario files (their hash),
    the seed, the replications, the streams and each point's values."""
    spec = design.spec
    document = {"evaluator": model.evaluator, "scenario_sha256": model.digest, "kind": spec.kind,
                "seed": spec.seed, "replications": spec.replications, "streams": spec.streams,
                "points": [p.values for p in design.points]}
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


# -- the output folder --------------------------------------------------------------------------------

MANIFEST = "sweep.json"
POINTS = "points"


def point_path(out: Path, index: int) -> Path:
    return out / POINTS / f"{index:06d}.parquet"


def check_folder(out: Path, sha256: str) -> None:
    """Refuse a file, a folder of another sweep, or a non-empty folder that is not a sweep's."""
    if not out.exists():
        return
    if not out.is_dir():
        raise SweepError(f"--out: {out} is a file; give a folder")
    manifest = out / MANIFEST
    if manifest.exists():
        try:
            found = json.loads(manifest.read_text()).get("spec_sha256")
        except (json.JSONDecodeError, AttributeError):
            found = None
        if found != sha256:
            raise SweepError(f"--out: {out} holds another sweep (spec sha256 {str(found)[:12]}, "
                             f"this one {sha256[:12]}); give another --out or remove that folder")
    elif any(out.iterdir()):
        raise SweepError(f"--out: {out} is not empty and holds no sweep; give a new or empty folder")


def done_points(out: Path, sha256: str) -> set[int]:
    """Indices of the points already saved for this sweep; removes temporary files left by an
    interrupted run and unreadable point files (they are computed again)."""
    folder = out / POINTS
    if not folder.exists():
        return set()
    for stale in folder.glob(".*.tmp-*"):
        stale.unlink(missing_ok=True)
    done = set()
    for path in folder.glob("*.parquet"):
        try:
            metadata = pq.read_schema(path).metadata or {}
        except (OSError, pa.ArrowInvalid):
            path.unlink()
            continue
        found = metadata.get(b"spec_sha256", b"").decode()
        if found != sha256:
            raise SweepError(f"{path}: belongs to another sweep (spec sha256 {found[:12]}, this one "
                             f"{sha256[:12]}); remove {out} or give another --out")
        version = metadata.get(b"ipssim_version", b"").decode()
        if version != __version__:
            raise SweepError(f"{path}: computed by ipssim {version}, this is {__version__}; "
                             f"finish the sweep with that version or start again in another --out")
        done.add(int(path.stem))
    return done


def point_table(point: Point, columns: Columns, sha256: str) -> pa.Table:
    n = len(columns["value"])
    table = pa.table({
        "point": pa.array(np.full(n, point.index, dtype=np.int64)),
        "replication": pa.array(np.asarray(columns["replication"], dtype=np.int64)),
        "arm": pa.array(columns["arm"], pa.string()),
        "metric": pa.array(columns["metric"], pa.string()),
        "value": pa.array(np.asarray(columns["value"], dtype=np.float64)),
        "params_json": pa.array([point.params_json] * n, pa.string()),
        "params_sha256": pa.array([point.params_sha256] * n, pa.string()),
        "seed": pa.array(np.full(n, point.seed, dtype=np.int64)),
        "ipssim_version": pa.array([__version__] * n, pa.string()),
        "spec_sha256": pa.array([sha256] * n, pa.string()),
    })
    return table.replace_schema_metadata({"spec_sha256": sha256, "point": str(point.index),
                                          "ipssim_version": __version__})


def write_table_atomic(table: pa.Table, path: Path) -> None:
    """Write to a hidden temporary file beside ``path``, then rename it into place."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, document: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(document, indent=2, default=str) + "\n")
    os.replace(tmp, path)


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


# -- running ---------------------------------------------------------------------------------------

def _evaluate_point(model: SimulatorModel | FunctionModel, values: dict[str, float], seed: int,
                    replications: int) -> Columns:
    """A point's task (module level, so Dask can ship it to any worker)."""
    return model.evaluate(values, seed, replications)


def serial_results(model, points: list[Point], replications: int
                   ) -> Iterator[tuple[Point, Columns]]:
    """Every point in this process, in index order: the reference for the bit-identity test."""
    for point in points:
        yield point, _evaluate_point(model, point.values, point.seed, replications)


@contextmanager
def dask_client(workers: int, scheduler: str | None = None) -> Iterator[object]:
    """A Dask client: of an embedded local cluster of ``workers`` single-threaded processes, or
    of the cluster whose scheduler is at ``scheduler`` (its workers must run this ipssim)."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise SweepError(f"--scheduler: cannot reach a Dask scheduler at {scheduler} "
                             f"({str(exc).splitlines()[0]})") from None
        try:
            versions = set(client.run(_worker_version).values())
            if versions != {__version__}:
                raise SweepError(f"--scheduler: the workers at {scheduler} run ipssim "
                                 f"{', '.join(sorted(map(str, versions))) or '(no workers)'}; "
                                 f"this is {__version__}")
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=logging.CRITICAL)
    try:
        client = Client(cluster)
        client.register_plugin(_ignore_interrupts_plugin())
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def dask_results(client, model, points: list[Point], replications: int
                 ) -> Iterator[tuple[Point, Columns]]:
    """Every point as a Dask task, yielded as each finishes (in any order). Stopping the
    iteration (or Ctrl-C) cancels the tasks left."""
    from distributed import as_completed

    shared = client.scatter(model, broadcast=True, hash=False)
    futures = [client.submit(_evaluate_point, shared, point.values, point.seed, replications,
                             pure=False) for point in points]
    by_key = {future.key: point for future, point in zip(futures, points, strict=True)}
    try:
        for future in as_completed(futures):
            columns = future.result()
            point = by_key[future.key]
            future.release()
            yield point, columns
    finally:
        client.cancel(futures)


def _worker_version() -> str:
    return __version__


def _ignore_interrupts_plugin():
    """A Dask worker plugin: workers of the embedded cluster leave Ctrl-C to the parent, which
    stops the sweep and closes the cluster (as ``ipssim.runner.worker_pool`` does)."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class IgnoreInterrupts(WorkerPlugin):
        name = "ipssim-ignore-interrupts"

        def setup(self, worker) -> None:
            import signal
            import threading

            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, signal.SIG_IGN)

    return IgnoreInterrupts()


# -- a whole sweep -----------------------------------------------------------------------------------

@dataclass
class SweepRun:
    """What one invocation did."""

    out: Path
    design: Design
    already: int
    computed: int
    wall_seconds: float
    tables: dict[str, dict[str, list]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.design.points)

    @property
    def complete(self) -> bool:
        return self.already + self.computed == self.total


def run_sweep(spec: Sweep, model: SimulatorModel | FunctionModel, out: Path, *,
              workers: int = 1, scheduler: str | None = None, serial: bool = False,
              progress: Callable[[int, int], None] | None = None, sweep_file: str = "",
              report: bool = True) -> SweepRun:
    """Design, run the missing points (serially or on Dask), then analyse and report.

    Everything that can be wrong with the input is found before anything is written. Each
    point's file is written as it arrives; if the run stops early (Ctrl-C, a killed process),
    what was saved stays, and the same call computes only the rest.
    """
    out = Path(out)
    design = build_design(spec, model)
    check_folder(out, design.sha256)
    done = done_points(out, design.sha256)
    missing = [p for p in design.points if p.index not in done]
    local = serial or not missing
    with nullcontext() if local else dask_client(min(workers, len(missing)), scheduler) as client:
        return _run(spec, model, out, design, done, missing, client, progress, sweep_file,
                    report, "serial" if serial else (scheduler or workers))


def _run(spec, model, out: Path, design: Design, done: set[int], missing: list[Point], client,
         progress, sweep_file: str, report: bool, workers: int | str) -> SweepRun:
    (out / POINTS).mkdir(parents=True, exist_ok=True)
    manifest_path = out / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {
        "created": datetime.now(UTC).isoformat(timespec="seconds"), "runs": []}
    manifest |= {
        "kind": spec.kind, "name": spec.name or Path(sweep_file or "sweep").stem,
        "sweep_file": sweep_file,
        "scenario_file": str(getattr(model, "path", "")), "scenario_sha256": model.digest,
        "evaluator": model.evaluator, "spec_sha256": design.sha256, "seed": spec.seed,
        "replications": spec.replications, "streams": spec.streams, "points": len(design.points),
        "ipssim_version": __version__, "spec": spec.model_dump(mode="json"),
    }
    run = {"started": datetime.now(UTC).isoformat(timespec="seconds"), "already_done": len(done),
           "computed": 0, "workers": workers,
           "wall_seconds": None, "interrupted": True}
    manifest["runs"].append(run)
    write_json_atomic(manifest_path, manifest | {"complete": False})
    write_table_atomic(design_table(design), out / "design.parquet")
    clock = time.perf_counter()
    computed = 0
    try:
        if missing:
            results = serial_results(model, missing, spec.replications) if client is None \
                else dask_results(client, model, missing, spec.replications)
            for point, columns in results:
                write_table_atomic(point_table(point, columns, design.sha256),
                                   point_path(out, point.index))
                computed += 1
                if progress:
                    progress(len(done) + computed, len(design.points))
    finally:
        run |= {"computed": computed, "wall_seconds": round(time.perf_counter() - clock, 3),
                "interrupted": len(done) + computed < len(design.points)}
        write_json_atomic(manifest_path, manifest | {"complete": not run["interrupted"]})
    result = SweepRun(out, design, len(done), computed, run["wall_seconds"])
    results = combine(out, design)
    result.tables = analyse(design, results)
    for name, table in result.tables.items():
        write_csv_atomic(out / f"{name}.csv", table)
    if report:
        from ipssim.reports.sweep import write_sweep_report

        write_sweep_report(out / "report.html", design, result.tables, manifest)
    return result


def combine(out: Path, design: Design) -> pa.Table:
    """Every point's table, in point order, as ``results.parquet``."""
    tables = [pq.read_table(point_path(out, p.index)) for p in design.points]
    results = pa.concat_tables(tables).replace_schema_metadata(
        {"spec_sha256": design.sha256})
    write_table_atomic(results, out / "results.parquet")
    return results


def analyse(design: Design, results: pa.Table) -> dict[str, dict[str, list]]:
    """The kind's tables (``ipssim.sweep.analysis``) from the results."""
    from ipssim.sweep import analysis as sa
    spec = design.spec
    data = sa.cube(results, len(design.points))
    if spec.kind == "one_way":
        return {"tornado": sa.tornado_table(design.points, design.parameters, design.base_values,
                                            data)}
    if spec.kind == "grid":
        return {"grid": sa.grid_table(design.points, design.parameters, data)}
    metrics = [(m.metric, m.arm) for m in spec.metrics if data.has(m.metric, m.arm)]
    if spec.kind == "psa":
        return sa.psa_tables(design.points, design.parameters, data, spec.cost,
                             {"employed": spec.wtp_per_employed_eur, "qaly": spec.wtp_per_qaly_eur},
                             metrics)
    return sa.global_tables(design.problem, design.unit, data, metrics, spec.method, spec.samples,
                            spec.levels, spec.bootstrap, spec.convergence, spec.seed)


def write_csv_atomic(path: Path, columns: dict[str, list]) -> None:
    from ipssim.outputs import write_csv

    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    write_csv(tmp, columns)
    os.replace(tmp, path)


@contextmanager
def progress_display(description: str, done: int, total: int,
                     every_seconds: float = 30.0) -> Iterator[Callable[[int, int], None]]:
    """A progress callback ``(done, total)``: a bar on stderr with points done, points per second
    and time left on a terminal; otherwise (a batch job's log) one line every ``every_seconds``."""
    import sys

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task) -> Text:
            return Text(f"{task.speed:.2f} points/s" if task.speed else "- points/s")

    console = Console(file=sys.stderr)
    start, last = time.perf_counter(), [time.perf_counter()]
    first = done

    def plain(now_done: int, now_total: int) -> None:
        now = time.perf_counter()
        if now - last[0] < every_seconds and now_done < now_total:
            return
        last[0] = now
        rate = (now_done - first) / (now - start)
        left = (now_total - now_done) / rate if rate > 0 else math.inf
        print(f"{description}: {now_done}/{now_total} points, {rate:.2f} points/s, "
              f"about {_duration(left)} left", file=sys.stderr, flush=True)

    if not console.is_terminal:
        yield plain
        return
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
               Rate(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(description, total=total or None, completed=done)
        yield lambda now_done, now_total: bar.update(task, completed=now_done, total=now_total)


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "? min"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def headline(result: SweepRun) -> list[str]:
    """A few lines for the terminal: the main finding of each charted metric."""
    spec, tables, lines = result.design.spec, result.tables, []
    first = spec.metrics[0]
    if spec.kind == "one_way":
        t = tables["tornado"]
        rows = [i for i, (m, a) in enumerate(zip(t["metric"], t["arm"], strict=True))
                if (m, a) == (first.metric, first.arm)]
        if rows:
            lines.append(f"{first.metric} ({first.arm}): base case {t['base'][rows[0]]:.4g}; "
                         "widest swings:")
            lines += [f"  {t['parameter'][i]:48} {t['at_low'][i]:>12.4g} to {t['at_high'][i]:<12.4g}"
                      for i in rows[:5]]
    elif spec.kind == "grid":
        t = tables["grid"]
        rows = [i for i, (m, a) in enumerate(zip(t["metric"], t["arm"], strict=True))
                if (m, a) == (first.metric, first.arm)]
        values = [t["mean"][i] for i in rows]
        if values:
            lines.append(f"{first.metric} ({first.arm}): from {np.nanmin(values):.4g} to "
                         f"{np.nanmax(values):.4g} over {len(rows)} grid points")
    elif spec.kind == "psa":
        s = tables["psa_summary"]
        for q, mean, lo, hi in zip(s["quantity"], s["mean"], s["lo95"], s["hi95"], strict=True):
            rng = f" [{lo:.4g}, {hi:.4g}]" if not math.isnan(lo) else ""
            lines.append(f"  {q:44} {mean:>12.4g}{rng}")
        c = tables["ceac"]
        for effect in dict.fromkeys(c["effect"]):
            rows = [i for i, e in enumerate(c["effect"]) if e == effect]
            mid = rows[len(rows) // 2]
            lines.append(f"  P(cost-effective) at {c['wtp_eur'][mid]:,.0f} EUR per {effect}: "
                         f"{c['p_cost_effective'][mid]:.2f}; EVPI {c['evpi_eur'][mid]:,.0f} EUR")
    else:
        t = tables[spec.method]
        index = "ST" if spec.method == "sobol" else "mu_star"
        rows = [i for i, (m, a) in enumerate(zip(t["metric"], t["arm"], strict=True))
                if (m, a) == (first.metric, first.arm)]
        rows.sort(key=lambda i: -t[index][i] if not math.isnan(t[index][i]) else math.inf)
        lines.append(f"{first.metric} ({first.arm}), {index} (95% interval):")
        lines += [f"  {t['parameter'][i]:48} {t[index][i]:.3f} +- {t[index + '_conf'][i]:.3f}"
                  for i in rows]
    return lines


def read_progress(out: Path) -> tuple[int, int]:
    """(points saved, points in the sweep) of an output folder; (0, 0) if it holds no sweep."""
    try:
        total = int(json.loads((Path(out) / MANIFEST).read_text())["points"])
    except (OSError, ValueError, KeyError):
        return 0, 0
    return len(list((Path(out) / POINTS).glob("*.parquet"))), total
