"""The public Python API: load a scenario, change it, run it, compare it, size a team.

The command line (:mod:`ipssim.cli`) and the planner's web page are thin layers over these
functions; a notebook uses the same ones and gets pandas DataFrames back::

    import ipssim
    pilot = ipssim.load_scenario("scenarios/finland_pilot.yaml")
    cap15 = ipssim.with_changes(pilot, {"coaching.caseload_cap": 15}, name="cap15")
    result = ipssim.run(pilot, replications=20, seed=7)
    result.summary                       # metric x arm: mean, 95% range, Monte Carlo error
    ipssim.compare([pilot, cap15], replications=20).table
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from ipssim.accounts.metrics import net_effect_table, summarise
from ipssim.experiments import compare as comparing
from ipssim.experiments import sizing
from ipssim.experiments.capacity import IDLE_UTILISATION, Capacity, capacity
from ipssim.experiments.runner import (
    ReplicationResult,
    Spool,
    check_tables,
    net_effects,
    run_replications,
)
from ipssim.experiments.workload import check_workload
from ipssim.files import Manifest
from ipssim.outputs import (
    net_effect_overlay,
    region_summaries,
    region_summary_table,
    run_figures,
    stack,
    write_comparison,
    write_outputs,
)
from ipssim.planner import (
    REPLICATIONS,
    LeverError,
    Levers,
    Line,
    headline,
    planned_scenario,
    scenario_yaml,
    warnings,
)
from ipssim.progress import Update
from ipssim.scenario.edits import editable
from ipssim.scenario.load import load_scenario as load_scenario_file
from ipssim.scenario.load import parse_scenario
from ipssim.scenario.paths import apply_values
from ipssim.scenario.schema import Scenario, ScenarioError
from ipssim.vocabulary import DEFAULT_SEED


def load_scenario(source: str | Path | Mapping, text: bytes | None = None) -> Scenario:
    """A validated scenario from a YAML file (with its base, regions table and calibration) or
    from a mapping of the same fields; with ``text``, the file's content (an upload) and
    ``source`` the path its relative paths start from. Bad input raises
    :class:`ipssim.ScenarioError` with a one-line message."""
    if isinstance(source, Mapping):
        return parse_scenario(dict(source))
    return load_scenario_file(source, text)[0]


def with_changes(scenario: Scenario, changes: Mapping[str, object], name: str | None = None
                 ) -> Scenario:
    """The scenario with parameters changed by dotted path (``coaching.caseload_cap``,
    ``regions[Helsinki city].coaches``, ``regions[*].fidelity``), validated again; ``name``
    renames it (scenarios compared side by side need distinct names)."""
    data = apply_values(editable(scenario), dict(changes))
    if name is not None:
        data["name"] = name
    return parse_scenario(data, source=data["name"])


@dataclass
class RunResult:
    """The replications of one scenario, in replication order, and their tables."""

    scenario: Scenario
    seed: int
    replications: list[ReplicationResult]
    tables: str = "all"
    """``all``, or ``summary``: trajectories and summaries only, no per-client or per-spell
    tables (``.clients`` and ``.spells`` then raise an InputError, ``.write`` leaves them out)."""

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
                        np.concatenate([r.waits for r in self.replications]))

    def warnings(self) -> list[str]:
        """Plain warnings on the headline: places standing idle, a growing waiting list."""
        return warnings(self.headline())

    def figures(self) -> dict:
        """The run report's plotly charts by name (net_effect, payers, trajectories, regions)."""
        return run_figures(self.scenario, self.replications)

    def yaml(self) -> str:
        """A scenario file that ``ipssim run --seed`` with this seed turns into these numbers."""
        return scenario_yaml(self.scenario)

    def write(self, out: str | Path, manifest: Manifest | None = None,
              plotlyjs: str = "folder") -> dict[str, list]:
        """Write every output file into the new folder ``out`` (atomically); return the summary
        columns. ``manifest`` records how the run was made (default: scenario, seed, count and
        the SHA-256 of the validated scenario); ``plotlyjs``: ``folder`` (``plotly.min.js``
        beside the report) or ``cdn``."""
        manifest = manifest or Manifest(
            scenario=self.scenario.name, seed=self.seed, replications=len(self.replications),
            scenario_sha256=hashlib.sha256(self.scenario.model_dump_json().encode()).hexdigest())
        write_outputs(Path(out), self.scenario, self.replications, manifest.document(),
                      self.tables, plotlyjs)
        return self._summary


def run(scenario: Scenario, replications: int = 100, seed: int = DEFAULT_SEED, workers: int = 1,
        progress: Update | None = None, scheduler: str | None = None,
        stream: bool = True, tables: str = "all") -> RunResult:
    """Monte Carlo run of both arms (IPS and usual services) on the same clients.

    Bit-identical for any ``workers`` and on a Dask cluster (``scheduler``: its address);
    ``progress(done, total)`` is called after each replication. With ``stream`` (the default)
    each replication's client and spell tables go to a temporary folder as soon as it is done,
    so memory does not grow with them; the result reads them back when asked (``.clients``,
    ``.spells``, ``.write``), and its outputs are the same, byte for byte, as those of a run
    held in memory (``stream=False``). With ``tables="summary"`` the client and spell tables are
    not kept at all (nor spooled): the run has trajectories and summaries only.
    """
    check_workload(scenario, replications)
    check_tables(tables)
    return RunResult(scenario, seed, run_replications(scenario, seed, replications, workers,
                                                      progress, Spool() if stream else None,
                                                      scheduler, tables), tables)


@dataclass
class ComparisonResult:
    """Scenarios run on the same clients: each against usual services and against the first."""

    comparison: comparing.Comparison

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

    def run(self, index: int, seed: int) -> RunResult:
        """The replications of scenario ``index`` as a :class:`RunResult`."""
        return RunResult(self.scenarios[index], seed, self.comparison.results[index],
                         self.comparison.tables)

    def write(self, out: str | Path, manifest: Manifest, plotlyjs: str = "folder") -> None:
        """``comparison.csv``, each scenario's summary, the report and the manifest, in ``out``
        (``plotlyjs`` as for :meth:`RunResult.write`)."""
        write_comparison(Path(out), self.comparison, manifest.document(), plotlyjs)


def compare(scenarios: Sequence[Scenario], replications: int = 100, seed: int = DEFAULT_SEED,
            workers: int = 1, independent: bool = False, progress: Update | None = None,
            scheduler: str | None = None, tables: str = "all") -> ComparisonResult:
    """Run every scenario on the same replications (common random numbers unless
    ``independent``) and tabulate each against usual services and against the first.
    ``tables="summary"``: keep no per-client or per-spell tables (the comparison's files never
    include them; :meth:`ComparisonResult.run` then has none either)."""
    for scenario in scenarios:
        check_workload(scenario, replications)
    check_tables(tables)
    return ComparisonResult(comparing.compare(list(scenarios), seed, replications, workers,
                                              independent=independent, progress=progress,
                                              scheduler=scheduler, tables=tables))


@dataclass
class SizingResult:
    """Every headcount tried for a region and the smallest that keeps waits short."""

    options: list[sizing.Option]
    recommended: sizing.Option | None
    """The smallest headcount whose wait quantile is short enough at the upper end of its 95%
    interval (and no caseload over the cap)."""
    point_estimate: sizing.Option | None
    """The smallest headcount whose point estimate of the wait quantile is short enough."""

    @cached_property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame(sizing.option_rows(self.options))


def size(scenario: Scenario, region: str, max_wait_days: float, quantile: float = 0.9,
         replications: int = 50, seed: int = DEFAULT_SEED, workers: int = 1,
         max_coaches: int = sizing.MAX_COACHES, progress: Update | None = None,
         scheduler: str | None = None) -> SizingResult:
    """The smallest coach headcount of ``region`` whose ``quantile`` of waiting time is at most
    ``max_wait_days`` at the upper end of its 95% interval, with no caseload over the cap
    (``recommended``; ``point_estimate`` on the point estimate alone; None if even
    ``max_coaches`` are not enough)."""
    check_workload(scenario, replications)
    index = sizing.region_index(scenario, region)
    return SizingResult(*sizing.size(scenario, index, max_wait_days, quantile, seed,
                                     replications, workers, max_coaches, progress=progress,
                                     scheduler=scheduler))


def overlay(runs: Mapping[str, RunResult]):
    """One chart of the cumulative net effect of several runs (name -> run), side by side."""
    return net_effect_overlay({name: run.replications for name, run in runs.items()})


__all__ = ["DEFAULT_SEED", "IDLE_UTILISATION", "REPLICATIONS", "Capacity", "ComparisonResult", "LeverError",
           "Levers", "Line", "RunResult", "Scenario",
           "ScenarioError", "SizingResult", "capacity", "compare",
           "load_scenario", "overlay", "planned_scenario", "run", "scenario_yaml", "size",
           "with_changes"]
