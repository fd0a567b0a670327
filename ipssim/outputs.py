"""Run outputs: Parquet tables, summary CSV, HTML report and manifest, written atomically.

Everything is written into a hidden sibling folder and renamed into place at the end, so an
interrupted run never leaves a folder that looks complete. The file and column names are a
contract that later tools read (see README).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ipssim.accounts.metrics import SUMMARY_COLUMNS, net_effect_table, summarise
from ipssim.experiments.compare import Comparison
from ipssim.experiments.runner import ReplicationResult, net_effects
from ipssim.reports.run import write_comparison_report, write_report
from ipssim.scenario.schema import Scenario
from ipssim.vocabulary import ARMS


class OutputError(ValueError):
    """An output folder that cannot be used; the message is one line."""


def default_out_dir(scenario: Scenario, now: datetime, root: Path = Path("outputs"),
                    prefix: str = "") -> Path:
    return root / f"{prefix}{scenario.name}-{now.strftime('%Y%m%d-%H%M%S')}"


def check_out_dir(out: Path) -> None:
    """Refuse a path that is a file or a folder that already has something in it."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputError(f"--out: {out} already exists and is not an empty folder; "
                          "choose a new or empty folder")


def stack(results: list[ReplicationResult], table: str) -> pa.Table:
    """One long table (``replication``, ``arm`` first) from a per-arm table of every replication."""
    parts: dict[str, list[np.ndarray]] = {"replication": [], "arm": []}
    for result in results:
        for arm in ARMS:
            columns = getattr(result, table)[arm]
            rows = len(next(iter(columns.values())))
            parts["replication"].append(np.full(rows, result.replication, dtype=np.int64))
            parts["arm"].append(np.full(rows, arm, dtype=object))
            for name, values in columns.items():
                parts.setdefault(name, []).append(values)
    return pa.table({name: pa.array(np.concatenate(chunks)) for name, chunks in parts.items()})


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


@contextmanager
def atomic_folder(out: Path) -> Iterator[Path]:
    """A hidden sibling folder to write into, renamed to ``out`` only when the block succeeds."""
    out = Path(out)
    check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        yield partial
        if out.exists():
            out.rmdir()
        os.rename(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def write_outputs(out: Path, scenario: Scenario, results: list[ReplicationResult],
                  manifest: dict) -> dict[str, list]:
    """Write every output file of a run into ``out``; return the summary columns."""
    with atomic_folder(out) as partial:
        trajectories = stack(results, "trajectories")
        pq.write_table(trajectories, partial / "trajectories.parquet")
        pacsv.write_csv(trajectories, partial / "trajectories.csv")
        pq.write_table(stack(results, "clients"), partial / "clients.parquet")
        pq.write_table(stack(results, "spells"), partial / "spells.parquet")
        effects = net_effects(results)
        summary = summarise([r.metrics for r in results], effects)
        write_csv(partial / "summary.csv", summary)
        write_csv(partial / "net_effect.csv", net_effect_table(effects))
        by_region = stack_regions(scenario, results)
        pq.write_table(by_region, partial / "regions.parquet")
        regions = region_summaries(scenario, results)
        write_csv(partial / "summary_regions.csv", region_summary_table(regions))
        write_report(partial / "report.html", scenario, trajectories, summary, effects, manifest,
                     regions, by_region)
        write_manifest(partial / "manifest.json", manifest)
    return summary


def write_comparison(out: Path, comparison: Comparison, manifest: dict) -> None:
    """Write ``comparison.csv``, each scenario's ``summary-<name>.csv``, the comparison report
    and the manifest into ``out``."""
    with atomic_folder(out) as partial:
        write_csv(partial / "comparison.csv", comparison.table)
        for scenario, summary in zip(comparison.scenarios, comparison.summaries, strict=True):
            write_csv(partial / f"summary-{scenario.name}.csv", summary)
        write_comparison_report(partial / "report.html", comparison, manifest)
        write_manifest(partial / "manifest.json", manifest)


def write_manifest(path: Path, manifest: dict) -> None:
    path.write_text(json.dumps(manifest, indent=2) + "\n")


def write_csv(path: Path, columns: dict[str, list]) -> None:
    """A table of equal-length columns as CSV (floats written exactly, ``inf`` for infinity)."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in zip(*columns.values(), strict=True):
            writer.writerow([_fmt(v) for v in row])


def _fmt(value: object) -> object:
    return repr(value) if isinstance(value, float) else value
