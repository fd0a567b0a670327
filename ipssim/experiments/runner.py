"""Monte Carlo runner: replications in parallel local processes (:mod:`ipssim.parallel`), results
in replication order.

Every random stream of replication ``k`` derives from ``(seed, k)`` alone, and results are
gathered in replication order, so the outputs are bit-identical whatever the number of workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ipssim.accounts.ledger import client_ledger
from ipssim.accounts.rollup import Accounts, account, accounts_by_region
from ipssim.model.simulation import draw_cohort, simulate_arm
from ipssim.parallel import ordered_map
from ipssim.progress import Update
from ipssim.scenario.schema import Scenario
from ipssim.vocabulary import ARMS


@dataclass
class ReplicationResult:
    """Both arms of one replication: tables per arm, scalar metrics, and events processed."""

    replication: int
    trajectories: dict[str, dict[str, np.ndarray]]
    clients: dict[str, dict[str, np.ndarray]]
    spells: dict[str, dict[str, np.ndarray]]
    metrics: dict[str, dict[str, float]]
    net_effect: dict[str, np.ndarray]
    """Discounted net money of IPS against usual services by month, per perspective."""
    staffing_traces: list[np.ndarray]
    """Per region: (day, coaches in post, team leaders, coaches hired so far) at every change."""
    regions: list[Accounts]
    """Per region, in scenario order: its own trajectories, metrics and net effect."""
    events: int


def run_replication(scenario: Scenario, seed: int, replication: int) -> ReplicationResult:
    """Draw the shared cohort once, simulate both arms on it, and account for each."""
    cohort = draw_cohort(scenario, seed, replication)
    histories = {arm: simulate_arm(scenario, cohort, arm, seed, replication) for arm in ARMS}
    ledgers = {arm: client_ledger(h, scenario, arm) for arm, h in histories.items()}
    totals = account(scenario, histories, ledgers)
    return ReplicationResult(
        replication, totals.trajectories, {arm: h.clients for arm, h in histories.items()},
        {arm: h.spells for arm, h in histories.items()}, totals.metrics, totals.net_effect,
        histories["ips"].staffing_traces, accounts_by_region(scenario, histories, ledgers, totals),
        sum(h.events for h in histories.values()))


def net_effects(results: list[ReplicationResult]) -> dict[str, np.ndarray]:
    """Every replication's monthly net effect, per perspective (replications x months)."""
    return {view: np.stack([r.net_effect[view] for r in results]) for view in results[0].net_effect}


def iterate_replications(scenario: Scenario, seed: int, replications: int,
                         workers: int, scheduler: str | None = None
                         ) -> Iterator[ReplicationResult]:
    """Replications 0..n-1 on ``workers`` processes (or the Dask cluster at ``scheduler``),
    yielded in replication order."""
    return ordered_map(run_replication, [scenario] * replications, [seed] * replications,
                       range(replications), workers=workers, scheduler=scheduler)


def run_replications(scenario: Scenario, seed: int, replications: int, workers: int,
                     progress: Update | None = None, scheduler: str | None = None
                     ) -> list[ReplicationResult]:
    """All replications, in replication order; ``progress(done, total)`` after each."""
    results = []
    for result in iterate_replications(scenario, seed, replications, workers, scheduler):
        results.append(result)
        if progress:
            progress(len(results), replications)
    return results
