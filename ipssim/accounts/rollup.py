"""Results per region: each region's clients, spells, team and costs accounted on their own.

A region's history is the arm's history restricted to the clients referred there (renumbered
from 0 for the accounting), its team's caseload and staffing traces, and a scenario holding that
region alone, so the same accounting and metrics give its trajectories and summary. Additive
quantities (clients, money) summed over regions give the totals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ipssim.accounts.ledger import client_ledger, monthly_sums, trajectories
from ipssim.accounts.metrics import arm_metrics, incremental_metrics, net_effect_by_month, replication_metrics
from ipssim.model.simulation import ArmHistory
from ipssim.scenario.schema import Scenario
from ipssim.vocabulary import ARMS


@dataclass
class Accounts:
    """Both arms' monthly trajectories, the replication's metrics and its monthly net effect."""

    trajectories: dict[str, dict[str, np.ndarray]]
    metrics: dict[str, dict[str, float]]
    net_effect: dict[str, np.ndarray]


def account(scenario: Scenario, histories: dict[str, ArmHistory],
            sums: dict[str, dict[str, np.ndarray]] | None = None) -> Accounts:
    """Trajectories and metrics of both arms from their histories (and each arm's
    :func:`~ipssim.accounts.ledger.monthly_sums` if already at hand)."""
    traj = {arm: trajectories(histories[arm], scenario, arm, None if sums is None else sums[arm])
            for arm in ARMS}
    per_arm = {arm: arm_metrics(histories[arm].clients, traj[arm], scenario, arm) for arm in ARMS}
    incremental = incremental_metrics(traj["ips"], traj["usual"], per_arm)
    return Accounts(traj, replication_metrics(per_arm, incremental),
                    net_effect_by_month(traj["ips"], traj["usual"]))


def account_replication(scenario: Scenario, histories: dict[str, ArmHistory]
                        ) -> tuple[Accounts, list[Accounts]]:
    """The accounts of a replication and of each of its regions (in scenario order).

    The client ledger (clients x months, a few hundred bytes a client-month) is built one region
    at a time, and the totals continue each region's sums where the region before left them
    (:func:`~ipssim.accounts.ledger.monthly_sums`), so the totals are the same floats as from
    one ledger of every client while only the largest region's ledger is in memory."""
    if len(scenario.regions) == 1:
        totals = account(scenario, histories)
        return totals, [totals]
    running: dict[str, dict[str, np.ndarray] | None] = {arm: None for arm in ARMS}
    regions = []
    for r in range(len(scenario.regions)):
        alone = region_scenario(scenario, r)
        own = {arm: region_history(h, r) for arm, h in histories.items()}
        sums = {}
        for arm in ARMS:
            ledger = client_ledger(own[arm], alone, arm)
            sums[arm] = monthly_sums(ledger, arm)
            running[arm] = monthly_sums(ledger, arm, running[arm])
            del ledger
        regions.append(account(alone, own, sums))
    return account(scenario, histories, running), regions  # type: ignore[arg-type]


def region_scenario(scenario: Scenario, region: int) -> Scenario:
    """The scenario with only one of its regions (for accounting that region alone)."""
    return scenario.model_copy(update={"regions": [scenario.regions[region]]})


def region_history(history: ArmHistory, region: int) -> ArmHistory:
    """An arm's history restricted to one region, its clients renumbered 0, 1, ..."""
    clients, spells = history.clients, history.spells
    mine = clients["region"] == region
    renumbered = np.full(len(mine), -1, dtype=np.int64)
    renumbered[mine] = np.arange(int(mine.sum()))
    kept = mine[spells["client_id"]]
    own_spells = {name: column[kept] for name, column in spells.items()}
    own_spells["client_id"] = renumbered[spells["client_id"][kept]]
    own_clients = {name: column[mine] for name, column in clients.items()}
    own_clients["client_id"] = renumbered[mine]
    teams = slice(region, region + 1)
    requeued = history.requeues[:, 0].astype(np.int64)
    requeues = history.requeues[mine[requeued]]
    requeues[:, 0] = renumbered[requeued[mine[requeued]]]
    return ArmHistory(own_clients, own_spells, history.caseload_traces[teams],
                      history.staffing_traces[teams], 0, requeues)
