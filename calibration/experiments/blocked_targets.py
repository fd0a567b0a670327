"""Why some targets stay out of reach and why a parameter sits on a bound: one-way profiles
around the calibrated values (issue 16, point 4; issue 26: JOB-08's 3-month band, OUT-C5 at 60
months and the experience effect).

Each profile moves one fitted parameter over its search range with every other parameter at its
calibrated value, runs the two observation scenarios on the same replications (common random
numbers, as the fit does) and prints the targets it moves, the objective, and how many targets
are fitted (within their tolerance or 2 published SEs). Run from the repository root:

    python calibration/experiments/blocked_targets.py [--calibrated calibration/calibrated.yaml]
        [--replications 16] [--workers 2] [--out calibration/experiments/blocked_targets.md]

The output (a Markdown file) is what the README's "How good is the model" quotes.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from ipssim.calibration.calibrated import load_start
from ipssim.calibration.result import fitted
from ipssim.calibration.run import Evaluator
from ipssim.calibration.spec import load_spec
from ipssim.parallel import worker_pool

ROOT = Path(__file__).resolve().parents[2]
SHOWN = {  # column title: target
    "FIN-01": "fin_any_transition_share", "FIN-03": "fin_competitive_share",
    "TTJ-01": "fin_days_to_first_transition_mean", "TTJ-02": "fin_days_to_first_paid_mean",
    "JOB-02 other": "fin_mix_other", "<1m all": "fin_ended_under_1m_all",
    "<1m paid": "fin_ended_under_1m_paid", "<3m all": "fin_ended_under_3m_all",
    "JOB-07 mean": "fin_ended_tenure_mean", "JOB-09": "fin_running_share",
    "OUT-C5 diff": "rct_long_ever_competitive_difference",
}
PROFILES = {  # parameter: values (None: 7 points over its search range, on its search scale)
    "jobs.other_share": None,
    "jobs.work_trials_from_day": None,
    "jobs.ips_offer_rate_per_month": None,
    "coaching.end_rate_searching_per_month": None,
    "jobs.trial_route_rate_per_month": [0.0, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6],
    "jobs.paid_fragile_share": [0.05, 0.15, 0.25, 0.35, 0.5],
    "jobs.tenure_days_fragile": None,
    "jobs.tenure_scale_days_other": None,
    "jobs.tenure_shape_other": None,
    "employability.experience_effect": [0.0, 0.25, 0.5, 1.0, 2.0],
}
JOINT = {  # paid fragile share against longer work trials of a set length (Weibull shape 4)
    "jobs.paid_fragile_share": [0.05, 0.25, 0.4],
    "jobs.tenure_scale_days_other": [15.0, 45.0, 75.0],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrated", default=str(ROOT / "calibration/calibrated.yaml"))
    parser.add_argument("--replications", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", default=str(ROOT / "calibration/experiments/blocked_targets.md"))
    args = parser.parse_args()
    spec = load_spec(ROOT / "calibration/targets.yaml", ROOT / "calibration/parameters.yaml")
    best = spec.defaults() | load_start(args.calibrated, spec)
    points: list[tuple[str, str, dict[str, float]]] = [("calibrated", "", best)]
    for name, values in PROFILES.items():
        p = spec.parameters[name]
        grid = values if values is not None else [
            spec.from_unit(np.where(np.array(spec.names) == name, u, spec.to_unit(best)))[name]
            for u in np.linspace(0.0, 1.0, 7)]
        points += [(name, f"{v:.4g}", best | {name: float(v)}) for v in grid
                   if p.low <= v <= p.high]
    for share in JOINT["jobs.paid_fragile_share"]:
        for scale in JOINT["jobs.tenure_scale_days_other"]:
            points.append(("fragile share x trial scale (shape 4)", f"{share:g} x {scale:g} d",
                           best | {"jobs.paid_fragile_share": share,
                                   "jobs.tenure_scale_days_other": scale,
                                   "jobs.tenure_shape_other": 4.0}))
    started = time.time()
    with worker_pool(args.workers) as pool:
        evaluations = Evaluator(spec, args.seed, pool).evaluate([v for _, _, v in points],
                                                                args.replications)
    lines = [f"# Profiles around {Path(args.calibrated).name} (seed {args.seed}, "
             f"{args.replications} replications per point, {len(points)} points, "
             f"{time.time() - started:.0f} s)", "",
             "Published: " + ", ".join(f"{title} {spec.targets[t].value:g}"
                                       for title, t in SHOWN.items()), "",
             "FIN-01 - FIN-03 (clients whose only transitions are work trials): published 0.10",
             "",
             "| parameter | value | FIN-01 | FIN-03 | FIN-01 - FIN-03 | "
             + " | ".join(list(SHOWN)[2:]) + " | objective | fitted |",
             "|---|---|" + "---|" * (len(SHOWN) + 3)]
    for (name, value, _), ev in zip(points, evaluations, strict=True):
        n_fitted = sum(fitted(t, ev.mean.get(k, np.nan)) for k, t in spec.targets.items())
        cells = [f"{ev.mean[t]:.3g}" for t in SHOWN.values()]
        cells.insert(2, f"{ev.mean[SHOWN['FIN-01']] - ev.mean[SHOWN['FIN-03']]:.3f}")
        lines.append(f"| {name} | {value} | " + " | ".join(cells)
                     + f" | {ev.objective:.1f} | {n_fitted}/{len(spec.targets)} |")
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
