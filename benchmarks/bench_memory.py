"""Memory benchmark: peak resident memory of a run and its written outputs, by replications.

    python benchmarks/bench_memory.py [--scenario FILE] [--scale 8] [--replications 4 40]

Each figure is one fresh process running ``ipssim.run(scenario, N, workers=1).write(folder)``
(streamed, the default, and held in memory, ``stream=False``) on the scenario with every
region's referrals, cohort, coaches, team leaders and employers multiplied by ``scale``; its
peak resident set size (``ru_maxrss`` of the child) is printed as one JSON line, in MB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CHILD = """
import sys, tempfile
sys.path.insert(0, {bench!r})
from bench_engine import scaled
import ipssim
scenario = scaled(ipssim.load_scenario({scenario!r}), {scale})
with tempfile.TemporaryDirectory() as folder:
    ipssim.run(scenario, {n}, seed=1, workers=1, stream={stream}).write(folder + "/out")
"""


MEMORY_SCALE = 8
"""The scenario's multiplier for the memory figures (``finland_pilot`` x8: about 3,600 clients)."""


def streamed_peaks(scenario: str, scale: int, replications: list[int]) -> dict[int, float]:
    """Peak MB of a streamed run (the default) of each number of replications."""
    return {n: round(_isolated(scenario, scale, n, True), 1) for n in replications}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/finland_pilot.yaml")
    parser.add_argument("--scale", type=int, default=MEMORY_SCALE)
    parser.add_argument("--replications", type=int, nargs="+", default=[4, 40])
    args = parser.parse_args()
    out: dict[str, object] = {"scenario": args.scenario, "scale": args.scale}
    for stream in (True, False):
        for n in args.replications:
            key = f"peak_mb_{'streamed' if stream else 'in_memory'}_{n}"
            out[key] = round(_isolated(args.scenario, args.scale, n, stream), 1)
    first, last = args.replications[0], args.replications[-1]
    out["streamed_ratio"] = round(out[f"peak_mb_streamed_{last}"]
                                  / out[f"peak_mb_streamed_{first}"], 3)
    out["in_memory_ratio"] = round(out[f"peak_mb_in_memory_{last}"]
                                   / out[f"peak_mb_in_memory_{first}"], 3)
    print(json.dumps(out))


def _isolated(scenario: str, scale: int, n: int, stream: bool) -> float:
    """Peak of one child, measured by a grandchild-free wrapper so that every figure is its own
    (``RUSAGE_CHILDREN`` keeps the largest child so far)."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    child = CHILD.format(bench=str(Path(__file__).resolve().parent), scenario=scenario,
                         scale=scale, n=n, stream=stream)
    result = subprocess.run([sys.executable, "-c", code, sys.executable, "-c", child],
                            check=True, capture_output=True, text=True)
    return int(result.stdout.split()[-1]) / 1024


if __name__ == "__main__":
    main()
