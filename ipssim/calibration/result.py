"""What a calibration gives: its evaluated parameter sets, the best one re-run precisely, the
sample within the chi-square band, the simulated days to the first transition, and the fit table.

Plain data: the reports render it (``ipssim.reports.fit``) and ``calibrated.yaml`` records it
(``ipssim.calibration.calibrated``) without running anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ipssim.calibration.spec import Settings, Spec, Target


@dataclass
class Evaluation:
    """One parameter set: its statistics over replications and its objective.

    ``mc_se`` is the Monte Carlo standard error of each mean (NaN with one replication).
    """

    values: dict[str, float]
    replications: int
    mean: dict[str, float]
    mc_se: dict[str, float]
    objective: float
    per_replication: list[dict[str, float]] = field(repr=False, default_factory=list)


@dataclass
class CalibrationResult:
    """The outcome of :func:`ipssim.calibration.run.calibrate`."""

    best: Evaluation
    """The best parameter set of the search."""
    report: Evaluation
    """The best set re-run on ``settings.report_replications`` replications."""
    sample: list[Evaluation]
    """The evaluated sets within the 95% chi-square band of the best, best first."""
    history: list[Evaluation]
    """Every set evaluated by the search, in order (not the report's re-run)."""
    threshold: float
    """The band's upper bound: best objective + chi2_0.95(number of parameters)."""
    settings: Settings
    days_to_first_transition: np.ndarray = field(repr=False,
                                                 default_factory=lambda: np.empty(0))
    """Days from IPS start to the first documented transition of any type (the Finnish
    observation, TTJ-01), pooled over the first report replications
    (:data:`ipssim.calibration.run.DAYS_REPLICATIONS`)."""


BOUND_MARGIN = 0.01
"""A parameter within this share of its search range (on its search scale) of a bound is flagged."""


def within_tolerance(target: Target, mean: float) -> bool:
    """The simulated mean lies within the target's tolerance band."""
    return not math.isnan(mean) and abs(mean - target.value) <= target.tolerance


def within_2se(target: Target, mean: float) -> bool:
    """The simulated mean lies within 2 published standard errors of the target."""
    return not math.isnan(mean) and abs(mean - target.value) <= 2 * target.se


def fitted(target: Target, mean: float) -> bool:
    """A target is fitted when the simulated mean lies within its tolerance or within 2
    published SEs."""
    return within_tolerance(target, mean) or within_2se(target, mean)


def fit_table(spec: Spec, result: CalibrationResult) -> list[dict]:
    """Per target: published value and SE, simulated mean with its 95% MC interval, within the
    tolerance, within 2 published SEs, fitted (either)."""
    report = result.report
    rows = []
    for name, target in spec.targets.items():
        mean, se = report.mean.get(name, math.nan), report.mc_se.get(name, math.nan)
        rows.append({
            "target": name, "fact": target.fact, "published": target.value, "se": target.se,
            "simulated": mean, "lo95": mean - 1.96 * se, "hi95": mean + 1.96 * se,
            "tolerance": target.tolerance, "within_tolerance": within_tolerance(target, mean),
            "within_2se": within_2se(target, mean), "fitted": fitted(target, mean),
        })
    return rows


def chi_square(spec: Spec, result: CalibrationResult) -> dict[str, float]:
    """The objective of the report's re-run read as a chi-square: its value, degrees of freedom
    (targets minus fitted parameters) and p-value. Approximate: the JOB-08 bands are cumulative
    shares of the same spells, so their errors are correlated, and the SEs of unreported n are
    assumptions (targets.yaml)."""
    from scipy import stats  # here, not at the top: it is a second of every command's start-up

    df = len(spec.targets) - len(spec.parameters)
    value = result.report.objective
    p = float(stats.chi2.sf(value, df)) if df > 0 else math.nan
    return {"chi_square": value, "df": df, "p_value": p,
            "search_objective": result.best.objective}


def bound_flags(spec: Spec, result: CalibrationResult) -> dict[str, str]:
    """Parameters at or within ``BOUND_MARGIN`` of their range of a bound: 'low' or 'high'."""
    flags = {}
    unit = spec.to_unit(result.best.values)
    for name, u in zip(spec.names, unit, strict=True):
        if u <= BOUND_MARGIN:
            flags[name] = "low"
        elif u >= 1 - BOUND_MARGIN:
            flags[name] = "high"
    return flags
