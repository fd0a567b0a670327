"""Compare scenarios on the same clients: each against usual services and each against the first.

With common random numbers (the default) replication ``k`` of every scenario draws its clients
and their luck from ``(seed, k)``, so two scenarios that share regions and referrals see the same
people with the same luck, and a difference between them is the effect of what the scenarios
change, not of who happened to be referred. ``independent=True`` gives each scenario its own
seed instead: the same model with independent streams, to measure what the pairing is worth.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ipssim.accounts.metrics import SUMMARY_COLUMNS, summarise
from ipssim.experiments import decision
from ipssim.experiments.runner import (
    ReplicationResult,
    net_effects,
    run_options,
    spending_summary,
)
from ipssim.experiments.uncertain import Draws
from ipssim.parallel import ordered_map
from ipssim.progress import Update
from ipssim.scenario.budgets import bought_by_year
from ipssim.scenario.schema import Scenario, ScenarioError

COMPARISON_COLUMNS = ("metric", "arm", "scenario", "reference", *SUMMARY_COLUMNS[2:])
USUAL_SERVICES = "usual_services"
OWN = "none"
"""The ``reference`` of a scenario's own figures, compared with nothing: what it bought and whom
it served (:data:`BOUGHT`)."""
BOUGHT = ("budget_eur_per_year", "coaches", "places", "clients_referred", "clients_started")
"""A scenario's own figures (IPS arm): the budgets of its budget-funded regions a programme year
(NaN if none is funded by a budget), the most coaches in post at once over all regions, their
places, the people referred and the people served (placed with a coach); the last three are
``summary.csv``'s."""
SPENT = ("spent_eur", "idle_eur", "idle_share", "programme_cost_per_client_started_eur",
         "programme_cost_per_client_month_eur")
"""A scenario's own figures of its programme money (``spending.csv``, IPS arm): spent, spent on
idle places and their share, and the cost per person served and per client-month in IPS."""


@dataclass
class Comparison:
    """Every scenario's replications (in replication order) and the comparison table."""

    scenarios: list[Scenario]
    results: list[list[ReplicationResult]]
    summaries: list[dict[str, list]]
    table: dict[str, list]
    tables: str = "all"
    """What each replication kept (``experiments.runner.TABLES``)."""
    wtp: float = decision.DEFAULT_WTP_EUR
    """Willingness to pay per additional person in competitive work (and per QALY) of the
    decision (:meth:`decisions`)."""
    draws: Draws | None = None
    """The parameter values of every replication, shared by every scenario, or None."""

    def decisions(self) -> list[decision.Perspective]:
        """Usual services and every scenario as options of one decision, per perspective, with
        each replication a draw (:mod:`ipssim.experiments.decision`)."""
        return decision.decisions([s.name for s in self.scenarios],
                                  [[r.metrics for r in rs] for rs in self.results], self.wtp)


def scenario_seed(seed: int, index: int, independent: bool) -> int:
    """The run seed of scenario ``index``: the common seed, or one of its own."""
    if not independent:
        return seed
    return int(np.random.SeedSequence([seed, index]).generate_state(1, np.uint64)[0] >> 1)


def compare(scenarios: list[Scenario], seed: int, replications: int, workers: int,
            independent: bool = False, progress: Update | None = None,
            scheduler: str | None = None, tables: str = "all",
            wtp: float = decision.DEFAULT_WTP_EUR, draws: Draws | None = None) -> Comparison:
    """Run every scenario's replications and tabulate the differences (the decision at
    willingness to pay ``wtp``: :meth:`Comparison.decisions`); with ``draws`` (one draw of the
    uncertain parameters per replication), replication ``r`` of every scenario runs on draw
    ``r``, whatever the scenario's seed."""
    names = [s.name for s in scenarios]
    if len(set(names)) < len(names):
        raise ScenarioError(f"compare: scenario names must differ (got {', '.join(names)}); "
                            "set a distinct 'name' in each file")
    designs = {(s.mode, s.horizon_months, s.outcome_window_months) for s in scenarios}
    if len(designs) > 1:
        described = "; ".join(f"{s.name}: {s.mode} mode, {s.horizon_months} months, outcome "
                              f"window {s.outcome_window_months}" for s in scenarios)
        raise ScenarioError("compare: scenarios must share mode, horizon and outcome window, or "
                            f"their figures are not comparable ({described})")
    results: list[list[ReplicationResult]] = [[] for _ in scenarios]
    total = len(scenarios) * replications
    for done, (index, result) in enumerate(
            _results(scenarios, seed, replications, workers, independent, scheduler, tables,
                     draws),
            start=1):
        results[index].append(result)
        if progress:
            progress(done, total)
    summaries = [summarise([r.metrics for r in rs], net_effects(rs)) for rs in results]
    return Comparison(scenarios, results, summaries,
                      comparison_table(scenarios, results, summaries), tables, wtp, draws)


def _results(scenarios: list[Scenario], seed: int, replications: int, workers: int,
             independent: bool, scheduler: str | None = None, tables: str = "all",
             draws: Draws | None = None) -> Iterator[tuple[int, ReplicationResult]]:
    """(scenario index, result) for every scenario and replication, in a fixed order: each
    task is one replication of every scenario (``runner.run_options``, which shares the cohort
    and the usual-services arm between scenarios that differ only in IPS staff)."""
    seeds = [scenario_seed(seed, i, independent) for i in range(len(scenarios))]
    results = ordered_map(run_options, [scenarios] * replications, [seeds] * replications,
                          range(replications), [tables] * replications,
                          [draws.values[k] if draws is not None else None
                           for k in range(replications)],
                          workers=workers, scheduler=scheduler)
    for options in results:
        yield from enumerate(options)


def comparison_table(scenarios: list[Scenario], results: list[list[ReplicationResult]],
                     summaries: list[dict[str, list]]) -> dict[str, list]:
    """Rows of ``comparison.csv``.

    For every scenario, its own figures (``reference`` = :data:`OWN`, :func:`bought_rows`, then
    :data:`SPENT`).
    For every scenario, against usual services: its IPS-minus-usual rows of the summary
    (``arm`` = ``difference``). For every later scenario, against the first (the reference):
    scenario minus reference within each replication, for the IPS arm, the usual-services arm and
    the IPS effect (``arm`` = ``ips``, ``usual``, ``difference``); summarised like the summary
    (mean, 2.5th/97.5th percentiles over replications, Monte Carlo standard error).
    """
    names = [s.name for s in scenarios]
    table: dict[str, list] = {c: [] for c in COMPARISON_COLUMNS}
    for scenario, summary, scenario_results in zip(scenarios, summaries, results, strict=True):
        for bought in bought_rows(scenario, summary):
            _append(table, bought, scenario.name, OWN)
        spent = spending_summary(scenario, scenario_results)
        for i, figure in enumerate(spent["figure"]):
            if figure in SPENT:
                _append(table, {"metric": figure, "arm": "ips"} | {
                    c: spent[c][i] for c in SUMMARY_COLUMNS[2:]}, scenario.name, OWN)
    for name, summary in zip(names, summaries, strict=True):
        for row in zip(*(summary[c] for c in SUMMARY_COLUMNS), strict=True):
            if row[1] == "difference":
                _append(table, dict(zip(SUMMARY_COLUMNS, row, strict=True)), name, USUAL_SERVICES)
    reference = [r.metrics for r in results[0]]
    for name, scenario_results in zip(names[1:], results[1:], strict=True):
        paired = [{arm: {m: r.metrics[arm][m] - ref[arm][m] for m in r.metrics[arm]
                         if m in ref[arm] and not m.startswith("break_even_month_")}
                   for arm in ("ips", "usual", "difference")}
                  for r, ref in zip(scenario_results, reference, strict=True)]
        summary = summarise(paired, {})
        for row in zip(*(summary[c] for c in SUMMARY_COLUMNS), strict=True):
            _append(table, dict(zip(SUMMARY_COLUMNS, row, strict=True)), name, names[0])
    return table


def bought_rows(scenario: Scenario, summary: dict[str, list]) -> list[dict]:
    """The rows of :data:`BOUGHT` for one scenario, from its scenario and its summary: the
    summary's rows, and the scenario's figures as rows of one value (no Monte Carlo error)."""
    funded = bought_by_year(scenario)
    years = max((r["year"] for r in funded), default=0)
    replications = summary["replications"][0]
    fixed = {"budget_eur_per_year": sum(r["budget_eur"] for r in funded) / years if years
             else math.nan,
             "coaches": float(sum(r.posts for r in scenario.regions))}
    rows = {(m, a): i for i, (m, a) in enumerate(zip(summary["metric"], summary["arm"],
                                                     strict=True))}
    out = []
    for metric in BOUGHT:
        if metric in fixed:
            value = fixed[metric]
            out.append({"metric": metric, "arm": "ips", "mean": value, "lo95": value,
                        "hi95": value, "mc_se": 0.0, "replications": replications})
        else:
            i = rows[(metric, "ips")]
            out.append({c: summary[c][i] for c in SUMMARY_COLUMNS})
    return out


def _append(table: dict[str, list], row: dict, scenario: str, reference: str) -> None:
    for column in COMPARISON_COLUMNS:
        table[column].append({"scenario": scenario, "reference": reference}.get(column,
                                                                                row.get(column)))


WIDE_KEYS = ("metric", "arm", "reference")


def wide_table(table: dict[str, list], names: list[str]) -> dict[str, list]:
    """Columns of ``comparison_wide.csv``: the long table side by side, one row per metric, arm
    and reference, and per scenario its mean (``<name>``) and 95% range (``<name>_lo95``,
    ``<name>_hi95``); NaN where a scenario has no row (the reference against itself)."""
    cells: dict[tuple, dict[str, tuple[float, float, float]]] = {}
    for metric, arm, scenario, reference, mean, lo, hi in zip(
            *(table[c] for c in ("metric", "arm", "scenario", "reference", "mean", "lo95", "hi95")),
            strict=True):
        cells.setdefault((metric, arm, reference), {})[scenario] = (mean, lo, hi)
    wide: dict[str, list] = {c: [] for c in WIDE_KEYS}
    for name in names:
        for suffix in ("", "_lo95", "_hi95"):
            wide[name + suffix] = []
    for key, by_scenario in cells.items():
        for column, value in zip(WIDE_KEYS, key, strict=True):
            wide[column].append(value)
        for name in names:
            values = by_scenario.get(name, (float("nan"),) * 3)
            for suffix, value in zip(("", "_lo95", "_hi95"), values, strict=True):
                wide[name + suffix].append(value)
    return wide
