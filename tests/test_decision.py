"""Options as a decision: incremental analysis, net monetary benefit, the acceptability frontier
and the value of information, on hand-built tables and draws whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from ipssim.experiments.decision import (
    EDF_PER_DRAW,
    VIEW_WORDS,
    acceptability,
    choice,
    decide,
    decision_table,
    decisions,
    evppi,
    evppi_fit,
    icer,
    incremental_analysis,
    net_benefit,
    nmb_bounds,
    run_icers,
    verdicts,
)
from ipssim.stats import RANGE_REPLICATIONS

OPTIONS = ["usual", "B", "C", "D", "E"]
COSTS = [0.0, 100.0, 250.0, 350.0, 400.0]
EFFECTS = [0.0, 1.0, 1.5, 3.0, 2.5]
"""B: 100 a unit over usual. C: 300 a unit over B, but D is 66.7 a unit over C, so a mix of B
and D beats C (extended dominance). E costs more than D and achieves less (dominated)."""


def test_incremental_analysis_flags_dominated_and_extendedly_dominated_options():
    rows = {r.option: r for r in incremental_analysis(OPTIONS, COSTS, EFFECTS)}
    assert [r.option for r in incremental_analysis(OPTIONS, COSTS, EFFECTS)] == OPTIONS
    assert {o: r.status for o, r in rows.items()} == {
        "usual": "frontier", "B": "frontier", "C": "extendedly dominated", "D": "frontier",
        "E": "dominated"}
    assert rows["E"].reference == "D"
    assert rows["C"].reference == "B and D"
    assert rows["B"].icer == pytest.approx(100.0)
    # D is compared with B, the next cheaper option on the frontier, not with C
    assert rows["D"].reference == "B"
    assert (rows["D"].incremental_cost, rows["D"].incremental_effect) == (250.0, 2.0)
    assert rows["D"].icer == pytest.approx(125.0)
    assert math.isnan(rows["C"].icer) and math.isnan(rows["usual"].icer)


def test_incremental_analysis_orders_by_cost_whatever_the_input_order():
    shuffled = [4, 2, 0, 3, 1]
    rows = incremental_analysis([OPTIONS[i] for i in shuffled], [COSTS[i] for i in shuffled],
                                [EFFECTS[i] for i in shuffled])
    assert [r.option for r in rows] == OPTIONS
    assert [r.status for r in rows].count("frontier") == 3


def test_an_option_cheaper_and_better_than_usual_services_dominates_it():
    rows = incremental_analysis(["usual", "ips"], [0.0, -50.0], [0.0, 2.0])
    assert [(r.option, r.status, r.reference) for r in rows] == [
        ("ips", "frontier", ""), ("usual", "dominated", "ips")]


def test_net_benefit_picks_the_option_with_the_highest_expected_value():
    nmb = net_benefit(np.array([COSTS]), np.array([EFFECTS]), 200.0)
    assert nmb.tolist() == [[0.0, 100.0, 50.0, 250.0, 100.0]]
    chosen = choice(nmb)
    assert OPTIONS[chosen.best] == "D" and chosen.p_best[3] == 1.0 and chosen.evpi == 0.0


def test_the_best_option_in_expectation_need_not_be_the_most_often_best():
    # B beats usual services by 1 in 9 draws of 10 and loses 20 in the tenth: E[NMB] = -1.1
    nmb = np.column_stack([np.zeros(10), np.r_[np.ones(9), -20.0]])
    chosen = choice(nmb)
    assert chosen.best == 0
    assert chosen.p_best.tolist() == pytest.approx([0.1, 0.9])
    # perfect information would take B in 9 draws: E[max] = 0.9, max E = 0
    assert chosen.evpi == pytest.approx(0.9)


def test_the_acceptability_frontier_switches_where_the_expected_net_benefits_cross():
    # three options; B costs 100 a person more than usual services, C 300 for 2 people, with
    # noise that is symmetric around zero in every draw (so the means are exact)
    rng = np.random.default_rng(3)
    noise = rng.normal(0.0, 50.0, 400)
    noise = np.r_[noise, -noise]
    costs = np.column_stack([np.zeros(800), 100.0 + noise, 300.0 + 2 * noise])
    effects = np.column_stack([np.zeros(800), np.ones(800), 2 * np.ones(800)])
    table = acceptability(["usual", "B", "C"], costs, effects, [50.0, 150.0, 250.0])
    frontier = [o for o, on in zip(table["option"], table["on_frontier"], strict=True) if on]
    # E[NMB]: B = w - 100, C = 2w - 300: usual below 100, B from 100 to 200, C above 200
    assert frontier == ["usual", "B", "C"]
    p = dict(zip(zip(table["wtp_eur"], table["option"], strict=True), table["p_best"],
                 strict=True))
    assert sum(p[(150.0, o)] for o in ("usual", "B", "C")) == pytest.approx(1.0)
    # at 150, B is best when its noise is below 50 and above -50 (C then loses to B or usual)
    expected = float(np.mean(np.abs(noise) < 50.0))
    assert p[(150.0, "B")] == pytest.approx(expected)


def test_evppi_of_a_linear_toy_matches_the_closed_form():
    """Two options; the incremental NMB is mu + b1 X1 + b2 X2 with X1, X2 independent standard
    normals. Knowing X1 leaves E[INB | X1] = mu + b1 X1 ~ N(mu, b1^2), so
    EVPPI(X1) = mu Phi(mu / b1) + b1 phi(mu / b1) - max(mu, 0), and knowing both gives the EVPI
    with s = sqrt(b1^2 + b2^2) in place of b1.

    Tolerance: the estimate is a mean over n draws of max(fitted, 0); its Monte Carlo standard
    error is sd(max(mu + b1 X1, 0)) / sqrt(n) (about 0.021 here for n = 2000); the spline's own
    error is far smaller on a linear truth, so 4 standard errors bound a correct estimate."""
    mu, b1, b2, n = 0.3, 1.0, 2.0, 2000
    rng = np.random.default_rng(11)
    x = rng.standard_normal((n, 2))
    inb = mu + x @ np.array([b1, b2])
    nmb = np.column_stack([np.zeros(n), inb])

    def closed(s: float) -> float:
        return mu * norm.cdf(mu / s) + s * norm.pdf(mu / s) - max(mu, 0.0)

    se = float(np.std(np.maximum(mu + b1 * x[:, 0], 0.0)) / math.sqrt(n))
    assert evppi(nmb, x[:, 0]) == pytest.approx(closed(b1), abs=4 * se)
    se_both = float(np.std(np.maximum(inb, 0.0)) / math.sqrt(n))
    assert evppi(nmb, x) == pytest.approx(closed(math.hypot(b1, b2)), abs=4 * se_both)
    # a parameter the NMB does not depend on is worth (almost) nothing
    assert evppi(nmb, rng.standard_normal(n)) < 0.02
    # the value of the group is at least that of each part
    assert evppi(nmb, x) >= evppi(nmb, x[:, 1]) >= evppi(nmb, x[:, 0])


def test_a_large_group_on_few_draws_is_not_trusted():
    """20 parameters that change nothing, on 60 draws: each keeps at least its linear term, so
    the regression has over 20 degrees of freedom, more than one per ten draws; its EVPPI has
    crept above 0 from the noise, and the fit says it cannot be trusted."""
    rng = np.random.default_rng(8)
    nmb = np.column_stack([np.zeros(60), rng.normal(0.0, 1.0, 60)])
    value, edf = evppi_fit(nmb, rng.standard_normal((60, 20)))
    assert edf > 20 > EDF_PER_DRAW * 60 and value > 0
    one, edf_one = evppi_fit(nmb, rng.standard_normal(60))
    assert edf_one <= EDF_PER_DRAW * 60 and one < value


def test_decide_gives_a_table_and_a_verdict_with_its_probability():
    rng = np.random.default_rng(5)
    draws = 50
    noise = rng.normal(0, 20.0, (draws, 5))
    costs = np.array(COSTS) + noise
    effects = np.tile(EFFECTS, (draws, 1))
    decision = decide(OPTIONS, costs, effects, "society", "employed", 200.0)
    table = decision_table([decision])
    assert table["option"] == OPTIONS and table["status"][2] == "extendedly dominated"
    assert table["best"] == [False, False, False, True, False]
    [line] = verdicts([decision])
    p = table["p_best"][3]
    assert line.startswith("D has the highest expected net benefit for society at 200 EUR per "
                           "additional person in competitive work")
    assert f"probability it is the best {p:.2f} over 50 replications" in line
    # on money alone usual services costs least in every draw but a few
    money = float(np.mean(costs.argmin(axis=1) == 0))
    assert line.endswith(f"; on money alone, usual (probability {money:.2f}).")
    assert "rough" not in line.split("replications")[-1] or draws < RANGE_REPLICATIONS


def test_icer_states_dominance_and_a_range_only_where_replications_support_it():
    rng = np.random.default_rng(2)
    gains = rng.uniform(1.0, 3.0, 60)
    costs = 1000.0 * gains + rng.normal(0, 100, 60)
    full = icer(costs, gains, "public")
    assert full.icer == pytest.approx(costs.mean() / gains.mean())
    assert full.lo95 < full.icer < full.hi95
    few = icer(costs[:10], gains[:10], "public")
    assert math.isnan(few.lo95) and "only 10 replications, 40 needed" in few.words()
    cheaper = icer(-costs, gains, "society")
    assert cheaper.dominance == "IPS dominates" and math.isnan(cheaper.icer)
    assert "IPS dominates (saves" in cheaper.words()
    assert icer(costs, -gains, "public").dominance == "IPS is dominated"


def test_runs_and_a_comparison_give_the_same_decision_and_a_run_states_its_icers():
    """Two small programmes run apart with one seed are the comparison of the two (common
    random numbers): the page's decision over runs equals ``compare``'s. A run of 3
    replications states each perspective's ICER without a range."""
    from conftest import small_scenario
    from ipssim import api

    small = small_scenario(name="two")
    bigger = small_scenario(name="four", regions=[{"name": "A", "coaches": 4, "team_leaders": 1,
                                                  "referrals_per_month": 6.0, "employers": 20}])
    runs = {s.name: api.run(s, 3, 9) for s in (small, bigger)}
    by_runs = api.decision(runs, wtp=10_000)
    by_compare = api.compare([small, bigger], 3, 9, wtp=10_000).decision
    assert by_runs.paired and by_runs.draws == 3
    assert by_runs.table.equals(by_compare)
    assert set(by_runs.table["option"]) == {"usual services", "two", "four"}
    for line in runs["two"].icers:
        words = line.words()
        assert words.startswith(f"ICER, {VIEW_WORDS[line.view]}: ")
        assert "IPS dominates" in words or "IPS is dominated" in words or \
            "no 95% range: only 3 replications, 40 needed" in words
    with pytest.raises(api.InputError, match=r"^wtp: must be a number of euros from 0 to 1e9"):
        api.decision(runs, wtp=float("nan"))


def test_the_county_is_a_perspective_where_its_money_moves():
    """Hand-built replications: option A costs the county 100 a replication and puts 1 person
    in work, B costs it 300 for 2; where the county's net is 0 everywhere it is no perspective."""
    def replication(county: float, gained: float) -> dict[str, dict[str, float]]:
        return {"difference": {"net_public_eur_pv": -county, "net_society_eur_pv": 50.0,
                               "net_wellbeing_county_eur_pv": -county,
                               "additional_employed_competitive_by_horizon": gained}}

    metrics = [[replication(100.0, 1.0)] * 3, [replication(300.0, 2.0)] * 3]
    found = decisions(["A", "B"], metrics, wtp=150.0)
    assert [p.view for p in found] == ["public", "wellbeing_county", "society"]
    county = found[1]
    assert [r.option for r in county.rows] == ["usual services", "A", "B"]
    assert [r.icer for r in county.rows][1:] == [100.0, 200.0]
    # at 150 a person: A 50, B 0, usual services 0
    assert verdicts([county])[0].startswith(
        "A has the highest expected net benefit for the wellbeing services county at 150 EUR")
    flat = [[replication(0.0, 1.0)] * 3, [replication(0.0, 2.0)] * 3]
    assert [p.view for p in decisions(["A", "B"], flat)] == ["public", "society"]


def test_a_runs_net_monetary_benefit_per_person_is_worked_from_its_summary():
    """NMB per person referred = (willingness to pay x additional people in competitive work -
    net cost to the perspective) / people referred, each a mean over the run's replications."""
    from conftest import small_scenario
    from ipssim import api

    result = api.run(small_scenario(), 3, 9)
    people = result.value("clients_referred", "ips")
    gained = result.value("additional_employed_competitive_by_horizon", "difference")
    for line in result.icers:
        cost = -result.value(f"net_{line.view}_eur_pv", "difference")
        assert line.nmb_per_person == pytest.approx((20_000 * gained - cost) / people, rel=1e-9)
        assert line.words().endswith(f"net monetary benefit at 20,000 EUR per additional person "
                                     f"in competitive work: {line.nmb_per_person:,.0f} EUR per "
                                     "person referred")
    richer = run_icers([r.metrics for r in result.replications], wtp=50_000)
    assert all(b.nmb_per_person > a.nmb_per_person for a, b in zip(result.icers, richer,
                                                                     strict=True)) or gained <= 0


def test_the_net_benefit_is_bounded_by_its_range_only_from_40_draws():
    """From 40 draws an option's NMB bounds are the 2.5th and 97.5th percentiles over draws;
    with fewer, the expected NMB's 95% interval (mean +/- 1.96 sd / sqrt(n)), and
    ``nmb_bounds`` says which."""
    rng = np.random.default_rng(4)
    for draws in (10, RANGE_REPLICATIONS):
        costs = np.column_stack([np.zeros(draws), rng.normal(1000, 300, draws)])
        effects = np.column_stack([np.zeros(draws), rng.normal(0.2, 0.05, draws)])
        p = decide(["usual", "B"], costs, effects, "public", "employed", 20_000)
        nmb = 20_000 * effects[:, 1] - costs[:, 1]
        lo, hi = p.nmb_band[0][1], p.nmb_band[1][1]
        if draws < RANGE_REPLICATIONS:
            half = 1.96 * nmb.std(ddof=1) / np.sqrt(draws)
            assert (lo, hi) == pytest.approx((nmb.mean() - half, nmb.mean() + half))
            assert nmb_bounds(draws) == "95% interval of the mean"
        else:
            assert (lo, hi) == pytest.approx(tuple(np.percentile(nmb, [2.5, 97.5])))
            assert nmb_bounds(draws) == "95% range"
