"""Same scenario and seed give bit-identical files, whatever the number of workers; an
interrupted run leaves no folder behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import SCENARIOS
from ipssim.experiments.runner import run_replication
from ipssim.scenario.load import read_scenario_file
from ipssim.scenario.schema import StaffingChange

DATA_FILES = ("trajectories.parquet", "trajectories.csv", "clients.parquet", "spells.parquet", "summary.csv",
              "report.html")


def run(out, *extra):
    done = subprocess.run([sys.executable, "-m", "ipssim", "run",
                           str(SCENARIOS / "finland_pilot.yaml"), "--replications", "5",
                           "--seed", "11", "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.slow
def test_same_seed_identical_files_for_1_and_2_workers(tmp_path):
    first = run(tmp_path / "a", "--workers", "1")
    again = run(tmp_path / "b", "--workers", "1")
    parallel = run(tmp_path / "c", "--workers", "2")
    for name in DATA_FILES:
        reference = (first / name).read_bytes()
        assert (again / name).read_bytes() == reference, name
        assert (parallel / name).read_bytes() == reference, name
    manifests = [json.loads((d / "manifest.json").read_text()) for d in (first, again, parallel)]
    stable = [{k: v for k, v in m.items() if k not in ("created", "wall_seconds", "workers")}
              for m in manifests]
    assert stable[0] == stable[1] == stable[2]


def test_different_seed_differs(tmp_path):
    scenario, _ = read_scenario_file(SCENARIOS / "finland_pilot.yaml")
    a = run_replication(scenario, 1, 0).trajectories["ips"]["employed"]
    b = run_replication(scenario, 2, 0).trajectories["ips"]["employed"]
    assert not np.array_equal(a, b)


def test_common_random_numbers_share_clients_across_arms():
    scenario, _ = read_scenario_file(SCENARIOS / "finland_pilot.yaml")
    result = run_replication(scenario, 3, 0)
    ips, usual = result.clients["ips"], result.clients["usual"]
    for column in ("referral_day", "age", "employability", "main_activity"):
        np.testing.assert_array_equal(ips[column], usual[column])


def test_interrupted_run_leaves_no_folder(tmp_path):
    """Ctrl-C to the whole group once the run is under way (its folder claimed: the lock beside
    it exists), however long the machine took to get there."""
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "ipssim", "run", str(SCENARIOS / "finland_pilot.yaml"),
         "--replications", "500", "--workers", "2", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (tmp_path / ".out.lock").exists():
        assert process.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline, "the run did not claim its folder"
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be interrupted"
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode != 0
    assert "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []


def test_deferred_employer_contacts_equal_weekly_contact_events():
    """A team whose posts never change leaves its weekly employer contacts to the market, which
    makes them when it next reads the relationships; a staffing change after the horizon keeps
    the weekly events instead. Both give the same histories, bit for bit."""
    scenario, _ = read_scenario_file(SCENARIOS / "finland_pilot.yaml")
    later = scenario.horizon_months + 1
    weekly = scenario.model_copy(update={"regions": [
        r.model_copy(update={"staffing": [StaffingChange(month=later, coaches=r.coaches)]})
        for r in scenario.regions]})
    for replication in range(2):
        deferred, eager = (run_replication(s, 5, replication) for s in (scenario, weekly))
        assert eager.events > deferred.events  # the weekly events did run
        for arm in ("ips", "usual"):
            for table in ("clients", "spells"):
                mine, theirs = getattr(deferred, table)[arm], getattr(eager, table)[arm]
                assert mine.keys() == theirs.keys()
                for column in mine:
                    assert np.array_equal(mine[column], theirs[column], equal_nan=True) \
                        if mine[column].dtype.kind == "f" else \
                        np.array_equal(mine[column], theirs[column]), (arm, table, column)


def test_a_region_runs_the_same_alone_as_beside_the_others():
    """Regions share no state, which is what lets the engine run an arm region by region on a
    clock each: a region's clients and spells are the same, bit for bit, with the other regions
    simulated or left out."""
    scenario, _ = read_scenario_file(SCENARIOS / "finland_pilot.yaml")
    assert len(scenario.regions) > 1
    alone = scenario.model_copy(update={"regions": scenario.regions[:1]})
    beside, single = run_replication(scenario, 5, 1), run_replication(alone, 5, 1)
    for arm in ("ips", "usual"):
        ours = beside.clients[arm]["region"] == 0
        ids = beside.clients[arm]["client_id"][ours]
        assert ids.size > 50 and np.array_equal(ids, single.clients[arm]["client_id"])
        spells = np.isin(beside.spells[arm]["client_id"], ids)
        assert spells.sum() > 20
        for table, rows in (("clients", ours), ("spells", spells)):
            for column, values in getattr(single, table)[arm].items():
                mine = getattr(beside, table)[arm][column][rows]
                assert np.array_equal(mine, values, equal_nan=values.dtype.kind == "f"), \
                    (arm, table, column)
