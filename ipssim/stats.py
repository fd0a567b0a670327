"""The one Monte Carlo summary of a statistic over replications, and its 95% band.

Every table with ``mean``, ``lo95``, ``hi95``, ``mc_se`` and ``replications`` columns (the run
summary, the comparison, the sweep tables, the calibration fit) comes from :func:`describe`, and
every 95% range over replications (those tables, the net effect by month, the charts' bands, a
team size's wait) from :func:`band95`.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, NamedTuple

import numpy as np

SUMMARY_STATISTICS = ("mean", "lo95", "hi95", "mc_se", "replications")


class Summary(NamedTuple):
    """A statistic over replications (NaN values, where a replication has none, left out).

    ``lo95``/``hi95`` are the 2.5th and 97.5th percentiles: the range of outcomes a programme of
    this size could see. ``mc_se`` is the Monte Carlo standard error of the mean; with one
    replication there is no estimate of it, so it is NaN (never 0, which would claim certainty).
    """

    mean: float
    lo95: float
    hi95: float
    mc_se: float
    replications: int


def describe(values: np.ndarray | list[float]) -> Summary:
    """Mean, 95% range, Monte Carlo standard error and count of the non-NaN ``values``."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if not n:
        return Summary(math.nan, math.nan, math.nan, math.nan, 0)
    lo, hi = band95(x)
    with warnings.catch_warnings():  # infinite values (a break-even month never reached)
        warnings.simplefilter("ignore", RuntimeWarning)
        se = float(x.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        return Summary(float(x.mean()), float(lo), float(hi), se, n)


def band95(values: Any, axis: int | None = None, censored: bool = False) -> tuple[Any, Any]:
    """The 2.5th and 97.5th percentiles of ``values`` over replications (along ``axis``: one
    pair of arrays), the range of outcomes a programme of this size could see.

    Between two replications' values the percentile is interpolated, except for a ``censored``
    statistic (a break-even month, infinite where the horizon ends first), whose band is two of
    the replications' own values: interpolating towards infinity gives NaN or a month no
    replication had.
    """
    with warnings.catch_warnings():  # infinite values (a break-even month never reached)
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.percentile(values, [2.5, 97.5], axis=axis,
                               method="inverted_cdf" if censored else "linear")
    return lo, hi


RANGE = "95% range"
"""What bounds are from :data:`RANGE_REPLICATIONS` replications on: the 2.5th and 97.5th
percentiles over them (:func:`band95`)."""
MEAN_INTERVAL = "95% interval of the mean"
"""What they are below: the mean +/- 1.96 Monte Carlo standard errors (:func:`mean_interval`),
its precision, since a percentile of a handful of values is no range."""
RANGE_REPLICATIONS = 40
"""Fewest replications whose 2.5th and 97.5th percentiles are shown as a "95% range": with 40
values each percentile falls between the two most extreme (one value in forty lies beyond each),
so below that the range is the spread of a handful of values."""


def bounds95(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """Per column of ``values`` (replications x columns), its 95% range or, with fewer
    than :data:`RANGE_REPLICATIONS` rows, its mean's 95% interval; and which (:data:`RANGE`,
    :data:`MEAN_INTERVAL`)."""
    x = np.asarray(values, dtype=float)
    if len(x) >= RANGE_REPLICATIONS:
        lo, hi = band95(x, axis=0)
        return np.asarray(lo), np.asarray(hi), RANGE
    mean = x.mean(axis=0)
    se = x.std(axis=0, ddof=1) / math.sqrt(len(x)) if len(x) > 1 else np.full(mean.shape, math.nan)
    return mean - 1.96 * se, mean + 1.96 * se, MEAN_INTERVAL


def mean_interval(mean: float, mc_se: float) -> tuple[float, float]:
    """The 95% interval of a mean from its Monte Carlo standard error (normal approximation);
    NaN where there is no standard error (one replication, a break-even month)."""
    if math.isnan(mc_se) or not math.isfinite(mean):
        return math.nan, math.nan
    return mean - 1.96 * mc_se, mean + 1.96 * mc_se
