"""Money rules against hand-worked monthly examples (amounts from the scenario defaults)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ipssim.money import rules as economics
from ipssim.money.parameters import Economics
from ipssim.vocabulary import MONTH_DAYS

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


def _history(benefit: str, earnings: list[float], econ: Economics = ECON, lives_alone=True):
    """One client's benefits over the months of ``earnings``, referred from the first month."""
    e = np.array([earnings], dtype=float)
    return economics.benefit_history(np.array([benefit], dtype=object), e, np.ones_like(e, bool),
                                     np.array([lives_alone]), econ)


def _pension(paid: dict) -> np.ndarray:
    return (paid["national_pension"] + paid["earnings_related_pension"])[0]


def test_first_month_dispatches_on_benefit_at_entry():
    benefit = np.array(["disability_pension", "rehabilitation_subsidy", "labour_market_subsidy",
                        "sickness_allowance", "none"], dtype=object)
    earnings = np.full((5, 1), 300.0)
    paid = economics.benefit_history(benefit, earnings, np.ones((5, 1), bool), np.ones(5, bool),
                                     ECON)
    total = sum(paid[k] for k in economics.BENEFIT_TYPES)[:, 0]
    np.testing.assert_allclose(total, [958.51, 958.51, 650.0, 0.0, 0.0])
    np.testing.assert_allclose(paid["national_pension"][:2, 0], [658.51, 658.51])
    np.testing.assert_allclose(paid["earnings_related_pension"][:2, 0], [300.0, 300.0])


FULL = 658.51 + 300.0
LIMIT = 976.59


def test_pension_below_at_and_just_above_the_limit():
    # below and at the limit: paid; one cent above: suspended (at least 3 months)
    np.testing.assert_allclose(_pension(_history("disability_pension", [500.0, LIMIT, 0.0])),
                               [FULL, FULL, FULL])
    paid = _history("disability_pension", [LIMIT + 0.01, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(_pension(paid), [0.0, 0.0, 0.0, FULL])
    np.testing.assert_array_equal(paid["pension_suspended"][0], [True, True, True, False])


def test_suspension_lasts_while_earnings_stay_above_and_resumes_when_work_stops():
    # above the limit for 5 months: suspended 5 months; work stops in month 6: paid again
    paid = _history("rehabilitation_subsidy", [1500.0] * 5 + [0.0, 0.0])
    np.testing.assert_allclose(_pension(paid), [0.0] * 5 + [FULL, FULL])
    assert not paid["pension_ended"].any()
    # a second spell above the limit starts a new suspension, counted from one again
    paid = _history("disability_pension", [1500.0] * 4 + [0.0] + [1500.0] * 23 + [0.0])
    np.testing.assert_allclose(_pension(paid)[[3, 4, 5, 27, 28]], [0.0, FULL, 0.0, 0.0, FULL])
    assert not paid["pension_ended"].any()


def test_pension_ends_after_two_years_suspended_and_unemployment_follows():
    earnings = [1500.0] * 24 + [0.0, 400.0]
    paid = _history("disability_pension", earnings)
    np.testing.assert_allclose(_pension(paid), 0.0)
    np.testing.assert_array_equal(paid["pension_ended"][0], [False] * 23 + [True] * 3)
    # from the month after the end: the labour-market subsidy, tapered (800 - 0.5 x 400 = 600)
    np.testing.assert_allclose(paid["labour_market_subsidy"][0], [0.0] * 24 + [800.0, 600.0])
    # 23 months suspended then back under the limit: the pension resumes, it does not end
    paid = _history("disability_pension", [1500.0] * 23 + [0.0])
    np.testing.assert_allclose(_pension(paid)[-1], FULL)


def test_sickness_allowance_runs_out_into_a_rehabilitation_subsidy():
    # 6 months left at entry; a month with earnings is not paid and does not use the entitlement
    earnings = [0.0, 0.0, 100.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    paid = _history("sickness_allowance", earnings)
    np.testing.assert_allclose(paid["sickness_allowance"][0],
                               [900.0, 900.0, 0.0, 900.0, 900.0, 900.0, 900.0, 0.0, 0.0])
    np.testing.assert_allclose(_pension(paid), [0.0] * 7 + [FULL, FULL])


def test_nothing_is_paid_before_referral():
    e = np.zeros((1, 3))
    active = np.array([[False, True, True]])
    paid = economics.benefit_history(np.array(["labour_market_subsidy"], dtype=object), e, active,
                                     np.array([True]), ECON)
    np.testing.assert_allclose(paid["labour_market_subsidy"][0], [0.0, 800.0, 800.0])


def test_income_tax_by_the_2024_state_scale_after_the_allowance():
    # 2,500 a month = 30,000 a year, taxable 20,000: state 12.64% x 20,000 = 2,528,
    # municipal 7.46% x 20,000 = 1,492 a year
    tax = economics.income_taxes(2000.0, 500.0, ECON)
    assert tax["state"] * 12 == pytest.approx(2528.0)
    assert tax["municipality"] * 12 == pytest.approx(1492.0)
    # 60,000 a year of taxable income crosses three brackets:
    # 20,500 x 12.64% + 10,000 x 19% + 19,900 x 30.25% + 9,600 x 34% = 2591.2 + 1900 + 6019.75 + 3264
    assert economics.state_income_tax(60_000.0, ECON) == pytest.approx(13_774.95)
    # under the allowance nothing is due (a full national pension)
    assert economics.income_taxes(0.0, 775.70, ECON)["state"] == 0.0


def test_contributions_and_wage_subsidy():
    # 1,000 a month (12,000 a year, under the daily-allowance threshold)
    employee = economics.employee_contributions(1000.0, 200.0, ECON)
    assert employee["pension_providers"] == pytest.approx(71.5)
    assert employee["state"] == pytest.approx(15.0)
    assert employee["kela"] == pytest.approx(5.1 + 0.0148 * 200)
    # 1,500 a month is 18,000 a year: the daily-allowance contribution 1.01% applies
    assert economics.employee_contributions(1500.0, 0.0, ECON)["kela"] == \
        pytest.approx(1500 * (0.0051 + 0.0101))
    employer = economics.employer_contributions(1000.0, ECON)
    assert employer["pension_providers"] == pytest.approx(176.6)
    assert sum(employer.values()) == pytest.approx(1000 * (0.1766 + 0.0187 + 0.0052))
    # 50% of the wage cost: 0.5 x 1,000 x 1.2005
    assert economics.wage_subsidy(1000.0, ECON) == pytest.approx(600.25)


def test_staff_cost_of_a_team():
    # a team leader for 2 coaches spends 2/9 of the time: (2 x 40,000 + 50,000 x 2/9) x 1.23 x 1.15
    # / 12 a month; a team of 9 or more needs its leader full time
    leaders = economics.leader_time(1, 2, ECON)
    assert leaders == pytest.approx(2 / 9)
    expected = (80_000 + 50_000 * 2 / 9) * 1.23 * 1.15 / 12
    assert economics.staff_cost_per_month(2, leaders, ECON) == pytest.approx(expected)
    assert economics.leader_time(1, 12, ECON) == 1
    assert economics.staff_cost_per_month(9, 1, ECON) == pytest.approx(410_000 * 1.23 * 1.15 / 12)


def test_fidelity_reviews_every_six_months_until_good_then_yearly():
    # open 36 months (months 0-35): no review once the team has closed
    assert economics.fidelity_review_months(95, 36, ECON) == [6, 12, 18, 24, 30]
    assert economics.fidelity_review_months(100, 36, ECON) == [12, 24]
    assert economics.fidelity_review_months(100, 36.5, ECON) == [12, 24, 36]
    assert economics.fidelity_review_months(95, 5, ECON) == []


def test_reviews_per_year():
    assert economics.reviews_per_year(95, ECON) == 2 and economics.reviews_per_year(100, ECON) == 1


def test_break_even_month_is_where_the_cumulative_effect_stays_non_negative():
    assert economics.break_even_month(np.array([-5.0, -2.0, 1.0, 3.0])) == 3
    assert economics.break_even_month(np.array([-5.0, 1.0, -1.0, 0.0, 2.0])) == 4
    assert economics.break_even_month(np.array([1.0, 2.0])) == 1
    assert economics.break_even_month(np.array([-5.0, 1.0, -1.0])) == math.inf


def test_discounting_at_mid_month():
    factors = economics.discount_factors(24, ECON)
    assert factors[0] == pytest.approx(1.03 ** (-0.5 / 12))
    assert factors[12] / factors[0] == pytest.approx(1 / 1.03)


def test_discount_factors_are_the_c_librarys_on_every_machine():
    """Bit for bit the C library's pow: numpy's array power is chosen by CPU (AVX-512 takes
    another routine), which moved the golden files' last digits from one machine to the next."""
    factors = economics.discount_factors(120, ECON)
    assert factors.tolist() == [math.pow(1.03, -(m + 0.5) / 12.0) for m in range(120)]


def test_payers_sum_to_production_less_programme_cost():
    months = 3
    flows = {k: np.zeros(months) for k in (
        "national_pension", "earnings_related_pension", "labour_market_subsidy",
        "sickness_allowance", "tax_state", "tax_municipality", "employee_pension_providers",
        "employee_kela", "employee_state", "employer_pension_providers", "employer_kela",
        "employer_state", "programme_cost")}
    flows |= {"earnings": np.array([1000.0, 0.0, 500.0]),
              "subsidised_earnings": np.array([1000.0, 0.0, 0.0]),
              "labour_market_subsidy": np.array([300.0, 800.0, 550.0]),
              "tax_state": np.array([50.0, 0.0, 10.0]),
              "programme_cost": np.array([2000.0, 2000.0, 0.0])}
    net = economics.payer_flows(flows, ECON)
    production = flows["earnings"] * (1 + economics.employer_contribution_rate(ECON))
    np.testing.assert_allclose(net["society"], production - flows["programme_cost"])
    # the labour-market subsidy: half municipality, half Kela; programme and wage subsidy: state
    np.testing.assert_allclose(net["municipality"], -0.5 * flows["labour_market_subsidy"])
    np.testing.assert_allclose(net["state"], flows["tax_state"] - flows["programme_cost"]
                               - economics.wage_subsidy(flows["subsidised_earnings"], ECON))
    np.testing.assert_allclose(net["client"], flows["earnings"] + flows["labour_market_subsidy"]
                               - flows["tax_state"])


def _pensioner_spells(keep_share: float, seed: int = 3):
    from conftest import small_scenario
    from ipssim.experiments.runner import run_replication

    scenario = small_scenario(jobs={"keep_under_earnings_limit_share": keep_share,
                                    "ips_offer_rate_per_month": 1.5},
                              horizon_months=24)
    result = run_replication(scenario, seed, 0)
    return scenario, result


def test_pensioners_who_keep_under_the_limit_take_fewer_hours_and_nothing_else_changes():
    scenario, keep = _pensioner_spells(1.0)
    _, free = _pensioner_spells(0.0)
    limit = scenario.economics.benefits.pension_earnings_limit_eur
    for arm in ("ips", "usual"):
        s, c = keep.spells[arm], keep.clients[arm]
        pensioner = np.isin(c["benefit"][s["client_id"]], economics.PENSIONS)
        paid = s["job_type"] != "other"
        monthly = s["hours_per_week"] * s["hourly_wage_eur"] * MONTH_DAYS / 7
        assert (pensioner & paid).sum() > 5
        assert np.all(monthly[pensioner & paid] <= 0.95 * limit + 1e-9)
        # the same jobs on the same days (common random numbers hold); only hours differ
        other = free.spells[arm]
        np.testing.assert_array_equal(s["start_day"], other["start_day"])
        np.testing.assert_array_equal(s["hourly_wage_eur"], other["hourly_wage_eur"])
        np.testing.assert_array_equal(s["hours_per_week"][~pensioner],
                                      other["hours_per_week"][~pensioner])
        assert np.all(s["hours_per_week"] <= other["hours_per_week"])
        assert keep.trajectories[arm]["pensions_suspended"].sum() == 0


def test_national_pension_offset_and_ceiling():
    # 775.70 - 0.5 x (300 - 65.62) = 658.51; at the ceiling 775.70 - 0.5 x 1535.59; above: none
    paid = economics.national_pension(np.array([0.0, 300.0, 1601.21, 1601.22]), True, ECON)
    np.testing.assert_allclose(paid, [775.70, 658.51, 775.70 - 0.5 * 1535.59, 0.0])
    assert economics.national_pension(300.0, False, ECON) == pytest.approx(692.54 - 117.19)


def test_qalys_and_the_icer_when_the_module_is_on():
    from conftest import small_scenario
    from ipssim.experiments.runner import run_replication

    on = small_scenario(horizon_months=24, economics={"qaly": {"enabled": True}})
    result = run_replication(on, 3, 0)
    q = on.economics.qaly
    for arm in ("ips", "usual"):
        t = result.trajectories[arm]
        client_years = t["referred"].sum() / 12  # every referred client counts from referral
        assert q.utility_not_working * client_years <= t["qalys"].sum() + 1e-9
        assert t["qalys"].sum() <= q.utility_working * client_years + 1e-9
    ips, usual = result.metrics["ips"], result.metrics["usual"]
    gained = ips["qalys_pv"] - usual["qalys_pv"]
    assert gained > 0  # IPS clients work more months
    net_cost = usual["net_public_eur_pv"] - ips["net_public_eur_pv"]
    assert result.metrics["difference"]["icer_eur_per_qaly"] == pytest.approx(net_cost / gained)
    off = run_replication(small_scenario(horizon_months=24), 3, 0)
    assert "qalys" not in off.trajectories["ips"]
    assert "icer_eur_per_qaly" not in off.metrics["difference"]
