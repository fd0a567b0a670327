"""Command line: ``ipssim run``, ``compare``, ``size``, ``sweep``, ``calibrate`` and ``validate``.

A thin layer over the public API (:mod:`ipssim.api`). Every handler reads the same way: load the
input, check the output place, run (with the one progress display), write atomically, print.
Bad input never produces a traceback: one line on stderr naming what is wrong and what is
allowed, exit code 2, and nothing written.
"""

from __future__ import annotations

import argparse
import math
import pickle
import re
import signal
import socket
import sys
from functools import partial
from pathlib import Path
from typing import NoReturn

from ipssim import api, vocabulary
from ipssim._version import __version__
from ipssim.calibration.calibrated import load_start, write_calibrated
from ipssim.calibration.external import load_validation, run_validation
from ipssim.calibration.result import bound_flags, chi_square, fit_table
from ipssim.calibration.run import calibrate
from ipssim.calibration.spec import Spec, load_spec
from ipssim.experiments.compare import BOUGHT, OWN, USUAL_SERVICES, wide_table
from ipssim.experiments.runner import TABLES
from ipssim.experiments.sizing import MAX_COACHES, option_rows
from ipssim.experiments.workload import check_workload
from ipssim.files import (
    Manifest,
    OutputError,
    atomic_write,
    claimed,
    default_out,
    sha256_of,
    write_csv,
)
from ipssim.money.funding import staff
from ipssim.parallel import available_cores, default_workers, worker_pool
from ipssim.progress import progress
from ipssim.reports.fit import write_fit_report, write_validation_report
from ipssim.reports.numbers import number_text, with_range
from ipssim.reports.page import PLOTLYJS, PLOTLYJS_FILE
from ipssim.scenario.budgets import FUNDING_CELL, bought_by_year, funding_table
from ipssim.scenario.load import load_scenario
from ipssim.scenario.schema import Scenario
from ipssim.validation import InputError
from ipssim.vocabulary import CALIBRATION_SEED, DEFAULT_SEED, window_glossary

USAGE_ERROR = 2
FAILED = 1
SCHEDULER = re.compile(r"(tcp|tls|ucx|inproc)://[A-Za-z0-9_.\-\[\]:]+:\d{1,5}")
DEFAULT_VALIDATION = Path("calibration/validation.yaml")
INTERRUPTED = 130
TERMINATED = 143
HEADLINE = ("ever_employed_unsubsidised_in_outcome_window_share",
            "ever_employed_competitive_in_outcome_window_share",
            "ever_employed_competitive_by_horizon_share", "months_employed_by_horizon_per_client",
            "benefits_eur_by_horizon_per_client", "programme_cost_eur", "net_fiscal_eur",
            "mean_wait_days", "max_caseload")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage block) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")


def _at_least(minimum: int, field: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{field} must be an integer >= {minimum} (got {text!r})") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{field} must be an integer >= {minimum} (got {value})")
        return value
    return parse


def _non_negative(field: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not value >= 0:
            raise argparse.ArgumentTypeError(f"{field} must be a number >= 0 (got {text!r})")
        return value
    return parse


def _fraction(field: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not 0 < value < 1:
            raise argparse.ArgumentTypeError(
                f"{field} must be a number between 0 and 1, exclusive (got {text!r})")
        return value
    return parse


def _simulation_options(command: argparse.ArgumentParser, replications: int, minimum: int = 1,
                        seed: int = DEFAULT_SEED) -> None:
    """``--replications``, ``--seed`` and ``--workers``, the same for every command."""
    command.add_argument("--replications", type=_at_least(minimum, "--replications"),
                         default=replications, help=f"Monte Carlo replications (default {replications})")
    command.add_argument("--seed", type=_at_least(0, "--seed"), default=seed,
                         help=f"run seed (default {seed})")
    command.add_argument("--workers", type=_at_least(1, "--workers"), default=default_workers(),
                         help="parallel processes (default: all cores)")
    command.add_argument("--scheduler", metavar="ADDRESS", type=_scheduler,
                         help="run on an existing Dask cluster (e.g. tcp://10.0.0.5:8786) instead "
                              "of local processes; the same results")


def _report_option(command: argparse.ArgumentParser) -> None:
    """The option of every command that writes an HTML report with charts."""
    command.add_argument("--plotlyjs", choices=PLOTLYJS, default="folder",
                         help="where the reports load plotly.js from: folder (default: "
                              f"{PLOTLYJS_FILE} written once beside them, opens offline) or cdn "
                              "(plotly's CDN: no file, needs the internet)")


def _tables_option(command: argparse.ArgumentParser) -> None:
    """``--tables all|summary`` (run, compare)."""
    command.add_argument("--tables", choices=TABLES, default="all",
                         help="all (default), or summary: trajectories and summaries only, no "
                              "per-client or per-spell tables (smaller outputs, less memory)")


def _scheduler(text: str) -> str:
    if not SCHEDULER.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a Dask scheduler address "
                                         "(like tcp://10.0.0.5:8786)")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ipssim", description="Simulate IPS supported-employment programmes.")
    parser.add_argument("--version", action="version", version=f"ipssim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="Monte Carlo run of a scenario, both arms")
    run.add_argument("scenario", type=Path, help="scenario YAML file")
    _simulation_options(run, 100)
    run.add_argument("--out", type=Path, help="output folder (default: outputs/<scenario>-<time>)")
    _tables_option(run)
    _report_option(run)

    calibrate = commands.add_parser("calibrate", help="fit the behavioural parameters to the targets")
    calibrate.add_argument("--targets", type=Path, default=Path("calibration/targets.yaml"))
    calibrate.add_argument("--parameters", type=Path, default=Path("calibration/parameters.yaml"),
                           help="parameters to fit, with bounds, and the evaluation effort")
    calibrate.add_argument("--seed", type=_at_least(0, "--seed"), default=CALIBRATION_SEED)
    calibrate.add_argument("--budget", type=_at_least(4, "--budget"), default=700,
                           help="parameter sets to evaluate (default 700, about 13 minutes on 2 cores)")
    calibrate.add_argument("--workers", type=_at_least(1, "--workers"), default=default_workers())
    calibrate.add_argument("--out", type=Path, default=Path("calibration"),
                           help="folder for calibrated.yaml and fit_report.html")
    calibrate.add_argument("--start", type=Path,
                           help="an earlier calibrated.yaml whose values join the first design "
                                "(a warm start)")
    calibrate.add_argument("--quick", action="store_true",
                           help="the whole machinery at a fraction of the effort (minutes)")
    calibrate.add_argument("--validation", type=Path,
                           help="published figures the fit does not use, with their bands "
                                "(external validation, run after the fit; default "
                                f"{DEFAULT_VALIDATION}, skipped if there is none)")
    calibrate.add_argument("--validate-only", action="store_true",
                           help="only the external validation, against <out>/calibrated.yaml; "
                                "writes <out>/validation_report.html (minutes)")
    _report_option(calibrate)

    compare = commands.add_parser(
        "compare", help="run scenarios on the same clients and report their differences")
    compare.add_argument("scenarios", type=Path, nargs="+",
                         help="scenario YAML files; the first is the reference")
    _simulation_options(compare, 100, minimum=2)
    compare.add_argument("--out", type=Path,
                         help="output folder (default: outputs/compare-<first scenario>-<time>)")
    compare.add_argument("--independent-streams", action="store_true",
                         help="give each scenario its own random streams (to measure what common "
                              "random numbers are worth)")
    _tables_option(compare)
    _report_option(compare)

    size = commands.add_parser(
        "size", help="smallest coach headcount in a region that keeps waits short")
    size.add_argument("scenario", type=Path, help="scenario YAML file (programme mode)")
    size.add_argument("--region", required=True, help="name of the region to size")
    size.add_argument("--max-wait-days", type=_non_negative("--max-wait-days"), required=True)
    size.add_argument("--quantile", type=_fraction("--quantile"), default=0.9,
                      help="quantile of waiting time to keep under the maximum (default 0.9)")
    _simulation_options(size, 50, minimum=2)
    size.add_argument("--max-coaches", type=_at_least(1, "--max-coaches"), default=MAX_COACHES,
                      help=f"most coaches the region could fund (default {MAX_COACHES})")
    size.add_argument("--out", type=Path,
                      help="CSV file (default: outputs/size-<scenario>-<region>-<time>.csv)")

    sweep = commands.add_parser(
        "sweep", help="sensitivity sweep (one-way, grid, PSA, global) on a Dask cluster")
    sweep.add_argument("sweep", type=Path, help="sweep YAML file")
    sweep.add_argument("--workers", type=_at_least(1, "--workers"), default=default_workers(),
                       help="worker processes of the local Dask cluster (default: all cores)")
    sweep.add_argument("--scheduler", metavar="ADDRESS", type=_scheduler,
                       help="run on an existing Dask cluster (e.g. tcp://10.0.0.5:8786) instead")
    sweep.add_argument("--serial", action="store_true",
                       help="run every point in this process, without Dask")
    sweep.add_argument("--out", type=Path, help="output folder (default: outputs/sweep-<name>); "
                       "rerun into the same folder to finish an interrupted sweep")
    _report_option(sweep)

    serve = commands.add_parser("serve", help="the planner's workbench: a web page on this machine")
    serve.add_argument("--port", type=_at_least(1, "--port"), default=8050, help="port (default 8050)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--workers", type=_at_least(1, "--workers"), default=max(2, default_workers() // 2),
                       help="processes per run (default: half the cores, at least 2)")

    validate = commands.add_parser("validate", help="check a scenario file")
    validate.add_argument("scenario", type=Path, help="scenario YAML file")
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: work stops, workers end, nothing half-written stays."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    args = build_parser().parse_args(argv)
    handlers = {"validate": _validate, "run": _run, "compare": _compare, "size": _size,
                "sweep": _sweep, "calibrate": _calibrate, "serve": _serve}
    try:
        return handlers[args.command](args)
    except (InputError, OutputError) as exc:
        print(f"ipssim: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except OSError as exc:  # a write that failed after the checks (a full disk, a removed folder)
        print(f"ipssim: error: writing failed: {exc.strerror or exc} "
              f"({exc.filename or 'output'}); nothing written", file=sys.stderr)
        return FAILED
    except KeyboardInterrupt as stop:
        how = "terminated" if isinstance(stop, Terminated) else "interrupted"
        print(f"ipssim: {how}; nothing written", file=sys.stderr)
        return TERMINATED if isinstance(stop, Terminated) else INTERRUPTED


def _workers(requested: int) -> int:
    """``--workers``, at most the cores this machine has (more only queue for the same cores);
    unused on a Dask cluster (``--scheduler``), whose workers are the cluster's."""
    cores = available_cores()
    if requested > cores:
        print(f"ipssim: note: --workers {requested} is more than the {cores} cores here; using "
              f"{cores}", file=sys.stderr)
    return min(requested, cores)


def _serve(args: argparse.Namespace) -> int:
    if args.port > 65535:
        raise InputError(f"--port must be at most 65535 (got {args.port})")
    try:
        import dash  # noqa: F401

        from ipssim.app import serve
    except ImportError:
        raise InputError("serve needs the web page's extra: pip install -e \".[app]\"") from None
    try:  # a clear line now rather than the web server's own words later
        with socket.create_server((args.host, args.port)):
            pass
    except OSError as exc:
        reason = str(exc.strerror or exc).split(" (while")[0]
        raise InputError(f"serve: cannot listen on {args.host}:{args.port} ({reason}); give "
                         "another --host or --port") from None
    print(f"ipssim workbench on http://{args.host}:{args.port}/ (Ctrl-C stops it)", flush=True)
    serve(args.host, args.port, args.workers)
    return 0


def _validate(args: argparse.Namespace) -> int:
    scenario, digest = load_scenario(args.scenario)
    print(f"{args.scenario}: valid ({scenario.mode} mode, {len(scenario.regions)} regions, "
          f"sha256 {digest[:16]})")
    bought = api.capacity(scenario)
    if bought is not None:
        print("what each region's staff can serve against its demand:")
        for line in bought.lines():
            print(f"  {line}")
    return 0


def _run(args: argparse.Namespace) -> int:
    scenario, digest = load_scenario(args.scenario)
    check_workload(scenario, args.replications)
    workers = _workers(args.workers)
    out = args.out or default_out(scenario.name)
    with claimed(out):
        bought = bought_by_year(scenario)
        _print_funding(bought)
        manifest = Manifest(scenario=scenario.name, scenario_file=str(args.scenario),
                            scenario_sha256=digest, seed=args.seed,
                            replications=args.replications, workers=workers, funding=bought,
                            tables=args.tables)
        with progress(f"{scenario.name}: replications", args.replications) as update:
            result = api.run(scenario, args.replications, args.seed, workers, progress=update,
                             scheduler=args.scheduler, tables=args.tables)
        manifest.record(events=sum(r.events for r in result.replications))
        summary = result.write(out, manifest, args.plotlyjs)
    _print_headline(summary)
    _print_windows(scenario)
    _print_planner_headline(result)
    print(f"wrote {out}/ ({', '.join(('report.html', 'summary.csv', '*.parquet'))})")
    return 0


def _compare(args: argparse.Namespace) -> int:
    loaded = [load_scenario(path) for path in args.scenarios]
    scenarios = [scenario for scenario, _ in loaded]
    if len(scenarios) < 2:
        raise InputError("compare: give at least two scenario files")
    names = [s.name for s in scenarios]
    if len(set(names)) < len(names):
        raise InputError(f"compare: scenario names must differ (got {', '.join(names)}); "
                         "set a distinct 'name' in each file")
    for scenario in scenarios:
        check_workload(scenario, args.replications)
    workers = _workers(args.workers)
    out = args.out or default_out(scenarios[0].name, prefix="compare-")
    with claimed(out):
        manifest = Manifest(scenarios=names, scenario_files=[str(p) for p in args.scenarios],
                            scenario_sha256=[digest for _, digest in loaded], seed=args.seed,
                            replications=args.replications,
                            independent_streams=args.independent_streams, workers=workers,
                            tables=args.tables)
        with progress("compare: replications", len(scenarios) * args.replications) as update:
            result = api.compare(scenarios, args.replications, args.seed, workers,
                                 independent=args.independent_streams, progress=update,
                                 scheduler=args.scheduler, tables=args.tables)
        result.write(out, manifest, args.plotlyjs)
    _print_comparison(result.comparison.table, names)
    print(f"wrote {out}/ (comparison.csv, comparison_wide.csv, report.html, summary-<scenario>.csv)")
    return 0


def _size(args: argparse.Namespace) -> int:
    scenario, _ = load_scenario(args.scenario)
    slug = "".join(ch if ch.isalnum() else "_" for ch in args.region)
    check_workload(scenario, args.replications)
    workers = _workers(args.workers)
    out = args.out or default_out(f"{scenario.name}-{slug}", prefix="size-", suffix=".csv")
    with claimed(out, kind="file"):
        with progress(f"size {args.region}: headcounts tried") as update:
            result = api.size(scenario, args.region, args.max_wait_days, args.quantile,
                              args.replications, args.seed, workers, args.max_coaches,
                              progress=update, scheduler=args.scheduler)
        write_csv(out, option_rows(result.options))
    others = ("; the other regions are the same in every option"
              if len(scenario.regions) > 1 else "")
    print(f"{args.region}: {args.quantile:g}-quantile of waiting time <= {args.max_wait_days:g} d "
          f"at the upper end of its 95% interval; {args.replications} replications per "
          f"headcount, common random numbers. Caseloads, cost a year (not discounted), "
          f"additional people in competitive work and net public effect are the region's"
          f"{others}.")
    print(f"{'coaches':>7} {'leaders':>7} {'wait q [95% interval], d':>28} {'waited':>7} "
          f"{'util.':>6} {'mean load':>9} {'max load':>8} {'cost EUR/yr':>12} {'+employed':>9} "
          f"{'net public pv EUR':>17} ok")
    for o in result.options:
        interval = f"{o.wait_quantile_days:.1f} [{o.wait_lo95:.1f}, {o.wait_hi95:.1f}]"
        print(f"{o.coaches:7d} {o.team_leaders:7d} {interval:>28} {o.waited_share:7.1%} "
              f"{o.utilisation:6.1%} {o.mean_caseload:9.1f} {o.max_caseload:8.0f} "
              f"{o.cost_eur_per_year:12,.0f} {o.additional_employed:9.1f} "
              f"{o.net_public_eur_pv:17,.0f} {'yes' if o.feasible else 'no'}")
    best, point = result.recommended, result.point_estimate
    if point is None:
        print(f"no headcount up to {args.max_coaches} coaches keeps the wait under "
              f"{args.max_wait_days:g} d; wrote {out}")
        return 1
    beside = (f"on the point estimate alone: {staff(point.coaches, point.team_leaders)} "
              f"({args.quantile:g}-quantile wait {point.wait_quantile_days:.1f} d, 95% interval "
              f"{point.wait_lo95:.1f} to {point.wait_hi95:.1f} d)")
    if best is None:
        print(f"no headcount up to {args.max_coaches} coaches keeps the upper end of the wait's "
              f"95% interval under {args.max_wait_days:g} d; {beside}; wrote {out}")
        return 1
    print(f"recommended: {staff(best.coaches, best.team_leaders)} in {args.region} "
          f"({args.quantile:g}-quantile wait {best.wait_quantile_days:.1f} d, 95% interval up to "
          f"{best.wait_hi95:.1f} d <= {args.max_wait_days:g} d; {best.mean_caseload:.1f} clients "
          f"per coach on average, at most {best.max_caseload:.0f}; "
          f"{best.cost_eur_per_year:,.0f} EUR a year)")
    print(f"  {beside}; wrote {out}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from ipssim.progress import progress
    from ipssim.reports.sweep import write_sweep_report
    from ipssim.sweep.evaluators import ScenarioEvaluator
    from ipssim.sweep.run import headline, run_sweep
    from ipssim.sweep.spec import load_sweep
    from ipssim.sweep.store import read_progress

    spec, scenario_path = load_sweep(args.sweep)
    evaluator = ScenarioEvaluator(scenario_path)
    name = spec.name or args.sweep.stem
    out = args.out or Path("outputs") / f"sweep-{name}"
    workers = args.workers if args.scheduler or args.serial else _workers(args.workers)
    where = "serially" if args.serial else f"on {args.scheduler}" if args.scheduler else \
        f"on a local Dask cluster of {workers} worker{'s' if workers != 1 else ''}"
    try:
        with claimed(out, reuse=True):
            done, total = read_progress(out)
            with progress(f"sweep {name}", total or None, done, unit="points") as update:
                result = run_sweep(spec, evaluator, out, workers=workers,
                                   scheduler=args.scheduler, serial=args.serial, progress=update,
                                   sweep_file=str(args.sweep),
                                   report=partial(write_sweep_report, plotlyjs=args.plotlyjs))
    except KeyboardInterrupt as stop:
        done, total = read_progress(out)
        how = "terminated" if isinstance(stop, Terminated) else "interrupted"
        if not total:
            print(f"ipssim: {how} before any point was run", file=sys.stderr)
        else:
            print(f"ipssim: {how}; {done} of {total} points saved in {out}/; run the same "
                  "command again to compute the rest", file=sys.stderr)
        return TERMINATED if isinstance(stop, Terminated) else INTERRUPTED
    rate = result.computed / result.wall_seconds if result.wall_seconds else 0.0
    how = f" {where} in {result.wall_seconds:.1f} s ({rate:.2f} points/s)" if result.computed else ""
    print(f"computed {result.computed} of {result.total} points ({result.already} already done)"
          f"{how}")
    for line in headline(result):
        print(line)
    tables = ", ".join(f"{t}.csv" for t in result.tables)
    print(f"wrote {out}/ (report.html, results.parquet, {tables}, points/)")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    if args.validate_only:
        return _validate_only(args)
    spec = load_spec(args.targets, args.parameters)
    if args.validation is None and DEFAULT_VALIDATION.is_file():
        args.validation = DEFAULT_VALIDATION
    if args.validation is not None:
        load_validation(args.validation)  # refuse a bad file before the long run
    start = load_start(args.start, spec) if args.start else None
    workers = _workers(args.workers)
    with claimed(args.out, reuse=True):
        return _fit(args, spec, start, workers)


def _fit(args: argparse.Namespace, spec: Spec, start: dict[str, float] | None,
         workers: int) -> int:
    manifest = Manifest(
        method="simulated method of moments, Latin hypercube then Nelder-Mead, common random "
               "numbers",
        seed=args.seed, budget=args.budget, quick=args.quick, targets=str(args.targets),
        targets_sha256=sha256_of(args.targets), parameters_sha256=sha256_of(args.parameters),
        **({"start": str(args.start), "start_sha256": sha256_of(args.start)} if args.start else {}))
    with progress("calibration: parameter sets") as update:
        result = calibrate(spec, args.seed, args.budget, workers, quick=args.quick,
                           progress=update, start=start)
    provenance = manifest.document()
    args.out.mkdir(exist_ok=True)
    # The whole result, so that the fit report can be rendered again without rerunning the fit
    # (ignored by git: a pickle is only for this machine and this version).
    result_bytes = pickle.dumps({"result": result, "provenance": provenance})
    atomic_write(args.out / "calibration_result.pkl", lambda path: path.write_bytes(result_bytes))
    write_calibrated(args.out / "calibrated.yaml", spec, result, provenance)
    validation = _validation_rows(args) if args.validation is not None else None
    write_fit_report(args.out / "fit_report.html", spec, result, provenance, args.seed,
                     validation=validation, plotlyjs=args.plotlyjs)
    rows = fit_table(spec, result)
    print(f"{'target':34} {'published':>9} {'simulated':>9} {'95% MC interval':>20} tol 2SE fitted")
    for r in rows:
        interval = f"[{r['lo95']:.4g}, {r['hi95']:.4g}]"
        print(f"{r['target']:34} {r['published']:9.4g} {r['simulated']:9.4g} {interval:>20} "
              f"{_yes_no(r['within_tolerance']):>3} {_yes_no(r['within_2se']):>3} "
              f"{'yes' if r['fitted'] else 'NO'}")
    chi2 = chi_square(spec, result)
    flags = bound_flags(spec, result)
    print(f"{sum(r['fitted'] for r in rows)} of {len(rows)} targets fitted; objective "
          f"{result.best.objective:.2f}; chi-square {chi2['chi_square']:.2f} on {chi2['df']} df, "
          f"p = {chi2['p_value']:.3g}; at a bound: "
          f"{', '.join(f'{n} ({f})' for n, f in flags.items()) or 'none'}")
    unexplained = [n for n, f in flags.items() if f not in spec.parameters[n].at_bound]
    if unexplained:
        print(f"at a bound with no reason stated in {args.parameters}: {', '.join(unexplained)}")
    if validation is not None:
        _print_validation(validation)
    print(f"wrote {args.out}/calibrated.yaml and fit_report.html")
    return 0


def _validation_rows(args: argparse.Namespace) -> list[dict]:
    calibrated = args.out / "calibrated.yaml"
    with progress("validation: scenarios") as update, worker_pool(args.workers) as pool:
        update(0, None)
        return run_validation(args.validation, calibrated, quick=args.quick, pool=pool)


def _validate_only(args: argparse.Namespace) -> int:
    args.validation = args.validation or DEFAULT_VALIDATION
    calibrated = args.out / "calibrated.yaml"
    if not calibrated.is_file():
        raise OutputError(f"--validate-only: {calibrated} not found; run ipssim calibrate first")
    with claimed(args.out, reuse=True):
        rows = _validation_rows(args)
        write_validation_report(args.out / "validation_report.html", rows, str(calibrated))
    _print_validation(rows)
    print(f"wrote {args.out}/validation_report.html")
    return 0


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _print_validation(rows: list[dict]) -> None:
    print(f"{'validation figure':20} {'published':>9} {'band':>16} {'simulated':>9} "
          f"{'95% MC interval':>20} in band")
    for r in rows:
        band = f"[{r['band_low']:.4g}, {r['band_high']:.4g}]"
        interval = f"[{r['lo95']:.4g}, {r['hi95']:.4g}]"
        print(f"{r['figure']:20} {r['published']:9.4g} {band:>16} {r['simulated']:9.4g} "
              f"{interval:>20} {'yes' if r['in_band'] else 'NO'}")
    print(f"{sum(r['in_band'] for r in rows)} of {len(rows)} validation figures in band")


def _print_comparison(table: dict[str, list], names: list[str]) -> None:
    """The headline rows of ``comparison_wide.csv``, under the file's column names: first what
    each scenario bought and served (reference ``none``), then the headline against usual
    services and against the first scenario. Each scenario's cell is its mean and, in brackets
    when they differ from it, ``<name>_lo95`` and ``<name>_hi95``."""
    wide = wide_table(table, names)
    rows = {(m, a, r): i for i, (m, a, r) in enumerate(zip(wide["metric"], wide["arm"],
                                                           wide["reference"], strict=True))}
    width = max(38, *(len(n) + 2 for n in names))
    headline = [(metric, arm) for metric, arm, _, _ in vocabulary.HEADLINE]
    label = max(len(m) for m, _ in headline)
    print(f"{'metric':{label}} {'arm':10} {'reference':16} " + " ".join(f"{n:>{width}}" for n in names))
    blocks = ((OWN, [(m, "ips") for m in BOUGHT]), (USUAL_SERVICES, headline), (names[0], headline))
    for reference, metrics in blocks:
        for metric, arm in metrics:
            shown = "difference" if reference == USUAL_SERVICES else arm
            i = rows.get((metric, shown, reference))
            if i is None:
                continue
            cells = [with_range(wide[n][i], wide[n + "_lo95"][i], wide[n + "_hi95"][i])
                     for n in names]
            print(f"{metric:{label}} {shown:10} {reference:16} "
                  + " ".join(f"{c:>{width}}" for c in cells))


def _print_planner_headline(result: api.RunResult) -> None:
    """The headline the workbench shows, in the same words and numbers."""
    print("headline (IPS against usual services; money discounted):")
    for line in result.headline():
        tail = f"  (95% range {line.range_text})" if line.range_text else ""
        print(f"  {line.label}: {line.text}{tail}")
    for warning in result.warnings():
        print(f"  warning: {warning}")


def _print_headline(summary: dict[str, list]) -> None:
    rows = {(m, a): (mean, lo, hi) for m, a, mean, lo, hi in zip(
        summary["metric"], summary["arm"], summary["mean"], summary["lo95"], summary["hi95"],
        strict=True)}
    width = max(map(len, HEADLINE))
    print(f"{'metric':{width}} {'ips':>14} {'usual':>14} {'difference [95% range]':>40}")
    for metric in HEADLINE:
        cells = [f"{number_text(rows[(metric, a)][0]):>14}" if (metric, a) in rows else f"{'':14}"
                 for a in ("ips", "usual")]
        diff = rows.get((metric, "difference"))
        tail = f"{number_text(diff[0])} [{number_text(diff[1])}, {number_text(diff[2])}]" if diff else ""
        print(f"{metric:{width}} {cells[0]} {cells[1]} {tail:>40}")


def _print_funding(rows: list[dict]) -> None:
    """What each funded region's budgets buy: one line per region, the years in columns."""
    if not rows:
        return
    print(f"what the budgets buy (each year: {FUNDING_CELL}):")
    _print_columns(funding_table(rows))


def _print_columns(table: dict[str, list]) -> None:
    """A text table under its column names: the first column left-aligned, the others
    right-aligned, each as wide as its longest cell."""
    names = list(table)
    rows = [names, *zip(*(table[n] for n in names), strict=True)]
    widths = [max(len(str(row[j])) for row in rows) for j in range(len(names))]
    for row in rows:
        cells = [f"{row[0]!s:{widths[0]}}",
                 *(f"{v!s:>{w}}" for v, w in zip(row[1:], widths[1:], strict=True))]
        print("  " + "  ".join(cells))


def _print_windows(scenario: Scenario) -> None:
    """What each window in the metric names means, for this scenario."""
    print("windows of the metrics:")
    glossary = window_glossary(scenario.outcome_window_months, scenario.horizon_months)
    for key, text in glossary.items():
        print(f"  {key}: {text}")
