"""Same-time A/B of a national replication's CPU cost between two checkouts of ipssim.

    git worktree add /tmp/before <commit>
    python benchmarks/ab_national.py /tmp/before . [--pairs 3] [--replications 2]

Each pair starts one process per checkout at the same time (on two cores, one each, so a busy
machine slows both alike). A process imports ipssim from its own checkout, runs a warm-up
replication of that checkout's ``scenarios/finland_national.yaml``, then times
``--replications`` more with ``time.process_time`` (what ``bench_engine.py``'s
``national_cpu_s_per_replication`` times). Prints one JSON line: each pair's CPU seconds a
replication for both, each pair's ratio (after / before) and their mean.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CHILD = """
import sys, time
tree, replications = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, tree)
import ipssim
assert ipssim.__file__.startswith(tree), ipssim.__file__
from ipssim.experiments.runner import run_replication
from ipssim.scenario.load import read_scenario_file
scenario, _ = read_scenario_file(tree + "/scenarios/finland_national.yaml")
run_replication(scenario, 1, 0)
start = time.process_time()
for k in range(1, replications + 1):
    run_replication(scenario, 1, k)
print((time.process_time() - start) / replications)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--replications", type=int, default=2)
    args = parser.parse_args()
    trees = [str(tree.resolve()) for tree in (args.before, args.after)]
    pairs = []
    for _ in range(args.pairs):
        children = [subprocess.Popen([sys.executable, "-c", CHILD, tree, str(args.replications)],
                                     stdout=subprocess.PIPE, text=True) for tree in trees]
        before, after = (float(child.communicate()[0]) for child in children)
        pairs.append({"before_cpu_s": round(before, 2), "after_cpu_s": round(after, 2),
                      "ratio": round(after / before, 3)})
    print(json.dumps({"before": trees[0], "after": trees[1], "pairs": pairs,
                      "mean_ratio": round(sum(p["ratio"] for p in pairs) / len(pairs), 3)}))


if __name__ == "__main__":
    main()
