"""Reliability: every impossible input refused in one line, no hang, no orphaned process, no two
runs mixed, no half-written output (the findings of the fuzzing pass, each reproduced here)."""

from __future__ import annotations

import copy
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import ROOT, SCENARIOS, SMALL, ipssim, write_yaml
from ipssim.experiments.runner import run_replication
from ipssim.experiments.workload import expected_clients
from ipssim.parallel import ClusterError, cluster
from ipssim.scenario.load import parse_scenario, read_scenario_data
from ipssim.scenario.schema import ScenarioError
from ipssim.validation import MAX_MESSAGE

BUNDLED = sorted(p.name for p in SCENARIOS.glob("*.yaml") if p.name != "finland_national.yaml")


# -- the fuzz test ------------------------------------------------------------------------------

def _paths(node: object, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value in nested dicts and lists."""
    if isinstance(node, dict):
        return [prefix] * bool(prefix) + [p for k, v in node.items() for p in _paths(v, (*prefix, k))]
    if isinstance(node, list):
        return [prefix] + [p for i, v in enumerate(node) for p in _paths(v, (*prefix, i))]
    return [prefix]


def _get(node: object, path: tuple) -> object:
    for part in path:
        node = node[part]
    return node


BAD_VALUES = st.sampled_from([math.inf, -math.inf, math.nan, -1, -1e9, 1e12, 10**30, 0, 0.0,
                              True, False, None, "abc", "", [], {}, [1, 2, 3], 1e-12, 2**63])


@st.composite
def mutated(draw) -> dict:
    """A bundled scenario (its data with base and calibration applied) with a few mutations:
    delete, retype, non-finite, huge, negative, reorder, duplicate."""
    data = copy.deepcopy(_bundled_data(draw(st.sampled_from(BUNDLED))))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        parent, key = _get(data, path[:-1]), path[-1]
        action = draw(st.sampled_from(["delete", "value", "scale", "duplicate", "reorder"]))
        if action == "delete" and isinstance(parent, dict):
            del parent[key]
        elif action == "scale" and isinstance(parent[key], int | float) and \
                not isinstance(parent[key], bool):
            parent[key] = parent[key] * draw(st.sampled_from([-1, 0, 1e-6, 1e6, 1.5]))
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        elif action == "reorder" and isinstance(parent, list):
            parent.reverse()
        else:
            parent[key] = draw(BAD_VALUES)
    return data


_CACHE: dict[str, dict] = {}


def _bundled_data(name: str) -> dict:
    if name not in _CACHE:
        from ipssim.scenario.load import scoped_values, with_values
        data = read_scenario_data(SCENARIOS / name)
        if isinstance(data.get("calibration"), str):
            values = yaml.safe_load((SCENARIOS / data["calibration"]).read_text())["values"]
            data = with_values(data, scoped_values(values, data.get("calibration_scope")))
            del data["calibration"]
        _CACHE[name] = data
    return _CACHE[name]


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(mutated())
def test_fuzzed_scenarios_are_refused_in_one_line_or_run_to_finite_outputs(data):
    try:
        scenario = parse_scenario(data)
    except ScenarioError as exc:
        message = str(exc)
        assert "\n" not in message and len(message) <= MAX_MESSAGE + 100, message
        return
    # Accepted: one replication with a short horizon runs, quickly, to finite outputs.
    short = {**scenario.model_dump(mode="python", exclude_none=True), "horizon_months": 3,
             "outcome_window_months": 3}
    for region in short["regions"]:
        region.pop("referral_months", None)
        region.pop("operating_months", None)
        region["staffing"] = [c for c in region.get("staffing", []) if c["month"] < 3]
        if region.get("budget_eur_per_year") is not None:
            for key in ("coaches", "team_leaders", "staffing"):
                region.pop(key, None)
    try:
        short_scenario = parse_scenario(short)
    except ScenarioError:
        return  # only a 3-month horizon is impossible for it (e.g. too few referrals)
    assume(expected_clients(short_scenario) <= 3000)
    started = time.process_time()
    result = run_replication(short_scenario, 1, 0)
    assert time.process_time() - started < 60
    for arm in ("ips", "usual"):
        for column, values in result.trajectories[arm].items():
            assert np.isfinite(values).all(), (arm, column)
        finite = [v for v in result.metrics[arm].values() if not math.isnan(v)]
        assert np.isfinite(finite).all() or any(math.isinf(v) for v in finite)


@pytest.mark.parametrize("name", BUNDLED)
def test_a_refused_mutation_is_one_line_and_exit_2_on_the_command_line(tmp_path, name):
    data = copy.deepcopy(_bundled_data(name))
    data["regions"][0]["fidelity"] = math.inf
    data["horizon_months"] = True
    done = ipssim("validate", write_yaml(tmp_path / "bad.yaml", data))
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "fidelity" in line and "horizon_months" in line and "Traceback" not in done.stderr


# -- findings, one by one ---------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("name: x\nname: y\n", "key 'name' given twice"),
    ("a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
     "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
     "aliases are expanded"),
    ("x: " + "[" * 50_000 + "]" * 50_000 + "\n", "nested too deeply"),
])
def test_yaml_traps_are_refused_quickly(tmp_path, text, expected):
    path = tmp_path / "trap.yaml"
    path.write_text(text)
    started = time.monotonic()
    done = ipssim("validate", path)
    assert time.monotonic() - started < 30
    assert done.returncode == 2 and expected in done.stderr
    assert len(done.stderr) < 1000 and "Traceback" not in done.stderr


@pytest.mark.parametrize("change,expected", [
    ({"regions": [SMALL["regions"][0], SMALL["regions"][0]]}, "names must be unique"),
    ({"outcome_window_months": 13}, "outcome_window_months: must be <= horizon_months"),
    ({"economics": {"price_year": -1}}, "price_year"),
    ({"economics": {"benefits": {"national_pension_eur": math.inf}}}, "finite number"),
    ({"clients": {"age": {"mean": math.nan}}}, "clients.age.mean"),
    ({"clients": {"age": {"min": -5.0}}}, "clients.age.min"),
    ({"name": "a/b"}, "name"),
    ({"coaching": {"review_interval_days": 1e-9}}, "review_interval_days"),
    ({"jobs": {"ips_offer_rate_per_month": math.inf}}, "ips_offer_rate_per_month"),
    ({"employability": {"heterogeneity_sd": math.inf}}, "heterogeneity_sd"),
])
def test_nonsense_that_used_to_pass_is_refused(change, expected):
    data = {**copy.deepcopy(SMALL), **change}
    with pytest.raises(ScenarioError, match=expected.replace("[", r"\[")):
        parse_scenario(data)


@pytest.mark.parametrize("region,expected", [
    ({"referral_months": [30, 0]}, "first < last"),
    ({"referral_months": [10, 10]}, "first < last"),
    ({"referral_months": [5, 600]}, "intake must end by the horizon"),
    ({"referrals_per_month": 1e-9}, "refers at least one client"),
    ({"referrals_per_month": 1e12}, "less than or equal to 10000"),
    ({"coaches": 1e12}, "valid integer"),
    ({"coaches": True}, "valid integer"),
    ({"staffing": [{"month": 3, "coaches": 2}, {"month": 3, "coaches": 1}]}, "strictly increasing"),
    ({"staffing": [{"month": 20, "coaches": 2}]}, "not before the horizon"),
    ({"staffing": [{"month": math.inf, "coaches": 2}]}, "finite number"),
    ({"operating_months": "abc", "budget_eur_per_year": [300_000], "coaches": None},
     "operating_months"),
    ({"budget_eur_per_year": [math.inf], "coaches": None}, "finite number"),
])
def test_region_fields_are_checked_against_each_other(region, expected):
    data = copy.deepcopy(SMALL)
    data["regions"][0].update(region)
    data["regions"][0] = {k: v for k, v in data["regions"][0].items() if v is not None}
    with pytest.raises(ScenarioError, match=expected):
        parse_scenario(data)


def test_calibration_values_must_be_paths_to_numbers(tmp_path):
    for values, expected in (({1: 2.0}, "values: keys must be parameter paths"),
                             ({"jobs": 1.0, "jobs.x": 2.0}, "jobs.x: 'jobs' is also given a value")):
        write_yaml(tmp_path / "cal.yaml", {"values": values})
        path = write_yaml(tmp_path / "s.yaml", {**SMALL, "calibration": "cal.yaml"})
        done = ipssim("validate", path)
        assert done.returncode == 2 and expected in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


def test_work_beyond_reason_is_refused_before_anything_runs(tmp_path):
    path = write_yaml(tmp_path / "small.yaml", SMALL)
    started = time.monotonic()
    done = ipssim("run", path, "--replications", str(2**70), "--out", tmp_path / "out")
    assert time.monotonic() - started < 30
    assert done.returncode == 2 and "client-replications; the limit is" in done.stderr
    assert not (tmp_path / "out").exists()


def test_more_workers_than_cores_are_capped_with_a_note(tmp_path):
    path = write_yaml(tmp_path / "small.yaml", SMALL)
    done = ipssim("run", path, "--replications", "2", "--workers", "999", "--out", tmp_path / "o")
    assert done.returncode == 0, done.stderr
    assert f"--workers 999 is more than the {len(os.sched_getaffinity(0))} cores" in done.stderr


def test_compare_refuses_scenarios_of_different_designs(tmp_path):
    a = write_yaml(tmp_path / "a.yaml", {**SMALL, "name": "a"})
    b = write_yaml(tmp_path / "b.yaml", {**SMALL, "name": "b", "horizon_months": 10})
    done = ipssim("compare", a, b, "--replications", "2", "--out", tmp_path / "out")
    assert done.returncode == 2
    assert "must share mode, horizon and outcome window" in done.stderr
    assert not (tmp_path / "out").exists()


def test_bad_scheduler_address_is_one_line(tmp_path):
    done = ipssim("sweep", ROOT / "tests" / "golden" / "sweep.yaml", "--scheduler", "not a url",
                  "--out", tmp_path / "out")
    assert done.returncode == 2 and "--scheduler: 'not a url' is not a Dask scheduler address" \
        in done.stderr
    assert not (tmp_path / "out").exists()


def _listening(reply: bytes | None) -> tuple[str, socket.socket]:
    """A loopback server that is not Dask: to each connection it sends ``reply`` (or nothing)
    and keeps it open."""
    listener = socket.create_server(("127.0.0.1", 0))
    held = []

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:  # closed by the test
                return
            held.append(connection)
            if reply is not None:
                connection.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    return f"tcp://127.0.0.1:{listener.getsockname()[1]}", listener


@pytest.mark.parametrize("reply", [
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n",
    bytes(range(256)) * 4,
    None,  # says nothing, as a web server waiting for a request line does
], ids=["http", "bytes", "silent"])
def test_a_scheduler_that_is_not_dask_is_one_line_within_seconds(tmp_path, reply):
    address, listener = _listening(reply)
    try:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "ipssim", "run", write_yaml(tmp_path / "s.yaml", SMALL),
             "--replications", "2", "--scheduler", address, "--out", tmp_path / "out"],
            capture_output=True, text=True, timeout=120)
        assert time.monotonic() - started < 100
    finally:
        listener.close()
    assert done.returncode == 2, done.stderr[-2000:]
    (line,) = done.stderr.strip().splitlines()
    assert f"--scheduler: {address} is not a Dask scheduler" in line
    assert not (tmp_path / "out").exists()


def test_an_unreachable_scheduler_is_one_line_within_seconds():
    closed = socket.create_server(("127.0.0.1", 0))
    address = f"tcp://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    started = time.monotonic()
    with pytest.raises(ClusterError, match=f"cannot reach a Dask scheduler at {address}"), \
            cluster(address):
        pass
    assert time.monotonic() - started < 15  # 5 s to connect, as Dask retries, then refused


# -- output places: claimed first, checked up front, cleaned after the dead ------------------------

def _slow_run(out: Path, *extra: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ipssim", "run", str(SCENARIOS / "finland_pilot.yaml"),
         "--replications", "400", "--out", str(out), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env=env)


def _wait_for(condition, seconds: float = 120, step: float = 0.1) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(step)


def test_a_second_run_into_the_same_place_is_refused_at_once(tmp_path):
    out = tmp_path / "out"
    first = _slow_run(out, "--workers", "1")
    try:
        _wait_for(lambda: (tmp_path / ".out.lock").exists())
        started = time.monotonic()
        done = ipssim("run", write_yaml(tmp_path / "s.yaml", SMALL), "--out", out)
        assert time.monotonic() - started < 30
        assert done.returncode == 2
        assert f"is being written by another ipssim (process {first.pid})" in done.stderr
    finally:
        os.killpg(first.pid, signal.SIGINT)
        first.communicate(timeout=60)
    assert not out.exists() and list(tmp_path.iterdir()) == [tmp_path / "s.yaml"]


def test_two_sweeps_into_one_folder_never_mix(tmp_path):
    other = yaml.safe_load((ROOT / "tests" / "golden" / "sweep.yaml").read_text())
    other["scenario"] = str(ROOT / "tests" / "golden" / "scenario.yaml")
    other["parameters"] = {"coaching.full_attention_caseload": {"low": 5, "high": 15}}
    other_path = write_yaml(tmp_path / "other.yaml", other)
    out = tmp_path / "mix-out"
    first = subprocess.Popen([sys.executable, "-m", "ipssim", "sweep",
                              str(ROOT / "sweeps" / "finland_pilot_one_way.yaml"), "--serial",
                              "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    try:
        _wait_for(lambda: (tmp_path / ".mix-out.lock").exists())
        second = ipssim("sweep", other_path, "--serial", "--out", out)
        assert second.returncode == 2 and "being written by another ipssim" in second.stderr
    finally:
        os.killpg(first.pid, signal.SIGINT)
        first.communicate(timeout=60)
    again = ipssim("sweep", other_path, "--serial", "--out", out)  # not finished, not mixed
    assert again.returncode == 2 and "holds another sweep" in again.stderr


def _spooled(pid: int, *folders: Path) -> bool:
    """Whether process ``pid`` has spooled replications: a nameless file it holds open in one
    of ``folders`` has data (or, as ipssim used to spool, a spool folder there has files)."""
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
            if target.endswith(" (deleted)") and any(target.startswith(f"{f}/") for f in folders) \
                    and fd.stat().st_size > 0:
                return True
        except OSError:  # closed meanwhile
            continue
    return any(any(f.glob("ipssim-spool-*/*")) for f in folders)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_signal_to_a_parallel_run_leaves_no_process_and_no_folder(tmp_path, sig):
    """Nothing is left in the temporary folder either: the spool is a nameless file beside the
    output place (a SIGKILL runs no code of the run's own, yet the kernel frees it)."""
    place, temporary = tmp_path / "place", tmp_path / "tmp"
    place.mkdir()
    temporary.mkdir()
    out = place / "out"
    run = _slow_run(out, "--workers", "2", env={**os.environ, "TMPDIR": str(temporary)})
    parent = psutil.Process(run.pid)
    _wait_for(lambda: _spooled(run.pid, place, temporary))  # replications under way
    workers = parent.children(recursive=True)
    assert len(workers) >= 2
    run.send_signal(sig)
    _, stderr = run.communicate(timeout=60)  # returns: no worker holds the pipes open
    _, alive = psutil.wait_procs(workers, timeout=20)
    assert not alive, [p.cmdline() for p in alive]
    assert "Traceback" not in stderr
    if sig == signal.SIGTERM:
        assert run.returncode == 143 and "terminated; nothing written" in stderr
    assert not out.exists()
    assert list(temporary.iterdir()) == []
    done = ipssim("run", write_yaml(place / "s.yaml", SMALL), "--replications", "2",
                  "--out", out)  # a rerun works and clears what the killed run left
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in place.iterdir()) == ["out", "s.yaml"]


def _workers(parent: int) -> list[tuple[int, int]]:
    """Each spawned worker of process ``parent``: its id, and what it does with Ctrl-C (0 not
    yet set up by Python, 1 Python raises KeyboardInterrupt, 2 ignored: set up as a worker)."""
    sigint = 1 << (signal.SIGINT - 1)
    found = []
    try:
        for child in psutil.Process(parent).children():
            if "spawn_main" in " ".join(child.cmdline()):
                status = dict(line.split(":", 1) for line in
                              Path(f"/proc/{child.pid}/status").read_text().splitlines())
                state = 2 if int(status["SigIgn"], 16) & sigint else \
                    1 if int(status["SigCgt"], 16) & sigint else 0
                found.append((child.pid, state))
    except (psutil.Error, OSError):  # a process ended meanwhile
        pass
    return found


def test_ctrl_c_while_workers_start_is_quiet(tmp_path):
    """Ctrl-C, as a terminal sends it, to the whole process group the moment the first worker
    exists, while the pool is still starting the others: no traceback from any process (one
    left without its start-up data by an interrupted parent prints one), nothing written."""
    out = tmp_path / "out"
    run = _slow_run(out, "--workers", "2")
    _wait_for(lambda: _workers(run.pid), step=0.005)
    os.killpg(run.pid, signal.SIGINT)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 130, stderr[-3000:]
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr[-3000:]
    assert list(tmp_path.iterdir()) == []


def test_a_worker_loading_python_does_not_die_of_ctrl_c(tmp_path):
    """A Ctrl-C that reaches a worker while it is still loading (Python's own handler in
    place, its set-up not yet run) is held until the worker ignores it: the worker lives on,
    quietly; the run then stops on a Ctrl-C to the whole group."""
    out = tmp_path / "out"
    run = _slow_run(out, "--workers", "2")
    try:
        _wait_for(lambda: any(state == 1 for _, state in _workers(run.pid)), step=0.005)
        worker = next(pid for pid, state in _workers(run.pid) if state == 1)
        os.kill(worker, signal.SIGINT)
        _wait_for(lambda: (worker, 2) in _workers(run.pid) or
                  worker not in [pid for pid, _ in _workers(run.pid)])
        assert (worker, 2) in _workers(run.pid), "the worker died of the Ctrl-C"
    finally:
        os.killpg(run.pid, signal.SIGINT)
        _, stderr = run.communicate(timeout=120)
    assert run.returncode == 130 and "Traceback" not in stderr, stderr[-3000:]
    assert list(tmp_path.iterdir()) == []


def test_stale_partial_folders_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".out.partial-{dead.pid}"
    stale.mkdir()
    (stale / "summary.csv").write_text("half")
    (tmp_path / ".out.lock").write_text(str(dead.pid))
    done = ipssim("run", write_yaml(tmp_path / "s.yaml", SMALL), "--replications", "2",
                  "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "s.yaml"]


@pytest.mark.parametrize("where", ["below_a_file", "dangling_link"])
def test_unusable_out_paths_are_one_line_before_any_work(tmp_path, where):
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "out"
    if where == "dangling_link":
        out = tmp_path / "link"
        out.symlink_to(tmp_path / "nowhere")
    done = ipssim("run", write_yaml(tmp_path / "s.yaml", SMALL), "--out", out)
    assert done.returncode == 2 and "--out:" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def _mount(tmp_path: Path, options: str) -> Path:
    """A small tmpfs (needs root and a kernel that allows it here); skipped with the reason."""
    point = tmp_path / "mnt"
    point.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a test file system needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    return point


@pytest.mark.parametrize("options,expected", [("size=2m", "MB free"),
                                              ("ro,size=2m", "cannot write in")])
def test_full_or_read_only_disk_is_one_line_and_leaves_nothing(tmp_path, options, expected):
    point = _mount(tmp_path, options)
    try:
        done = ipssim("run", write_yaml(tmp_path / "s.yaml", SMALL), "--replications", "2",
                      "--out", point / "out")
        assert done.returncode == 2 and expected in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
        assert list(point.iterdir()) == []
    finally:
        subprocess.run(["umount", str(point)], check=False)


def test_no_month_has_more_employed_than_ever_employed():
    """Jobs held at referral count in both (they used to count only in ``employed``)."""
    from ipssim.scenario.load import read_scenario_file

    scenario, _ = read_scenario_file(SCENARIOS / "finland_pilot.yaml")
    result = run_replication(scenario, 2, 0)
    for arm in ("ips", "usual"):
        t = result.trajectories[arm]
        assert (t["employed"] <= t["ever_employed"]).all()
        assert (t["employed_competitive"] <= t["ever_employed_competitive"]).all()
        assert (t["ever_employed_competitive"] <= t["ever_employed"]).all()
        assert (t["ever_employed"][1:] >= t["ever_employed"][:-1]).all()
