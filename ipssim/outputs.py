"""Run outputs: the tables of a run or a comparison, written into one output folder.

Everything is written by ``ipssim.files`` into a hidden sibling folder that is renamed into place
at the end, so an interrupted run never leaves a folder that looks complete. Here the results of
the replications become tables (the long Parquet tables, the summaries, the net effects), and
the reports (``ipssim.reports.run``) render those tables. The file and column names are a
contract that later tools read (see README).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from ipssim import files
from ipssim.accounts.metrics import SUMMARY_COLUMNS, net_effect_table, summarise
from ipssim.accounts.subgroups import summarise_subgroups
from ipssim.experiments.compare import wide_table
from ipssim.experiments.decision import decision_table, frontier_table, verdicts
from ipssim.experiments.runner import long_table, net_effects, spending_summary
from ipssim.reports.appendix import appendix
from ipssim.reports.run import (
    SCENARIO_PANELS,
    net_effect_figure,
    payer_figure,
    region_figure,
    trajectory_figure,
    with_windows,
    write_comparison_report,
    write_report,
)
from ipssim.scenario.schema import Scenario
from ipssim.vocabulary import ARMS

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from ipssim.experiments.compare import Comparison
    from ipssim.experiments.runner import ReplicationResult


def stack(results: list[ReplicationResult], table: str) -> pa.Table:
    """One long table (``replication``, ``arm`` first) from a per-arm table of every replication."""
    return pa.concat_tables([long_table(result, table) for result in results]).combine_chunks()


def write_long(path: Path, results: list[ReplicationResult], table: str) -> None:
    """A long table written replication by replication, each a row group, so only one
    replication's rows are in memory at a time (spooled results are read one by one)."""
    def write(partial: Path) -> None:
        writer = None
        try:
            for result in results:
                rows = long_table(result, table)
                if writer is None:
                    writer = files.parquet_writer(partial, rows.schema)
                writer.write_table(rows)
        finally:
            if writer is not None:
                writer.close()
    files.atomic_write(path, write)


def stack_regions(scenario: Scenario, results: list[ReplicationResult]) -> pa.Table:
    """Every region's monthly trajectories: ``replication``, ``arm``, ``region`` first."""
    parts: dict[str, list[np.ndarray]] = {"replication": [], "arm": [], "region": []}
    for result in results:
        for region, accounts in zip(scenario.regions, result.regions, strict=True):
            for arm in ARMS:
                columns = accounts.trajectories[arm]
                rows = len(columns["month"])
                parts["replication"].append(np.full(rows, result.replication, dtype=np.int64))
                parts["arm"].append(np.full(rows, arm, dtype=object))
                parts["region"].append(np.full(rows, region.name, dtype=object))
                for name, values in columns.items():
                    parts.setdefault(name, []).append(values)
    return pa.table({name: pa.array(np.concatenate(chunks)) for name, chunks in parts.items()})


def parameter_table(results: list[ReplicationResult]) -> dict[str, list]:
    """Columns of ``parameters.csv``: ``replication``, then each drawn parameter's value in that
    replication (parameter uncertainty), for a regression of the outcomes on the draws."""
    paths = list(results[0].parameters)
    return {"replication": [r.replication for r in results],
            **{path: [r.parameters[path] for r in results] for path in paths}}


def region_summaries(scenario: Scenario, results: list[ReplicationResult]
                     ) -> dict[str, dict[str, list]]:
    """The summary of each region, by region name."""
    out = {}
    for r, region in enumerate(scenario.regions):
        accounts = [result.regions[r] for result in results]
        effects = {view: np.stack([a.net_effect[view] for a in accounts])
                   for view in accounts[0].net_effect}
        out[region.name] = summarise([a.metrics for a in accounts], effects)
    return out


def region_summary_table(summaries: dict[str, dict[str, list]]) -> dict[str, list]:
    """Columns of ``summary_regions.csv``: the summary's columns with ``region`` third."""
    table: dict[str, list] = {c: [] for c in ("metric", "arm", "region", *SUMMARY_COLUMNS[2:])}
    for name, summary in summaries.items():
        for column in SUMMARY_COLUMNS:
            table[column] += summary[column]
        table["region"] += [name] * len(summary["metric"])
    return table


def write_outputs(out: Path, scenario: Scenario, results: list[ReplicationResult],
                  manifest: dict, tables: str = "all", plotlyjs: str = "folder") -> dict[str, list]:
    """Write every output file of a run into ``out``; return the summary columns. With
    ``tables`` ``summary`` there is no ``clients.parquet`` or ``spells.parquet``; ``plotlyjs``:
    where the report loads plotly.js from (:data:`ipssim.reports.page.PLOTLYJS`)."""
    with files.atomic_folder(out) as partial:
        trajectories = stack(results, "trajectories")
        files.write_parquet(partial / "trajectories.parquet", trajectories)
        files.write_table_csv(partial / "trajectories.csv", trajectories)
        if tables == "all":
            write_long(partial / "clients.parquet", results, "clients")
            write_long(partial / "spells.parquet", results, "spells")
        effects = net_effects(results)
        summary = summarise([r.metrics for r in results], effects)
        year = scenario.economics.price_year
        files.write_csv(partial / "summary.csv", with_windows(summary, year))
        if results[0].parameters:
            files.write_csv(partial / "parameters.csv", parameter_table(results))
        net_effect = net_effect_table(effects)
        files.write_csv(partial / "net_effect.csv", {
            "perspective": net_effect.pop("perspective"), "month": net_effect.pop("month"),
            "unit": [f"EUR {year}, discounted"] * len(net_effect["mean"]), **net_effect})
        spent = spending_summary(scenario, results)
        files.write_csv(partial / "spending.csv", spent)
        by_region = stack_regions(scenario, results)
        files.write_parquet(partial / "regions.parquet", by_region)
        regions = region_summaries(scenario, results)
        files.write_csv(partial / "summary_regions.csv",
                        with_windows(region_summary_table(regions), year))
        subgroups = summarise_subgroups([r.subgroups for r in results])
        files.write_csv(partial / "summary_subgroups.csv", subgroups)
        write_report(partial / "report.html", scenario, trajectories, summary, effects, manifest,
                     regions, by_region, plotlyjs, spent, subgroups)
        for name, text in appendix(scenario, manifest).items():
            files.write_text(partial / name, text)
        files.write_json(partial / "manifest.json", manifest)
    return summary


def write_comparison(out: Path, comparison: Comparison, manifest: dict,
                     plotlyjs: str = "folder") -> None:
    """Write ``comparison.csv`` (and side by side, ``comparison_wide.csv``), each scenario's
    ``summary-<name>.csv``, the comparison report (``plotlyjs`` as for :func:`write_outputs`)
    and the manifest into ``out``."""
    with files.atomic_folder(out) as partial:
        files.write_csv(partial / "comparison.csv", comparison.table)
        files.write_csv(partial / "decision.csv", decision_table(comparison.decisions()))
        files.write_csv(partial / "ceaf.csv", frontier_table(
            [s.name for s in comparison.scenarios],
            [[r.metrics for r in rs] for rs in comparison.results]))
        files.write_csv(partial / "comparison_wide.csv",
                        wide_table(comparison.table, [s.name for s in comparison.scenarios]))
        for scenario, summary in zip(comparison.scenarios, comparison.summaries, strict=True):
            files.write_csv(partial / f"summary-{scenario.name}.csv",
                            with_windows(summary, scenario.economics.price_year))
        if comparison.results[0][0].parameters:
            files.write_csv(partial / "parameters.csv", parameter_table(comparison.results[0]))
        pairs = list(zip(comparison.scenarios, comparison.results, strict=True))
        effects = {s.name: net_effects(results) for s, results in pairs}
        ips = {s.name: {column: np.stack([r.trajectories["ips"][column] for r in results])
                        for column, _ in SCENARIO_PANELS} for s, results in pairs}
        decisions = comparison.decisions()
        write_comparison_report(partial / "report.html", comparison.table, effects, ips, manifest,
                                plotlyjs, decision_table(decisions), verdicts(decisions))
        files.write_json(partial / "manifest.json", manifest)


def run_figures(scenario: Scenario, results: list[ReplicationResult]) -> dict[str, go.Figure]:
    """The charts of the run report, by name: ``net_effect``, ``payers``, ``trajectories``,
    ``regions`` (for a page that shows a run without writing it)."""
    trajectories = stack(results, "trajectories")
    return {"net_effect": net_effect_figure({scenario.name: net_effects(results)}),
            "payers": payer_figure(scenario, trajectories),
            "trajectories": trajectory_figure(scenario, trajectories),
            "regions": region_figure(scenario, stack_regions(scenario, results))}


def net_effect_overlay(runs: dict[str, list[ReplicationResult]]) -> go.Figure:
    """The cumulative net-effect curves of several runs overlaid, one line per run."""
    return net_effect_figure({name: net_effects(results) for name, results in runs.items()})
