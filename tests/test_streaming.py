"""Streamed runs: each replication's client and spell tables go to disk as it finishes, and the
run's tables and files are those of a run held in memory."""

from __future__ import annotations

import filecmp
import gc
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import ipssim
from conftest import SCENARIOS
from ipssim.experiments.runner import SpooledTables


def test_streamed_run_equals_in_memory_run(tmp_path):
    scenario = ipssim.load_scenario(SCENARIOS / "finland_pilot.yaml")
    streamed = ipssim.run(scenario, replications=3, seed=5)
    held = ipssim.run(scenario, replications=3, seed=5, stream=False)
    assert all(isinstance(r.clients, SpooledTables) for r in streamed.replications)
    assert not isinstance(held.replications[0].clients, SpooledTables)
    assert streamed.clients.equals(held.clients)
    assert streamed.spells.equals(held.spells)
    assert streamed.trajectories.equals(held.trajectories)
    assert streamed.summary.equals(held.summary)
    for arm in ("ips", "usual"):
        for name, values in held.replications[1].clients[arm].items():
            np.testing.assert_array_equal(streamed.replications[1].clients[arm][name], values)
    streamed.write(tmp_path / "streamed")
    held.write(tmp_path / "held")
    for name in ("clients.parquet", "spells.parquet", "trajectories.parquet", "summary.csv",
                 "regions.parquet", "net_effect.csv", "spending.csv"):
        assert filecmp.cmp(tmp_path / "streamed" / name, tmp_path / "held" / name,
                           shallow=False), name


def spooled(pid: int | str, folder: Path) -> list[int]:
    """Sizes of the nameless files (a spool) that process ``pid`` holds open in ``folder``."""
    sizes = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
            if target.startswith(f"{folder}/") and target.endswith(" (deleted)"):
                sizes.append(fd.stat().st_size)
        except OSError:  # closed meanwhile
            continue
    return sizes


def test_spool_is_a_nameless_file_closed_with_the_result():
    scenario = ipssim.load_scenario(SCENARIOS / "finland_pilot.yaml")
    folder = Path(tempfile.gettempdir())
    before = spooled("self", folder)
    result = ipssim.run(scenario, replications=1, seed=5)
    assert len(spooled("self", folder)) == len(before) + 1
    assert max(spooled("self", folder)) > 10_000
    del result
    gc.collect()
    assert len(spooled("self", folder)) == len(before)


def test_interrupted_streamed_run_leaves_no_folder_and_no_spool(tmp_path):
    """Ctrl-C in the middle of a streamed run: no output folder (complete-looking or not) and
    nothing spooled left (the spool is a nameless file beside the output place, not in the
    temporary folder)."""
    spool = tmp_path / "tmp"
    spool.mkdir()
    out = tmp_path / "runs"
    out.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "ipssim", "run", str(SCENARIOS / "finland_pilot.yaml"),
         "--replications", "500", "--workers", "1", "--out", str(out / "run")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, "TMPDIR": str(spool)})
    deadline = time.monotonic() + 120
    while not any(spooled(process.pid, out)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert process.poll() is None, "the run ended before it could be interrupted"
    assert any(spooled(process.pid, out)), "nothing was spooled"
    os.killpg(process.pid, signal.SIGINT)
    process.communicate(timeout=120)
    assert process.returncode != 0
    assert list(out.iterdir()) == []
    assert list(spool.iterdir()) == []
