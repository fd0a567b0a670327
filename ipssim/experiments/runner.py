"""Monte Carlo runner: replications in parallel local processes (:mod:`ipssim.parallel`), results
in replication order.

Every random stream of replication ``k`` derives from ``(seed, k)`` alone, and results are
gathered in replication order, so the outputs are bit-identical whatever the number of workers.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ipssim.accounts.metrics import waits_for_coach
from ipssim.accounts.rollup import Accounts, account_replication
from ipssim.accounts.spending import spending, spending_table
from ipssim.accounts.subgroups import subgroup_metrics
from ipssim.experiments.uncertain import Draws, drawn_scenario
from ipssim.files import scratch_file
from ipssim.model.simulation import (
    ArmHistory,
    Cohort,
    collector_paused,
    draw_cohort,
    horizon_days,
    simulate_arm,
)
from ipssim.parallel import ordered_map
from ipssim.progress import Update
from ipssim.scenario.edits import editable
from ipssim.scenario.schema import Scenario
from ipssim.validation import InputError
from ipssim.vocabulary import ARMS


@dataclass
class ReplicationResult:
    """Both arms of one replication: tables per arm, scalar metrics, and events processed."""

    replication: int
    trajectories: dict[str, dict[str, np.ndarray]]
    clients: Mapping[str, dict[str, np.ndarray]]  # NOT_KEPT with tables="summary"
    spells: Mapping[str, dict[str, np.ndarray]]
    metrics: dict[str, dict[str, float]]
    net_effect: dict[str, np.ndarray]
    """Discounted net money of IPS against usual services by month, per perspective."""
    staffing_traces: list[np.ndarray]
    """Per region: (day, coaches in post, team leaders, coaches hired so far) at every change."""
    regions: list[Accounts]
    """Per region, in scenario order: its own trajectories, metrics and net effect."""
    events: int
    waits: np.ndarray
    """The IPS arm's wait of each referral for a coach (``accounts.metrics.waits_for_coach``), for
    the pooled wait quantiles of a run's headline without its client tables."""
    subgroups: dict[tuple[str, str], dict[str, dict[str, float]]] = field(default_factory=dict)
    """Figures per (grouping, level) of clients (``accounts.subgroups``)."""
    parameters: dict[str, float] = field(default_factory=dict)
    """The parameter values drawn for this replication (``experiments.uncertain``), or none."""


TABLES = ("all", "summary")
"""What a run keeps of each replication: every table, or (``summary``) the trajectories and
summaries only, without the per-client and per-spell tables (:data:`LONG_TABLES`)."""


def check_tables(tables: str) -> None:
    """One of :data:`TABLES`, or a one-line InputError."""
    if tables not in TABLES:
        raise InputError(f"tables must be one of {', '.join(TABLES)} (got {tables!r})")


def run_replication(scenario: Scenario, seed: int, replication: int,
                    tables: str = "all", parameters: dict[str, float] | None = None
                    ) -> ReplicationResult:
    """Draw the shared cohort once, simulate both arms on it, and account for each (with the
    cyclic garbage collector paused: see ``simulation.collector_paused``). With ``tables``
    ``summary`` the result carries no client or spell tables (:data:`NOT_KEPT`), so they are
    neither sent from the worker nor kept. With ``parameters`` (a replication's draw of the
    uncertain parameters, ``experiments.uncertain``) the scenario takes those values first."""
    if parameters:
        scenario = drawn_scenario(scenario, parameters, replication)
    with collector_paused():
        result = _run_replication(scenario, seed, replication, tables)
    result.parameters = dict(parameters or {})
    return result


def run_options(scenarios: list[Scenario], seeds: list[int], replication: int,
                tables: str = "all", parameters: dict[str, float] | None = None
                ) -> list[ReplicationResult]:
    """Replication ``replication`` of every option, each as :func:`run_replication` gives it.

    Options that differ only in what IPS has (their staff and budgets, their names) share the
    cohort and the usual-services arm, which do not depend on it: drawn and simulated once
    for all of them (:func:`usual_services_key`), the same histories bit for bit."""
    drawn = [drawn_scenario(s, parameters, replication) if parameters else s for s in scenarios]
    shared: dict[tuple[int, str], tuple[Cohort, ArmHistory]] = {}
    results = []
    with collector_paused():
        for scenario, seed in zip(drawn, seeds, strict=True):
            key = (seed, usual_services_key(scenario))
            if key not in shared:
                cohort = draw_cohort(scenario, seed, replication)
                shared[key] = cohort, simulate_arm(scenario, cohort, "usual", seed, replication)
            cohort, usual = shared[key]
            result = _run_replication(scenario, seed, replication, tables, (cohort, usual))
            result.parameters = dict(parameters or {})
            results.append(result)
    return results


IPS_ONLY = ("coaches", "team_leaders", "staffing", "budget_eur_per_year")
"""Region fields that only the IPS arm reads (its team): options differing in these alone have
the same usual-services arm."""


def usual_services_key(scenario: Scenario) -> str:
    """What the cohort and the usual-services arm depend on: the scenario without its name,
    description and the regions' IPS staff and budgets (every other field kept, to be safe)."""
    data = editable(scenario, mode="json")
    for field_name in ("name", "description"):
        data.pop(field_name, None)
    data["regions"] = [{k: v for k, v in region.items() if k not in IPS_ONLY}
                       for region in data["regions"]]
    return json.dumps(data, sort_keys=True)


def _run_replication(scenario: Scenario, seed: int, replication: int, tables: str,
                     shared: tuple[Cohort, ArmHistory] | None = None) -> ReplicationResult:
    if shared is None:
        cohort = draw_cohort(scenario, seed, replication)
        histories = {arm: simulate_arm(scenario, cohort, arm, seed, replication) for arm in ARMS}
    else:
        cohort, usual = shared
        histories = {"ips": simulate_arm(scenario, cohort, "ips", seed, replication),
                     "usual": usual}
    per_client: dict[str, list[dict[str, np.ndarray]]] = {}
    totals, regions = account_replication(scenario, histories, per_client)
    subgroups = subgroup_metrics(
        scenario, {arm: h.clients for arm, h in histories.items()},
        {arm: {k: np.concatenate([block[k] for block in blocks]) for k in blocks[0]}
         for arm, blocks in per_client.items()})
    keep = tables == "all"
    return ReplicationResult(
        replication, totals.trajectories,
        {arm: h.clients for arm, h in histories.items()} if keep else NOT_KEPT,
        {arm: h.spells for arm, h in histories.items()} if keep else NOT_KEPT,
        totals.metrics, totals.net_effect, histories["ips"].staffing_traces, regions,
        sum(h.events for h in histories.values()),
        waits_for_coach(histories["ips"].clients, horizon_days(scenario),
                        histories["ips"].returns), subgroups)


class NotKept(Mapping[str, dict[str, np.ndarray]]):
    """The client or spell tables of a replication run with ``tables="summary"``: none."""

    def __getitem__(self, arm: str) -> dict[str, np.ndarray]:
        raise InputError("this run kept no per-client or per-spell tables (--tables summary); "
                         "run it with --tables all to have them")

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


NOT_KEPT = NotKept()


def net_effects(results: list[ReplicationResult]) -> dict[str, np.ndarray]:
    """Every replication's monthly net effect, per perspective (replications x months)."""
    return {view: np.stack([r.net_effect[view] for r in results]) for view in results[0].net_effect}


def spending_summary(scenario: Scenario, results: list[ReplicationResult]) -> dict[str, list]:
    """Columns of ``spending.csv``: budget, spent (on places in use and idle), present value and
    cost per person served, over replications (:mod:`ipssim.accounts.spending`)."""
    return spending_table([spending(scenario, r.staffing_traces,
                                    [region.trajectories["ips"] for region in r.regions],
                                    r.metrics["ips"]["clients_started"]) for r in results],
                          scenario.economics.price_year)


def iterate_replications(scenario: Scenario, seed: int, replications: int,
                         workers: int, scheduler: str | None = None, tables: str = "all",
                         draws: Draws | None = None) -> Iterator[ReplicationResult]:
    """Replications 0..n-1 on ``workers`` processes (or the Dask cluster at ``scheduler``),
    yielded in replication order; with ``draws``, replication ``r`` on draw ``r``."""
    parameters = draws.values if draws is not None else [None] * replications
    return ordered_map(run_replication, [scenario] * replications, [seed] * replications,
                       range(replications), [tables] * replications, parameters,
                       workers=workers, scheduler=scheduler)


def run_replications(scenario: Scenario, seed: int, replications: int, workers: int,
                     progress: Update | None = None, spool: Spool | None = None,
                     scheduler: str | None = None, tables: str = "all",
                     draws: Draws | None = None) -> list[ReplicationResult]:
    """All replications, in replication order (on local processes or the Dask cluster at
    ``scheduler``); ``progress(done, total)`` after each.

    With a ``spool``, each replication's client and spell tables go to disk as soon as it is
    done (:meth:`Spool.keep`), so the run holds only the small tables in memory; with
    ``tables`` ``summary`` there are none to keep (:func:`run_replication`)."""
    results = []
    for result in iterate_replications(scenario, seed, replications, workers, scheduler, tables,
                                       draws):
        results.append(spool.keep(result) if spool is not None and tables == "all" else result)
        if progress:
            progress(len(results), replications)
    return results


LONG_TABLES = ("clients", "spells")
"""The per-client and per-spell tables, which a :class:`Spool` keeps on disk."""


def long_table(result: ReplicationResult, table: str) -> pa.Table:
    """One replication's per-arm table as one long table, ``replication`` and ``arm`` first.

    Text columns are typed as strings even when empty, so every replication's table has the
    same schema (they are written one after the other as row groups of one file)."""
    tables = getattr(result, table)
    if isinstance(tables, SpooledTables):
        return tables.table()
    parts: dict[str, list[np.ndarray]] = {"replication": [], "arm": []}
    for arm in ARMS:
        columns = tables[arm]
        rows = len(next(iter(columns.values())))
        parts["replication"].append(np.full(rows, result.replication, dtype=np.int64))
        parts["arm"].append(np.full(rows, arm, dtype=object))
        for name, values in columns.items():
            parts.setdefault(name, []).append(values)
    return pa.table({name: _arrow(np.concatenate(chunks)) for name, chunks in parts.items()})


def _arrow(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.string()) if values.dtype == object else pa.array(values)


class Spool:
    """Each replication's long tables as Parquet, one after the other in a temporary file that
    has no name (:func:`ipssim.files.scratch_file`: beside the claimed output place, if any), so
    the kernel frees it when the run ends, however it ends; closed once nothing refers to it."""

    def __init__(self) -> None:
        self._file = scratch_file()
        self._end = 0

    def keep(self, result: ReplicationResult) -> ReplicationResult:
        """Write the result's client and spell tables to the spool; the result then reads them
        from there when asked (see :class:`SpooledTables`)."""
        for table in LONG_TABLES:
            sink = pa.BufferOutputStream()
            pq.write_table(long_table(result, table), sink)
            data = sink.getvalue()
            if os.pwrite(self._file.fileno(), data, self._end) != data.size:
                raise OSError(f"the spool could not keep replication {result.replication}")
            setattr(result, table, SpooledTables(self, self._end, data.size))
            self._end += data.size
        return result

    def read(self, start: int, size: int) -> bytes:
        """The ``size`` bytes kept at ``start``."""
        data = os.pread(self._file.fileno(), size, start)
        if len(data) != size:
            raise OSError(f"the spool lost data at {start} ({len(data)} of {size} bytes)")
        return data


class SpooledTables(Mapping):
    """A spooled replication's table per arm (``arm -> {column: values}``), read from the spool
    when asked; the spool lives as long as this does."""

    def __init__(self, spool: Spool, start: int, size: int):
        self._spool = spool
        self._start = start
        self._size = size

    def table(self) -> pa.Table:
        """The long table as written (``replication``, ``arm``, then the columns)."""
        return pq.read_table(pa.BufferReader(self._spool.read(self._start, self._size)))

    def __getitem__(self, arm: str) -> dict[str, np.ndarray]:
        if arm not in ARMS:
            raise KeyError(arm)
        table = self.table()
        rows = np.asarray(table.column("arm").to_numpy(zero_copy_only=False) == arm)
        out = {}
        for name in table.column_names[2:]:
            column = table.column(name)
            values = column.to_numpy(zero_copy_only=False)
            if pa.types.is_string(column.type):
                values = values.astype(object)
            out[name] = values[rows]
        return out

    def __iter__(self) -> Iterator[str]:
        return iter(ARMS)

    def __len__(self) -> int:
        return len(ARMS)
