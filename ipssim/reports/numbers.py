"""Numbers as people read them: the one formatter of the headline, the reports' tables and the
command line's tables.

Fixed point with thousands separators, never scientific; three significant digits below 100
(``97.5``, ``0.554``, ``0.0123``) and whole numbers from 100 up; a unit where it has one
(``1,234,568 EUR``, ``62%``, ``month 31``); and ``-`` where there is no value (NaN).
"""

from __future__ import annotations

import math

NO_VALUE = "-"
"""The text of a missing value (NaN): a metric a run has no value for."""
UNITS = ("", "people", "months", "eur", "month", "ratio", "share", "days")
"""What a number counts: a plain number, people, months worked, euros, a month of the horizon
(a break-even), euros back per euro, a share, days."""


def number_text(value: float, unit: str = "") -> str:
    """``value`` in words for its ``unit`` (one of :data:`UNITS`): ``1,234``, ``97.5``,
    ``1,234,568 EUR``, ``1.25 EUR``, ``62%``, ``45 days``, ``month 31`` (infinite: ``not
    within the horizon``), ``-`` for no value."""
    if math.isnan(value):
        return NO_VALUE
    if unit == "month":
        return f"month {value:.0f}" if math.isfinite(value) else "not within the horizon"
    if not math.isfinite(value):
        return "inf" if value > 0 else "-inf"
    if unit == "eur":
        return f"{value:,.0f} EUR"
    if unit == "ratio":
        return f"{value:,.2f} EUR"
    if unit == "share":
        return f"{value:.0%}"
    if unit == "days":
        return f"{value:,.0f} days"
    if abs(value) >= 100 or value == round(value):
        return f"{value:,.0f}"
    decimals = 2 - math.floor(math.log10(abs(value)))
    return f"{value:,.{decimals}f}".rstrip("0").rstrip(".")


def range_text(lo: float, hi: float, unit: str = "") -> str:
    """A 95% range, ``lo to hi``; empty where there is none (no value, or one value)."""
    if math.isnan(lo) or math.isnan(hi) or lo == hi:
        return ""
    return f"{number_text(lo, unit)} to {number_text(hi, unit)}"


def with_range(mean: float, lo: float, hi: float, unit: str = "") -> str:
    """``mean [lo, hi]``; the mean alone where the range is the mean or there is none."""
    if math.isnan(mean) or math.isnan(lo) or math.isnan(hi) or lo == mean == hi:
        return number_text(mean, unit)
    return f"{number_text(mean, unit)} [{number_text(lo, unit)}, {number_text(hi, unit)}]"
