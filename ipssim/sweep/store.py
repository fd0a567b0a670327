"""A sweep's output folder: what is saved, how a rerun finds it, and how it is combined.

::

    sweep.json          the sweep (its SHA-256, spec, scenario hash, ...) and each run of it
    design.parquet      one row per point: its values, seed, label
    points/<i>.parquet  a point's per-replication metrics, written the moment it arrives
    results.parquet     every point's table, in point order
    <table>.csv         the analysis tables

Every file is written with :mod:`ipssim.files` (a hidden temporary name, then a rename), so an
interrupted sweep never leaves a partial file under a final name; a rerun removes the temporary
ones it left, keeps every point file of the same sweep (same SHA-256, same ipssim code) and computes
the rest. A folder of another sweep is refused.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ipssim._version import __version__, code_id
from ipssim.files import remove_partials, write_csv, write_json, write_parquet
from ipssim.sweep.design import Design, Point, design_table
from ipssim.sweep.evaluators import Columns
from ipssim.sweep.spec import SweepError
from ipssim.validation import read_file

MANIFEST = "sweep.json"
POINTS = "points"
RESULTS = "results.parquet"


def point_path(out: Path, index: int) -> Path:
    return Path(out) / POINTS / f"{index:06d}.parquet"


def check_folder(out: Path, sha256: str) -> None:
    """Refuse a file, a folder of another sweep, or a non-empty folder that is not a sweep's."""
    if not out.exists():
        return
    if not out.is_dir():
        raise SweepError(f"--out: {out} is a file; give a folder")
    manifest = out / MANIFEST
    if manifest.exists():
        try:
            found = json.loads(read_file(manifest, "sweep manifest", SweepError)).get("spec_sha256")
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
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
    remove_partials(out)
    remove_partials(folder)
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
        found_code = metadata.get(b"ipssim_code_id", b"").decode()
        if found_code != code_id:
            version = metadata.get(b"ipssim_version", b"").decode()
            raise SweepError(f"{path}: computed by other ipssim code (ipssim {version}, code "
                             f"{found_code or 'unknown'}; this is {__version__}, code {code_id}); "
                             "finish the sweep with that code or start again in another --out")
        done.add(int(path.stem))
    return done


def open_folder(out: Path) -> dict:
    """Make ``out`` and its points folder; ``sweep.json`` as earlier runs into ``out`` left it,
    or a new one with no runs."""
    (out / POINTS).mkdir(parents=True, exist_ok=True)
    path = out / MANIFEST
    if path.exists():
        try:
            return json.loads(read_file(path, "sweep manifest", SweepError))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise SweepError(f"--out: {path} is not a sweep manifest (not JSON)") from None
    return {"created": datetime.now(UTC).isoformat(timespec="seconds"), "runs": []}


def write_manifest(out: Path, manifest: dict, complete: bool) -> None:
    write_json(out / MANIFEST, manifest | {"complete": complete})


def write_design(out: Path, design: Design) -> None:
    write_parquet(out / "design.parquet", design_table(design))


def point_table(point: Point, columns: Columns, sha256: str) -> pa.Table:
    """A point's per-replication metrics with its values, seed and the sweep's SHA-256."""
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
                                          "ipssim_version": __version__, "ipssim_code_id": code_id})


def write_point(out: Path, point: Point, columns: Columns, sha256: str) -> None:
    write_parquet(point_path(out, point.index), point_table(point, columns, sha256))


def combine(out: Path, design: Design) -> pa.Table:
    """Every point's table, in point order, as ``results.parquet``."""
    tables = [pq.read_table(point_path(out, p.index)) for p in design.points]
    for point, table in zip(design.points, tables, strict=True):
        found = (table.schema.metadata or {}).get(b"spec_sha256", b"").decode()
        if found != design.sha256:  # never mix the points of two sweeps
            raise SweepError(f"{point_path(out, point.index)}: belongs to another sweep (spec "
                             f"sha256 {found[:12]}, this one {design.sha256[:12]}); remove {out} "
                             "or give another --out")
    results = pa.concat_tables(tables).replace_schema_metadata(
        {"spec_sha256": design.sha256})
    write_parquet(out / RESULTS, results)
    return results


def write_tables(out: Path, tables: dict[str, dict[str, list]]) -> None:
    """The analysis tables, each as ``<name>.csv``."""
    for name, table in tables.items():
        write_csv(out / f"{name}.csv", table)


def read_progress(out: Path) -> tuple[int, int]:
    """(points saved, points in the sweep) of an output folder; (0, 0) if it holds no sweep."""
    try:
        total = int(json.loads(read_file(Path(out) / MANIFEST, "sweep manifest"))["points"])
    except (OSError, ValueError, KeyError, TypeError):  # missing, not a file, not a sweep.json
        return 0, 0
    return len(list((Path(out) / POINTS).glob("*.parquet"))), total
