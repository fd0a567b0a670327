"""One execution backend for every command: `run`, `compare` and `size` on an existing Dask
cluster (a real scheduler and real worker processes on loopback) give the same bytes as on
local worker processes; workers that run other ipssim code are refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import SMALL, ipssim, package_copy, write_yaml

DASK = Path(sys.executable).parent / "dask"


@contextmanager
def dask_cluster(folder: Path, workers: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """The address of a Dask scheduler with ``workers`` single-threaded worker processes, whose
    environment is ``env`` (this one's if None)."""
    address_file = folder / "scheduler.json"
    options = dict(cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   start_new_session=True, env=env)
    head = subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
                             "--no-dashboard", "--scheduler-file", address_file], **options)
    processes = subprocess.Popen([DASK, "worker", "--scheduler-file", address_file,
                                  "--nworkers", str(workers), "--nthreads", "1", "--no-dashboard",
                                  "--host", "127.0.0.1"], **options)
    try:
        deadline = time.monotonic() + 120
        while not address_file.exists():
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        address = json.loads(address_file.read_text())["address"]
        from distributed import Client
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for process in (processes, head):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """The address of a Dask scheduler with two single-threaded worker processes."""
    with dask_cluster(tmp_path_factory.mktemp("cluster"), workers=2) as address:
        yield address


@pytest.mark.slow
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


def test_workers_running_other_code_are_refused(tmp_path):
    """Workers whose ipssim differs from this one by an uncommitted edit compute nothing."""
    code = package_copy(tmp_path / "changed", change="\nCHANGED = True\n")
    with dask_cluster(tmp_path, workers=1, env=os.environ | {"PYTHONPATH": str(code)}) as address:
        done = ipssim("run", write_yaml(tmp_path / "small.yaml", SMALL), "--scheduler", address,
                      "--out", tmp_path / "out")
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert f"the workers at {address} run ipssim 0+unknown (code " in line
    assert not (tmp_path / "out").exists()


def test_workers_running_the_same_code_under_another_version_compute(tmp_path):
    """The code decides, not the version string: a copy of this package outside git (version
    0+unknown, as a checkout with an edited README would be .dirty) gives the same rows."""
    code = package_copy(tmp_path / "same")
    small = write_yaml(tmp_path / "small.yaml", SMALL)
    with dask_cluster(tmp_path, workers=1, env=os.environ | {"PYTHONPATH": str(code)}) as address:
        done = ipssim("run", small, "--replications", "2", "--seed", "3", "--scheduler", address,
                      "--out", tmp_path / "cluster")
    assert done.returncode == 0, done.stderr
    local = ipssim("run", small, "--replications", "2", "--seed", "3", "--workers", "1",
                   "--out", tmp_path / "local")
    assert local.returncode == 0, local.stderr
    assert (tmp_path / "cluster" / "summary.csv").read_bytes() == \
        (tmp_path / "local" / "summary.csv").read_bytes()


def test_an_unreachable_cluster_is_one_line(tmp_path):
    done = ipssim("run", write_yaml(tmp_path / "small.yaml", SMALL), "--scheduler",
                  "tcp://127.0.0.1:9", "--out", tmp_path / "out")
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "cannot reach a Dask scheduler at tcp://127.0.0.1:9" in line
    assert not (tmp_path / "out").exists()
