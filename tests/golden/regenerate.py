"""Regenerate the golden back-test files: ``python tests/golden/regenerate.py``.

Run it only when a change is meant to move the numbers, and say so in the commit message. The
commands are the ones ``tests/test_golden.py`` runs; its docstring says what is pinned.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUN = ("run", HERE / "scenario.yaml", "--replications", "3", "--seed", "5", "--workers", "1")
SWEEP = ("sweep", HERE / "sweep.yaml", "--serial")
RUN_FILES = ("summary.csv", "summary_regions.csv", "net_effect.csv", "trajectories.parquet",
             "spells.parquet", "clients.parquet")
SWEEP_FILES = ("results.parquet",)


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
            shutil.copyfile(Path(tmp) / "sweep" / name, HERE / "sweep" / name)
    print(f"wrote {HERE}/run and {HERE}/sweep")


if __name__ == "__main__":
    main()
