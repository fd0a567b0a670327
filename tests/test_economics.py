"""Money rules against hand-worked monthly examples (amounts from the scenario defaults)."""

from __future__ import annotations

import numpy as np
import pytest

from ipssim import economics
from ipssim.scenario import Economics

ECON = Economics()


def test_national_pension_offsets_half_the_earnings_related_pension_above_threshold():
    # 775.70 - 0.5 x (300 - 65.62) = 775.70 - 117.19 = 658.51
    assert economics.national_pension(300.0, True, ECON) == pytest.approx(658.51)
    # cohabiting: 692.54 - 117.19 = 575.35
    assert economics.national_pension(300.0, False, ECON) == pytest.approx(575.35)
    # below the threshold nothing is offset; a large pension removes it entirely
    assert economics.national_pension(50.0, True, ECON) == pytest.approx(775.70)
    assert economics.national_pension(5000.0, True, ECON) == 0.0


def test_disability_pension_basic_earnings_test():
    full = 658.51 + 300.0
    earnings = np.array([0.0, 500.0, 976.59, 976.60, 2500.0])
    paid = economics.disability_pension(earnings, True, ECON)
    np.testing.assert_allclose(paid, [full, full, full, 0.0, 0.0])


def test_labour_market_subsidy_tapers_by_half_of_earnings():
    paid = economics.labour_market_subsidy(np.array([0.0, 300.0, 1600.0, 3000.0]), ECON)
    # 800 - 0.5 x 300 = 650; at 1,600 the subsidy is exactly used up
    np.testing.assert_allclose(paid, [800.0, 650.0, 0.0, 0.0])


def test_sickness_allowance_only_in_months_without_earnings():
    np.testing.assert_allclose(economics.sickness_allowance(np.array([0.0, 1.0]), ECON),
                               [900.0, 0.0])


def test_monthly_benefit_dispatches_on_benefit_at_entry():
    benefit = np.array(["disability_pension", "rehabilitation_subsidy", "labour_market_subsidy",
                        "sickness_allowance", "none"], dtype=object)
    earnings = np.full(5, 300.0)
    paid = economics.monthly_benefit(benefit, earnings, np.ones(5, dtype=bool), ECON)
    np.testing.assert_allclose(paid, [958.51, 958.51, 650.0, 0.0, 0.0])


def test_taxes_at_effective_rates():
    # 0.22 x 1,000 + 0.10 x 650 = 285
    assert economics.taxes(1000.0, 650.0, ECON) == pytest.approx(285.0)


def test_staff_cost_of_a_team():
    # (2 x 40,000 + 50,000) x 1.23 x 1.15 / 12 = 15,323.75 per month
    assert economics.staff_cost_per_month(2, 1, ECON) == pytest.approx(15323.75)
