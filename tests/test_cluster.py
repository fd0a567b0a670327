"""One execution backend for every command: `run`, `compare` and `size` on an existing Dask
cluster (a real scheduler and real worker processes on loopback) give the same bytes as on
local worker processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SMALL, ipssim, write_yaml

DASK = Path(sys.executable).parent / "dask"


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """The address of a Dask scheduler with two single-threaded worker processes."""
    folder = tmp_path_factory.mktemp("cluster")
    address_file = folder / "scheduler.json"
    options = dict(cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   start_new_session=True)
    head = subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
                             "--no-dashboard", "--scheduler-file", address_file], **options)
    workers = subprocess.Popen([DASK, "worker", "--scheduler-file", address_file,
                                "--nworkers", "2", "--nthreads", "1", "--no-dashboard",
                                "--host", "127.0.0.1"], **options)
    try:
        deadline = time.monotonic() + 120
        while not address_file.exists():
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        address = json.loads(address_file.read_text())["address"]
        from distributed import Client
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for process in (workers, head):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)


def test_run_compare_and_size_on_a_cluster_equal_local_processes(tmp_path, scheduler):
    small = write_yaml(tmp_path / "small.yaml", SMALL)
    capped = write_yaml(tmp_path / "capped.yaml",
                        {**SMALL, "name": "capped", "coaching": {"caseload_cap": 8}})
    for where, extra in (("local", ("--workers", "2")), ("cluster", ("--scheduler", scheduler))):
        for args in (("run", small, "--replications", "3"),
                     ("compare", small, capped, "--replications", "2"),
                     ("size", small, "--region", "A", "--max-wait-days", "20",
                      "--replications", "2")):
            out = tmp_path / where / (args[0] + (".csv" if args[0] == "size" else ""))
            done = ipssim(*args, "--seed", "3", *extra, "--out", out)
            assert done.returncode in (0, 1), done.stderr  # size: 1 if no headcount is enough
    for name in ("run/summary.csv", "run/trajectories.parquet", "run/spells.parquet",
                 "compare/comparison.csv", "size.csv"):
        assert (tmp_path / "cluster" / name).read_bytes() == \
            (tmp_path / "local" / name).read_bytes(), name


def test_an_unreachable_cluster_is_one_line(tmp_path):
    done = ipssim("run", write_yaml(tmp_path / "small.yaml", SMALL), "--scheduler",
                  "tcp://127.0.0.1:9", "--out", tmp_path / "out")
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "cannot reach a Dask scheduler at tcp://127.0.0.1:9" in line
    assert not (tmp_path / "out").exists()
