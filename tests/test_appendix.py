"""The reporting appendix of every run: STRESS-DES and CHEERS 2022 answered from the run."""

from __future__ import annotations

import pytest

from conftest import SCENARIOS, small_scenario
from ipssim.api import load_scenario, run
from ipssim.reports.appendix import cheers, parameter_sources, stress_des

UNCERTAINTY = {"parameters": {
    "economics.costs.coach_salary_eur_per_year": {"dist": "gamma", "mean": 41000, "sd": 5000,
                                                  "source": "ASSUMPTION: a test spread"}}}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Two small runs that differ in everything the appendix reports."""
    folder = tmp_path_factory.mktemp("appendix")
    one = small_scenario(name="first", horizon_months=12)
    two = small_scenario(name="second", horizon_months=9, uncertainty=UNCERTAINTY,
                         economics={"discount_rate_per_year": 0.05, "price_year": 2022},
                         coaching={"caseload_cap": 15})
    run(one, replications=2, seed=21, out=folder / "first")
    run(two, replications=3, seed=34, workers=1, parameter_uncertainty=True,
        out=folder / "second")
    return {name: {"stress": (folder / name / "stress_des.md").read_text(),
                   "cheers": (folder / name / "cheers.md").read_text()}
            for name in ("first", "second")}


def test_stress_des_answers_from_the_scenario_and_the_manifest(written):
    first, second = written["first"]["stress"], written["second"]["stress"]
    assert first.startswith("# STRESS-DES checklist: first")
    assert "| 4.2 | Run length | 12 months" in first and "| 4.2 | Run length | 9 months" in second
    assert "Seed 21." in first and "Seed 34." in second
    assert "2 independent replications" in first and "3 independent replications" in second
    assert "caseload cap of 20" in first and "caseload cap of 15" in second
    assert "Monte Carlo (stochastic) uncertainty only" in first
    assert "gamma(mean 41000, sd 5000); source: ASSUMPTION: a test spread" in second
    assert "| coaching.caseload_cap | 15 | OUT-E4, STF-01 |" in second
    for item in ("1.1", "2.5.1", "3.1", "4.1", "5.2", "6.1"):
        assert f"| {item} |" in first


def test_cheers_answers_from_the_scenario(written):
    first, second = written["first"]["cheers"], written["second"]["cheers"]
    assert "| 10 | Discount rate | 3.0% a year" in first
    assert "| 10 | Discount rate | 5.0% a year" in second
    assert "Euros at 2024 prices" in first and "Euros at 2022 prices" in second
    assert "| 9 | Time horizon | 12 months" in first and "| 9 | Time horizon | 9 months" in second
    assert "Probabilistic: 1 parameters drawn" in second
    assert all(f"| {i} |" in first for i in range(1, 29))


def test_the_bundled_pilot_names_its_facts_and_fitted_parameters():
    pilot = load_scenario(SCENARIOS / "finland_pilot.yaml")
    sources = {path: source for path, _, source in parameter_sources(pilot)}
    assert "fitted by ipssim calibrate" in sources["jobs.ips_offer_rate_per_month"]
    assert sources["clients.psychosis_share"] == "BAS-08"
    manifest = {"replications": 40, "seed": 1, "ipssim_version": "v", "ipssim_code_id": "c",
                "scenario_sha256": "0" * 64}
    text = stress_des(pilot, manifest)
    assert "TTJ-01" in text and "Published outcomes beside the simulated ones: FIN-01" in text
    assert "ranges are rough" not in text  # 40 replications read as ranges
    assert "HUS Psychiatry" in cheers(pilot, manifest)
