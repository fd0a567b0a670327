"""Regenerate the golden back-test files: ``python tests/golden/regenerate.py``.

Run it only when a change is meant to move the numbers, and say so in the commit message. The
commands are the ones ``tests/test_golden.py`` runs; its docstring says what is pinned.
The version follows git, so the sweep's ``ipssim_version`` column is stored as
:data:`PINNED_VERSION` here and set to it in what the test produces (:func:`pin_version`).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ipssim.files import write_parquet

HERE = Path(__file__).resolve().parent
RUN = ("run", HERE / "scenario.yaml", "--replications", "3", "--seed", "5", "--workers", "1")
SWEEP = ("sweep", HERE / "sweep.yaml", "--serial")
RUN_FILES = ("summary.csv", "summary_regions.csv", "net_effect.csv", "trajectories.parquet",
             "spells.parquet", "clients.parquet")
SWEEP_FILES = ("results.parquet",)
PINNED_VERSION = "0.1.0"


def pin_version(path: Path) -> None:
    """Set the ``ipssim_version`` column of the Parquet file at ``path`` to
    :data:`PINNED_VERSION`, rewritten with the outputs' own writer (the other bytes unchanged)."""
    table = pq.read_table(path)
    column = table.schema.get_field_index("ipssim_version")
    pinned = pa.array([PINNED_VERSION] * table.num_rows, pa.string())
    write_parquet(path, table.set_column(column, table.schema.field(column), pinned))


def ipssim(*args: object) -> None:
    subprocess.run([sys.executable, "-m", "ipssim", *map(str, args)], check=True,
                   capture_output=True, timeout=600)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ipssim(*RUN, "--out", Path(tmp) / "run")
        ipssim(*SWEEP, "--out", Path(tmp) / "sweep")
        for name in RUN_FILES:
            shutil.copyfile(Path(tmp) / "run" / name, HERE / "run" / name)
        for name in SWEEP_FILES:
            pin_version(Path(tmp) / "sweep" / name)
            shutil.copyfile(Path(tmp) / "sweep" / name, HERE / "sweep" / name)
    print(f"wrote {HERE}/run and {HERE}/sweep")


if __name__ == "__main__":
    main()
