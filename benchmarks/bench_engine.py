"""Engine benchmark: prints one JSON line of throughput figures measured in one process.

    python benchmarks/bench_engine.py [--replications N] [--scenario FILE]

- ``model_events_per_s``: SimPy events per second over whole replications of the scenario (cohort
  draw, both arms, accounting and metrics included), on one core;
- ``simpy_events_per_s``: a bare ``yield env.timeout(1)`` loop in the same process;
- ``ratio``: model / bare SimPy (the model's overhead next to SimPy's own event loop);
- ``client_years_per_s``: client-years simulated (both arms) per second, on one core;
- ``reps_per_s_1_worker`` / ``reps_per_s_all_cores``: replications of the scenario per second
  through the Monte Carlo runner (process start-up included);
- ``doubling_*``: time for twice the referrals (and, for ``programme``, twice the coaches)
  divided by the time for the scenario as it is. The three are run replication by replication in
  turn and timed in CPU time, so that load from other work on the machine falls on all three alike
  (timed one after the other, minutes apart, the ratio swung between 1.6 and 2.2 for the same code
  on a shared 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import simpy

from ipssim.experiments.runner import run_replication, run_replications
from ipssim.model.simulation import horizon_days
from ipssim.scenario.load import load_scenario
from ipssim.scenario.schema import Scenario


def bare_simpy_events_per_s(events: int = 1_000_000) -> float:
    def ticker(env: simpy.Environment):
        for _ in range(events):
            yield env.timeout(1.0)

    env = simpy.Environment()
    env.process(ticker(env))
    start = time.perf_counter()
    env.run()
    return events / (time.perf_counter() - start)


def replications_timed(scenario: Scenario, replications: int, seed: int = 1) -> tuple[float, int, float]:
    """Seconds, events and client-years for replications run one after the other in-process."""
    events, client_days = 0, 0.0
    start = time.perf_counter()
    for k in range(replications):
        result = run_replication(scenario, seed, k)
        events += result.events
        for arm in ("ips", "usual"):
            referral = result.clients[arm]["referral_day"]
            client_days += float(np.sum(horizon_days(scenario) - referral))
    return time.perf_counter() - start, events, client_days / 365.25


def doubling_time_ratios(scenario: Scenario, replications: int, seed: int = 1
                         ) -> tuple[float, float]:
    """CPU time of twice the referrals, and of twice the referrals and coaches, over the time of
    the scenario as it is: the same replications of each, run in turn."""
    variants = (scenario, scaled(scenario, coaches_too=False), scaled(scenario, coaches_too=True))
    seconds = [0.0] * len(variants)
    for k in range(replications):
        for i, variant in enumerate(variants):
            start = time.process_time()
            run_replication(variant, seed, k)
            seconds[i] += time.process_time() - start
    return seconds[1] / seconds[0], seconds[2] / seconds[0]


def scaled(scenario: Scenario, coaches_too: bool) -> Scenario:
    regions = [r.model_copy(update={"referrals_per_month": 2 * r.referrals_per_month,
                                    "cohort_size": 2 * r.cohort_size,
                                    "coaches": 2 * r.coaches if coaches_too else r.coaches})
               for r in scenario.regions]
    return scenario.model_copy(update={"regions": regions})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/finland_pilot.yaml")
    parser.add_argument("--replications", type=int, default=40)
    args = parser.parse_args()
    scenario, _ = load_scenario(args.scenario)
    n = args.replications
    cores = os.cpu_count() or 1

    replications_timed(scenario, 2)  # warm-up: imports, caches
    simpy_rate = bare_simpy_events_per_s()
    seconds, events, client_years = replications_timed(scenario, n)
    start = time.perf_counter()
    run_replications(scenario, 1, n, 1)
    one = n / (time.perf_counter() - start)
    start = time.perf_counter()
    run_replications(scenario, 1, n * cores, cores)
    many = n * cores / (time.perf_counter() - start)
    double_referrals, double_programme = doubling_time_ratios(scenario, n)
    print(json.dumps({
        "scenario": scenario.name,
        "replications": n,
        "cores": cores,
        "model_events_per_s": round(events / seconds),
        "simpy_events_per_s": round(simpy_rate),
        "ratio": round(events / seconds / simpy_rate, 3),
        "client_years_per_s": round(client_years / seconds),
        "reps_per_s_1_worker": round(one, 2),
        "reps_per_s_all_cores": round(many, 2),
        "parallel_speedup": round(many / one, 2),
        "doubling_referrals_time_ratio": round(double_referrals, 2),
        "doubling_programme_time_ratio": round(double_programme, 2),
    }))


if __name__ == "__main__":
    main()
