"""Scenario comparison: common random numbers, variants that extend a base, `ipssim compare`."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
import yaml

from conftest import SMALL, ipssim, small_scenario, write_yaml
from ipssim.experiments.compare import USUAL_SERVICES, compare
from ipssim.scenario.load import read_scenario_file
from ipssim.scenario.schema import ScenarioError

REPLICATIONS = 80


def _rows(table: dict[str, list], **match: str) -> dict[str, dict]:
    """Rows of a comparison table matching ``match``, by metric."""
    out = {}
    for row in zip(*table.values(), strict=True):
        row = dict(zip(table, row, strict=True))
        if all(row[k] == v for k, v in match.items()):
            out[row["metric"]] = row
    return out


@pytest.fixture(scope="module")
def pair():
    """A programme with a waiting list, against the same programme with caseloads capped at 12,
    run with common random numbers and with independent streams."""
    base = small_scenario(horizon_months=24, name="cap20")
    variant = small_scenario(horizon_months=24, name="cap12", coaching={"caseload_cap": 12})
    return {independent: compare([base, variant], 5, REPLICATIONS, 2, independent=independent)
            for independent in (False, True)}


@pytest.mark.parametrize("metric", ["months_employed_by_horizon_per_client", "net_public_eur_pv"])
def test_common_random_numbers_narrow_the_interval_of_a_difference_at_least_twofold(pair, metric):
    # The interval of the mean difference is +/- 1.96 mc_se; with 80 paired replications the
    # ratio of standard deviations has a sampling SD of about 12% (log scale), and it measured
    # 3.0 (months employed) and 7.9 (net public money) at 40 replications.
    crn = _rows(pair[False].table, scenario="cap12", reference="cap20", arm="ips")[metric]
    independent = _rows(pair[True].table, scenario="cap12", reference="cap20", arm="ips")[metric]
    assert independent["mc_se"] >= 2.0 * crn["mc_se"], (crn, independent)
    # both see the same effect: fewer places means less employment (the variant's wait is longer)
    assert crn["mean"] < 0


def test_a_change_to_ips_leaves_usual_services_untouched_under_common_random_numbers(pair):
    usual = _rows(pair[False].table, scenario="cap12", reference="cap20", arm="usual")
    observed = [row for row in usual.values() if row["replications"]]  # in-window: none here
    assert len(observed) > 10
    assert all(row["mean"] == 0 and row["hi95"] == 0 and row["lo95"] == 0 for row in observed)
    independent = _rows(pair[True].table, scenario="cap12", reference="cap20", arm="usual")
    assert independent["ever_employed_by_horizon_share"]["hi95"] > 0


def test_each_scenario_is_also_compared_with_usual_services(pair):
    comparison = pair[False]
    for name, summary in zip(("cap20", "cap12"), comparison.summaries, strict=True):
        rows = _rows(comparison.table, scenario=name, reference=USUAL_SERVICES)
        expected = {m: v for m, a, v in zip(summary["metric"], summary["arm"], summary["mean"],
                                            strict=True) if a == "difference"}
        assert {m: r["mean"] for m, r in rows.items()}.keys() == expected.keys()
        for metric, value in expected.items():
            assert rows[metric]["mean"] == value or (math.isnan(value)
                                                      and math.isnan(rows[metric]["mean"]))


def test_a_variant_extends_its_base(tmp_path):
    base = write_yaml(tmp_path / "base.yaml", {**SMALL, "horizon_months": 18,
                                               "jobs": {"ips_offer_rate_per_month": 0.5}})
    sub = tmp_path / "variants"
    sub.mkdir()
    variant = write_yaml(sub / "v.yaml", {"extends": "../base.yaml", "name": "v",
                                          "coaching": {"caseload_cap": 15}})
    scenario, digest = read_scenario_file(variant)
    parent, parent_digest = read_scenario_file(base)
    assert scenario.coaching.caseload_cap == 15 and scenario.name == "v"
    assert scenario.horizon_months == 18 and scenario.jobs == parent.jobs
    assert scenario.regions == parent.regions
    assert digest != parent_digest
    # the base's calibration path stays relative to the base file
    (tmp_path / "cal.yaml").write_text(yaml.safe_dump({"values": {"jobs.other_share": 0.1}}))
    write_yaml(base, {**SMALL, "calibration": "cal.yaml"})
    assert read_scenario_file(variant)[0].jobs.other_share == 0.1
    write_yaml(base, {**SMALL, "extends": "variants/v.yaml"})
    with pytest.raises(ScenarioError, match="cycle"):
        read_scenario_file(variant)
    write_yaml(variant, {"extends": "../nowhere.yaml"})
    with pytest.raises(ScenarioError, match="scenario file not found"):
        read_scenario_file(variant)


def test_compare_command_writes_the_comparison_bit_identically_for_any_workers(tmp_path):
    a = write_yaml(tmp_path / "a.yaml", {**SMALL, "name": "a"})
    b = write_yaml(tmp_path / "b.yaml", {"extends": "a.yaml", "name": "b",
                                         "coaching": {"caseload_cap": 10}})
    outputs = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        done = ipssim("compare", a, b, "--replications", "4", "--seed", "3", "--workers",
                      str(workers), "--out", out, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "mean_wait_days" in done.stdout and "usual_services" in done.stdout
        assert {p.name for p in out.iterdir()} == {
            "comparison.csv", "comparison_wide.csv", "decision.csv", "ceaf.csv", "summary-a.csv",
            "summary-b.csv",
            "report.html", "plotly.min.js", "manifest.json"}
        outputs.append((out / "comparison.csv").read_bytes())
    assert outputs[0] == outputs[1]
    with open(tmp_path / "out1" / "comparison.csv") as handle:
        rows = list(csv.DictReader(handle))
    waits = [float(r["mean"]) for r in rows if r["metric"] == "mean_wait_days"
             and r["scenario"] == "b" and r["reference"] == "a"]
    assert waits and waits[0] > 0  # half the places: longer waits
    assert np.isfinite([float(r["mean"]) for r in rows if r["metric"] == "programme_cost_eur_pv"
                        and r["reference"] == "a"]).all()
    # the wide table is the long one side by side, under the column names printed on screen
    with open(tmp_path / "out1" / "comparison_wide.csv") as handle:
        wide = list(csv.DictReader(handle))
    header = next(line for line in done.stdout.splitlines() if line.startswith("metric"))
    assert header.split() == ["metric", "arm", "reference", "a", "b"]
    assert list(wide[0]) == ["metric", "arm", "reference", "a", "a_lo95", "a_hi95", "b", "b_lo95",
                             "b_hi95"]
    by_key = {(w["metric"], w["arm"], w["reference"]): w for w in wide}
    assert len(by_key) == len(wide)
    for r in rows:
        cell = by_key[(r["metric"], r["arm"], r["reference"])]
        for suffix, column in (("", "mean"), ("_lo95", "lo95"), ("_hi95", "hi95")):
            assert cell[r["scenario"] + suffix] == r[column]
    assert len(wide) == len({(r["metric"], r["arm"], r["reference"]) for r in rows})
    assert all(w["a"] == "nan" for w in wide if w["reference"] == "a")  # no row against itself
    assert "e+" not in done.stdout


def test_compare_refuses_scenarios_with_the_same_name(tmp_path):
    a = write_yaml(tmp_path / "a.yaml", SMALL)
    done = ipssim("compare", a, a, "--replications", "2", "--out", tmp_path / "out", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "ipssim: error: compare: scenario names must differ (got small, small); set a distinct "
        "'name' in each file"]
    assert not (tmp_path / "out").exists()


def test_compare_command_states_the_decision_among_the_options(tmp_path):
    """Usual services and three budgets of coaches are the options; the decision table has them
    in order of expected cost per perspective, its figures are those of the comparison table, and
    the verdict lines name the option with the highest expected net benefit."""
    a = write_yaml(tmp_path / "a.yaml", {**SMALL, "name": "c2"})
    paths = [a] + [write_yaml(tmp_path / f"{n}.yaml", {"extends": "a.yaml", "name": n,
                                                      "regions": [{**SMALL["regions"][0],
                                                                   "coaches": c}]})
                   for n, c in (("c4", 4), ("c1", 1))]
    out = tmp_path / "out"
    done = ipssim("compare", *paths, "--replications", "6", "--seed", "3", "--wtp", "30000",
                  "--out", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with open(out / "decision.csv") as handle:
        rows = list(csv.DictReader(handle))
    with open(out / "comparison.csv") as handle:
        comparison = {(r["scenario"], r["metric"]): float(r["mean"]) for r in csv.DictReader(handle)
                      if r["reference"] == USUAL_SERVICES}
    for view in ("public", "society"):
        mine = [r for r in rows if r["perspective"] == view]
        assert sorted(r["option"] for r in mine) == ["c1", "c2", "c4", "usual services"]
        costs = [float(r["cost_eur"]) for r in mine]
        assert costs == sorted(costs)
        for r in mine:
            if r["option"] == "usual services":
                assert float(r["cost_eur"]) == 0.0 and float(r["effect_value"]) == 0.0
                continue
            assert float(r["cost_eur"]) == pytest.approx(-comparison[(r["option"],
                                                                      f"net_{view}_eur_pv")])
            assert float(r["effect_value"]) == pytest.approx(
                comparison[(r["option"], "additional_employed_competitive_by_horizon")])
            assert float(r["nmb_eur"]) == pytest.approx(
                30000 * float(r["effect_value"]) - float(r["cost_eur"]))
        best = max(mine, key=lambda r: float(r["nmb_eur"]))
        assert [r["best"] for r in mine].count("True") == 1 and best["best"] == "True"
        assert sum(float(r["p_best"]) for r in mine) == pytest.approx(1.0)
        verdict = next(line for line in done.stdout.splitlines()
                       if line.startswith(f"{best['option']} has the highest expected net benefit "
                                          f"for {'society' if view == 'society' else 'the public purse'}"
                                          " at 30,000 EUR per additional person in competitive work"))
        assert f"probability it is the best {float(best['p_best']):.2f} over 6 replications" in verdict
        assert "rough: only 6 replications" in verdict
    assert "Decision" in (out / "report.html").read_text()
    # the acceptability frontier over WTP: at 30,000 EUR (on its grid) it is the decision's best
    with open(out / "ceaf.csv") as handle:
        ceaf = list(csv.DictReader(handle))
    assert {r["option"] for r in ceaf} == {"usual services", "c1", "c2", "c4"}
    for view in ("public", "society"):
        at = [r for r in ceaf if r["perspective"] == view and float(r["wtp_eur"]) == 30000]
        [front] = [r["option"] for r in at if r["on_frontier"] == "True"]
        [best] = [r["option"] for r in rows if r["perspective"] == view and r["best"] == "True"]
        assert front == best
        assert sum(float(r["p_best"]) for r in at) == pytest.approx(1.0)
    refused = ipssim("compare", *paths, "--replications", "2", "--wtp", "-1", "--out",
                     tmp_path / "no", cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip() == ("ipssim: error: wtp: must be a number of euros from 0 to 1e9 "
                                      "(got -1.0)")
    assert not (tmp_path / "no").exists()
