"""Options compared as a decision: incremental analysis, net monetary benefit and a verdict.

Every function takes per-draw arrays, ``costs[draw, option]`` and ``effects[draw, option]``: a
draw is a Monte Carlo replication of a comparison (the same clients and luck for every option)
or a parameter draw of a probabilistic sensitivity analysis. Costs are net costs against usual
services from one perspective (the programme cost less what it gives back to the public purse or
to society, discounted); effects are the additional people ever in competitive work (or QALYs
gained). Usual services is itself an option: cost 0 and effect 0 in every draw.

- :func:`incremental_analysis`: the options by expected cost, strictly and extendedly dominated
  ones flagged, incremental cost-effectiveness ratios (ICERs) along the frontier;
- :func:`choice`: expected net monetary benefit ``NMB = wtp x effect - cost`` of each option, the
  option with the highest, the probability that each is the best, and the EVPI;
- :func:`acceptability`: the acceptability curves of all options and their frontier over a grid
  of willingness to pay (CEAC and CEAF);
- :func:`evppi`: the expected value of partial perfect information about one parameter or a
  group, by regression of the NMB on the parameters (Strong, Oakley & Brennan 2014);
- :func:`decision_table` and :func:`verdicts`: the table and the plain-words lines that
  ``ipssim compare``, the API and the page show.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ipssim.stats import MEAN_INTERVAL, RANGE, RANGE_REPLICATIONS, band95, bounds95

USUAL_SERVICES_OPTION = "usual services"
DEFAULT_WTP_EUR = 20_000.0
"""Willingness to pay for one more person ever in competitive work, unless the user states one.
ASSUMPTION: no Finnish threshold exists; 20,000 EUR is about a year of the benefits and services
such a person draws (a planner's round figure, range 0 to 50,000). At 0 the net benefit is the
net money alone."""
VIEW_WORDS = {"public": "the public purse", "wellbeing_county": "the wellbeing services county",
              "society": "society"}
"""Perspectives of a decision, in words: the net cost to the public payers, to the wellbeing
services county (the health and social care payer, which runs IPS), or to everyone. The county
is a perspective only where its money moves (:func:`views`)."""
EFFECT_WORDS = {"employed": "per additional person in competitive work",
                "qaly": "per QALY gained"}
STATUSES = ("frontier", "dominated", "extendedly dominated")
DECISION_COLUMNS = ("perspective", "effect", "wtp_eur", "option", "rank", "cost_eur", "effect_value",
                    "incremental_cost_eur", "incremental_effect", "icer_eur", "status", "reference",
                    "nmb_eur", "nmb_lo95_eur", "nmb_hi95_eur", "p_best", "best", "draws")
"""Columns of ``decision.csv``: per perspective and option, in order of expected cost;
``nmb_lo95_eur`` and ``nmb_hi95_eur`` bound the net benefit over the draws by its 95% range, or
with fewer than :data:`ipssim.stats.RANGE_REPLICATIONS` draws by its expected value's 95%
interval (:func:`ipssim.stats.bounds95`; :func:`nmb_bounds` says which)."""


@dataclass(frozen=True)
class Row:
    """One option in an incremental analysis."""

    option: str
    cost: float
    effect: float
    status: str
    """One of :data:`STATUSES`."""
    reference: str
    """The frontier option it is compared with (the next cheaper one on the frontier), or the
    option(s) that dominate it; empty for the cheapest frontier option."""
    incremental_cost: float
    incremental_effect: float
    icer: float
    """Incremental cost per unit of effect against ``reference``; NaN off the frontier."""


def incremental_analysis(options: Sequence[str], costs: Sequence[float],
                         effects: Sequence[float]) -> list[Row]:
    """The options in order of cost (ties: most effective first), each flagged.

    An option is strictly dominated when another costs no more and achieves at least as much
    (one of them strictly, or an earlier identical option); among the rest it is extendedly
    dominated when a mix of its two neighbours would do better, that is when its ICER exceeds
    the next option's. Frontier options get their ICER against the next cheaper frontier option.
    """
    order = sorted(range(len(options)), key=lambda i: (costs[i], -effects[i], i))
    status: dict[int, tuple[str, str]] = {}
    for pos, j in enumerate(order):
        for i in order[:pos]:
            if costs[i] <= costs[j] and effects[i] >= effects[j]:
                status[j] = ("dominated", options[i])
                break
    frontier = [j for j in order if j not in status]
    changed = True
    while changed:
        changed = False
        ratios = [_ratio(costs[b] - costs[a], effects[b] - effects[a])
                  for a, b in itertools.pairwise(frontier)]
        for k in range(len(ratios) - 1):
            if ratios[k] > ratios[k + 1]:
                j = frontier[k + 1]
                status[j] = ("extendedly dominated",
                             f"{options[frontier[k]]} and {options[frontier[k + 2]]}")
                frontier.remove(j)
                changed = True
                break
    rows = []
    for j in order:
        if j in status:
            rows.append(Row(options[j], float(costs[j]), float(effects[j]), status[j][0],
                            status[j][1], math.nan, math.nan, math.nan))
            continue
        k = frontier.index(j)
        if k == 0:
            rows.append(Row(options[j], float(costs[j]), float(effects[j]), "frontier", "",
                            math.nan, math.nan, math.nan))
            continue
        before = frontier[k - 1]
        dc, de = float(costs[j] - costs[before]), float(effects[j] - effects[before])
        rows.append(Row(options[j], float(costs[j]), float(effects[j]), "frontier",
                        options[before], dc, de, _ratio(dc, de)))
    return rows


def _ratio(cost: float, effect: float) -> float:
    """Incremental cost per unit of effect (effect > 0 along a frontier sorted by cost)."""
    return float(cost / effect) if effect > 0 else math.inf


def net_benefit(costs: np.ndarray, effects: np.ndarray, wtp: float) -> np.ndarray:
    """Net monetary benefit per draw and option: ``wtp x effect - cost``."""
    return wtp * np.asarray(effects, dtype=float) - np.asarray(costs, dtype=float)


@dataclass(frozen=True)
class Choice:
    """The decision at one willingness to pay."""

    expected_nmb: np.ndarray
    """Per option, the mean NMB over draws."""
    best: int
    """The option with the highest expected NMB (the first of equals)."""
    p_best: np.ndarray
    """Per option, the share of draws in which it has the highest NMB (ties shared)."""
    evpi: float
    """Expected value of perfect information: E[max NMB] - max E[NMB], per person decided for
    in the units of the NMB."""
    draws: int


def choice(nmb: np.ndarray) -> Choice:
    """The best option and how sure we are of it, from NMB per draw and option (NaN draws left
    out)."""
    nmb = np.asarray(nmb, dtype=float)
    nmb = nmb[~np.isnan(nmb).any(axis=1)]
    if not len(nmb):
        nan = np.full(nmb.shape[1], math.nan)
        return Choice(nan, 0, nan, math.nan, 0)
    expected = nmb.mean(axis=0)
    top = nmb == nmb.max(axis=1, keepdims=True)
    p_best = (top / top.sum(axis=1, keepdims=True)).mean(axis=0)
    evpi = float(nmb.max(axis=1).mean() - expected.max())
    return Choice(expected, int(np.argmax(expected)), p_best, _positive(evpi, nmb), len(nmb))


def _positive(value: float, nmb: np.ndarray) -> float:
    """A value of information, 0 where it is below the rounding error of sums of ``nmb``."""
    return value if value > 1e-12 * len(nmb) * float(np.max(np.abs(nmb), initial=0.0)) else 0.0


ACCEPTABILITY_COLUMNS = ("wtp_eur", "option", "p_best", "expected_nmb_eur", "on_frontier",
                         "evpi_eur", "draws")


def acceptability(options: Sequence[str], costs: np.ndarray, effects: np.ndarray,
                  wtps: Sequence[float]) -> dict[str, list]:
    """Rows of ``ceaf.csv``: at each willingness to pay and for each option, the probability that
    it has the highest NMB (its acceptability curve), its expected NMB, whether it is on the
    acceptability frontier (the option with the highest expected NMB, which need not be the one
    most often best), and the EVPI of the decision."""
    table: dict[str, list] = {c: [] for c in ACCEPTABILITY_COLUMNS}
    for wtp in wtps:
        chosen = choice(net_benefit(costs, effects, wtp))
        for j, option in enumerate(options):
            for column, value in zip(ACCEPTABILITY_COLUMNS, (
                    float(wtp), option, float(chosen.p_best[j]), float(chosen.expected_nmb[j]),
                    j == chosen.best, chosen.evpi, chosen.draws), strict=True):
                table[column].append(value)
    return table


def evppi(nmb: np.ndarray, parameters: np.ndarray) -> float:
    """Expected value of partial perfect information about ``parameters`` (draws x k, one
    parameter or a group) for the decision with NMB per draw and option (draws x options)
    (:func:`evppi_fit`)."""
    return evppi_fit(nmb, parameters)[0]


EDF_PER_DRAW = 0.1
"""Most effective degrees of freedom per draw for a regression EVPPI to be trusted: ten draws
a degree of freedom (the usual rule for regression models). Beyond it the smoother follows the
draws' noise and the EVPPI creeps up to the EVPI."""


def evppi_fit(nmb: np.ndarray, parameters: np.ndarray) -> tuple[float, float]:
    """The EVPPI and the largest effective degrees of freedom of its regressions.

    The regression method of Strong, Oakley & Brennan (2014, Med Decis Making 34:311): each
    option's NMB less the first option's is regressed on the parameters, and
    EVPPI = E[max_d g_d(theta)] - max_d E[g_d(theta)] with the fitted values g. The regression is
    an additive model of penalised cubic regression splines (:func:`additive_fit`): exact for NMB
    additive in the group's parameters, blind to interactions within a group. Trust it where the
    degrees of freedom stay within :data:`EDF_PER_DRAW` of the draws.
    """
    nmb = np.asarray(nmb, dtype=float)
    x = np.asarray(parameters, dtype=float).reshape(len(nmb), -1)
    keep = ~(np.isnan(nmb).any(axis=1) | np.isnan(x).any(axis=1))
    nmb, x = nmb[keep], x[keep]
    incremental = nmb[:, 1:] - nmb[:, :1]
    fits = [additive_fit(x, incremental[:, d]) for d in range(incremental.shape[1])]
    fitted = np.column_stack([np.zeros(len(nmb))] + [f for f, _ in fits])
    value = float(fitted.max(axis=1).mean() - fitted.mean(axis=0).max())
    return _positive(value, nmb), max((edf for _, edf in fits), default=0.0)


SPLINE_KNOTS = 8
"""Interior knots of each parameter's cubic B-spline basis, equally spaced over its range
(P-splines, Eilers & Marx 1996: many knots, smoothness from the penalty, whose second differences
leave a straight line unpenalised only on equal spacing)."""


def additive_fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Fitted values of ``y = a + sum_j f_j(x_j)`` and their effective degrees of freedom: each
    ``f_j`` a cubic B-spline (scipy's ``BSpline.design_matrix``) with a second-difference
    penalty, one penalty weight for all chosen by generalised cross-validation (the smoothest of
    equally good fits). A parameter with fewer than 5 distinct values enters by its levels (a
    mean per value)."""
    blocks, penalties = [np.ones((len(y), 1))], [np.zeros((1, 1))]
    for column in x.T:
        basis, penalty = _basis(column)
        blocks.append(basis - basis.mean(axis=0))
        penalties.append(penalty)
    design = np.hstack(blocks)
    size = sum(p.shape[0] for p in penalties)
    penalty = np.zeros((size, size))
    at = 0
    for p in penalties:
        penalty[at:at + p.shape[0], at:at + p.shape[0]] = p
        at += p.shape[0]
    gram, moment = design.T @ design, design.T @ y
    scale = np.trace(gram) / max(np.trace(penalty), 1e-12)
    best, fitted, used = math.inf, np.full(len(y), float(y.mean())), 1.0
    margin = 1e-10 * (float(np.var(y)) + 1e-300)  # among equal fits, the smoothest
    for weight in scale * np.logspace(3, -6, 19):
        try:
            inverse = np.linalg.inv(gram + weight * penalty + 1e-10 * scale * np.eye(size))
        except np.linalg.LinAlgError:
            continue
        beta = inverse @ moment
        edf = float(np.trace(inverse @ gram))
        rss = float(np.sum((y - design @ beta) ** 2))
        gcv = len(y) * rss / max(len(y) - edf, 1.0) ** 2
        if gcv < best - margin:
            best, fitted, used = gcv, design @ beta, edf
    return fitted, used


def _basis(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One parameter's basis and penalty: levels (no penalty) or a penalised cubic B-spline."""
    from scipy.interpolate import BSpline

    values, inverse = np.unique(x, return_inverse=True)
    if len(values) < 5:
        levels = np.eye(len(values))[inverse][:, 1:]
        return levels, np.zeros((levels.shape[1], levels.shape[1]))
    inner = np.linspace(values[0], values[-1], SPLINE_KNOTS + 2)
    step = inner[1] - inner[0]
    knots = np.r_[inner[0] - step * np.arange(3, 0, -1), inner,  # equal steps past both ends
                  inner[-1] + step * np.arange(1, 4)]
    basis = BSpline.design_matrix(x, knots, 3).toarray()
    difference = np.diff(np.eye(basis.shape[1]), n=2, axis=0)
    return basis, difference.T @ difference


@dataclass(frozen=True)
class Perspective:
    """One perspective's decision over the options."""

    view: str
    effect: str
    wtp: float
    options: list[str]
    rows: list[Row]
    choice: Choice
    nmb_band: tuple[np.ndarray, np.ndarray]
    """Per option, the bounds of its NMB over draws (:func:`ipssim.stats.bounds95`)."""
    money: Choice
    """The choice on money alone (willingness to pay 0)."""


def decide(options: Sequence[str], costs: np.ndarray, effects: np.ndarray, view: str,
           effect: str, wtp: float) -> Perspective:
    """Incremental analysis on the expected costs and effects, and the choice at ``wtp``."""
    costs, effects = np.asarray(costs, dtype=float), np.asarray(effects, dtype=float)
    with np.errstate(all="ignore"):
        rows = incremental_analysis(list(options), list(np.nanmean(costs, axis=0)),
                                    list(np.nanmean(effects, axis=0)))
    nmb = net_benefit(costs, effects, wtp)
    lo, hi, _ = bounds95(nmb)
    return Perspective(view, effect, wtp, list(options), rows, choice(nmb), (lo, hi),
                       choice(-costs))


def nmb_bounds(draws: int) -> str:
    """What ``decision.csv``'s NMB bounds are with ``draws`` draws (:data:`ipssim.stats.RANGE`
    or :data:`ipssim.stats.MEAN_INTERVAL`)."""
    return RANGE if draws >= RANGE_REPLICATIONS else MEAN_INTERVAL


def option_arrays(metrics: Sequence[Sequence[dict[str, dict[str, float]]]], view: str,
                  effect: str = "employed") -> tuple[np.ndarray, np.ndarray]:
    """Costs and effects (draws x options, usual services first at 0) from each option's
    replication metrics (``metrics[option][draw][arm][metric]``, IPS against usual services in
    the ``difference`` arm): the net cost to ``view`` and the additional people ever in
    competitive work (``effect="employed"``) or the QALYs gained (``"qaly"``)."""
    name = "additional_employed_competitive_by_horizon" if effect == "employed" else "qalys_pv"
    draws = len(metrics[0])
    costs = np.zeros((draws, len(metrics) + 1))
    effects = np.zeros((draws, len(metrics) + 1))
    for j, replications in enumerate(metrics, start=1):
        costs[:, j] = [-r["difference"].get(f"net_{view}_eur_pv", math.nan) for r in replications]
        effects[:, j] = [r["difference"].get(name, math.nan) for r in replications]
    return costs, effects


def decisions(names: Sequence[str], metrics: Sequence[Sequence[dict[str, dict[str, float]]]],
              wtp: float = DEFAULT_WTP_EUR) -> list[Perspective]:
    """Per perspective (and per QALY too when every option has QALYs), the decision among usual
    services and the named options."""
    options = [USUAL_SERVICES_OPTION, *names]
    effects = ["employed"]
    if all("qalys_pv" in ms[0]["difference"] for ms in metrics):
        effects.append("qaly")
    return [decide(options, *option_arrays(metrics, view, effect), view, effect, wtp)
            for effect in effects for view in views(metrics)]


def views(metrics: Sequence[Sequence[dict[str, dict[str, float]]]]) -> list[str]:
    """The perspectives of :data:`VIEW_WORDS` whose net money any option changes in any draw
    (public purse and society always)."""
    def moves(view: str) -> bool:
        values = [r["difference"].get(f"net_{view}_eur_pv", 0.0)
                  for replications in metrics for r in replications]
        return bool(np.nan_to_num(np.asarray(values, dtype=float)).any())

    return [view for view in VIEW_WORDS if view in ("public", "society") or moves(view)]


WTP_GRID = tuple(float(w) for w in range(0, 100_001, 5_000))
"""Willingness to pay per additional person in competitive work over which ``ceaf.csv`` of a
comparison runs (EUR)."""


def frontier_table(names: Sequence[str], metrics: Sequence[Sequence[dict[str, dict[str, float]]]],
                   wtps: Sequence[float] = WTP_GRID) -> dict[str, list]:
    """Rows of a comparison's ``ceaf.csv``: per perspective, the acceptability curves of usual
    services and every option and their frontier over ``wtps`` (:func:`acceptability`)."""
    options = [USUAL_SERVICES_OPTION, *names]
    table: dict[str, list] = {"perspective": [], **{c: [] for c in ACCEPTABILITY_COLUMNS}}
    for view in views(metrics):
        rows = acceptability(options, *option_arrays(metrics, view), wtps)
        table["perspective"] += [view] * len(rows["option"])
        for column, values in rows.items():
            table[column] += values
    return table


def decision_table(perspectives: Sequence[Perspective]) -> dict[str, list]:
    """Rows of ``decision.csv`` (:data:`DECISION_COLUMNS`)."""
    table: dict[str, list] = {c: [] for c in DECISION_COLUMNS}
    for p in perspectives:
        index = {name: j for j, name in enumerate(p.options)}
        for rank, row in enumerate(p.rows, start=1):
            j = index[row.option]
            values = (p.view, p.effect, p.wtp, row.option, rank, row.cost, row.effect,
                      row.incremental_cost, row.incremental_effect, row.icer, row.status,
                      row.reference, float(p.choice.expected_nmb[j]), float(p.nmb_band[0][j]),
                      float(p.nmb_band[1][j]), float(p.choice.p_best[j]), j == p.choice.best,
                      p.choice.draws)
            for column, value in zip(DECISION_COLUMNS, values, strict=True):
                table[column].append(value)
    return table


def verdicts(perspectives: Sequence[Perspective]) -> list[str]:
    """One line per perspective in plain words: the option with the highest expected net
    benefit, at which willingness to pay, and the probability that it is the best; then the
    same on money alone, where the answer differs."""
    lines = []
    for p in perspectives:
        best = p.options[p.choice.best]
        n = p.choice.draws
        rough = (f"; rough: only {n} replications" if n < RANGE_REPLICATIONS else "")
        lines.append(
            f"{best} has the highest expected net benefit for {VIEW_WORDS[p.view]} at "
            f"{p.wtp:,.0f} EUR {EFFECT_WORDS[p.effect]} ({p.choice.expected_nmb[p.choice.best]:,.0f}"
            f" EUR against usual services, discounted), probability it is the best "
            f"{p.choice.p_best[p.choice.best]:.2f} over {n} replications{rough}"
            + ("" if p.wtp == 0 or p.effect != "employed" else
               f"; on money alone, {p.options[p.money.best]} (probability "
               f"{p.money.p_best[p.money.best]:.2f})") + ".")
    return lines


@dataclass(frozen=True)
class Icer:
    """IPS against usual services from one perspective, over the replications of a run."""

    view: str
    effect: str
    cost: float
    """Mean net cost (discounted)."""
    gained: float
    """Mean effect gained."""
    icer: float
    """Mean cost over mean effect; NaN where one option dominates."""
    dominance: str
    """``""``, ``"IPS dominates"`` (costs no more, achieves more) or ``"IPS is dominated"``."""
    lo95: float
    hi95: float
    """2.5th and 97.5th percentiles of the replications' own ratios; NaN with fewer than
    :data:`RANGE_REPLICATIONS` replications or when a replication gains nothing."""
    replications: int
    wtp: float = DEFAULT_WTP_EUR
    """Willingness to pay per unit of effect, for the net monetary benefit."""
    people: float = math.nan
    """People referred (each arm), for the net monetary benefit per person."""

    @property
    def nmb_per_person(self) -> float:
        """Net monetary benefit of IPS against usual services per person referred:
        (willingness to pay x effect gained - net cost) / people."""
        return (self.wtp * self.gained - self.cost) / self.people if self.people > 0 else math.nan

    def words(self) -> str:
        """The ICER in one line, and the net monetary benefit per person where it is known."""
        nmb = "" if math.isnan(self.nmb_per_person) else (
            f"; net monetary benefit at {self.wtp:,.0f} EUR {EFFECT_WORDS[self.effect]}: "
            f"{self.nmb_per_person:,.0f} EUR per person referred")
        return self._ratio_words() + nmb

    def _ratio_words(self) -> str:
        per = EFFECT_WORDS[self.effect]
        head = f"ICER, {VIEW_WORDS[self.view]}: "
        if self.dominance:
            saving = "saves" if self.cost <= 0 else "costs"
            return (f"{head}{self.dominance} ({saving} {abs(self.cost):,.0f} EUR discounted, "
                    f"{self.gained:+,.2f} {'people in work' if self.effect == 'employed' else 'QALYs'})")
        if math.isnan(self.lo95):
            why = (f"only {self.replications} replications, {RANGE_REPLICATIONS} needed"
                   if self.replications < RANGE_REPLICATIONS
                   else "some replications gain nothing")
            return f"{head}{self.icer:,.0f} EUR {per} (no 95% range: {why})"
        return (f"{head}{self.icer:,.0f} EUR {per} (95% range over {self.replications} "
                f"replications {self.lo95:,.0f} to {self.hi95:,.0f})")


def icer(costs: np.ndarray, effects: np.ndarray, view: str, effect: str = "employed") -> Icer:
    """The ICER of IPS against usual services from per-replication net costs and effects (1-D),
    with dominance stated and a percentile range where the replications support one."""
    costs, effects = np.asarray(costs, dtype=float), np.asarray(effects, dtype=float)
    ok = ~(np.isnan(costs) | np.isnan(effects))
    costs, effects = costs[ok], effects[ok]
    n = len(costs)
    cost, gained = (float(costs.mean()), float(effects.mean())) if n else (math.nan, math.nan)
    dominance = ""
    if gained >= 0 and cost <= 0 and (gained > 0 or cost < 0):
        dominance = "IPS dominates"
    elif gained <= 0 and cost >= 0:
        dominance = "IPS is dominated"
    ratio = cost / gained if not dominance else math.nan
    lo = hi = math.nan
    if not dominance and n >= RANGE_REPLICATIONS and (effects > 0).all():
        lo, hi = (float(v) for v in band95(costs / effects))
    return Icer(view, effect, cost, gained, ratio, dominance, lo, hi, n)


def run_icers(metrics: Sequence[dict[str, dict[str, float]]],
              wtp: float = DEFAULT_WTP_EUR) -> list[Icer]:
    """Per perspective (and per QALY when on), the ICER of one run's replications and the net
    monetary benefit per person referred at willingness to pay ``wtp``."""
    effects = ["employed", *(["qaly"] if "qalys_pv" in metrics[0]["difference"] else [])]
    people = float(np.mean([m["ips"]["clients_referred"] for m in metrics]))
    out = []
    for effect in effects:
        for view in views([metrics]):
            costs, gains = option_arrays([metrics], view, effect)
            out.append(replace(icer(costs[:, 1], gains[:, 1], view, effect), wtp=wtp,
                               people=people))
    return out
