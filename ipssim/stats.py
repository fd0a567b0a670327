"""The one Monte Carlo summary of a statistic over replications.

Every table with ``mean``, ``lo95``, ``hi95``, ``mc_se`` and ``replications`` columns (the run
summary, the comparison, the sweep tables, the calibration fit) comes from :func:`describe`.
"""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

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
    with warnings.catch_warnings():  # infinite values (a break-even month never reached)
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.percentile(x, [2.5, 97.5])
        se = float(x.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        return Summary(float(x.mean()), float(lo), float(hi), se, n)
