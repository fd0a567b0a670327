"""Load a scenario, change it, run it, compare it, size a team: the API's simulations.

Every function checks its arguments at the door (:mod:`ipssim.api.arguments`) and the work they
ask for (:func:`~ipssim.experiments.workload.check_workload`) before anything runs. Given
``out``, a function claims that place first (a second writer, an occupied folder or a full disk
is refused before the work), then writes every output file atomically, with its manifest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ipssim.accounts.metrics import net_effect_table, summarise
from ipssim.accounts.spending import spending_line
from ipssim.accounts.subgroups import summarise_subgroups
from ipssim.api import arguments
from ipssim.experiments import compare as comparing
from ipssim.experiments import sizing
from ipssim.experiments.capacity import Capacity
from ipssim.experiments.capacity import capacity as region_capacity
from ipssim.experiments.decision import (
    DEFAULT_WTP_EUR,
    Icer,
    decision_table,
    decisions,
    nmb_bounds,
    run_icers,
    verdicts,
)
from ipssim.experiments.runner import (
    TABLES,
    ReplicationResult,
    Spool,
    net_effects,
    run_replications,
    spending_summary,
)
from ipssim.experiments.uncertain import draw_parameters, range_note, rough
from ipssim.experiments.workload import check_workload
from ipssim.files import Manifest, claimed, default_out, write_csv
from ipssim.outputs import (
    net_effect_overlay,
    region_summaries,
    region_summary_table,
    run_figures,
    stack,
    write_comparison,
    write_outputs,
)
from ipssim.planner import Levers, Line, headline, scenario_yaml, split_by_demand, warnings
from ipssim.planner import planned_scenario as plan
from ipssim.progress import Update
from ipssim.reports.page import PLOTLYJS
from ipssim.reports.run import decision_figure
from ipssim.scenario.budgets import bought_by_year
from ipssim.scenario.edits import editable
from ipssim.scenario.load import parse_scenario, read_scenario_file
from ipssim.scenario.paths import apply_values
from ipssim.scenario.schema import MAX_STAFF, Scenario
from ipssim.validation import InputError
from ipssim.vocabulary import DEFAULT_SEED

if TYPE_CHECKING:
    import plotly.graph_objects as go


def load_scenario(source: str | Path | Mapping, text: bytes | None = None) -> Scenario:
    """A validated scenario from a YAML file (with its base, regions table and calibration) or
    from a mapping of the same fields; with ``text``, the file's content (an upload) and
    ``source`` the path its relative paths start from. Bad input raises
    :class:`ipssim.ScenarioError` with a one-line message."""
    if isinstance(source, Mapping):
        if text is not None:
            raise InputError("text: give the content of a file only with its path as source")
        return parse_scenario(dict(source))
    if not isinstance(source, str | PathLike):
        raise InputError("source: must be a scenario file's path or a mapping of its fields "
                         f"(got {arguments.got(source)})")
    path = arguments.path(source, "source")
    if text is not None and not isinstance(text, bytes):
        raise InputError(f"text: must be None or the file's content as bytes (got "
                         f"{arguments.got(text)})")
    return read_scenario_file(path, text)[0]


def with_changes(scenario: Scenario, changes: Mapping[str, object], name: str | None = None
                 ) -> Scenario:
    """The scenario with parameters changed by dotted path (``coaching.caseload_cap``,
    ``regions[Helsinki city].coaches``, ``regions[*].fidelity``), validated again; ``name``
    renames it (scenarios compared side by side need distinct names)."""
    scenario = arguments.scenario(scenario)
    changes = arguments.changes(changes)
    name = arguments.name(name)
    data = editable(scenario)
    data = apply_values(data, changes)
    if name is not None:
        data["name"] = name
    return parse_scenario(data, source=scenario.name)


def capacity(scenario: Scenario) -> Capacity | None:
    """What each region's staff can serve a year against its referrals, with a warning where
    the places stand idle or the waiting list grows (None in trial mode, which has no waiting
    list)."""
    return region_capacity(arguments.scenario(scenario))


def planned_scenario(base: Scenario, levers: Levers) -> Scenario:
    """The scenario ``base`` with a planner's :class:`Levers` applied (budget, demand, caseload
    cap, fidelity, years funded, horizon, discount rate), validated again; an error names the
    lever first (``budget_eur_per_year: ...``), as the workbench shows it."""
    base = arguments.scenario(base, "base")
    if not isinstance(levers, Levers):
        raise InputError(f"levers: must be an ipssim.Levers (got {arguments.got(levers)})")
    return plan(base, levers)


def budget_split(scenario: Scenario, total_eur_per_year: float) -> dict[str, float]:
    """A total budget a year split across the scenario's regions in proportion to their
    referrals (EUR a year by region name): the split of the workbench's "total budget"."""
    scenario = arguments.scenario(scenario)
    total = arguments.number(total_eur_per_year, "total_eur_per_year", 0, 1e10,
                             "a total in EUR a year above 0, at most 10,000,000,000",
                             open_low=True)
    return split_by_demand(total, scenario.model_dump(mode="python", exclude_none=True)["regions"])


def scenario_sha256(scenario: Scenario) -> str:
    """The SHA-256 of a validated scenario (its fields as JSON): what a manifest records, the
    same for the same scenario however it was written or built."""
    return hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()


@dataclass
class RunResult:
    """The replications of one scenario, in replication order, and their tables."""

    scenario: Scenario
    seed: int
    replications: list[ReplicationResult]
    tables: str = "all"
    """``all``, or ``summary``: trajectories and summaries only, no per-client or per-spell
    tables (``.clients`` and ``.spells`` then raise an InputError, ``.write`` leaves them out)."""
    out: Path | None = None
    """The folder the run was written to (``run(..., out=...)``), or None."""
    manifest: Manifest | None = field(default=None, repr=False)
    """How the run was made (inputs, seed, workers, times), for ``manifest.json``."""

    @cached_property
    def summary(self) -> pd.DataFrame:
        """One row per metric and arm (ips, usual, difference): mean, lo95, hi95, mc_se."""
        return pd.DataFrame(self._summary)

    @cached_property
    def _summary(self) -> dict[str, list]:
        return summarise([r.metrics for r in self.replications], net_effects(self.replications))

    @cached_property
    def trajectories(self) -> pd.DataFrame:
        """Monthly states and money per replication and arm."""
        return stack(self.replications, "trajectories").to_pandas()

    @cached_property
    def clients(self) -> pd.DataFrame:
        """Every client of every replication and arm: baseline and what happened."""
        return stack(self.replications, "clients").to_pandas()

    @cached_property
    def spells(self) -> pd.DataFrame:
        """Every job spell of every replication and arm."""
        return stack(self.replications, "spells").to_pandas()

    @cached_property
    def net_effect(self) -> pd.DataFrame:
        """Cumulative discounted net effect of IPS by month and perspective (mean, 95% range)."""
        return pd.DataFrame(net_effect_table(net_effects(self.replications)))

    @cached_property
    def region_summary(self) -> pd.DataFrame:
        """The summary of each region."""
        return pd.DataFrame(region_summary_table(region_summaries(self.scenario,
                                                                  self.replications)))

    @cached_property
    def subgroups(self) -> pd.DataFrame:
        """Who benefits: the summary per subgroup of clients at referral (``subgroup``: main
        activity, benefit, diagnosis, age band, time since work, region; ``level``; ``metric``;
        ``arm``; mean, lo95, hi95, mc_se), as ``summary_subgroups.csv``."""
        return pd.DataFrame(summarise_subgroups([r.subgroups for r in self.replications]))

    @property
    def funding(self) -> list[dict]:
        """What each budget-funded region's budget buys, year by year (empty if none is)."""
        return bought_by_year(self.scenario)

    def value(self, metric: str, arm: str = "difference") -> float:
        """The mean of one summary row (``arm``: ips, usual or difference)."""
        rows = self.summary[(self.summary.metric == metric) & (self.summary.arm == arm)]
        if rows.empty:
            raise KeyError(f"no summary row {metric!r} for arm {arm!r}")
        return float(rows["mean"].iloc[0])

    def headline(self) -> list[Line]:
        """The planner's headline: people served and waiting, additional people and months in
        competitive work, money (discounted) per perspective and payer, break-even, return per
        euro, mean and 90th-percentile wait, utilisation of the places."""
        return headline(self.scenario, self.summary,
                        np.concatenate([r.waits for r in self.replications]), self._spending,
                        rough(len(self.replications)))

    @cached_property
    def _spending(self) -> dict[str, list]:
        return spending_summary(self.scenario, self.replications)

    @property
    def spending(self) -> pd.DataFrame:
        """What the programme's money bought (``spending.csv``): budget, spent on places in use
        and idle, present value, cost per person served; mean and 95% range."""
        return pd.DataFrame(self._spending)

    def spending_line(self) -> str:
        """The budget, spent (in use and idle) and present value as one sentence that adds up."""
        return spending_line(dict(zip(self._spending["figure"], self._spending["mean"],
                                      strict=True)), self.scenario)

    @cached_property
    def icers(self) -> list[Icer]:
        """IPS against usual services per perspective: the net cost per additional person in
        competitive work (and per QALY when on), dominance stated, and a 95% range over
        replications where there are enough (``Icer.words()`` says it in one line)."""
        return run_icers([r.metrics for r in self.replications])

    def range_note(self) -> str:
        """What this run's ranges include (parameter uncertainty or Monte Carlo variation only)
        and whether they are rough (fewer than 40 replications)."""
        return range_note(len(self.replications), len(self.replications[0].parameters))

    def warnings(self) -> list[str]:
        """Plain warnings on the headline: places standing idle, a growing waiting list."""
        return warnings(self.headline())

    def figures(self) -> dict:
        """The run report's plotly charts by name (net_effect, payers, trajectories, regions)."""
        return run_figures(self.scenario, self.replications)

    def yaml(self) -> str:
        """A scenario file that ``ipssim run --seed`` with this seed turns into these numbers."""
        return scenario_yaml(self.scenario)

    def write(self, out: str | Path, plotlyjs: str = "folder") -> dict[str, list]:
        """Write every output file into the new folder ``out`` (atomically); return the summary
        columns. ``plotlyjs``: ``folder`` (``plotly.min.js`` beside the report) or ``cdn``."""
        out = arguments.path(out, "out")
        plotlyjs = arguments.choice(plotlyjs, "plotlyjs", PLOTLYJS)
        manifest = self.manifest or Manifest(
            scenario=self.scenario.name, scenario_sha256=scenario_sha256(self.scenario),
            seed=self.seed, replications=len(self.replications), tables=self.tables)
        write_outputs(out, self.scenario, self.replications, manifest.document(), self.tables,
                      plotlyjs)
        return self._summary


def run(scenario: Scenario, replications: int = 100, seed: int = DEFAULT_SEED, workers: int = 1,
        progress: Update | None = None, scheduler: str | None = None,
        stream: bool = True, tables: str = "all", out: str | Path | bool | None = None,
        plotlyjs: str = "folder", parameter_uncertainty: bool = False) -> RunResult:
    """Monte Carlo run of both arms (IPS and usual services) on the same clients.

    Bit-identical for any ``workers`` (at most the cores here) and on a Dask cluster
    (``scheduler``: its address); ``progress(done, total)`` is called as the replications start,
    then after each.
    With ``stream`` (the default) each replication's client and spell tables go to a temporary
    folder as soon as it is done, so memory does not grow with them; the result reads them back
    when asked (``.clients``, ``.spells``, ``.write``), and its outputs are the same, byte for
    byte, as those of a run held in memory (``stream=False``). With ``tables="summary"`` the
    client and spell tables are not kept at all: the run has trajectories and summaries only.
    ``out``: a new folder to write every output file into (``True``: ``outputs/<name>-<time>``),
    claimed before the run starts; ``plotlyjs`` as for :meth:`RunResult.write`.
    ``parameter_uncertainty``: draw the parameters of the scenario's ``uncertainty:`` once per
    replication (``experiments.uncertain``), so every range includes what we do not know; the
    draws are ``parameters.csv`` of the outputs.
    """
    scenario = arguments.scenario(scenario)
    replications = arguments.whole(replications, "replications", 1)
    seed = arguments.seed(seed)
    scheduler = arguments.scheduler(scheduler)
    workers = arguments.workers(workers, scheduler)
    progress = arguments.callback(progress)
    stream = arguments.flag(stream, "stream")
    tables = arguments.choice(tables, "tables", TABLES)
    place = arguments.out_place(out, lambda: default_out(scenario.name))
    plotlyjs = arguments.choice(plotlyjs, "plotlyjs", PLOTLYJS)
    parameter_uncertainty = arguments.flag(parameter_uncertainty, "parameter_uncertainty")
    check_workload(scenario, replications)
    draws = draw_parameters([scenario], seed, replications) if parameter_uncertainty else None
    with claimed(place) if place is not None else nullcontext():
        manifest = Manifest(scenario=scenario.name, scenario_sha256=scenario_sha256(scenario),
                            seed=seed, replications=replications, workers=workers,
                            funding=bought_by_year(scenario), tables=tables)
        if draws is not None:
            manifest.record(parameter_uncertainty=draws.described(),
                            parameters_drawn=len(draws.values[0]))
        if progress:
            progress(0, replications)
        results = run_replications(scenario, seed, replications, workers, progress,
                                   Spool() if stream else None, scheduler, tables, draws)
        manifest.record(events=sum(r.events for r in results))
        result = RunResult(scenario, seed, results, tables, place, manifest)
        if place is not None:
            result.write(place, plotlyjs)
    return result


@dataclass
class ComparisonResult:
    """Scenarios run on the same clients: each against usual services and against the first."""

    comparison: comparing.Comparison
    out: Path | None = None
    """The folder the comparison was written to (``compare(..., out=...)``), or None."""
    manifest: Manifest | None = field(default=None, repr=False)

    @property
    def scenarios(self) -> list[Scenario]:
        return self.comparison.scenarios

    @cached_property
    def table(self) -> pd.DataFrame:
        """Rows of ``comparison.csv``: metric, arm, scenario, reference, mean, 95% range."""
        return pd.DataFrame(self.comparison.table)

    @cached_property
    def wide(self) -> pd.DataFrame:
        """Rows of ``comparison_wide.csv``: metric, arm, reference, then per scenario its mean
        and 95% range (``<name>``, ``<name>_lo95``, ``<name>_hi95``), side by side."""
        return pd.DataFrame(comparing.wide_table(self.comparison.table,
                                                 [s.name for s in self.scenarios]))

    @cached_property
    def decision(self) -> pd.DataFrame:
        """Rows of ``decision.csv``: usual services and every scenario as options, per
        perspective in order of expected net cost, with incremental cost per additional person
        in competitive work, dominance, net monetary benefit at the comparison's willingness to
        pay and the probability each option is the best (:mod:`ipssim.experiments.decision`)."""
        return pd.DataFrame(decision_table(self.comparison.decisions()))

    @cached_property
    def verdicts(self) -> list[str]:
        """One line per perspective: the option with the highest expected net benefit, and how
        likely it is the best."""
        return verdicts(self.comparison.decisions())

    def run(self, index: int, seed: int) -> RunResult:
        """The replications of scenario ``index`` as a :class:`RunResult`."""
        index = arguments.whole(index, "index", 0, len(self.scenarios) - 1)
        return RunResult(self.scenarios[index], arguments.seed(seed),
                         self.comparison.results[index], self.comparison.tables)

    def write(self, out: str | Path, plotlyjs: str = "folder") -> None:
        """``comparison.csv``, each scenario's summary, the report and the manifest, in the new
        folder ``out`` (``plotlyjs`` as for :meth:`RunResult.write`)."""
        out = arguments.path(out, "out")
        plotlyjs = arguments.choice(plotlyjs, "plotlyjs", PLOTLYJS)
        manifest = self.manifest or Manifest(
            scenarios=[s.name for s in self.scenarios],
            scenario_sha256=[scenario_sha256(s) for s in self.scenarios],
            replications=len(self.comparison.results[0]), tables=self.comparison.tables)
        write_comparison(out, self.comparison, manifest.document(), plotlyjs)


def compare(scenarios: Iterable[Scenario], replications: int = 100, seed: int = DEFAULT_SEED,
            workers: int = 1, independent: bool = False, progress: Update | None = None,
            scheduler: str | None = None, tables: str = "all",
            out: str | Path | bool | None = None, plotlyjs: str = "folder",
            wtp: float = DEFAULT_WTP_EUR, parameter_uncertainty: bool = False
            ) -> ComparisonResult:
    """Run every scenario (any iterable of them, distinct names) on the same replications
    (common random numbers unless ``independent``) and tabulate each against usual services
    and against the first. ``tables="summary"``: keep no per-client or per-spell tables (the
    comparison's files never include them; :meth:`ComparisonResult.run` then has none either).
    ``out``: a new folder for the comparison's files (``True``:
    ``outputs/compare-<first>-<time>``), claimed before the runs start. ``wtp``: willingness to
    pay, EUR per additional person in competitive work, of the decision (``decision``,
    ``verdicts``). ``parameter_uncertainty``: draw the uncertain parameters once per
    replication, the same draw for every scenario (they must give the same ``uncertainty:``),
    as :func:`run` does."""
    scenarios = arguments.scenarios(scenarios)
    wtp = arguments.number(wtp, "wtp", 0.0, 1e9, "a number of euros from 0 to 1e9")
    replications = arguments.whole(replications, "replications", 2)
    seed = arguments.seed(seed)
    scheduler = arguments.scheduler(scheduler)
    workers = arguments.workers(workers, scheduler)
    independent = arguments.flag(independent, "independent")
    progress = arguments.callback(progress)
    tables = arguments.choice(tables, "tables", TABLES)
    place = arguments.out_place(out, lambda: default_out(scenarios[0].name, prefix="compare-"))
    plotlyjs = arguments.choice(plotlyjs, "plotlyjs", PLOTLYJS)
    parameter_uncertainty = arguments.flag(parameter_uncertainty, "parameter_uncertainty")
    for scenario in scenarios:
        check_workload(scenario, replications)
    draws = draw_parameters(scenarios, seed, replications) if parameter_uncertainty else None
    with claimed(place) if place is not None else nullcontext():
        manifest = Manifest(scenarios=[s.name for s in scenarios],
                            scenario_sha256=[scenario_sha256(s) for s in scenarios], seed=seed,
                            replications=replications, independent_streams=independent,
                            workers=workers, tables=tables)
        if draws is not None:
            manifest.record(parameter_uncertainty=draws.described(),
                            parameters_drawn=len(draws.values[0]))
        if progress:
            progress(0, len(scenarios) * replications)
        result = ComparisonResult(
            comparing.compare(scenarios, seed, replications, workers, independent=independent,
                              progress=progress, scheduler=scheduler, tables=tables, wtp=wtp,
                              draws=draws),
            place, manifest)
        if place is not None:
            result.write(place, plotlyjs)
    return result


@dataclass
class SizingResult:
    """Every headcount tried for a region and the smallest that keeps waits short."""

    options: list[sizing.Option]
    recommended: sizing.Option | None
    """The smallest headcount whose wait quantile is short enough at the upper end of its 95%
    interval (nobody is admitted above the cap)."""
    point_estimate: sizing.Option | None
    """The smallest headcount whose point estimate of the wait quantile is short enough."""
    out: Path | None = None
    """The CSV file the options were written to (``size(..., out=...)``), or None."""

    @cached_property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame(sizing.option_rows(self.options))


def size(scenario: Scenario, region: str, max_wait_days: float, quantile: float = 0.9,
         replications: int = 50, seed: int = DEFAULT_SEED, workers: int = 1,
         max_coaches: int = sizing.MAX_COACHES, progress: Update | None = None,
         scheduler: str | None = None, out: str | Path | bool | None = None) -> SizingResult:
    """The smallest coach headcount of ``region`` whose ``quantile`` of waiting time is at most
    ``max_wait_days`` at the upper end of its 95% interval, nobody being admitted above the cap
    (``recommended``; ``point_estimate`` on the point estimate alone; None if even
    ``max_coaches`` are not enough). ``out``: a new CSV file of the options tried (``True``:
    ``outputs/size-<scenario>-<region>-<time>.csv``), claimed before the runs start."""
    scenario = arguments.scenario(scenario)
    region = arguments.region(scenario, region)
    max_wait_days = arguments.number(max_wait_days, "max_wait_days", 0, float("inf"),
                                     "a number of days >= 0")
    quantile = arguments.number(quantile, "quantile", 0, 1,
                                "a number between 0 and 1, exclusive", open_low=True,
                                open_high=True)
    replications = arguments.whole(replications, "replications", 2)
    seed = arguments.seed(seed)
    scheduler = arguments.scheduler(scheduler)
    workers = arguments.workers(workers, scheduler)
    max_coaches = arguments.whole(max_coaches, "max_coaches", 1, MAX_STAFF)
    progress = arguments.callback(progress)
    slug = "".join(ch if ch.isalnum() else "_" for ch in region)
    place = arguments.out_place(out, lambda: default_out(f"{scenario.name}-{slug}",
                                                         prefix="size-", suffix=".csv"))
    check_workload(scenario, replications)
    with claimed(place, kind="file") if place is not None else nullcontext():
        if progress:
            progress(0, None)
        result = SizingResult(*sizing.size(scenario, sizing.region_index(scenario, region),
                                           max_wait_days, quantile, seed, replications, workers,
                                           max_coaches, progress=progress, scheduler=scheduler),
                              out=place)
        if place is not None:
            write_csv(place, sizing.option_rows(result.options))
    return result


def overlay(runs: Mapping[str, RunResult]) -> go.Figure:
    """One chart of the cumulative net effect of several runs (name -> run), side by side."""
    if not isinstance(runs, Mapping) or not runs or not all(
            isinstance(k, str) and isinstance(v, RunResult) for k, v in runs.items()):
        raise InputError(f"runs: must be a mapping of names to RunResult objects (got "
                         f"{arguments.got(runs)})")
    return net_effect_overlay({name: run.replications for name, run in runs.items()})


@dataclass
class Decision:
    """Runs as the options of one decision, with usual services (:func:`decision`)."""

    table: pd.DataFrame
    """Rows of ``decision.csv`` (:data:`ipssim.experiments.decision.DECISION_COLUMNS`)."""
    verdicts: list[str]
    """One line per perspective: the option with the highest expected net benefit and the
    probability that it is the best."""
    paired: bool
    """Whether every run had the same seed (the same clients and luck in each replication)."""
    draws: int

    @property
    def bounds(self) -> str:
        """What the net benefit's bounds are: its 95% range over the draws, or with fewer than
        40 its expected value's 95% interval."""
        return nmb_bounds(self.draws)

    def figure(self) -> go.Figure:
        """Each option's expected net benefit with its bounds (:attr:`bounds`), per
        perspective."""
        return decision_figure(self.table.to_dict("list"))


def decision(runs: Mapping[str, RunResult], wtp: float = DEFAULT_WTP_EUR) -> Decision:
    """Usual services and the ``runs`` (option name -> run) as one decision at willingness to
    pay ``wtp`` (EUR per additional person in competitive work). Replication ``k`` of each run
    is draw ``k`` (as many draws as the shortest run has); the draws are paired only if the runs
    share their seed."""
    if not isinstance(runs, Mapping) or not runs or not all(
            isinstance(k, str) and isinstance(v, RunResult) for k, v in runs.items()):
        raise InputError(f"runs: must be a mapping of names to RunResult objects (got "
                         f"{arguments.got(runs)})")
    wtp = arguments.number(wtp, "wtp", 0.0, 1e9, "a number of euros from 0 to 1e9")
    draws = min(len(run.replications) for run in runs.values())
    perspectives = decisions(list(runs), [[r.metrics for r in run.replications[:draws]]
                                          for run in runs.values()], wtp)
    return Decision(pd.DataFrame(decision_table(perspectives)), verdicts(perspectives),
                    len({run.seed for run in runs.values()}) == 1, draws)
