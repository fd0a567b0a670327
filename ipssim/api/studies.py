"""Sweeps and calibration: the studies that write their own folder as they go.

:func:`sweep` runs a sensitivity sweep file into its output folder (resumable: a rerun computes
only the points not yet saved); :func:`calibrate` fits the behavioural parameters to the
published targets and writes ``calibrated.yaml`` and the fit report; :func:`validate_calibration`
runs the external validation against a fit. Each checks its arguments at the door and claims its
folder before any work starts.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path

import pandas as pd

from ipssim.api import arguments
from ipssim.calibration import result as fitting
from ipssim.calibration.calibrated import load_start, write_calibrated
from ipssim.calibration.external import load_validation, run_validation
from ipssim.calibration.run import calibrate as search
from ipssim.calibration.spec import Spec, load_spec
from ipssim.files import Manifest, OutputError, atomic_write, claimed, sha256_of
from ipssim.parallel import refuse_unguarded_main, worker_pool
from ipssim.progress import Update
from ipssim.reports.fit import write_fit_report, write_validation_report
from ipssim.reports.page import PLOTLYJS
from ipssim.reports.sweep import write_sweep_report
from ipssim.sweep.evaluators import ScenarioEvaluator
from ipssim.sweep.run import SweepRun, headline, run_sweep
from ipssim.sweep.spec import load_sweep
from ipssim.sweep.store import read_progress
from ipssim.vocabulary import CALIBRATION_SEED

DEFAULT_VALIDATION = Path("calibration/validation.yaml")
"""The published figures of the external validation, used when present."""


@dataclass
class SweepResult:
    """What one call of :func:`sweep` did, and the tables of every point saved so far."""

    name: str
    out: Path
    where: str
    """Where the points ran, in words: serially, on a local Dask cluster, on a scheduler."""
    run: SweepRun = field(repr=False)

    @property
    def total(self) -> int:
        return self.run.total

    @property
    def already(self) -> int:
        """Points saved by earlier calls into the same folder (not computed again)."""
        return self.run.already

    @property
    def computed(self) -> int:
        return self.run.computed

    @property
    def wall_seconds(self) -> float:
        return self.run.wall_seconds

    @cached_property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The analysis tables by name (the sweep's CSV files): tornado, grid, PSA, indices."""
        return {name: pd.DataFrame(table) for name, table in self.run.tables.items()}

    def headline(self) -> list[str]:
        """A few lines on the main finding of each charted metric."""
        return headline(self.run)


def sweep(sweep_file: str | Path, out: str | Path | None = None, workers: int = 1,
          scheduler: str | None = None, serial: bool = False, progress: Update | None = None,
          plotlyjs: str = "folder") -> SweepResult:
    """Run the sweep file (one-way, grid, PSA or global) into ``out`` (default
    ``outputs/sweep-<name>``), on a local Dask cluster of ``workers`` processes (at most the
    cores here), on the cluster at ``scheduler``, or ``serial`` in this process; the same bits
    on each. Every point's file is saved as it arrives: after an interruption the same call
    computes only the rest (the interruption's notes say how many were saved).
    ``progress(done, total)`` is called once the points are known, then as each is saved."""
    sweep_file = arguments.path(sweep_file, "sweep_file")
    out = arguments.optional_path(out, "out")
    scheduler = arguments.scheduler(scheduler)
    serial = arguments.flag(serial, "serial")
    workers = arguments.whole(workers, "workers", 1) if scheduler or serial \
        else arguments.workers(workers)
    progress = arguments.callback(progress)
    plotlyjs = arguments.choice(plotlyjs, "plotlyjs", PLOTLYJS)
    spec, scenario_path = load_sweep(sweep_file)
    evaluator = ScenarioEvaluator(scenario_path)
    name = spec.name or sweep_file.stem
    out = out or Path("outputs") / f"sweep-{name}"
    where = "serially" if serial else f"on {scheduler}" if scheduler else \
        f"on a local Dask cluster of {workers} worker{'s' if workers != 1 else ''}"
    if not serial and scheduler is None:
        refuse_unguarded_main(workers)
    with claimed(out, reuse=True):
        try:
            run = run_sweep(spec, evaluator, out, workers=workers, scheduler=scheduler,
                            serial=serial, progress=progress, sweep_file=str(sweep_file),
                            report=partial(write_sweep_report, plotlyjs=plotlyjs))
        except KeyboardInterrupt as stop:
            done, total = read_progress(out)
            stop.add_note(f"{done} of {total} points saved in {out}/; run the same command "
                          "again to compute the rest" if total else "no point was saved")
            raise
    return SweepResult(name, out, where, run)


@dataclass
class CalibrationResult:
    """A calibration: the search, the fit of each target, and the external validation."""

    out: Path
    """The folder holding ``calibrated.yaml`` and ``fit_report.html``."""
    spec: Spec = field(repr=False)
    search: fitting.CalibrationResult = field(repr=False)
    """Every parameter set evaluated, the best, its precise re-run and the calibrated sample."""
    validation: pd.DataFrame | None = None
    """The external validation's figures (published, band, simulated, in band), if run."""

    @property
    def values(self) -> dict[str, float]:
        """The calibrated values (the best parameter set)."""
        return dict(self.search.best.values)

    @cached_property
    def table(self) -> pd.DataFrame:
        """Each target: published, simulated with its 95% Monte Carlo interval, within the
        tolerance, within two standard errors, fitted."""
        return pd.DataFrame(fitting.fit_table(self.spec, self.search))

    @cached_property
    def chi_square(self) -> dict[str, float]:
        """The fit's chi-square, its degrees of freedom and p-value."""
        return fitting.chi_square(self.spec, self.search)

    @cached_property
    def at_bounds(self) -> dict[str, str]:
        """The parameters fitted at (within 1% of) a bound of their range: ``low`` or ``high``."""
        return fitting.bound_flags(self.spec, self.search)

    @property
    def unexplained(self) -> list[str]:
        """The parameters at a bound whose parameter file states no reason for it."""
        return [n for n, f in self.at_bounds.items() if f not in self.spec.parameters[n].at_bound]


def calibrate(targets: str | Path = "calibration/targets.yaml",
              parameters: str | Path = "calibration/parameters.yaml",
              out: str | Path = "calibration", seed: int = CALIBRATION_SEED, budget: int = 700,
              workers: int = 1, start: str | Path | None = None, quick: bool = False,
              validation: str | Path | bool = True, progress: Update | None = None,
              plotlyjs: str = "folder") -> CalibrationResult:
    """Fit the parameters of ``parameters`` to the published ``targets`` (simulated method of
    moments: a space-filling design, then Nelder-Mead, ``budget`` parameter sets in all) and
    write ``calibrated.yaml``, ``fit_report.html`` and ``calibration_result.pkl`` into ``out``.
    ``start``: an earlier ``calibrated.yaml`` whose values join the first design; ``quick``:
    the whole machinery at a fraction of the effort. ``validation``: published figures the fit
    does not use, run after it (``True``: ``calibration/validation.yaml`` if present;
    ``False``: none). ``progress(done, total)`` after each parameter set."""
    targets = arguments.path(targets, "targets")
    parameters = arguments.path(parameters, "parameters")
    out = arguments.path(out, "out")
    seed = arguments.seed(seed)
    budget = arguments.whole(budget, "budget", 4)
    workers = arguments.workers(workers)
    start = arguments.optional_path(start, "start")
    quick = arguments.flag(quick, "quick")
    figures = _validation_file(validation)
    progress = arguments.callback(progress)
    plotlyjs = arguments.choice(plotlyjs, "plotlyjs", PLOTLYJS)
    spec = load_spec(targets, parameters)
    if figures is not None:
        load_validation(figures)  # refuse a bad file before the long run
    warm = load_start(start, spec) if start is not None else None
    refuse_unguarded_main(workers)
    with claimed(out, reuse=True):
        manifest = Manifest(
            method="simulated method of moments, Latin hypercube then Nelder-Mead, common "
                   "random numbers",
            seed=seed, budget=budget, quick=quick, targets=str(targets),
            targets_sha256=sha256_of(targets), parameters_sha256=sha256_of(parameters),
            **({"start": str(start), "start_sha256": sha256_of(start)} if start else {}))
        if progress:
            progress(0, budget)
        found = search(spec, seed, budget, workers, quick=quick, progress=progress, start=warm)
        provenance = manifest.document()
        out.mkdir(exist_ok=True)
        # The whole result, so that the fit report can be rendered again without rerunning the
        # fit (ignored by git: a pickle is only for this machine and this version).
        result_bytes = pickle.dumps({"result": found, "provenance": provenance})
        atomic_write(out / "calibration_result.pkl", lambda path: path.write_bytes(result_bytes))
        write_calibrated(out / "calibrated.yaml", spec, found, provenance)
        rows = _validation_rows(figures, out / "calibrated.yaml", quick, workers, None) \
            if figures is not None else None
        write_fit_report(out / "fit_report.html", spec, found, provenance, seed,
                         validation=rows, plotlyjs=plotlyjs)
    return CalibrationResult(out, spec, found, pd.DataFrame(rows) if rows is not None else None)


def validate_calibration(out: str | Path = "calibration", validation: str | Path | bool = True,
                         quick: bool = False, workers: int = 1,
                         progress: Update | None = None) -> pd.DataFrame:
    """Only the external validation, against ``<out>/calibrated.yaml`` (minutes): each
    published figure with its band, the simulated mean and its 95% Monte Carlo interval, and
    whether it lies in the band; also written as ``<out>/validation_report.html``."""
    out = arguments.path(out, "out")
    figures = _validation_file(validation) or DEFAULT_VALIDATION
    quick = arguments.flag(quick, "quick")
    workers = arguments.workers(workers)
    progress = arguments.callback(progress)
    calibrated = out / "calibrated.yaml"
    if not calibrated.is_file():
        raise OutputError(f"{calibrated} not found; calibrate first (ipssim calibrate --out "
                          f"{out})")
    refuse_unguarded_main(workers)
    with claimed(out, reuse=True):
        rows = _validation_rows(figures, calibrated, quick, workers, progress)
        write_validation_report(out / "validation_report.html", rows, str(calibrated))
    return pd.DataFrame(rows)


def _validation_file(validation: object) -> Path | None:
    """The validation figures to run: a file, the default one if present (``True``), or none."""
    if validation is True:
        return DEFAULT_VALIDATION if DEFAULT_VALIDATION.is_file() else None
    if validation is False or validation is None:
        return None
    return arguments.path(validation, "validation")


def _validation_rows(figures: Path, calibrated: Path, quick: bool, workers: int,
                     progress: Update | None) -> list[dict]:
    with worker_pool(workers) as pool:
        if progress:
            progress(0, None)
        return run_validation(figures, calibrated, quick=quick, pool=pool)
