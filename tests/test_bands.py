"""The one 95% band (``ipssim.stats.band95``): the summary tables, the net effect by month and
the report's charts draw the same band from the same replications."""

from __future__ import annotations

import math

import numpy as np

import ipssim
from conftest import small_scenario
from ipssim.accounts.metrics import break_even_summary
from ipssim.experiments.runner import net_effects
from ipssim.reports.run import net_effect_figure
from ipssim.stats import band95, describe


def test_the_band_interpolates_except_for_a_censored_month():
    values = np.array([12.0, 15, 18, 21, 24, 30, 33, 36])
    assert band95(values) == tuple(np.percentile(values, [2.5, 97.5]))
    assert describe(values)[1:3] == band95(values)
    never = np.array([12.0, 15, 18, 21, 24, 30, math.inf, math.inf])  # two never break even
    assert math.isnan(band95(never)[1])  # interpolating towards infinity
    assert band95(never, censored=True) == (12.0, math.inf)  # observed months
    rows = np.ones((len(never), 3))
    summary = break_even_summary(never, rows)
    assert (summary.lo95, summary.hi95, summary.replications) == (12.0, math.inf, 8)


def test_the_table_and_the_chart_draw_the_same_band():
    result = ipssim.run(small_scenario(), replications=5, seed=3)
    table = result.net_effect[result.net_effect.perspective == "public"]
    effects = net_effects(result.replications)
    lo, hi = band95(np.cumsum(effects["public"], axis=1), axis=0)
    assert np.array_equal(table["lo95"].to_numpy(), lo) and np.array_equal(table["hi95"].to_numpy(), hi)
    band = net_effect_figure({"run": effects}).data[0]  # the public panel's band: hi, then lo back
    months = len(lo)
    assert np.array_equal(band.y[:months], hi) and np.array_equal(band.y[months:], lo[::-1])
