"""Command line: ``ipssim run``, ``compare``, ``size``, ``sweep``, ``calibrate`` and ``validate``.

Parsing and printing over the public API (``ipssim.__all__``): every handler reads its
arguments, calls one ``ipssim`` function (which checks them, claims the output place, runs with
the one progress display and writes atomically) and prints what came back. Bad input never
produces a traceback: one line on stderr naming what is wrong and what is allowed (an argument
of the API named as its option, ``--max-wait-days``), exit code 2, and nothing written.
"""

from __future__ import annotations

import argparse
import math
import re
import signal
import socket
import sys
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import NoReturn

import ipssim
from ipssim import vocabulary
from ipssim.experiments.compare import BOUGHT, OWN, SPENT, USUAL_SERVICES
from ipssim.experiments.decision import DEFAULT_WTP_EUR, nmb_bounds
from ipssim.experiments.runner import TABLES
from ipssim.experiments.sizing import MAX_COACHES
from ipssim.money.funding import staff
from ipssim.parallel import default_workers
from ipssim.progress import Update, progress
from ipssim.reports.numbers import with_range
from ipssim.reports.page import PLOTLYJS, PLOTLYJS_FILE
from ipssim.scenario.budgets import funding_cell, funding_table
from ipssim.vocabulary import CALIBRATION_SEED, DEFAULT_SEED, window_glossary

USAGE_ERROR = 2
FAILED = 1
OPTIONS = re.compile(r"^(replications|seed|workers|scheduler|region|max_wait_days|quantile|"
                     r"max_coaches|tables|budget|out|plotlyjs)(?=[: ])")
"""The API's arguments that are options here: an error about one names the option."""
INTERRUPTED = 130
TERMINATED = 143


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
    command.add_argument("--scheduler", metavar="ADDRESS",
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


def _uncertainty_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--parameter-uncertainty", action="store_true",
                         help="draw the parameters of the scenario's uncertainty: once per "
                         "replication (the same draws for every scenario compared), so the "
                         "ranges include what we do not know; the draws go to parameters.csv")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ipssim", description="Simulate IPS supported-employment programmes.")
    parser.add_argument("--version", action="version", version=f"ipssim {ipssim.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="Monte Carlo run of a scenario, both arms")
    run.add_argument("scenario", type=Path, help="scenario YAML file")
    _simulation_options(run, 100)
    run.add_argument("--out", type=Path, help="output folder (default: outputs/<scenario>-<time>)")
    _uncertainty_option(run)
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
                                "calibration/validation.yaml, skipped if there is none)")
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
    compare.add_argument("--wtp", type=float, default=DEFAULT_WTP_EUR, metavar="EUR",
                         help="willingness to pay per additional person in competitive work, "
                         f"for the decision (default {DEFAULT_WTP_EUR:,.0f})")
    _uncertainty_option(compare)
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
    sweep.add_argument("--scheduler", metavar="ADDRESS",
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
        with warnings.catch_warnings():
            warnings.showwarning = _note
            return handlers[args.command](args)
    except (ipssim.InputError, ipssim.OutputError) as exc:
        print(f"ipssim: error: {_as_option(str(exc))}", file=sys.stderr)
        return USAGE_ERROR
    except OSError as exc:  # a write that failed after the checks (a full disk, a removed folder)
        print(f"ipssim: error: writing failed: {exc.strerror or exc} "
              f"({exc.filename or 'output'}); nothing written", file=sys.stderr)
        return FAILED
    except KeyboardInterrupt as stop:
        how = "terminated" if isinstance(stop, Terminated) else "interrupted"
        kept = (getattr(stop, "__notes__", None) or ["nothing written"])[-1]  # a sweep's points
        print(f"ipssim: {how}; {kept}", file=sys.stderr)
        return TERMINATED if isinstance(stop, Terminated) else INTERRUPTED


def _as_option(message: str) -> str:
    """An API message about an argument, naming the option instead (``--max-wait-days: ...``)."""
    return OPTIONS.sub(lambda m: "--" + m[1].replace("_", "-"), message)


def _note(message: Warning | str, category: type[Warning], filename: str, lineno: int,
          file: object = None, line: str | None = None) -> None:
    """A warning as one line (``workers 8 is more than the 2 cores here; using 2``)."""
    print(f"ipssim: note: {_as_option(str(message))}", file=sys.stderr)


@contextmanager
def _progress(description: str, unit: str = "") -> Iterator[Update]:
    """The progress display, opened when the work reports its start (its input checked, its
    output place claimed): from where it starts (a resumed sweep) and of how much."""
    with ExitStack() as stack:
        shown: list[Update] = []

        def update(done: int, total: int | None = None) -> None:
            if not shown:
                shown.append(stack.enter_context(progress(description, total, done, unit)))
            shown[0](done, total)

        yield update


def _serve(args: argparse.Namespace) -> int:
    if args.port > 65535:
        raise ipssim.InputError(f"--port must be at most 65535 (got {args.port})")
    try:
        import dash  # noqa: F401

        from ipssim.app import serve
    except ImportError:
        raise ipssim.InputError("serve needs the web page's extra: pip install -e \".[app]\"") \
            from None
    try:  # a clear line now rather than the web server's own words later
        with socket.create_server((args.host, args.port)):
            pass
    except OSError as exc:
        reason = str(exc.strerror or exc).split(" (while")[0]
        raise ipssim.InputError(f"serve: cannot listen on {args.host}:{args.port} ({reason}); "
                                "give another --host or --port") from None
    print(f"ipssim workbench on http://{args.host}:{args.port}/ (Ctrl-C stops it)", flush=True)
    serve(args.host, args.port, args.workers)
    return 0


def _validate(args: argparse.Namespace) -> int:
    scenario = ipssim.load_scenario(args.scenario)
    print(f"{args.scenario}: valid ({scenario.mode} mode, {len(scenario.regions)} regions, "
          f"sha256 {ipssim.scenario_sha256(scenario)[:16]})")
    bought = ipssim.capacity(scenario)
    if bought is not None:
        print("what each region's staff can serve against its demand:")
        for line in bought.lines():
            print(f"  {line}")
    return 0


def _run(args: argparse.Namespace) -> int:
    scenario = ipssim.load_scenario(args.scenario)
    with _progress(f"{scenario.name}: replications") as update:
        result = ipssim.run(scenario, args.replications, args.seed, args.workers, update,
                            args.scheduler, tables=args.tables, out=args.out or True,
                            plotlyjs=args.plotlyjs,
                            parameter_uncertainty=args.parameter_uncertainty)
    _print_funding(result.funding, result.scenario)
    _print_headline(result)
    for icer in result.icers:
        print(icer.words())
    _print_windows(scenario)
    print(f"wrote {result.out}/ ({', '.join(('report.html', 'summary.csv', '*.parquet'))})")
    return 0


def _compare(args: argparse.Namespace) -> int:
    if len(args.scenarios) < 2:
        raise ipssim.InputError("compare: give at least two scenario files")
    scenarios = [ipssim.load_scenario(path) for path in args.scenarios]
    with _progress("compare: replications") as update:
        result = ipssim.compare(scenarios, args.replications, args.seed, args.workers,
                                args.independent_streams, update, args.scheduler, args.tables,
                                out=args.out or True, plotlyjs=args.plotlyjs, wtp=args.wtp,
                                parameter_uncertainty=args.parameter_uncertainty)
    _print_comparison(result.wide.to_dict("list"), [s.name for s in scenarios])
    _print_decision(result)
    print(f"wrote {result.out}/ (comparison.csv, comparison_wide.csv, decision.csv, report.html, "
          "summary-<scenario>.csv)")
    return 0


def _size(args: argparse.Namespace) -> int:
    scenario = ipssim.load_scenario(args.scenario)
    with _progress(f"size {args.region}: headcounts tried") as update:
        result = ipssim.size(scenario, args.region, args.max_wait_days, args.quantile,
                             args.replications, args.seed, args.workers, args.max_coaches,
                             update, args.scheduler, out=args.out or True)
    out = result.out
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
    with _progress(f"sweep {args.sweep.stem}", unit="points") as update:
        result = ipssim.sweep(args.sweep, args.out, args.workers, args.scheduler, args.serial,
                              update, args.plotlyjs)
    rate = result.computed / result.wall_seconds if result.wall_seconds else 0.0
    how = (f" {result.where} in {result.wall_seconds:.1f} s ({rate:.2f} points/s)"
           if result.computed else "")
    print(f"computed {result.computed} of {result.total} points ({result.already} already done)"
          f"{how}")
    for line in result.headline():
        print(line)
    tables = ", ".join(f"{t}.csv" for t in result.tables)
    print(f"wrote {result.out}/ (report.html, results.parquet, {tables}, points/)")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    validation = True if args.validation is None else args.validation
    if args.validate_only:
        with _progress("validation: scenarios") as update:
            rows = ipssim.validate_calibration(args.out, validation, args.quick, args.workers,
                                               update)
        _print_validation(rows.to_dict("records"))
        print(f"wrote {args.out}/validation_report.html")
        return 0
    with _progress("calibration: parameter sets") as update:
        result = ipssim.calibrate(args.targets, args.parameters, args.out, args.seed,
                                  args.budget, args.workers, args.start, args.quick, validation,
                                  update, args.plotlyjs)
    rows = result.table.to_dict("records")
    print(f"{'target':34} {'published':>9} {'simulated':>9} {'95% MC interval':>20} tol 2SE fitted")
    for r in rows:
        interval = f"[{r['lo95']:.4g}, {r['hi95']:.4g}]"
        print(f"{r['target']:34} {r['published']:9.4g} {r['simulated']:9.4g} {interval:>20} "
              f"{_yes_no(r['within_tolerance']):>3} {_yes_no(r['within_2se']):>3} "
              f"{'yes' if r['fitted'] else 'NO'}")
    chi2 = result.chi_square
    print(f"{sum(r['fitted'] for r in rows)} of {len(rows)} targets fitted; objective "
          f"{result.search.best.objective:.2f}; chi-square {chi2['chi_square']:.2f} on "
          f"{chi2['df']} df, p = {chi2['p_value']:.3g}; at a bound: "
          f"{', '.join(f'{n} ({f})' for n, f in result.at_bounds.items()) or 'none'}")
    if result.unexplained:
        print(f"at a bound with no reason stated in {args.parameters}: "
              f"{', '.join(result.unexplained)}")
    if result.validation is not None:
        _print_validation(result.validation.to_dict("records"))
    print(f"wrote {args.out}/calibrated.yaml and fit_report.html")
    return 0


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _print_validation(rows: list[dict]) -> None:
    print(f"{'validation figure':20} {'published':>9} {'band':>16} {'simulated':>9} "
          f"{'95% MC interval':>20} in band")
    for r in rows:
        band = f"[{r['band_low']:.4g}, {r['band_high']:.4g}]"
        interval = f"[{r['lo95']:.4g}, {r['hi95']:.4g}]"
        direction = r["published"] is None or r["published"] != r["published"]  # null or NaN
        published = "direction" if direction else f"{r['published']:9.4g}"
        print(f"{r['figure']:20} {published:>9} {band:>16} {r['simulated']:9.4g} "
              f"{interval:>20} {'yes' if r['in_band'] else 'NO'}")
    print(f"{sum(r['in_band'] for r in rows)} of {len(rows)} validation figures in band")


def _print_comparison(wide: dict[str, list], names: list[str]) -> None:
    """The headline rows of ``comparison_wide.csv``, under the file's column names: first what
    each scenario bought and served (reference ``none``), then the headline against usual
    services and against the first scenario. Each scenario's cell is its mean and, in brackets
    when they differ from it, ``<name>_lo95`` and ``<name>_hi95``."""
    rows = {(m, a, r): i for i, (m, a, r) in enumerate(zip(wide["metric"], wide["arm"],
                                                           wide["reference"], strict=True))}
    width = max(38, *(len(n) + 2 for n in names))
    headline = [(metric, arm) for metric, arm, _, _ in vocabulary.HEADLINE]
    label = max(len(m) for m, _ in headline)
    print(f"{'metric':{label}} {'arm':10} {'reference':16} " + " ".join(f"{n:>{width}}" for n in names))
    blocks = ((OWN, [(m, "ips") for m in (*BOUGHT, *SPENT)]), (USUAL_SERVICES, headline),
              (names[0], headline))
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


def _print_decision(result: ipssim.ComparisonResult) -> None:
    """The options as a decision (``decision.csv``), per perspective, and the verdict lines."""
    table = result.decision
    for (view, effect), rows in table.groupby(["perspective", "effect"], sort=False):
        print(f"\ndecision, {view} ({effect}; net cost against usual services, EUR discounted; "
              f"NMB at {rows['wtp_eur'].iloc[0]:,.0f} EUR):")
        bounds = f"NMB [{nmb_bounds(int(rows['draws'].iloc[0]))}]"
        print(f"{'option':30} {'net cost':>14} {'effect':>9} {'ICER':>12} {'status':22} "
              f"{bounds:>36} {'P(best)':>7}")
        for row in rows.itertuples():
            icer = f"{row.icer_eur:,.0f}" if math.isfinite(row.icer_eur) else ""
            status = row.status + (f" by {row.reference}" if row.status != "frontier" else "")
            nmb = with_range(row.nmb_eur, row.nmb_lo95_eur, row.nmb_hi95_eur)
            print(f"{row.option:30} {row.cost_eur:14,.0f} {row.effect_value:9.1f} {icer:>12} "
                  f"{status:22} {nmb:>36} {row.p_best:7.2f}")
    for line in result.verdicts:
        print(line)


def _print_headline(result: ipssim.RunResult) -> None:
    """The headline the workbench shows, in the same words and numbers."""
    print("headline (IPS against usual services; money discounted):")
    for line in result.headline():
        tail = f"  ({line.bounds} {line.range_text})" if line.range_text else ""
        print(f"  {line.label}: {line.text}{tail}")
    print(f"  Programme money: {result.spending_line()}")
    for warning in result.warnings():
        print(f"  warning: {warning}")
    print(f"  {result.range_note()}")


def _print_funding(rows: list[dict], scenario: ipssim.Scenario) -> None:
    """What each funded region's budgets buy: one line per region, the years in columns."""
    if not rows:
        return
    print(f"what the budgets buy (each year: {funding_cell(scenario)}):")
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


def _print_windows(scenario: ipssim.Scenario) -> None:
    """What each window in the metric names means, for this scenario."""
    print("windows of the metrics:")
    glossary = window_glossary(scenario.outcome_window_months, scenario.horizon_months)
    for key, text in glossary.items():
        print(f"  {key}: {text}")
