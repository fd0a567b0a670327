"""Coach headcount sizing: the smallest team that keeps a region's waiting list short.

A region is sized by running the whole scenario with candidate headcounts in that region (each
with one team leader per ``coaches_per_full_time_leader`` coaches, rounded up; STF-04), a fixed
headcount over the horizon. Every candidate runs the same replications from the same seed, so
all candidates see the same referrals and the same luck (common random numbers): the other
regions are identical across candidates, and differences between candidates come from the
sized region alone.

More coaches never lengthen waits, so the search evaluates the current headcount, doubles (or
bisects downward) until it brackets the answer, then bisects: about 2 log2(answer) evaluations,
never a sweep over every headcount.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from ipssim.experiments.capacity import place_days
from ipssim.experiments.runner import ReplicationResult, run_replications
from ipssim.model.coaches import follow_along_weight
from ipssim.model.simulation import close_day
from ipssim.money.funding import team_leaders_for
from ipssim.progress import Update
from ipssim.scenario.edits import editable, edited
from ipssim.scenario.load import parse_scenario
from ipssim.scenario.schema import Scenario, ScenarioError
from ipssim.stats import band95
from ipssim.vocabulary import MONTH_DAYS

# Default upper bound of the search: a region can rarely fund more (override: max_coaches).
MAX_COACHES = 1000


@dataclass(frozen=True)
class Option:
    """One candidate headcount and what it gives (means over replications)."""

    coaches: int
    team_leaders: int
    wait_quantile_days: float
    """The quantile of waiting time pooled over every referral of the region in every
    replication; ``wait_lo95``/``wait_hi95`` are the 2.5th/97.5th percentiles of the
    per-replication quantiles."""
    wait_lo95: float
    wait_hi95: float
    waited_share: float
    """Share of the region's referrals that waited at all."""
    utilisation: float
    """Place-days in IPS (a day in work with the coach at the follow-along weight) over coaches x
    caseload cap x the days the region operates."""
    mean_caseload: float
    """Weighted clients per coach on average while the region operates (utilisation x caseload
    cap)."""
    max_caseload: float
    """The largest weighted caseload of any coach of the region in any replication: above the
    cap only through follow-along clients whose job ended going back to a whole place with the
    same coach (nobody is admitted above it)."""
    cost_eur_per_year: float
    """The region's programme cost (staff, training, fidelity reviews; not discounted) per year
    it operates."""
    additional_employed: float
    """Additional people ever in competitive work among the region's referrals (IPS against
    usual services)."""
    net_public_eur_pv: float
    """Discounted net effect of the region's IPS on the public purse over the horizon."""
    feasible: bool
    """The upper end of the 95% interval of the wait quantile is at most the maximum: the
    recommendation's rule (the cap holds by construction: nobody is admitted above it)."""
    feasible_point: bool
    """The point estimate of the wait quantile is at most the maximum (the answer without the
    allowance for Monte Carlo and referral luck)."""


def region_index(scenario: Scenario, name: str) -> int:
    """The index of the region called ``name``, ignoring case (names are unique ignoring case);
    a one-line error naming the allowed names."""
    names = [region.name.casefold() for region in scenario.regions]
    if name.casefold() not in names:
        raise ScenarioError(f"--region: unknown region {name[:100]!r}; allowed: "
                            f"{', '.join(region.name for region in scenario.regions)}")
    return names.index(name.casefold())


def candidate(scenario: Scenario, region: int, coaches: int) -> Scenario:
    """The scenario with a fixed headcount of ``coaches`` (and its team leaders) in ``region``."""
    data = editable(scenario)
    data["regions"][region] = edited(data["regions"][region], {
        "coaches": coaches, "team_leaders": team_leaders_for(coaches, scenario.economics),
        "staffing": []})
    return parse_scenario(data)


def waits(results: list[ReplicationResult], scenario: Scenario, region: int) -> list[np.ndarray]:
    """Waiting times of the region's referrals in each replication: to the start of coaching;
    to leaving the list for those who abandoned or met the programme's close; to the horizon
    (a lower bound) for those still waiting then.

    Only referrals made while the region operates count: one made after its close is turned
    away on the day, and its zero wait would make the waiting list look shorter than it was.
    A client's later referrals (``coaching.re_referral_rate_per_month``, 0 by default) are not
    among them yet: a replication's result keeps each client's first referral only.
    """
    horizon = scenario.horizon_months * MONTH_DAYS
    close = close_day(scenario, region)
    out = []
    for result in results:
        c = result.clients["ips"]
        mine = (c["region"] == region) & (c["referral_day"] < close)
        end = np.where(np.isnan(c["start_day"]), c["exit_day"], c["start_day"])
        end = np.where(np.isnan(end), horizon, end)
        out.append((end - c["referral_day"])[mine])
    return out


def utilisation(results: list[ReplicationResult], scenario: Scenario, region: int) -> float:
    """Place-days in IPS (:func:`ipssim.experiments.capacity.place_days`) over the places the
    region offers while it operates."""
    r = scenario.regions[region]
    assert r.coaches is not None  # a validated region has a headcount (a budget gives one)
    horizon = scenario.horizon_months * MONTH_DAYS
    close = min(horizon, close_day(scenario, region))
    places = r.coaches * scenario.coaching.caseload_cap * close
    weight = follow_along_weight(scenario.coaching)
    used = []
    for result in results:
        c = result.clients["ips"]
        started = (c["region"] == region) & ~np.isnan(c["start_day"])
        days = place_days(c, result.spells["ips"], weight, close)
        used.append(np.sum(days[started]))
    return float(np.mean(used)) / places


def measure_option(scenario: Scenario, region: int, coaches: int, max_wait_days: float,
                   quantile: float, seed: int, replications: int, workers: int,
                   scheduler: str | None = None) -> Option:
    """Run the candidate headcount and measure it."""
    sized = candidate(scenario, region, coaches)
    results = run_replications(sized, seed, replications, workers, scheduler=scheduler)
    per_replication = waits(results, sized, region)
    pooled = np.concatenate(per_replication)
    point = float(np.quantile(pooled, quantile)) if len(pooled) else 0.0
    spread = [np.quantile(w, quantile) for w in per_replication if len(w)]
    lo, hi = band95(spread) if spread else (0.0, 0.0)
    largest = max(r.regions[region].metrics["ips"]["max_caseload"] for r in results)

    def mean(arm: str, metric: str) -> float:
        return float(np.mean([r.regions[region].metrics[arm][metric] for r in results]))

    operating = sized.closing_month(sized.regions[region]) or sized.horizon_months
    used = utilisation(results, sized, region)
    return Option(
        coaches=coaches, team_leaders=sized.regions[region].team_leaders,
        wait_quantile_days=point, wait_lo95=float(lo), wait_hi95=float(hi),
        waited_share=float(np.mean(pooled > 0)) if len(pooled) else 0.0,
        utilisation=used, mean_caseload=used * scenario.coaching.caseload_cap,
        max_caseload=float(largest),
        cost_eur_per_year=mean("ips", "programme_cost_eur") / (operating / 12),
        additional_employed=mean("difference", "additional_employed_competitive_by_horizon"),
        net_public_eur_pv=mean("difference", "net_public_eur_pv"),
        feasible=float(hi) <= max_wait_days,
        feasible_point=point <= max_wait_days)


def size(scenario: Scenario, region: int, max_wait_days: float, quantile: float, seed: int,
         replications: int, workers: int, max_coaches: int = MAX_COACHES,
         progress: Update | None = None, scheduler: str | None = None
         ) -> tuple[list[Option], Option | None, Option | None]:
    """Every option tried (by headcount), the smallest whose wait is short enough at the upper
    end of its 95% interval (the recommendation) and the smallest whose point estimate is, each
    with at most ``max_coaches`` coaches (None if even ``max_coaches`` are not enough)."""
    if scenario.mode != "programme":
        raise ScenarioError("size: only programme mode has a waiting list to size "
                            f"(got mode {scenario.mode!r})")
    tried: dict[int, Option] = {}

    def measured(coaches: int) -> Option:
        if coaches not in tried:
            tried[coaches] = measure_option(scenario, region, coaches, max_wait_days, quantile,
                                            seed, replications, workers, scheduler)
            if progress:
                progress(len(tried), None)
        return tried[coaches]

    staffed = scenario.regions[region].coaches
    assert staffed is not None  # a validated region has a headcount (a budget gives one)
    start = min(staffed, max_coaches)
    sure = _smallest(lambda c: measured(c).feasible, start, max_coaches)
    point = _smallest(lambda c: measured(c).feasible_point, sure or start, max_coaches)
    return (sorted(tried.values(), key=lambda o: o.coaches),
            None if sure is None else tried[sure], None if point is None else tried[point])


def _smallest(enough: Callable[[int], bool], start: int, most: int) -> int | None:
    """The smallest headcount from 1 to ``most`` for which ``enough`` holds (it holds for every
    larger one): from ``start``, double (or bisect downward) until bracketed, then bisect."""
    too_few, known = 0, None  # largest headcount known too small, smallest known enough
    if enough(start):
        known = start
    else:
        too_few = start
        while known is None and too_few < most:
            trial = min(2 * too_few, most)
            if enough(trial):
                known = trial
            else:
                too_few = trial
    if known is None:
        return None
    while known - too_few > 1:
        middle = (too_few + known) // 2
        if enough(middle):
            known = middle
        else:
            too_few = middle
    return known


def option_rows(options: list[Option]) -> dict[str, list]:
    """The options as columns (for the CSV)."""
    rows = [asdict(option) for option in options]
    return {name: [row[name] for row in rows] for name in rows[0]}
