"""Parameter uncertainty inside runs and comparisons: one draw per replication, the same draw
for every option, reproducible by seed whatever the workers, within each distribution's support."""

from __future__ import annotations

import csv
import json
import time

import numpy as np
import pytest

from conftest import SCENARIOS, ipssim, small_scenario
from ipssim.api import InputError, ScenarioError, compare, load_scenario, run
from ipssim.experiments.uncertain import (
    RANGE_REPLICATIONS,
    calibrated_rows,
    draw_parameters,
    range_note,
)
from ipssim.scenario.sampling import gamma_shape, ppf
from ipssim.scenario.uncertainty import GammaDistribution

UNCERTAINTY = {"parameters": {
    "economics.costs.coach_salary_eur_per_year": {"dist": "gamma", "mean": 40000, "sd": 6000},
    "economics.costs.overhead_rate": {"dist": "beta", "mean": 0.15, "sd": 0.05},
    "jobs.hourly_wage_median_eur": {"dist": "lognormal", "mean": 13.5, "sd": 2.0},
    "coaching.caseload_elasticity": {"dist": "uniform", "low": 0.2, "high": 0.8},
    "regions[*].employers": {"dist": "triangular", "low": 10, "mode": 20, "high": 30},
}}


def _uncertain(**changes: object):
    return small_scenario(uncertainty=UNCERTAINTY, **changes)


@pytest.fixture(scope="module")
def options():
    """Two options with the same distributions (caseload cap 20 and 12), compared on 4
    replications with parameter uncertainty."""
    base = _uncertain(name="cap20")
    variant = _uncertain(name="cap12", coaching={"caseload_cap": 12})
    return compare([base, variant], replications=4, seed=5, parameter_uncertainty=True)


def test_every_option_runs_replication_r_on_the_same_draw(options):
    first, second = options.comparison.results
    assert [r.parameters for r in first] == [r.parameters for r in second]
    salaries = [r.parameters["economics.costs.coach_salary_eur_per_year"] for r in first]
    assert len(set(salaries)) == 4  # a draw per replication, not one for the run


def test_the_draws_depend_on_the_seed_and_the_replication_only():
    scenario = _uncertain()
    again = draw_parameters([scenario, _uncertain(name="other", horizon_months=6)], 5, 6)
    assert draw_parameters([scenario], 5, 6).values == again.values
    assert draw_parameters([scenario], 5, 3).values == again.values[:3]  # not by run length
    assert draw_parameters([scenario], 6, 6).values != again.values


def test_a_drawn_run_is_bit_identical_on_one_and_two_workers(tmp_path):
    scenario = _uncertain(horizon_months=6)
    for workers in (1, 2):
        run(scenario, replications=3, seed=9, workers=workers, parameter_uncertainty=True,
            out=tmp_path / f"w{workers}")
    for name in ("summary.csv", "parameters.csv", "net_effect.csv", "trajectories.parquet"):
        assert (tmp_path / "w1" / name).read_bytes() == (tmp_path / "w2" / name).read_bytes(), name
    rows = list(csv.DictReader((tmp_path / "w1" / "parameters.csv").read_text().splitlines()))
    assert [row["replication"] for row in rows] == ["0", "1", "2"]
    assert set(rows[0]) == {"replication", *UNCERTAINTY["parameters"]}
    manifest = json.loads((tmp_path / "w1" / "manifest.json").read_text())
    assert manifest["parameters_drawn"] == 5
    assert "gamma(mean 40000, sd 6000)" in manifest["parameter_uncertainty"][
        "economics.costs.coach_salary_eur_per_year"]


def test_the_drawn_values_are_what_the_replication_ran_on():
    result = run(_uncertain(horizon_months=6), replications=2, seed=3,
                 parameter_uncertainty=True)
    for replication in result.replications:
        employers = replication.parameters["regions[*].employers"]
        assert isinstance(employers, int) and 10 <= employers <= 30  # a whole number, rounded
    # programme cost moves with the drawn salary and overhead: not the same in both replications
    costs = result.summary.query("metric == 'programme_cost_eur' and arm == 'ips'")
    assert costs["hi95"].iloc[0] > costs["lo95"].iloc[0]


def test_drawn_values_stay_within_their_distributions_support():
    draws = draw_parameters([_uncertain()], 11, 300).values
    column = {path: np.array([d[path] for d in draws]) for path in draws[0]}
    salary = column["economics.costs.coach_salary_eur_per_year"]
    gamma = UNCERTAINTY["parameters"]["economics.costs.coach_salary_eur_per_year"]
    shape = GammaDistribution(**gamma)
    low, high = ppf(shape, [0.0, 1.0])  # the 0.1st and 99.9th percentiles
    assert salary.min() >= low and salary.max() <= high and salary.min() > 0
    assert abs(salary.mean() - np.prod(gamma_shape(shape))) < 1500  # the mean, within its error
    assert ((column["economics.costs.overhead_rate"] > 0)
            & (column["economics.costs.overhead_rate"] < 1)).all()
    assert (column["jobs.hourly_wage_median_eur"] > 0).all()
    elasticity = column["coaching.caseload_elasticity"]
    assert elasticity.min() >= 0.2 and elasticity.max() <= 0.8
    assert elasticity.max() - elasticity.min() > 0.5  # spread over its range, not one value


def test_the_calibrated_sample_is_drawn_by_whole_rows():
    scenario = load_scenario(SCENARIOS / "finland_pilot_uncertainty.yaml")
    rows = calibrated_rows(scenario)
    assert len(rows) > 1
    draws = draw_parameters([scenario], 2, 40).values
    for draw in draws:
        assert {p: draw[p] for p in rows[0]} in rows  # one parameter set, kept together
        contacts = draw["coaching.employer_contacts_per_week"]
        assert 1.0 <= contacts <= 6.0


def test_ranges_widen_when_parameter_uncertainty_is_on():
    scenario = _uncertain(horizon_months=6)
    fixed = run(scenario, replications=6, seed=4).summary
    drawn = run(scenario, replications=6, seed=4, parameter_uncertainty=True).summary
    # the salary and overhead draws move the programme's cost, which the clients' luck alone
    # barely moves (only through coaches leaving and being replaced)
    rows = {name: summary[(summary.metric == "programme_cost_eur_pv")
                          & (summary.arm == "ips")].iloc[0]
            for name, summary in (("fixed", fixed), ("drawn", drawn))}
    assert rows["drawn"]["hi95"] - rows["drawn"]["lo95"] > 2 * (rows["fixed"]["hi95"]
                                                                 - rows["fixed"]["lo95"])
    assert rows["drawn"]["mc_se"] > 2 * rows["fixed"]["mc_se"]


def test_a_run_says_what_its_ranges_include_and_when_they_are_rough():
    assert "parameter uncertainty: 5" in range_note(4, 5)
    assert "rough" in range_note(RANGE_REPLICATIONS - 1, 5)
    assert "rough" not in range_note(RANGE_REPLICATIONS, 0)
    assert "Monte Carlo variation only" in range_note(RANGE_REPLICATIONS, 0)


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_a_bad_flag_is_one_line(value):
    with pytest.raises(InputError, match="parameter_uncertainty: must be True or False"):
        run(_uncertain(), replications=1, parameter_uncertainty=value)


def test_a_scenario_without_distributions_is_refused_in_one_line():
    with pytest.raises(ScenarioError, match=r"gives no uncertainty\.parameters") as error:
        run(small_scenario(), replications=1, parameter_uncertainty=True)
    assert "\n" not in str(error.value)


def test_options_with_other_distributions_are_refused():
    other = small_scenario(name="other", uncertainty={"parameters": {
        "coaching.caseload_elasticity": {"dist": "uniform", "low": 0.1, "high": 0.9}}})
    with pytest.raises(ScenarioError, match="must share them"):
        compare([_uncertain(), other], replications=2, parameter_uncertainty=True)


def test_a_draw_the_scenario_cannot_take_is_refused_before_the_run():
    bad = small_scenario(uncertainty={"parameters": {
        "coaching.caseload_elasticity": {"dist": "uniform", "low": -2.0, "high": -1.0}}})
    with pytest.raises(ScenarioError, match="the draw of replication 0 does not fit"):
        run(bad, replications=2, parameter_uncertainty=True)


def test_the_command_line_draws_and_says_so(tmp_path):
    done = ipssim("run", SCENARIOS / "finland_pilot_uncertainty.yaml", "--replications", "2",
                  "--workers", "1", "--tables", "summary", "--parameter-uncertainty",
                  "--out", tmp_path / "run")
    assert done.returncode == 0, done.stderr
    assert "Ranges include parameter uncertainty" in done.stdout and "rough" in done.stdout
    assert (tmp_path / "run" / "parameters.csv").exists()
    refused = ipssim("run", SCENARIOS / "finland_pilot.yaml", "--replications", "2",
                     "--parameter-uncertainty", "--out", tmp_path / "bad")
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "uncertainty" in refused.stderr and not (tmp_path / "bad").exists()


def test_the_workbench_queue_runs_with_parameter_uncertainty_and_says_so():
    from ipssim.app.page import headline_panel
    from ipssim.app.runs import RunStore

    store = RunStore(workers=1)
    session = store.new_session()
    scenario = _uncertain(horizon_months=6)
    drawn = store.start(session, scenario, 2, 7, "drawn", parameter_uncertainty=True)
    deadline = time.monotonic() + 120
    while drawn.state in ("queued", "running"):
        assert time.monotonic() < deadline, "the run did not finish in time"
        time.sleep(0.05)
    assert drawn.state == "finished", drawn.message
    assert drawn.result.replications[0].parameters  # drawn, not the scenario's values
    assert "Ranges include parameter uncertainty" in str(headline_panel(drawn))


def test_options_that_differ_in_staff_share_the_usual_arm_with_the_same_numbers():
    """A comparison simulates the usual-services arm once for options that differ only in IPS
    staff; each option's numbers are still those of its own run, bit for bit."""
    base = _uncertain(name="two", horizon_months=6)
    more = _uncertain(name="four", horizon_months=6, regions=[
        {"name": "A", "coaches": 4, "team_leaders": 1, "referrals_per_month": 6.0,
         "employers": 20}])
    both = compare([base, more], replications=3, seed=13, parameter_uncertainty=True)
    for index, scenario in enumerate((base, more)):
        alone = run(scenario, replications=3, seed=13, parameter_uncertainty=True)
        assert repr(both.comparison.summaries[index]) == repr(alone._summary)  # NaN too
        for r, own in zip(both.comparison.results[index], alone.replications, strict=True):
            assert repr((r.metrics, r.subgroups, r.trajectories)) == repr(
                (own.metrics, own.subgroups, own.trajectories))
    usual = [r.metrics["usual"] for r in both.comparison.results[0]]
    assert usual == [r.metrics["usual"] for r in both.comparison.results[1]]
    assert both.comparison.results[0][0].metrics["ips"] != both.comparison.results[1][0].metrics["ips"]
