"""Engine benchmark: prints one JSON line of throughput, memory and wall-time figures.

    python benchmarks/bench_engine.py [--scenario FILE] [--scale 64] [--x1-replications N]
                                      [--scaled-replications M] [--national FILE]
                                      [--national-replications K] [--memory-replications 4 40]
                                      [--national-run-replications 100] [--national-tables all]
                                      [--cluster-replications 60]

The throughput figures are timed in CPU time of this process (``time.process_time``), so that
other work on a shared machine slows them less than wall time would (it still costs caches and
turbo); the run figures at the end are wall time on all cores.

- ``clients_per_cpu_s_x1``: clients of the scenario (each simulated through both arms to the
  horizon, cohort draw, accounting and metrics included) per CPU-second;
- ``clients_per_cpu_s_xS``: the same with every region's referrals, cohort size, coaches, team
  leaders, staffing and employers multiplied by S (default 64);
- ``cpu_per_client_ratio``: CPU per client at xS over CPU per client at x1 (1.0 = linear cost).
  The x1 and xS replications are run interleaved, so that load from other work on the machine
  falls on both alike;
- ``simpy_events_per_s``: a bare ``yield env.timeout(1)`` loop in the same process, per CPU
  second, for the reader to normalise machines;
- ``national_cpu_s_per_replication``: CPU seconds of one replication of the national scenario
  (both arms, accounting included), and its clients per replication;
- ``peak_mb_<N>`` and ``memory_ratio``: peak resident memory (MB, a fresh process each) of a
  streamed run of N replications of the scenario x8 on 1 worker, written
  (``benchmarks/bench_memory.py``), and the ratio of the last N to the first;
- ``national_run_*``: ``ipssim run`` of the national scenario (``--national-run-replications``,
  ``--tables`` ``--national-tables``) on all cores as a child process: wall seconds, peak
  resident memory of the command and its workers together (sampled every 0.2 s) and of its
  largest process, and the size of the output folder;
- ``cluster_*``: the same replications of the scenario on local worker processes and on a Dask
  ``LocalCluster`` on this machine (as many single-threaded worker processes as cores, started
  beforehand, as an existing cluster is), wall seconds each, and ``cluster_overhead`` (cluster
  over local).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import simpy

from ipssim.experiments.runner import iterate_replications, run_replication
from ipssim.parallel import available_cores
from ipssim.scenario.load import read_scenario_file
from ipssim.scenario.schema import Scenario


def bare_simpy_events_per_s(events: int = 1_000_000) -> float:
    def ticker(env: simpy.Environment):
        for _ in range(events):
            yield env.timeout(1.0)

    env = simpy.Environment()
    env.process(ticker(env))
    start = time.process_time()
    env.run()
    return events / (time.process_time() - start)


def timed(scenario: Scenario, replication: int, seed: int = 1) -> tuple[float, int]:
    """CPU seconds and clients of one replication run in this process."""
    start = time.process_time()
    result = run_replication(scenario, seed, replication)
    return time.process_time() - start, len(result.clients["ips"]["client_id"])


def scaled(scenario: Scenario, factor: int) -> Scenario:
    """Every region's referrals, cohort, coaches, team leaders, staffing and employers x factor."""
    regions = []
    for r in scenario.regions:
        staffing = [c.model_copy(update={
            "coaches": c.coaches * factor,
            "team_leaders": None if c.team_leaders is None else c.team_leaders * factor})
            for c in r.staffing]
        regions.append(r.model_copy(update={
            "referrals_per_month": factor * r.referrals_per_month,
            "cohort_size": factor * r.cohort_size,
            "coaches": factor * r.coaches,
            "team_leaders": factor * r.team_leaders,
            "staffing": staffing,
            "employers": factor * r.employers}))
    return scenario.model_copy(update={"regions": regions})


def national_run(path: str, replications: int, tables: str) -> dict[str, float]:
    """``ipssim run`` of ``path`` on all cores in a child process: wall seconds, peak resident
    memory (MB) of the command and its workers together and of its largest process (sampled
    every 0.2 s), and the output folder's size (MB)."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out"
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "ipssim", "run", path, "--replications",
                                  str(replications), "--tables", tables, "--workers",
                                  str(available_cores()), "--out", str(out)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        watched = psutil.Process(child.pid)
        total = largest = 0
        while child.poll() is None:
            try:
                sizes = [p.memory_info().rss for p in (watched, *watched.children(recursive=True))]
            except psutil.Error:  # a process ended between listing and reading it
                sizes = []
            total, largest = max(total, sum(sizes)), max(largest, *sizes, 0)
            time.sleep(0.2)
        wall = time.perf_counter() - start
        if child.returncode:
            raise SystemExit(f"ipssim run {path} failed ({child.returncode})")
        size = sum(f.stat().st_size for f in out.iterdir())
    return {"wall_s": round(wall, 1), "peak_mb_total": round(total / 2**20),
            "peak_mb_largest_process": round(largest / 2**20), "output_mb": round(size / 2**20, 1)}


def cluster_overhead(scenario: Scenario, replications: int) -> dict[str, float]:
    """Wall seconds of ``replications`` of ``scenario`` on local worker processes and on a Dask
    LocalCluster with as many single-threaded worker processes (started beforehand), and their
    ratio."""
    from distributed import LocalCluster

    workers = available_cores()
    start = time.perf_counter()
    local = list(iterate_replications(scenario, 1, replications, workers))
    local_s = time.perf_counter() - start
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        start = time.perf_counter()
        remote = list(iterate_replications(scenario, 1, replications, workers,
                                           scheduler=cluster.scheduler_address))
        cluster_s = time.perf_counter() - start
    assert [r.metrics for r in remote] == [r.metrics for r in local], "cluster results differ"
    return {"local_s": round(local_s, 2), "cluster_s": round(cluster_s, 2),
            "overhead": round(cluster_s / local_s, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/finland_pilot.yaml")
    parser.add_argument("--scale", type=int, default=64)
    parser.add_argument("--x1-replications", type=int, default=200)
    parser.add_argument("--scaled-replications", type=int, default=3)
    parser.add_argument("--national", default="scenarios/finland_national.yaml")
    parser.add_argument("--national-replications", type=int, default=1)
    parser.add_argument("--memory-replications", type=int, nargs="*", default=[4, 40],
                        help="none to skip the memory figures")
    parser.add_argument("--national-run-replications", type=int, default=100,
                        help="0 to skip the national run")
    parser.add_argument("--national-tables", choices=("all", "summary"), default="all")
    parser.add_argument("--cluster-replications", type=int, default=60,
                        help="0 to skip the cluster figures")
    args = parser.parse_args()
    scenario, _ = read_scenario_file(args.scenario)
    big = scaled(scenario, args.scale)

    timed(scenario, 0)  # warm-up: imports, caches
    simpy_rate = bare_simpy_events_per_s()
    seconds = {"x1": 0.0, "xS": 0.0}
    clients = {"x1": 0, "xS": 0}
    per_block = max(args.x1_replications // max(args.scaled_replications, 1), 1)
    done = 0
    for k in range(args.scaled_replications):
        s, n = timed(big, k)
        seconds["xS"] += s
        clients["xS"] += n
        for _ in range(per_block):
            s, n = timed(scenario, done)
            seconds["x1"] += s
            clients["x1"] += n
            done += 1
    rate_1 = clients["x1"] / seconds["x1"]
    rate_s = clients["xS"] / seconds["xS"]
    national, _ = read_scenario_file(args.national)
    national_s, national_clients = 0.0, 0
    for k in range(args.national_replications):
        s, n = timed(national, k)
        national_s += s
        national_clients += n
    figures = {
        "scenario": scenario.name,
        "cores": os.cpu_count() or 1,
        "x1_replications": done,
        "x1_clients_per_replication": round(clients["x1"] / done),
        "clients_per_cpu_s_x1": round(rate_1),
        "scale": args.scale,
        "scaled_replications": args.scaled_replications,
        "scaled_clients_per_replication": round(clients["xS"] / args.scaled_replications),
        f"clients_per_cpu_s_x{args.scale}": round(rate_s),
        "cpu_per_client_ratio": round(rate_1 / rate_s, 3),
        "simpy_events_per_s": round(simpy_rate),
        "national_replications": args.national_replications,
        "national_clients_per_replication": round(national_clients
                                                  / max(args.national_replications, 1)),
        "national_cpu_s_per_replication": round(national_s
                                                / max(args.national_replications, 1), 2),
    }
    if args.memory_replications:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bench_memory import MEMORY_SCALE, streamed_peaks
        peaks = streamed_peaks(args.scenario, MEMORY_SCALE, args.memory_replications)
        figures |= {f"peak_mb_{n}": mb for n, mb in peaks.items()}
        figures["memory_ratio"] = round(peaks[args.memory_replications[-1]]
                                        / peaks[args.memory_replications[0]], 3)
    if args.cluster_replications:
        figures |= {f"cluster_{k}": v for k, v in
                    cluster_overhead(scenario, args.cluster_replications).items()}
    if args.national_run_replications:
        figures |= {"national_run_replications": args.national_run_replications,
                    "national_run_tables": args.national_tables,
                    "national_run_workers": available_cores()}
        figures |= {f"national_run_{k}": v for k, v in national_run(
            args.national, args.national_run_replications, args.national_tables).items()}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
