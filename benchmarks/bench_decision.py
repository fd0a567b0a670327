"""Decision benchmark: prints one JSON line of the two waits a planner sees on the workbench.

    python benchmarks/bench_decision.py [--workers W] [--replications R] [--draws D]
                                        [--skip-standard] [--skip-decision]

- ``standard_wall_s``: the workbench's standard run (``ipssim.planner.REPLICATIONS["standard"]``,
  40 replications) of ``scenarios/finland_ten_counties.yaml`` as the page runs it
  (``ipssim.run`` on ``W`` workers, its client tables streamed), then its headline and its
  charts: from the call to the answer on screen;
- ``decision_wall_s``: a decision run with parameter uncertainty: the ten counties at 3, 5 and
  8 M EUR a year (the workbench's "total a year, split by demand"), ``D`` draws (one a
  replication, the same draws for the three options) on ``W`` workers, summary tables only, with
  progress printed to stderr as it goes;
- ``load_before`` / ``load_after``: the machine's 1-minute load average at the start and the
  end of each, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import ipssim

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SCENARIO = SCENARIOS / "finland_ten_counties.yaml"
UNCERTAIN = SCENARIOS / "finland_ten_counties_uncertainty.yaml"
"""The same counties with the distributions the decision run draws from."""
BUDGETS = (3_000_000, 5_000_000, 8_000_000)


def load() -> float:
    return round(os.getloadavg()[0], 2)


def progress(label: str):
    start = time.perf_counter()

    def update(done: int, total: int | None) -> None:
        print(f"\r{label}: {done} of {total} ({time.perf_counter() - start:.0f} s)", end="",
              file=sys.stderr, flush=True)
        if total and done == total:
            print(file=sys.stderr)
    return update


def standard(workers: int, replications: int) -> dict:
    scenario = ipssim.load_scenario(SCENARIO)
    before = load()
    start = time.perf_counter()
    result = ipssim.run(scenario, replications, workers=workers,
                        progress=progress("standard run"))
    result.headline()
    result.figures()
    return {"standard_replications": replications,
            "standard_wall_s": round(time.perf_counter() - start, 1),
            "standard_load_before": before, "standard_load_after": load()}


def decision(workers: int, draws: int) -> dict:
    base = ipssim.load_scenario(UNCERTAIN)
    options = []
    for total in BUDGETS:
        planned = ipssim.planned_scenario(base, ipssim.Levers(budget_mode="total",
                                                             budget_eur_per_year=total))
        options.append(ipssim.with_changes(planned, {}, name=f"ten_counties_{total // 10**6}M"))
    before = load()
    start = time.perf_counter()
    ipssim.compare(options, draws, workers=workers, tables="summary",
                   parameter_uncertainty=True, progress=progress("decision run"))
    return {"decision_options": len(options), "decision_draws": draws,
            "decision_wall_s": round(time.perf_counter() - start, 1),
            "decision_load_before": before, "decision_load_after": load()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--replications", type=int, default=40)
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--skip-standard", action="store_true")
    parser.add_argument("--skip-decision", action="store_true")
    args = parser.parse_args()
    figures = {"scenario": SCENARIO.stem, "cores": os.cpu_count(), "workers": args.workers}
    if not args.skip_standard:
        figures |= standard(args.workers, args.replications)
    if not args.skip_decision:
        figures |= decision(args.workers, args.draws)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
