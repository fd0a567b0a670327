"""Who pays the programme, what its money bought, and trial recruitment: funders by year book the
programme cost to the right payers, the programme-money line adds up, a recruited trial keeps
every caseload at or under the cap, and bad funder or discount values give one-line errors."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ipssim
from conftest import ROOT, SMALL, small_scenario
from conftest import ipssim as ipssim_command
from ipssim.accounts.ledger import places_in_use
from ipssim.accounts.spending import SPENDING, spending_line
from ipssim.model.coaches import largest_caseload, place_units
from ipssim.scenario.load import parse_scenario
from ipssim.scenario.schema import ScenarioError
from ipssim.sweep.design import build_design
from ipssim.sweep.evaluators import ScenarioEvaluator
from ipssim.sweep.spec import load_sweep
from ipssim.vocabulary import MONTH_DAYS, PAYERS, PUBLIC_PAYERS

BY_YEAR = [{"from_year": 1, "shares": {"state": 1.0}},
           {"from_year": 2, "shares": {"state": 0.25, "wellbeing_county": 0.75}}]


def _with_economics(economics: dict, **changes: object):
    data = copy.deepcopy(SMALL) | changes
    data["economics"] = economics
    return parse_scenario(data)


def test_funders_by_year_pay_their_shares_of_each_months_cost():
    """Year 1 on the state, from year 2 a quarter on the state and three quarters on the county:
    each funder's loss against the same run funded by the state alone is its share of the
    programme cost of the months of its period, and the funders' sum is the whole cost."""
    horizon = 24
    split = ipssim.run(_with_economics({"payers": {"programme": BY_YEAR}}, horizon_months=horizon),
                       replications=1, seed=3)
    alone = ipssim.run(small_scenario(horizon_months=horizon), replications=1, seed=3)
    a = split.replications[0].trajectories["ips"]
    b = alone.replications[0].trajectories["ips"]
    cost = a["programme_cost_eur"]
    assert np.array_equal(cost, b["programme_cost_eur"]) and cost[12:].sum() > 0
    year_one = np.arange(horizon) < 12
    county = np.where(year_one, 0.0, 0.75 * cost)
    assert np.allclose(b["net_wellbeing_county_eur"] - a["net_wellbeing_county_eur"], county)
    assert np.allclose(a["net_state_eur"] - b["net_state_eur"], county)
    for payer in set(PAYERS) - {"state", "wellbeing_county"}:
        assert np.array_equal(a[f"net_{payer}_eur"], b[f"net_{payer}_eur"])
    assert np.allclose(a["net_public_eur"], b["net_public_eur"])
    # The county's discounted net is a headline line of its own, beside public and society.
    keys = [line.key for line in split.headline()]
    public = keys.index("net_public_eur_pv")
    assert keys[public:public + 3] == ["net_public_eur_pv", "net_wellbeing_county_eur_pv",
                                       "net_society_eur_pv"]
    assert split.value("net_wellbeing_county_eur_pv") < alone.value("net_wellbeing_county_eur_pv")


def test_the_programme_money_adds_up():
    """Spent is the programme cost, in use + idle = spent, spent + unspent = the budget (a
    budget-funded region's budgets over its open months, a headcount region's spending), the
    present value is the programme cost's, and the sentence's parts add up to its totals."""
    data = copy.deepcopy(SMALL) | {"horizon_months": 18}
    data["regions"] = [{"name": "Funded", "budget_eur_per_year": [300_000],
                        "referrals_per_month": 4.0, "employers": 20}, *data["regions"]]
    scenario = parse_scenario(data)
    result = ipssim.run(scenario, replications=2, seed=5)
    table = result.spending.set_index("figure")
    assert list(table.index) == list(SPENDING)
    for replication in result.replications:
        traj = replication.trajectories["ips"]
        spent = float(traj["programme_cost_eur"].sum())
        assert spent > 0
    means = table["mean"]
    assert means["spent_eur"] == pytest.approx(result.value("programme_cost_eur", "ips"))
    assert means["spent_eur_pv"] == pytest.approx(result.value("programme_cost_eur_pv", "ips"))
    assert means["in_use_eur"] + means["idle_eur"] == pytest.approx(means["spent_eur"])
    assert means["spent_eur"] + means["unspent_eur"] == pytest.approx(means["budget_eur"])
    months = scenario.closing_month(scenario.regions[0]) or scenario.horizon_months
    funded = 300_000 * months / 12
    assert means["budget_eur"] == pytest.approx(funded + sum(
        float(r.regions[1].trajectories["ips"]["programme_cost_eur"].sum())
        for r in result.replications) / 2)
    assert 0 < means["idle_eur"] < means["spent_eur"] and means["unspent_eur"] > 0
    assert means["client_months"] <= means["place_months"]
    assert means["programme_cost_per_client_started_eur"] == pytest.approx(
        np.mean([r.metrics["ips"]["programme_cost_eur"] / r.metrics["ips"]["clients_started"]
                 for r in result.replications]))
    line = spending_line(dict(means), scenario)
    budget, spent, in_use, idle = (float(x) for x in re.findall(r"([\d.]+) M", line)[:4])
    unspent = float(re.search(r"([\d.]+) M unspent", line).group(1))
    assert round(in_use + idle, 2) == spent and round(spent + unspent, 2) == budget


def test_the_place_months_are_coaches_in_post_times_the_cap():
    """A fixed team: place-months are coaches x cap x months open, hand-worked."""
    scenario = small_scenario()
    result = ipssim.run(scenario, replications=1, seed=2)
    months = scenario.closing_month(scenario.regions[0]) or scenario.horizon_months
    posts = sum(r.coaches for r in scenario.regions)
    assert all(not r.staffing for r in scenario.regions)
    assert result.spending.set_index("figure")["mean"]["place_months"] == pytest.approx(
        posts * scenario.coaching.caseload_cap * months)


def _recruited_trial(**changes: object) -> dict:
    data = yaml.safe_load((ROOT / "scenarios" / "europe_rct.yaml").read_text())
    data.pop("calibration")
    data.pop("calibration_scope")
    data["regions"][0] |= {"cohort_size": 150, "coaches": 8, "employers": 60}
    return data | {"horizon_months": 40} | changes


def test_recruitment_keeps_caseloads_at_or_under_the_cap_and_nobody_waits():
    """A trial cohort recruited evenly over 12 months, each served for the 24-month window from
    entry: the team follows its caseload (coaches at each month's start for the places the clients
    in IPS take and the month's recruits), so nobody is admitted above the cap (a caseload passes
    it only by follow-along returns), nobody waits, the places in post are mostly in use, and far
    fewer coach-months are paid than for the whole team."""
    recruited = parse_scenario(_recruited_trial())
    assert recruited.recruitment_months == 12 and recruited.closing_month(recruited.regions[0]) == 36
    cap = recruited.coaching.caseload_cap
    units, _ = place_units(recruited.coaching)
    result = ipssim.run(recruited, replications=2, seed=9)
    day0 = ipssim.run(parse_scenario(_recruited_trial(recruitment_months=0)), replications=2,
                      seed=9)
    for run in (result, day0):
        clients = run.clients[run.clients.arm == "ips"]
        assert (clients.start_day == clients.referral_day).all()
        assert run.value("max_caseload", "ips") <= largest_caseload(recruited.coaching) / units \
            and not len(
            np.concatenate([r.waits[r.waits > 0] for r in run.replications]))
    ips = result.clients[result.clients.arm == "ips"]
    assert ips.referral_day.min() == 0 and 11 * MONTH_DAYS < ips.referral_day.max() < 12 * MONTH_DAYS
    served = ips.exit_day.fillna(np.inf) - ips.referral_day
    assert (served <= 24 * MONTH_DAYS + 1e-6).all() and (served > 12 * MONTH_DAYS).any()
    for replication in result.replications:
        trajectory = replication.trajectories["ips"]
        trace = replication.staffing_traces[0]
        month_start = np.arange(36) * MONTH_DAYS
        in_post = trace[np.searchsorted(trace[:, 0], month_start, side="right") - 1, 1]
        assert in_post.max() <= 8 and in_post[0] == 1  # 13 recruits in month 0
        # in post: what the clients in IPS at the month's start and its recruits need
        mine = ips[ips.replication == replication.replication]
        recruits = np.histogram(mine.referral_day, bins=np.arange(37) * MONTH_DAYS)[0]
        enrolled_before = np.concatenate([[0], places_in_use(trajectory, recruited)[:35]])
        assert (in_post * cap >= enrolled_before[:36] + recruits - 0.5).all()
    spent = result.spending.set_index("figure")["mean"]
    whole_team = 8 * cap * 36
    assert spent["place_months"] < 0.6 * whole_team and spent["place_use_share"] > 0.6
    assert spent["idle_share"] < 0.4


def test_recruitment_outside_a_trial_or_after_the_close_is_refused():
    with pytest.raises(ScenarioError, match="recruitment_months: applies to trial mode only"):
        small_scenario(recruitment_months=6)
    with pytest.raises(ScenarioError, match="recruitment_months: must end before"):
        parse_scenario(_recruited_trial(recruitment_months=30, operating_months=24))
    data = _recruited_trial()
    data["regions"][0]["staffing"] = [{"month": 3, "coaches": 10}]
    with pytest.raises(ScenarioError, match=r"regions\[0\].staffing: a recruited trial hires"):
        parse_scenario(data)


BAD_ECONOMICS = (
    ({"payers": {"programme": {"state": 0.5}}}, "economics.payers.programme"),
    ({"payers": {"programme": [{"from_year": 2, "shares": {"state": 1.0}}]}},
     "economics.payers.programme"),
    ({"payers": {"programme": [*BY_YEAR, {"from_year": 2, "shares": {"kela": 1.0}}]}},
     "economics.payers.programme"),
    ({"payers": {"programme": [{"from_year": 1, "shares": {"nobody": 1.0}}]}},
     "economics.payers.programme[0].shares.nobody"),
    ({"payers": {"programme": "state"}}, "economics.payers.programme"),
    ({"effects_discount_rate_per_year": 0.5}, "economics.effects_discount_rate_per_year"),
    ({"discount_rate_per_year": -0.01}, "economics.discount_rate_per_year"),
)


@pytest.mark.parametrize(("economics", "where"), BAD_ECONOMICS)
def test_bad_funders_and_discount_rates_are_one_line_errors(economics, where):
    with pytest.raises(ScenarioError) as error:
        _with_economics(economics)
    message = str(error.value)
    assert "\n" not in message and where in message


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shares=st.dictionaries(st.sampled_from(PUBLIC_PAYERS), st.floats(-1, 2), min_size=1),
       year=st.integers(-3, 60), rate=st.one_of(st.floats(allow_nan=True), st.text(max_size=5)))
def test_any_funding_or_effects_rate_is_taken_or_refused_in_one_line(shares, year, rate):
    """Whatever the shares, start year or effects discount rate: a valid scenario or one line
    naming the field."""
    economics = {"payers": {"programme": [{"from_year": year, "shares": shares}]},
                 "effects_discount_rate_per_year": rate}
    try:
        _with_economics(economics)
    except ScenarioError as error:
        message = str(error)
        assert "\n" not in message and "economics." in message
    else:
        assert year == 1 and abs(sum(shares.values()) - 1) <= 1e-6
        assert 0 <= rate <= 0.2


@pytest.mark.parametrize("name", ["finland_pilot", "finland_ten_counties"])
def test_the_one_way_sweep_covers_every_uncertain_parameter(name):
    """Every parameter with a PSA distribution in the sweep's scenario is varied in the bundled
    one-way sweep, and every point of it and of the Morris design is a valid scenario (the
    design validates each point before anything runs)."""
    for kind in ("one_way", "morris"):
        spec, scenario_path = load_sweep(ROOT / "sweeps" / f"{name}_{kind}.yaml")
        evaluator = ScenarioEvaluator(scenario_path)
        design = build_design(spec, evaluator)
        if kind == "one_way":
            uncertain = set(evaluator.uncertainty.parameters)
            assert uncertain and not uncertain - set(spec.parameters), \
                f"missing from the one-way sweep: {sorted(uncertain - set(spec.parameters))}"
            assert len(design.points) == 1 + 2 * len(spec.parameters)
        else:
            assert spec.kind == "global" and spec.method == "morris"
            assert len(design.points) == spec.samples * (len(evaluator.uncertainty.parameters) + 2)


def test_run_prints_and_reports_the_money_line_with_the_price_year(tmp_path):
    """``ipssim run`` prints the programme-money line and the gross ratio beside the net return;
    spending.csv and the report's tables name each money column's currency and price year."""
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL | {"economics": {"price_year": 2023}}))
    done = ipssim_command("run", path, "--replications", "2", "--seed", "4", "--workers", "1",
                          "--out", tmp_path / "out", "--plotlyjs", "cdn", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "  Programme money: " in done.stdout and " EUR budget: " in done.stdout
    assert "Gross benefit-cost ratio (benefits / programme cost), public purse" in done.stdout
    assert "Net return per euro of programme cost (net effect / programme cost)" in done.stdout
    spent = (tmp_path / "out" / "spending.csv").read_text().splitlines()
    assert spent[0].startswith("figure,unit,mean") and spent[1].startswith("budget_eur,EUR 2023,")
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "What the programme&#x27;s money bought" in report or \
        "What the programme's money bought" in report
    summary = report[report.index("<h2>Summary</h2>"):]
    assert "<th>unit</th>" in summary and "EUR 2023, discounted" in summary
