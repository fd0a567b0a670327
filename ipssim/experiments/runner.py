"""Monte Carlo runner: replications in parallel local processes, results in replication order.

Every random stream of replication ``k`` derives from ``(seed, k)`` alone, and results are
gathered in replication order, so the outputs are bit-identical whatever the number of workers.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ipssim.accounts.ledger import client_ledger
from ipssim.accounts.rollup import Accounts, account, accounts_by_region
from ipssim.model.simulation import draw_cohort, simulate_arm
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


def default_workers() -> int:
    return os.cpu_count() or 1


def iterate_replications(scenario: Scenario, seed: int, replications: int,
                         workers: int) -> Iterator[ReplicationResult]:
    """Replications 0..n-1 on ``workers`` processes, yielded in replication order.

    The worker processes are started here, before the caller starts any threads (such as a
    progress display), so forking never copies a lock held by another thread.
    """
    if workers <= 1 or replications <= 1:
        return (run_replication(scenario, seed, k) for k in range(replications))
    # One replication per task (~0.1 s each) keeps every worker busy to the end and lets an
    # interrupted run stop within a replication or two.
    pool = worker_pool(min(workers, replications))
    results = pool.map(run_replication, [scenario] * replications, [seed] * replications,
                       range(replications))
    return _drain(pool, results)


def worker_pool(workers: int, **options) -> ProcessPoolExecutor:
    """A process pool whose workers leave Ctrl-C to the parent.

    Ctrl-C reaches every process of the terminal's group. A worker interrupted while it holds the
    pool's queue lock would leave the others blocked and the shutdown hanging; instead the parent
    alone stops (cancelling queued work) and the workers exit after their current replication.
    """
    return ProcessPoolExecutor(max_workers=workers, initializer=_ignore_interrupts, **options)


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _drain(pool: ProcessPoolExecutor,
           results: Iterator[ReplicationResult]) -> Iterator[ReplicationResult]:
    try:
        yield from results
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def run_replications(scenario: Scenario, seed: int, replications: int,
                     workers: int) -> list[ReplicationResult]:
    """All replications, in replication order."""
    return list(iterate_replications(scenario, seed, replications, workers))


def run_with_progress(scenario: Scenario, seed: int, replications: int,
                      workers: int) -> list[ReplicationResult]:
    """``run_replications`` with a progress bar on stderr (quiet when stderr is not a terminal)."""
    pending = iterate_replications(scenario, seed, replications, workers)
    results = []
    with progress_bar(f"{scenario.name}: replications", replications) as (progress, task):
        for result in pending:
            results.append(result)
            progress.advance(task)
    return results


@contextmanager
def progress_bar(description: str, total: int | None = None) -> Iterator[tuple[Progress, TaskID]]:
    """A progress bar on stderr, silent when stderr is not a terminal."""
    console = Console(file=sys.stderr)
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
        yield progress, progress.add_task(description, total=total)
