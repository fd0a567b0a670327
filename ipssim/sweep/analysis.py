"""Analysis of a sweep's results: tables from the per-replication metrics of every point.

Every table is computed from ``results.parquet`` (or the point files) and the design, so it can be
redone for other metrics without running anything again. A point's value of a metric is its mean
over the point's replications (NaN replications left out), the same for every kind.

- **one-way**: per metric and parameter, the metric at the parameter's low and high values with
  everything else at the base case, and the swing ``|at_high - at_low|`` (tornado order);
- **grid**: per point and metric, the mean with 2.5th/97.5th percentiles over replications and
  the Monte Carlo standard error;
- **PSA**: per draw, the incremental cost and effects of IPS against usual services; the
  acceptability curve P(net monetary benefit > 0) and the expected value of perfect information
  EVPI = E[max(NMB, 0)] - max(E[NMB], 0) over a grid of willingness-to-pay values; the
  acceptability frontier of the options (usual services, IPS), and the EVPPI of each parameter
  and group of parameters by regression on the draws (``experiments.decision``);
- **global**: Sobol first-order and total indices (SALib, Saltelli-Jansen estimators) or Morris
  elementary effects, with bootstrap 95% intervals, at several sample sizes (convergence).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ipssim.experiments import decision
from ipssim.stats import SUMMARY_STATISTICS, describe

if TYPE_CHECKING:
    from ipssim.sweep.design import Design

Table = dict[str, list]


@dataclass
class Cube:
    """Every metric of every point and replication: ``values[point, replication, key]``."""

    keys: list[tuple[str, str]]
    """(arm, metric) of each key."""
    values: np.ndarray

    def index(self, metric: str, arm: str) -> int:
        return self.keys.index((arm, metric))

    def has(self, metric: str, arm: str) -> bool:
        return (arm, metric) in self.keys

    def replications(self, metric: str, arm: str) -> np.ndarray:
        """points x replications."""
        return self.values[:, :, self.index(metric, arm)]

    def means(self) -> np.ndarray:
        """points x keys: the mean over replications, NaN replications left out."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(self.values, axis=1)


def cube(results: pa.Table, points: int) -> Cube:
    """The results table (``point``, ``replication``, ``arm``, ``metric``, ``value``) as a cube."""
    key = pc.binary_join_element_wise(results["arm"], results["metric"], "/").to_numpy(
        zero_copy_only=False)
    names, inverse = np.unique(key.astype(str), return_inverse=True)
    replication = results["replication"].to_numpy()
    values = np.full((points, int(replication.max()) + 1, len(names)), np.nan)
    values[results["point"].to_numpy(), replication, inverse] = results["value"].to_numpy()
    keys = [tuple(name.split("/", 1)) for name in names]
    return Cube(keys, values)


# -- one-way -----------------------------------------------------------------------------------------

TORNADO_COLUMNS = ("metric", "arm", "parameter", "base_value", "low_value", "high_value", "base",
                   "at_low", "at_high", "swing")


def tornado_table(points: list, parameters: list[str], base_values: dict[str, float],
                  data: Cube) -> Table:
    """Rows per metric and parameter, parameters in decreasing swing within each metric."""
    means = data.means()
    base_point = next(p.index for p in points if p.level == "base")
    at = {(p.parameter, p.level): p for p in points if p.parameter}
    table: Table = {c: [] for c in TORNADO_COLUMNS}
    for k, (arm, metric) in enumerate(data.keys):
        rows = []
        for path in parameters:
            low, high = at[(path, "low")], at[(path, "high")]
            y_low, y_high = float(means[low.index, k]), float(means[high.index, k])
            swing = abs(y_high - y_low)
            rows.append((metric, arm, path, base_values.get(path, math.nan), low.values[path],
                         high.values[path], float(means[base_point, k]), y_low, y_high, swing))
        rows.sort(key=lambda r: (-r[-1] if not math.isnan(r[-1]) else math.inf))
        for row in rows:
            for column, value in zip(TORNADO_COLUMNS, row, strict=True):
                table[column].append(value)
    return table


# -- grid -----------------------------------------------------------------------------------------

def grid_table(points: list, parameters: list[str], data: Cube) -> Table:
    """Per point and metric: the parameter values, mean, 95% range over replications, MC SE."""
    table: Table = {c: [] for c in ("point", *parameters, "metric", "arm", *SUMMARY_STATISTICS)}
    for point in points:
        for k, (arm, metric) in enumerate(data.keys):
            stats = describe(data.values[point.index, :, k])
            table["point"].append(point.index)
            for path in parameters:
                table[path].append(point.values[path])
            table["metric"].append(metric)
            table["arm"].append(arm)
            for column, value in zip(SUMMARY_STATISTICS, stats, strict=True):
                table[column].append(value)
    return table


# -- PSA ----------------------------------------------------------------------------------------------

COSTS = {"programme": ("programme_cost_eur_pv", 1.0), "public": ("net_public_eur_pv", -1.0),
         "society": ("net_society_eur_pv", -1.0)}
"""Incremental cost of IPS against usual services per perspective: the programme cost, or the net
cost (minus the net money) of the public purse or of society, each discounted, from the paired
difference of each replication."""


def incremental(data: Cube) -> dict[str, np.ndarray]:
    """Per draw (mean over its replications): the incremental costs, the additional people ever
    in competitive work and, with QALYs on, the QALYs gained."""
    out = {}
    for view, (metric, sign) in COSTS.items():
        out[f"incremental_cost_{view}_eur"] = sign * data.replications(metric, "difference")
    employed = [data.replications("ever_employed_competitive_by_horizon_share", arm)
                * data.replications("clients_referred", arm) for arm in ("ips", "usual")]
    out["additional_employed"] = employed[0] - employed[1]
    if data.has("qalys_pv", "difference"):
        out["qalys_gained"] = data.replications("qalys_pv", "difference")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {k: np.nanmean(v, axis=1) for k, v in out.items()}


EFFECTS = {"employed": ("additional_employed", "additional person ever in competitive work"),
           "qaly": ("qalys_gained", "QALY gained")}


def psa_tables(points: list, parameters: list[str], data: Cube, cost: str,
               wtp: dict[str, list[float]], metrics: Sequence[tuple[str, str]] = ()
               ) -> dict[str, Table]:
    """``psa_draws``: per draw its parameter values, incremental costs and effects; ``ceac``: per
    effect and WTP the probability that IPS is cost-effective (NMB > 0), the expected NMB and the
    EVPI; ``psa_summary``: means and 95% ranges over draws of the incremental cost and effects and
    of the chosen ``metrics`` (``metric:arm``), the probability that IPS saves money, and the
    ratio of mean incremental cost to mean incremental effect (ICER) per effect."""
    inc = incremental(data)
    draws: Table = {"point": [p.index for p in points]}
    for path in parameters:
        draws[path] = [p.values.get(path, math.nan) for p in points]
    for name, values in inc.items():
        draws[name] = values.tolist()
    dc = inc[f"incremental_cost_{cost}_eur"]
    ceac: Table = {c: [] for c in ("effect", "wtp_eur", "p_cost_effective", "expected_nmb_eur",
                                   "evpi_eur", "draws")}
    summary: Table = {c: [] for c in ("quantity", "mean", "lo95", "hi95")}
    for name in (f"incremental_cost_{cost}_eur", *(EFFECTS[e][0] for e in EFFECTS
                                                   if EFFECTS[e][0] in inc)):
        over = describe(inc[name])
        _add(summary, quantity=name, mean=over.mean, lo95=over.lo95, hi95=over.hi95)
    means = data.means()
    for metric, arm in metrics:
        over = describe(means[:, data.index(metric, arm)])
        _add(summary, quantity=f"{metric}:{arm}", mean=over.mean, lo95=over.lo95, hi95=over.hi95)
    _add(summary, quantity=f"p_saves_money_{cost}", mean=float(np.mean(dc < 0)), lo95=math.nan,
         hi95=math.nan)
    for effect, (name, _) in EFFECTS.items():
        if name not in inc:
            continue
        de = inc[name]
        ok = ~np.isnan(de) & ~np.isnan(dc)
        mean_de, mean_dc = float(np.mean(de[ok])), float(np.mean(dc[ok]))
        _add(summary, quantity=f"icer_eur_per_{effect}",
             mean=mean_dc / mean_de if mean_de > 0 else math.nan, lo95=math.nan, hi95=math.nan)
        for w in wtp[effect]:
            nmb = w * de[ok] - dc[ok]
            expected = float(np.mean(nmb))
            _add(ceac, effect=effect, wtp_eur=float(w), p_cost_effective=float(np.mean(nmb > 0)),
                 expected_nmb_eur=expected, evpi_eur=evpi(nmb), draws=int(ok.sum()))
    return {"psa_draws": draws, "ceac": ceac, "psa_summary": summary,
            "ceaf": ceaf_table(inc, cost, wtp),
            "evppi": evppi_table(points, parameters, inc, cost, wtp)}


OPTIONS = ("usual services", "IPS")
"""The options of a PSA's decision: usual services (cost and effect 0) and IPS."""


def _options(inc: dict[str, np.ndarray], cost: str, effect: str
             ) -> tuple[np.ndarray, np.ndarray] | None:
    """Costs and effects (draws x options) of usual services and IPS, or None without the
    effect."""
    name = EFFECTS[effect][0]
    if name not in inc:
        return None
    dc, de = inc[f"incremental_cost_{cost}_eur"], inc[name]
    zero = np.zeros_like(dc)
    return np.column_stack([zero, dc]), np.column_stack([zero, de])


def ceaf_table(inc: dict[str, np.ndarray], cost: str, wtp: dict[str, list[float]]) -> Table:
    """``ceaf``: per effect, WTP and option, the probability it has the highest net benefit
    (its acceptability curve), its expected NMB and whether it is on the acceptability frontier
    (:func:`ipssim.experiments.decision.acceptability`), with the EVPI of the decision."""
    table: Table = {"effect": [], **{c: [] for c in decision.ACCEPTABILITY_COLUMNS}}
    for effect in EFFECTS:
        arrays = _options(inc, cost, effect)
        if arrays is None:
            continue
        rows = decision.acceptability(OPTIONS, *arrays, wtp[effect])
        table["effect"] += [effect] * len(rows["option"])
        for column, values in rows.items():
            table[column] += values
    return table


EVPPI_WTPS = 5
"""WTP values at which the EVPPI is computed: the sweep's values where the EVPI is largest
(where the decision is uncertain; elsewhere every EVPPI is 0), each one regression per
parameter and group."""
EVPPI_COLUMNS = ("effect", "wtp_eur", "group", "parameters", "evppi_eur", "evpi_eur",
                 "share_of_evpi", "edf", "trusted", "draws")


def parameter_groups(parameters: Sequence[str]) -> dict[str, list[str]]:
    """Each parameter alone, each section of the scenario with more than one parameter drawn
    (the part of the path before the first dot or bracket: ``jobs``, ``economics``...), and all
    parameters together."""
    groups = {path: [path] for path in parameters}
    sections: dict[str, list[str]] = {}
    for path in parameters:
        sections.setdefault(path.replace("[", ".").split(".", 1)[0], []).append(path)
    groups |= {f"{name} (all drawn)": paths for name, paths in sections.items()
               if len(paths) > 1 and f"{name} (all drawn)" not in groups}
    if len(parameters) > 1:
        groups["all parameters"] = list(parameters)
    return groups


def evppi_table(points: list, parameters: list[str], inc: dict[str, np.ndarray], cost: str,
                wtp: dict[str, list[float]]) -> Table:
    """``evppi``: per effect, WTP, parameter and group of parameters, the expected value of
    partial perfect information (:func:`ipssim.experiments.decision.evppi`, a regression on the
    draws), beside the EVPI and its share of it, with the regression's effective degrees of
    freedom and whether there are draws enough to trust it
    (:data:`ipssim.experiments.decision.EDF_PER_DRAW`). A draw's NMB is the mean over its replications,
    so the EVPI of the draws also counts their Monte Carlo noise; the EVPPI of all parameters
    together does not, and is the better estimate of what removing parameter uncertainty is
    worth."""
    table: Table = {c: [] for c in EVPPI_COLUMNS}
    values = {path: np.array([p.values.get(path, math.nan) for p in points], dtype=float)
              for path in parameters}
    varying = [path for path in parameters if np.nanstd(values[path]) > 0]
    for effect in EFFECTS:
        arrays = _options(inc, cost, effect)
        if arrays is None or not varying:
            continue
        totals = {}
        for w in wtp[effect]:
            nmb = decision.net_benefit(*arrays, w)
            totals[w] = decision.choice(nmb[~np.isnan(nmb).any(axis=1)]).evpi
        chosen = sorted(sorted(totals, key=lambda w: -totals[w])[:EVPPI_WTPS])
        for w in chosen:
            nmb = decision.net_benefit(*arrays, w)
            ok = ~np.isnan(nmb).any(axis=1)
            total = totals[w]
            for group, paths in parameter_groups(varying).items():
                x = np.column_stack([values[p] for p in paths])
                value, edf = decision.evppi_fit(nmb[ok], x[ok])
                _add(table, effect=effect, wtp_eur=float(w), group=group,
                     parameters=" + ".join(paths), evppi_eur=value, evpi_eur=total,
                     share_of_evpi=value / total if total > 0 else math.nan, edf=edf,
                     trusted=edf <= decision.EDF_PER_DRAW * ok.sum(), draws=int(ok.sum()))
    return table


def evpi(nmb: np.ndarray) -> float:
    """Expected value of perfect information for IPS (net monetary benefit ``nmb`` per draw)
    against usual services (0 by definition): E[max(NMB, 0)] - max(E[NMB], 0)."""
    return float(np.mean(np.maximum(nmb, 0.0)) - max(float(np.mean(nmb)), 0.0))


def _add(table: Table, **row: object) -> None:
    for column, value in row.items():
        table[column].append(value)


# -- global -------------------------------------------------------------------------------------

SOBOL_COLUMNS = ("metric", "arm", "samples", "parameter", "S1", "S1_conf", "ST", "ST_conf")
MORRIS_COLUMNS = ("metric", "arm", "trajectories", "parameter", "mu", "mu_star", "mu_star_conf",
                  "sigma")


def prefix_sizes(samples: int, shares: list[float], method: str) -> list[int]:
    """Sample sizes for the convergence check: each share of ``samples`` (rounded down to a power
    of 2 for Sobol, at least 2), without repeats, ending at ``samples``."""
    sizes = set()
    for share in shares:
        n = max(2, int(samples * share))
        if method == "sobol":
            n = 2 ** int(math.log2(n))
        sizes.add(min(n, samples))
    return sorted(sizes | {samples})


def sobol_indices(problem: dict, y: np.ndarray, samples: list[int], bootstrap: int,
                  seed: int) -> list[dict]:
    """First-order and total Sobol indices with bootstrap 95% intervals from the Saltelli design's
    outputs ``y`` (``N x (factors + 2)`` rows, row-blocked by base sample, so the first
    ``n x (factors + 2)`` rows are the design of the first ``n`` base samples)."""
    from SALib.analyze import sobol

    d = problem["num_vars"]
    out = []
    for n in samples:
        part = y[:n * (d + 2)]
        if np.isnan(part).any() or np.var(part) == 0:
            nan = [math.nan] * d
            out.append({"samples": n, "S1": nan, "S1_conf": nan, "ST": nan, "ST_conf": nan})
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = sobol.analyze(problem, part, calc_second_order=False,
                                   num_resamples=bootstrap, conf_level=0.95, seed=seed)
        out.append({"samples": n, **{k: [float(v) for v in result[k]]
                                     for k in ("S1", "S1_conf", "ST", "ST_conf")}})
    return out


def morris_effects(problem: dict, unit: np.ndarray, y: np.ndarray, trajectories: list[int],
                   levels: int, bootstrap: int, seed: int) -> list[dict]:
    """Morris elementary effects (mu, mu*, sigma; bootstrap 95% interval of mu*) in units of the
    output per unit of each factor's quantile scale (0 to 1), from the first ``r`` trajectories."""
    from SALib.analyze import morris

    d = problem["num_vars"]
    out = []
    for r in trajectories:
        rows = r * (d + 1)
        part = y[:rows]
        if np.isnan(part).any():
            nan = [math.nan] * d
            out.append({"trajectories": r, "mu": nan, "mu_star": nan, "mu_star_conf": nan,
                        "sigma": nan})
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = morris.analyze(problem, unit[:rows], part, num_resamples=bootstrap,
                                    conf_level=0.95, num_levels=levels, seed=seed)
        out.append({"trajectories": r, **{k: [float(v) for v in result[k]]
                                          for k in ("mu", "mu_star", "mu_star_conf", "sigma")}})
    return out


def global_tables(problem: dict, unit: np.ndarray, data: Cube, metrics: Sequence[tuple[str, str]],
                  method: str, samples: int, levels: int, bootstrap: int, shares: list[float],
                  seed: int) -> dict[str, Table]:
    """``sobol`` (or ``morris``) at the full sample, and ``<method>_convergence`` at every size."""
    means = data.means()
    columns = SOBOL_COLUMNS if method == "sobol" else MORRIS_COLUMNS
    size = "samples" if method == "sobol" else "trajectories"
    full: Table = {c: [] for c in columns}
    convergence: Table = {c: [] for c in columns}
    sizes = prefix_sizes(samples, shares, method)
    for metric, arm in metrics:
        y = means[:, data.index(metric, arm)]
        results = sobol_indices(problem, y, sizes, bootstrap, seed) if method == "sobol" else \
            morris_effects(problem, unit, y, sizes, levels, bootstrap, seed)
        for result in results:
            for j, name in enumerate(problem["names"]):
                row = {"metric": metric, "arm": arm, size: result[size], "parameter": name,
                       **{c: result[c][j] for c in columns[4:]}}
                _add(convergence, **row)
                if result[size] == samples:
                    _add(full, **row)
    return {method: full, f"{method}_convergence": convergence}


# -- by kind ----------------------------------------------------------------------------------------

def analyse(design: Design, results: pa.Table) -> dict[str, Table]:
    """The tables of the sweep's kind, from its results (``results.parquet``)."""
    spec = design.spec
    data = cube(results, len(design.points))
    if spec.kind == "one_way":
        return {"tornado": tornado_table(design.points, design.parameters, design.base_values,
                                         data)}
    if spec.kind == "grid":
        return {"grid": grid_table(design.points, design.parameters, data)}
    metrics = [(m.metric, m.arm) for m in spec.metrics if data.has(m.metric, m.arm)]
    if spec.kind == "psa":
        return psa_tables(design.points, design.parameters, data, spec.cost,
                          {"employed": spec.wtp_per_employed_eur, "qaly": spec.wtp_per_qaly_eur},
                          metrics)
    assert design.problem is not None and design.unit is not None  # a global design has them
    return global_tables(design.problem, design.unit, data, metrics, spec.method, spec.samples,
                         spec.levels, spec.bootstrap, spec.convergence, spec.seed)
