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
from ipssim.accounts.subgroups import client_totals
from ipssim.model.simulation import ArmHistory
from ipssim.money import rules
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
    per_arm = {arm: arm_metrics(histories[arm].clients, traj[arm], scenario, arm,
                                histories[arm].returns) for arm in ARMS}
    incremental = incremental_metrics(traj["ips"], traj["usual"], per_arm)
    return Accounts(traj, replication_metrics(per_arm, incremental),
                    net_effect_by_month(traj["ips"], traj["usual"]))


BLOCK_CLIENTS = 4096
"""Clients whose ledger is built at once: consecutive regions are accounted together up to this
many (a larger region alone), so a small scenario builds one ledger and a national one never
holds more than a block's (a ledger costs a few hundred bytes a client-month, and each ledger
a fixed few milliseconds of numpy calls)."""


def account_replication(scenario: Scenario, histories: dict[str, ArmHistory],
                        per_client: dict[str, list[dict[str, np.ndarray]]] | None = None
                        ) -> tuple[Accounts, list[Accounts]]:
    """The accounts of a replication and of each of its regions (in scenario order); with
    ``per_client``, each arm's :func:`~ipssim.accounts.subgroups.client_totals` of every block
    of clients are appended to it, in client order (for the subgroups).

    The client ledger is built a block of regions at a time (:data:`BLOCK_CLIENTS`); each region
    sums its rows of its block's ledger, and the totals continue each block's sums where the
    block before left them (:func:`~ipssim.accounts.ledger.monthly_sums`), so every float is the
    same as from one ledger of every client."""
    discount = rules.discount_factors(scenario.horizon_months, scenario.economics)
    if len(scenario.regions) == 1:
        sums = None
        if per_client is not None:
            sums = {}
            for arm in ARMS:
                ledger = client_ledger(histories[arm], scenario, arm)
                per_client.setdefault(arm, []).append(client_totals(ledger, discount))
                sums[arm] = monthly_sums(ledger, arm)
        totals = account(scenario, histories, sums)
        return totals, [totals]
    region_of = histories["ips"].clients["region"]
    if np.any(np.diff(region_of) < 0):
        raise ValueError("clients must be numbered region by region (simulation.draw_cohort)")
    counts = np.bincount(region_of, minlength=len(scenario.regions)).tolist()
    running: dict[str, dict[str, np.ndarray] | None] = {arm: None for arm in ARMS}
    regions = []
    for block in _blocks(counts):
        first, last = block[0], block[-1] + 1
        rows = slice(sum(counts[:first]), sum(counts[:last]))
        region_sums: list[dict[str, dict[str, np.ndarray]]] = [{} for _ in block]
        for arm in ARMS:
            whole = first == 0 and last == len(counts)
            ledger = client_ledger(histories[arm] if whole else
                                   _subset(histories[arm], rows, slice(first, last)), scenario, arm)
            start = 0
            for i, r in enumerate(block):
                region_sums[i][arm] = monthly_sums(ledger, arm, slice(start, start + counts[r]))
                start += counts[r]
            running[arm] = monthly_sums(ledger, arm, before=running[arm])
            if per_client is not None:
                per_client.setdefault(arm, []).append(client_totals(ledger, discount))
            del ledger
        for i, r in enumerate(block):
            regions.append(account(region_scenario(scenario, r),
                                   {arm: region_history(h, r) for arm, h in histories.items()},
                                   region_sums[i]))
    return account(scenario, histories, running), regions  # type: ignore[arg-type]


def _blocks(counts: list[int]) -> list[list[int]]:
    """Consecutive regions grouped up to :data:`BLOCK_CLIENTS` clients (a larger one alone)."""
    blocks: list[list[int]] = []
    size = 0
    for r, n in enumerate(counts):
        if blocks and size + n <= BLOCK_CLIENTS:
            blocks[-1].append(r)
            size += n
        else:
            blocks.append([r])
            size = n
    return blocks


def region_scenario(scenario: Scenario, region: int) -> Scenario:
    """The scenario with only one of its regions (for accounting that region alone)."""
    return scenario.model_copy(update={"regions": [scenario.regions[region]]})


def region_history(history: ArmHistory, region: int) -> ArmHistory:
    """An arm's history restricted to one region, its clients renumbered 0, 1, ... (clients
    are numbered region by region: ``simulation.draw_cohort``)."""
    lo, hi = np.searchsorted(history.clients["region"], (region, region + 1)).tolist()
    return _subset(history, slice(lo, hi), slice(region, region + 1))


def _subset(history: ArmHistory, rows: slice, teams: slice) -> ArmHistory:
    """An arm's history restricted to the clients of ``rows`` (consecutive client numbers,
    renumbered 0, 1, ...: their columns are views) and the ``teams`` (regions) given."""
    lo, hi = rows.start, rows.stop
    clients, spells = history.clients, history.spells
    whose = spells["client_id"]
    kept = (whose >= lo) & (whose < hi)
    own_spells = {name: column[kept] for name, column in spells.items()}
    own_spells["client_id"] = (whose[kept] - lo).astype(np.int64, copy=False)
    own_clients = {name: column[rows] for name, column in clients.items()}
    own_clients["client_id"] = np.arange(hi - lo, dtype=np.int64)

    def own(table: np.ndarray) -> np.ndarray:
        """The rows of a (client_id, ...) table that are these clients', renumbered."""
        mine = table[(table[:, 0] >= lo) & (table[:, 0] < hi)]
        mine[:, 0] -= lo
        return mine

    requeues, stays, returns = own(history.requeues), own(history.stays), own(history.returns)
    return ArmHistory(own_clients, own_spells, history.caseload_traces[teams],
                      history.staffing_traces[teams], 0, requeues, stays, returns)
