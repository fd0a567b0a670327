"""Sweep benchmark: prints one JSON line of PSA throughput on the embedded Dask cluster.

    python benchmarks/bench_sweep.py [--draws N] [--full-draws M] [--replications R]

- ``points_per_s_1_worker`` / ``points_per_s_<W>_workers``: PSA draws of
  ``scenarios/finland_pilot_uncertainty.yaml`` (each ``R`` replications of both arms, common
  random numbers) completed per second on a local cluster of 1 and of all cores' workers; the
  cluster's start-up is left out, the analysis and report too;
- ``parallel_efficiency``: the rate on W workers over W times the rate on 1;
- ``full_psa_wall_seconds``: with ``--full-draws M``, the end-to-end wall time of an M-draw PSA
  on all cores (cluster start-up, runs, analysis and report), as a user would see it.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from ipssim.reports.sweep import write_sweep_report
from ipssim.sweep.evaluators import ScenarioEvaluator
from ipssim.sweep.run import run_sweep
from ipssim.sweep.spec import parse_sweep

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "finland_pilot_uncertainty.yaml"


def psa(draws: int, replications: int) -> object:
    return parse_sweep({"kind": "psa", "scenario": str(SCENARIO), "draws": draws,
                        "replications": replications, "seed": 20261122})


def points_per_s(evaluator: ScenarioEvaluator, draws: int, replications: int, workers: int) -> float:
    with tempfile.TemporaryDirectory() as out:
        result = run_sweep(psa(draws, replications), evaluator, Path(out), workers=workers)
    return result.computed / result.wall_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=40)
    parser.add_argument("--full-draws", type=int, default=0)
    parser.add_argument("--replications", type=int, default=10)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    evaluator = ScenarioEvaluator(SCENARIO)
    one = points_per_s(evaluator, args.draws, args.replications, 1)
    many = points_per_s(evaluator, args.draws, args.replications, cores)
    figures = {"draws": args.draws, "replications_per_draw": args.replications,
               "points_per_s_1_worker": round(one, 3), f"points_per_s_{cores}_workers": round(many, 3),
               "parallel_efficiency": round(many / (cores * one), 3)}
    if args.full_draws:
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            run_sweep(psa(args.full_draws, args.replications), evaluator, Path(out), workers=cores,
                      report=write_sweep_report)
            figures |= {"full_psa_draws": args.full_draws,
                        "full_psa_wall_seconds": round(time.perf_counter() - start, 1)}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
