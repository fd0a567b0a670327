"""Input limits: work beyond reason refused before it starts, nonsense refused at load, and every
error line short with its cause first (each case was accepted, slow or garbled before)."""

from __future__ import annotations

import copy
import math
import time
import unicodedata

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, SCENARIOS, SMALL, ipssim, write_yaml
from ipssim.api import with_changes
from ipssim.experiments.sizing import region_index
from ipssim.money.parameters import MAX_EUROS, MAX_MONTHLY_EUR
from ipssim.scenario.load import parse_scenario, read_scenario_data, read_scenario_file
from ipssim.scenario.paths import check_path
from ipssim.scenario.schema import MAX_REGION_NAME, ScenarioError
from ipssim.scenario.uncertainty import Uncertainty
from ipssim.sweep.design import build_design
from ipssim.sweep.evaluators import FunctionEvaluator, ScenarioEvaluator
from ipssim.sweep.spec import MAX_POINTS, SweepError, parse_sweep
from ipssim.validation import MAX_MESSAGE, InputError

GOLDEN = ROOT / "tests" / "golden"


def _small(**changes: object) -> dict:
    data = copy.deepcopy(SMALL)
    data.update(changes)
    return data


def _refused(data: dict) -> str:
    """The one-line message that refuses ``data``."""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    message = str(caught.value)
    assert "\n" not in message and len(message) <= MAX_MESSAGE, message
    return message


def _sweep_file(tmp_path, **fields: object):
    """A sweep of the golden scenario (copied beside it, with its calibration path fixed)."""
    scenario = yaml.safe_load((GOLDEN / "scenario.yaml").read_text())
    scenario["calibration"] = str((GOLDEN / scenario["calibration"]).resolve())
    write_yaml(tmp_path / "scenario.yaml", scenario)
    sweep = {"kind": "one_way", "scenario": "scenario.yaml", "replications": 1,
             "parameters": {"coaching.caseload_cap": {"low": 10, "high": 25}}} | fields
    return write_yaml(tmp_path / "sweep.yaml", sweep)


# -- work limits ------------------------------------------------------------------------------------

def test_a_sweep_beyond_the_client_budget_is_refused_before_it_starts(tmp_path):
    out = tmp_path / "out"
    done = ipssim("sweep", _sweep_file(tmp_path, replications=100_000_000), "--serial",
                  "--out", out)
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "100,000,000 replications" in line and "50,000,000 client-replications" in line
    assert not out.exists()


def test_each_sweep_point_gets_the_limits_of_one_replication(tmp_path):
    sweep = parse_sweep(yaml.safe_load(_sweep_file(tmp_path, kind="grid", parameters={
        "employers.vacancies_per_employer_per_month": [0.35, 30.0],
        "regions[*].employers": [40, 100_000]}).read_text()))
    with pytest.raises(SweepError, match=r"^point 3 \(.*\): about 180,000,000 vacancies a "
                       "replication; the limit is 20,000,000"):
        build_design(sweep, ScenarioEvaluator(tmp_path / "scenario.yaml"))


def test_a_grid_of_a_million_points_is_refused_at_once():
    values = [float(v) for v in range(100)]
    data = {"kind": "grid", "scenario": "scenario.yaml", "replications": 1,
            "parameters": {"coaching.caseload_cap": values, "jobs.other_share": values,
                           "coaching.dropout_rate_per_month": values}}
    started = time.process_time()
    with pytest.raises(SweepError) as caught:
        parse_sweep(data, "grid.yaml")
    assert time.process_time() - started < 1
    assert "1,000,000 points" in str(caught.value) and f"at most {MAX_POINTS:,}" in str(caught.value)


def test_a_global_design_beyond_the_point_limit_is_refused_before_it_is_drawn():
    uncertainty = Uncertainty(parameters={
        "a": {"dist": "uniform", "low": 0, "high": 1}, "b": {"dist": "uniform", "low": 0, "high": 1}})
    evaluator = FunctionEvaluator(lambda values, seed, k: {"ips": {"y": values["a"]}}, uncertainty)
    spec = parse_sweep({"kind": "global", "scenario": "-", "method": "sobol", "samples": 65_536,
                        "replications": 1})
    started = time.process_time()
    with pytest.raises(SweepError, match=r"65,536 x \(2 parameters \+ 2\) = 262,144 points"):
        build_design(spec, evaluator)
    assert time.process_time() - started < 1


def test_a_huge_regions_table_is_refused_before_its_cells_are_read(tmp_path):
    rows = ["name,referrals_per_month,coaches,employers,fidelity"]
    rows += [f"R{i},5,2,30,90" for i in range(200_000)]
    (tmp_path / "regions.csv").write_text("\n".join(rows) + "\n")
    path = write_yaml(tmp_path / "big.yaml", {"name": "big", "mode": "programme",
                                              "horizon_months": 12, "regions_table": "regions.csv"})
    started = time.process_time()
    with pytest.raises(ScenarioError, match="more than 1,000 regions"):
        read_scenario_file(path)
    assert time.process_time() - started < 1


def test_a_table_counts_the_regions_listed_beside_it(tmp_path):
    rows = ["name,referrals_per_month,coaches"] + [f"R{i},5,2" for i in range(999)]
    (tmp_path / "regions.csv").write_text("\n".join(rows) + "\n")
    listed = [{"name": f"L{i}", "referrals_per_month": 5.0, "coaches": 2} for i in range(2)]
    path = write_yaml(tmp_path / "big.yaml", {"name": "big", "mode": "programme",
                                              "horizon_months": 12, "regions_table": "regions.csv",
                                              "regions": listed})
    with pytest.raises(ScenarioError, match="more than 998 regions; a scenario has at most 1,000"):
        read_scenario_file(path)


@pytest.mark.parametrize("cell", ["[" * 3000 + "]" * 3000, "9" * 5000, "{a: [1, 2]}", "&a [*a]"])
def test_a_table_cell_is_one_value_never_a_nested_document(tmp_path, cell):
    (tmp_path / "regions.csv").write_text(f"name,referrals_per_month,coaches\nA,\"{cell}\",2\n")
    path = write_yaml(tmp_path / "s.yaml", {"name": "s", "mode": "programme",
                                            "horizon_months": 12, "regions_table": "regions.csv"})
    with pytest.raises(ScenarioError) as caught:
        read_scenario_file(path)
    assert "regions[0].referrals_per_month: Input should be a valid number" in str(caught.value)


# -- nonsense refused ---------------------------------------------------------------------------------

def test_unordered_tax_brackets_are_refused():
    brackets = [[0.0, 0.1264], [30_500.0, 0.3025], [20_500.0, 0.19]]
    message = _refused(_small(economics={"taxes": {"state_tax_brackets": brackets}}))
    assert "economics.taxes.state_tax_brackets: the incomes from which each rate applies must " \
           "rise" in message and "0, 30500, 20500" in message


@pytest.mark.parametrize("benefits,field", [
    ({"national_pension_offset_threshold_eur": 2000.0}, "national_pension_offset_threshold_eur"),
    ({"national_pension_cohabiting_eur": 900.0}, "national_pension_cohabiting_eur"),
])
def test_benefit_schedules_out_of_order_are_refused(benefits, field):
    assert f"economics.benefits.{field}: must be" in _refused(_small(economics={"benefits": benefits}))


@pytest.mark.parametrize("section,field,value", [
    ("benefits", "earnings_related_pension_eur", 1e12),
    ("benefits", "labour_market_subsidy_eur", MAX_MONTHLY_EUR * 2),
    ("taxes", "tax_free_allowance_eur_per_year", 1e12),
    ("costs", "coach_salary_eur_per_year", MAX_EUROS * 2),
    ("costs", "overhead_rate", 1e6),
    ("costs", "review_interval_months", 1e-300),
])
def test_money_fields_have_physical_bounds(section, field, value):
    message = _refused(_small(economics={section: {field: value}}))
    assert message.startswith(f"scenario: economics.{section}.{field}: Input should be")


def test_a_1e12_pension_is_refused_on_the_command_line(tmp_path):
    data = _small(economics={"benefits": {"earnings_related_pension_eur": 1e12}})
    done = ipssim("validate", write_yaml(tmp_path / "rich.yaml", data))
    assert done.returncode == 2 and "earnings_related_pension_eur" in done.stderr
    assert "1000000" in done.stderr


def test_an_unknown_uncertainty_path_is_refused_by_validate_and_run(tmp_path):
    data = _small(uncertainty={"parameters": {
        "jobs.no_such_rate": {"dist": "uniform", "low": 0.1, "high": 0.2}}})
    path = write_yaml(tmp_path / "u.yaml", data)
    for command in (("validate", path), ("run", path, "--replications", "1", "--out",
                                         tmp_path / "out")):
        done = ipssim(*command)
        assert done.returncode == 2, done.stderr
        (line,) = done.stderr.strip().splitlines()
        assert "uncertainty.parameters[jobs.no_such_rate]: unknown field 'no_such_rate'" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("path,expected", [
    ("regions[Nowhere].coaches", "no regions entry named 'Nowhere'"),
    ("regions[3].coaches", "regions[3] does not exist"),
    ("employability.work_history_multiplier.over_9y", "no entry 'over_9y'"),
    ("coaching.capacity_cut_policy", "not a numeric field"),
])
def test_uncertainty_paths_are_resolved_as_the_sweep_resolves_them(path, expected):
    message = _refused(_small(uncertainty={"parameters": {
        path: {"dist": "uniform", "low": 0.1, "high": 0.2}}}))
    assert f"uncertainty.parameters[{path}]" in message and expected in message


@pytest.mark.parametrize("name,expected", [
    ("A\x00B", "no control or invisible characters"),
    ("A\nB", "no control or invisible characters"),
    ("A\tB", "no control or invisible characters"),
    ("A\u202eB", "no control or invisible characters"),
    ("x" * (MAX_REGION_NAME + 1), "at most 100 characters"),
    ("=HYPERLINK(\"http://x\")", "must not start with = + - or @"),
    ("+1", "must not start with = + - or @"),
    ("-1", "must not start with = + - or @"),
    ("@SUM(A1)", "must not start with = + - or @"),
    ("   ", "must not be blank"),
    ("", "at least 1 character"),
])
def test_region_names_are_printable_and_no_formula(name, expected):
    region = {**SMALL["regions"][0], "name": name}
    message = _refused(_small(regions=[region]))
    assert message.startswith("scenario: regions[0].name: ") and expected in message


def test_region_names_are_unique_ignoring_case():
    regions = [{**SMALL["regions"][0], "name": "North"}, {**SMALL["regions"][0], "name": "NORTH"}]
    assert "names must be unique, ignoring case (given twice: 'North' and 'NORTH')" in \
        _refused(_small(regions=regions))


def test_size_finds_a_region_ignoring_case():
    scenario = read_scenario_file(SCENARIOS / "finland_pilot.yaml")[0]
    assert region_index(scenario, "helsinki CITY") == region_index(scenario, "Helsinki city") == \
        [r.name for r in scenario.regions].index("Helsinki city")
    with pytest.raises(ScenarioError, match="unknown region 'Helsinki'; allowed: "):
        region_index(scenario, "Helsinki")


@pytest.mark.parametrize("changes,expected", [
    ({"employability.work_history_multiplier.over_9y": 0.2},
     "employability.work_history_multiplier: unknown category 'over_9y'"),
    ({"employability.years_out_of_work_at_referral.never": 9.0},
     "employability.years_out_of_work_at_referral: unknown category 'never'"),
    ({"economics.payers.programme.nobody": 0.0}, "economics.payers.programme.nobody"),
    ({"clients.main_activity.retired": 0.0}, "unknown category 'retired'"),
])
def test_with_changes_cannot_add_a_category(changes, expected):
    scenario = parse_scenario(_small())
    with pytest.raises(ScenarioError) as caught:
        with_changes(scenario, changes)
    assert expected in str(caught.value)


def test_a_category_the_model_looks_up_cannot_be_left_out():
    message = _refused(_small(employability={"work_history_multiplier": {"under_1y": 1.0}}))
    assert "employability.work_history_multiplier: missing category '1_to_3y'" in message


# -- error lines --------------------------------------------------------------------------------------

def test_every_input_error_is_one_short_line():
    error = InputError("x" * 1_000_000 + "\n" + "y" * 10)
    assert len(str(error)) <= MAX_MESSAGE and "\n" not in str(error)


def test_a_parameter_path_of_200000_brackets_gives_a_short_line(tmp_path):
    path = "regions" + "[" * 200_000 + ".coaches"
    sweep = _sweep_file(tmp_path)
    text = sweep.read_text().replace("coaching.caseload_cap:", f"? \"{path}\"\n  :")
    sweep.write_text(text)
    done = ipssim("sweep", sweep, "--serial", "--out", tmp_path / "out")
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert len(line) < 300 and "200,015 characters; a parameter path has at most 300" in line


def test_a_broken_economics_field_is_named_first():
    data = read_scenario_data(SCENARIOS / "finland_ten_counties.yaml")
    data["economics"] = {"costs": {"coach_salary_eur_per_year": -5}}
    message = _refused(data)
    assert message.startswith("scenario: economics.costs.coach_salary_eur_per_year: "), message
    assert "give coaches or budget_eur_per_year" not in message
    assert message.endswith("and 10 more problems that may follow from these")


def test_a_broken_economics_check_is_named_before_the_budgets_it_leaves_uncosted():
    data = read_scenario_data(SCENARIOS / "finland_ten_counties.yaml")
    data["economics"] = {"taxes": {"state_tax_brackets": [[0, 0.1], [30_000, 0.3], [20_000, 0.2]]}}
    message = _refused(data)
    assert message.startswith("scenario: economics.taxes.state_tax_brackets: "), message
    assert message.endswith("and 10 more problems that may follow from these")


def test_checks_across_fields_are_listed_when_every_field_is_valid():
    message = _refused(_small(jobs={"subsidised_share": 0.7, "other_share": 0.7}))
    assert message == "scenario: jobs.subsidised_share + jobs.other_share: must be <= 1"


# -- fuzz: hostile values where these findings were -----------------------------------------------

HOSTILE_NAMES = st.one_of(
    st.text(max_size=120),
    st.sampled_from(["=1+1", "+A", "-A", "@A", "A\x00", "\n", "\t", "A\u2028B", "a", "A",
                     "Helsinki city", "x" * 100, "x" * 101]))
HOSTILE_MONEY = st.sampled_from([0.0, 1.0, 775.7, 1e6, 1e6 + 1, 1e8, 1e8 + 1, 1e12, 10**30])
MONEY_FIELDS = [("benefits", "national_pension_eur"), ("benefits", "pension_earnings_limit_eur"),
                ("benefits", "national_pension_ceiling_eur"),
                ("taxes", "tax_free_allowance_eur_per_year"),
                ("costs", "coach_salary_eur_per_year"), ("costs", "fidelity_review_eur")]
PATHS = st.sampled_from(["jobs.ips_offer_rate_per_month", "jobs.nope", "regions[0].coaches",
                         "regions[5].coaches", "regions[r0].fidelity", "regions[R0].fidelity",
                         "regions[*].fidelity", "employability.work_history_multiplier.over_3y",
                         "employability.work_history_multiplier.later", "x" * 400, "regions[[["])


@st.composite
def hostile(draw) -> dict:
    regions = [{"name": draw(HOSTILE_NAMES), "coaches": 2, "referrals_per_month": 3.0,
                "employers": 10} for _ in range(draw(st.integers(1, 3)))]
    economics = {}
    for section, field in draw(st.lists(st.sampled_from(MONEY_FIELDS), max_size=3)):
        economics.setdefault(section, {})[field] = draw(HOSTILE_MONEY)
    brackets = draw(st.lists(st.tuples(st.sampled_from([0.0, 1e4, 2e4, 2e4, 1e9]),
                                       st.sampled_from([0.1, 0.2])), max_size=4))
    if brackets:
        economics.setdefault("taxes", {})["state_tax_brackets"] = [list(b) for b in brackets]
    paths = draw(st.lists(PATHS, max_size=2, unique=True))
    return {"name": "hostile", "mode": "programme", "horizon_months": 6, "regions": regions,
            "economics": economics, "uncertainty": {"parameters": {
                p: {"dist": "uniform", "low": 0.5, "high": 0.6} for p in paths}}}


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(hostile())
def test_hostile_inputs_are_refused_in_one_line_or_hold_the_limits(data):
    try:
        scenario = parse_scenario(data)
    except ScenarioError as exc:
        assert "\n" not in str(exc) and len(str(exc)) <= MAX_MESSAGE
        return
    names = [r.name for r in scenario.regions]
    assert len({n.casefold() for n in names}) == len(names)
    for name in names:
        assert 0 < len(name) <= MAX_REGION_NAME and name.strip()
        assert not name.startswith(("=", "+", "-", "@"))
        assert all(unicodedata.category(ch)[0] != "C" for ch in name)
    starts = [start for start, _ in scenario.economics.taxes.state_tax_brackets]
    assert starts == sorted(set(starts))
    b = scenario.economics.benefits
    assert max(b.national_pension_eur, b.pension_earnings_limit_eur,
               b.national_pension_ceiling_eur) <= MAX_MONTHLY_EUR
    assert b.national_pension_offset_threshold_eur < b.national_pension_ceiling_eur
    assert scenario.economics.costs.coach_salary_eur_per_year <= MAX_EUROS
    for path in scenario.uncertainty.parameters:
        check_path(path, scenario)
    assert math.isfinite(scenario.economics.taxes.tax_free_allowance_eur_per_year)


_EVALUATOR: list[ScenarioEvaluator] = []
RANGES = {"coaching.caseload_cap": (10.0, 12.0), "regions[North].coaches": (2.0, 4.0),
          "regions[*].fidelity": (80.0, 90.0), "jobs.other_share": (0.1, 0.2),
          "jobs.nope": (0.1, 0.2), "regions" + "[" * 100 + ".x": (0.1, 0.2), "x" * 400: (0.1, 0.2)}


@st.composite
def hostile_sweeps(draw) -> dict:
    kind = draw(st.sampled_from(["one_way", "grid", "psa", "global"]))
    paths = draw(st.lists(st.sampled_from(sorted(RANGES)), min_size=1, max_size=3, unique=True))
    data = {"kind": kind, "scenario": "scenario.yaml",
            "replications": draw(st.sampled_from([1, 2, 10**5, 10**8, 10**30]))}
    if kind == "one_way":
        data["parameters"] = {p: {"low": RANGES[p][0], "high": RANGES[p][1]} for p in paths}
    elif kind == "grid":
        size = draw(st.sampled_from([1, 2, 1000]))
        data["parameters"] = {p: [RANGES[p][0]] * size for p in paths}
    else:
        data["uncertainty"] = {"parameters": {
            p: {"dist": "uniform", "low": RANGES[p][0], "high": RANGES[p][1]} for p in paths}}
        if kind == "psa":
            data["draws"] = draw(st.sampled_from([2, 5, 10**6]))
        else:
            data["method"] = draw(st.sampled_from(["sobol", "morris"]))
            data["samples"] = draw(st.sampled_from([2, 4, 65_536] if data["method"] == "sobol"
                                                   else [2, 3, 99_999]))
    return data


@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(hostile_sweeps())
def test_hostile_sweeps_are_refused_in_one_line_or_stay_within_the_limits(data):
    from ipssim.experiments.workload import MAX_CLIENT_REPLICATIONS, expected_clients

    if not _EVALUATOR:
        _EVALUATOR.append(ScenarioEvaluator(GOLDEN / "scenario.yaml"))
    evaluator = _EVALUATOR[0]
    started = time.process_time()
    try:
        design = build_design(parse_sweep(data, "hostile.yaml"), evaluator)
    except ScenarioError as exc:  # a SweepError, or a path that names no parameter
        assert "\n" not in str(exc) and len(str(exc)) <= MAX_MESSAGE, str(exc)
        assert time.process_time() - started < 10
        return
    assert len(design.points) <= MAX_POINTS
    clients = sum(expected_clients(evaluator.scenario(p.values)) for p in design.points)
    assert clients * data["replications"] <= MAX_CLIENT_REPLICATIONS
