"""A prototype of the mechanism the blocked targets ask for, outside the model: a route into
work trials for IPS clients who have not had a paid job, at a rate that does not scale with
employability (trials arranged by the coach or the services for those furthest from work).

Not part of ipssim: this script replaces ``Pathway._coaching`` in its own process only, with a
copy of it (as of the commit that adds this file) in which, while a client has had no paid job
and may take a work trial (BAR-04), a second offer clock runs at ``route`` per month, and an
offer from it is a work trial. Everything else is the calibrated model. It shows whether such a
route moves FIN-01 (any transition) away from FIN-03 (paid jobs) and TTJ-01 away from TTJ-02 as
the data do, and at what cost to the other targets; a real implementation would be fitted
with the rest. Run from the repository root (one process, the patch is not in the workers):

    python calibration/experiments/trial_route.py [--calibrated calibration/calibrated.yaml]
        [--replications 16] [--out calibration/experiments/trial_route.md]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from ipssim.calibration.calibrated import load_start
from ipssim.calibration.result import fitted
from ipssim.calibration.run import Evaluator
from ipssim.calibration.spec import load_spec
from ipssim.model import pathway as model
from ipssim.model.jobs import draw_spell, earnings_cap
from ipssim.model.streams import JOB
from ipssim.vocabulary import MONTH_DAYS

ROOT = Path(__file__).resolve().parents[2]
SHOWN = {"FIN-01": "fin_any_transition_share", "FIN-03": "fin_competitive_share",
         "TTJ-01": "fin_days_to_first_transition_mean", "TTJ-02": "fin_days_to_first_paid_mean",
         "JOB-02 other": "fin_mix_other", "<1m all": "fin_ended_under_1m_all",
         "<1m paid": "fin_ended_under_1m_paid", "JOB-07 mean": "fin_ended_tenure_mean",
         "JOB-09": "fin_running_share", "COA-01 mean": "fin_coaching_days_mean"}
ROUTE = {"per_day": 0.0, "after_days": 0.0}
"""The trial route's rate (per day) and the days in IPS after which it opens, for the runs of
this process."""


def coaching_with_trial_route(self, client, team, market, engaged_at):
    """``Pathway._coaching`` with the trial route (the lines marked ROUTE differ)."""
    env = self.env
    close = team.close_day
    paid_rate = self.ips_rate * client.baseline.employability
    while True:
        now = env.now
        job = self._current_job(client)
        if job is not None:
            support_end = self._end_clock(client, self.end_working_rate)
            if job.end_day <= min(support_end, close):
                yield env.timeout(job.end_day - now)
                self._job_over(client)
                continue
            yield env.timeout(min(support_end, close) - now)
            return "completed" if support_end < close else "programme_closed"
        # ROUTE: from ROUTE["after_days"] in IPS, while no paid job so far, trials come on a
        # clock of their own as well (a search stops at the switch to add it)
        eligible = (math.isnan(client.first_competitive_job_day)
                    and client.baseline.work_trials_allowed and ROUTE["per_day"] > 0)
        switch = client.start_day + ROUTE["after_days"] if eligible else math.inf
        route = ROUTE["per_day"] if eligible and now >= switch else 0.0
        rate = paid_rate + route
        dropout_at = now + self._clock(client, self.dropout_rate)
        ended_at = self._end_clock(client, self.end_searching_rate)
        deadline = min(dropout_at, ended_at, close)
        stop = min(deadline, switch) if now < switch else deadline  # ROUTE
        offered = False
        if now < engaged_at:
            yield env.timeout(min(engaged_at, stop) - now)
            if engaged_at < stop:
                offered = yield from self._search(client, rate, team, stop)
        else:
            offered = yield from self._search(client, rate, team, stop)
        if not offered:
            if stop < deadline:  # ROUTE: the route opens; search on with it
                continue
            if deadline == close:
                return "programme_closed"
            return "dropout" if deadline == dropout_at else "ended"
        if route and client.luck.uniform(JOB) < route / rate:  # ROUTE: the offer is a trial
            trial_hire(self, client, market)
        else:
            self._try_hire(client, market, client.coach.index, in_ips=True)


def trial_hire(self, client, market):
    """``Pathway._try_hire`` for a work trial from the route."""
    employer = market.match(client.luck, client.coach.index)
    if employer is None:
        return
    now = self.env.now
    spell = draw_spell(client.client_id, client.luck, self.jobs, "other", now, employer, True,
                       earnings_cap_eur=earnings_cap(client.baseline, self.jobs,
                                                     self.earnings_limit))
    client.job = spell
    self.spells.append(spell)
    if math.isnan(client.first_job_day):
        client.first_job_day = now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrated", default=str(ROOT / "calibration/calibrated.yaml"))
    parser.add_argument("--replications", type=int, default=16)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", default=str(ROOT / "calibration/experiments/trial_route.md"))
    args = parser.parse_args()
    spec = load_spec(ROOT / "calibration/targets.yaml", ROOT / "calibration/parameters.yaml")
    best = spec.defaults() | load_start(args.calibrated, spec)
    other = best["jobs.other_share"]
    # (route per month, days before it opens, work trials' share of the ordinary offers, work
    # trials of a set length: Weibull scale 60 days, shape 4, instead of the fitted tenure)
    grid = [(0.0, 0.0, other, False), (0.0, 0.0, other, True)] + [
        (r, d, s, fixed) for r in (0.1, 0.2) for d in (0.0, 120.0) for s in (other, 0.2)
        for fixed in (False, True)]
    model.Pathway._coaching = coaching_with_trial_route
    evaluator = Evaluator(spec, args.seed, None)
    rows, started = [], time.time()
    for route, after, share, fixed in grid:
        ROUTE["per_day"], ROUTE["after_days"] = route / MONTH_DAYS, after
        values = best | {"jobs.other_share": share}
        if share != other:  # keep the paid types in their fitted proportion
            values["jobs.subsidised_share"] = best["jobs.subsidised_share"] * (1 - share) / (1 - other)
        if fixed:
            values |= {"jobs.tenure_scale_days_other": 60.0, "jobs.tenure_shape_other": 4.0}
        (ev,) = evaluator.evaluate([values], args.replications)
        rows.append((route, after, share, fixed, ev))
    lines = [f"# Trial route prototype around {Path(args.calibrated).name} (seed {args.seed}, "
             f"{args.replications} replications per point, {time.time() - started:.0f} s)", "",
             "Published: " + ", ".join(f"{t} {spec.targets[n].value:g}" for t, n in SHOWN.items())
             + "; FIN-01 - FIN-03 0.10", "",
             "| route per month | opens after (days) | other_share | set-length trials | FIN-01 | "
             "FIN-03 | FIN-01 - FIN-03 | " + " | ".join(list(SHOWN)[2:]) + " | objective | fitted |",
             "|---|---|---|---|" + "---|" * (len(SHOWN) + 3)]
    for route, after, share, fixed, ev in rows:
        m = ev.mean
        cells = [f"{m[n]:.3g}" for n in SHOWN.values()]
        cells.insert(2, f"{m[SHOWN['FIN-01']] - m[SHOWN['FIN-03']]:.3f}")
        n_fitted = sum(fitted(t, m.get(k, np.nan)) for k, t in spec.targets.items())
        lines.append(f"| {route:g} | {after:g} | {share:.3g} | {'yes' if fixed else 'no'} | "
                     + " | ".join(cells)
                     + f" | {ev.objective:.1f} | {n_fitted}/{len(spec.targets)} |")
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
