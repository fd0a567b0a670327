"""Shared helpers: small scenarios built in code, and paths to the bundled ones."""

from __future__ import annotations

import copy
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import IO

import yaml

from ipssim.scenario.load import parse_scenario
from ipssim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

SMALL = {
    "name": "small",
    "mode": "programme",
    "horizon_months": 12,
    "regions": [{"name": "A", "coaches": 2, "team_leaders": 1, "referrals_per_month": 6.0,
                 "employers": 20}],
}


def small_scenario(**changes: object) -> Scenario:
    """The small programme scenario, with top-level fields replaced by ``changes``."""
    data = copy.deepcopy(SMALL)
    data.update(changes)
    return parse_scenario(data)


def ipssim(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the real command line in a child process."""
    return subprocess.run([sys.executable, "-m", "ipssim", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def serve(workers: int, output: int | IO) -> tuple[subprocess.Popen, str]:
    """A real ``ipssim serve`` on a free port, and its address. ``output``: where its output
    goes (a file, or ``subprocess.PIPE``)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "ipssim", "serve", "--port", str(port),
                                "--workers", str(workers)], cwd=ROOT, stdout=output,
                               stderr=subprocess.STDOUT, text=True)
    return process, f"http://127.0.0.1:{port}/"


def wait_until_answering(process: subprocess.Popen, url: str, seconds: float,
                         output: Callable[[], str]) -> None:
    """Wait until the server at ``url`` answers; if it exits or ``seconds`` pass first, stop
    it and fail with its ``output()``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                raise AssertionError("ipssim serve did not start:\n" + output()) from None
            time.sleep(0.2)


def package_copy(folder: Path, change: str = "") -> Path:
    """A copy of the ipssim package in ``folder`` (not a git checkout, not installed), with
    ``change`` appended to its model; the folder to put on PYTHONPATH."""
    shutil.copytree(ROOT / "ipssim", folder / "ipssim",
                    ignore=shutil.ignore_patterns("__pycache__"))
    if change:
        with open(folder / "ipssim" / "model" / "pathway.py", "a") as source:
            source.write(change)
    return folder


def write_yaml(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def pytest_collection_modifyitems(items: list) -> None:
    """Test files with slow tests first (the most slow tests first), the others in their order:
    each of the two workers takes a file at a time (``--dist loadfile``), so the long files start
    early and the two workers end together, rather than one running the last long file alone."""
    slow = Counter(item.path for item in items if item.get_closest_marker("slow"))
    items.sort(key=lambda item: -slow[item.path])  # stable: each file's tests stay in order
