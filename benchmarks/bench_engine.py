"""Engine benchmark: prints one JSON line of throughput figures measured in one process.

    python benchmarks/bench_engine.py [--scenario FILE] [--scale 64] [--x1-replications N]
                                      [--scaled-replications M] [--national FILE]
                                      [--national-replications K]

Everything is timed in CPU time of this process (``time.process_time``), so that other work on a
shared machine slows the figures less than wall time would (it still costs caches and turbo).

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
  (both arms, accounting included), and its clients per replication.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import simpy

from ipssim.experiments.runner import run_replication
from ipssim.scenario.load import load_scenario
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/finland_pilot.yaml")
    parser.add_argument("--scale", type=int, default=64)
    parser.add_argument("--x1-replications", type=int, default=200)
    parser.add_argument("--scaled-replications", type=int, default=3)
    parser.add_argument("--national", default="scenarios/finland_national.yaml")
    parser.add_argument("--national-replications", type=int, default=1)
    args = parser.parse_args()
    scenario, _ = load_scenario(args.scenario)
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
    national, _ = load_scenario(args.national)
    national_s, national_clients = 0.0, 0
    for k in range(args.national_replications):
        s, n = timed(national, k)
        national_s += s
        national_clients += n
    print(json.dumps({
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
    }))


if __name__ == "__main__":
    main()
