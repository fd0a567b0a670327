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

from ipssim.compare import Comparison
from ipssim.report import write_comparison_report, write_report
from ipssim.runner import ReplicationResult, net_effects
from ipssim.scenario import Scenario
from ipssim.simulation import ARMS
from ipssim.summary import net_effect_table, summarise


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
        write_report(partial / "report.html", scenario, trajectories, summary, effects, manifest)
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
