"""Bundled programme scenarios and their published outcomes: every scenario file loads and runs,
a published outcome must name a real summary.csv row, and the run report shows it beside the
simulated value."""

from __future__ import annotations

import copy
import csv

import pytest

from conftest import SCENARIOS, SMALL, ipssim, write_yaml
from ipssim.accounts.metrics import summarise
from ipssim.experiments.runner import net_effects, run_replications
from ipssim.model.coaches import largest_caseload, place_units
from ipssim.reports.numbers import range_text
from ipssim.reports.run import _cell, published_section
from ipssim.scenario.load import parse_scenario, read_scenario_file
from ipssim.scenario.schema import ScenarioError
from ipssim.vocabulary import summary_metrics

ARMS = ("ips", "usual", "difference")
PROGRAMMES = ("norway", "belgium", "denmark_ips_ma", "sweden_sia")


NATIONAL = "finland_national"
"""Runs through the command line in ``tests/test_tables.py`` (two replications of 40,000 clients)."""


@pytest.mark.parametrize("path", [p for p in sorted(SCENARIOS.glob("*.yaml")) if p.stem != NATIONAL],
                         ids=lambda p: p.stem)
def test_every_bundled_scenario_loads_and_runs(path):
    scenario, digest = read_scenario_file(path)
    assert scenario.name == path.stem and len(digest) == 64
    results = run_replications(scenario, 3, 2, 1)
    assert [r.replication for r in results] == [0, 1]
    for result in results:
        referred = result.metrics["ips"]["clients_referred"]
        assert referred > 0 and result.metrics["usual"]["clients_referred"] == referred
        assert 0 <= result.metrics["ips"]["ever_employed_competitive_by_horizon_share"] <= 1
        # nobody admitted above the cap; follow-along returns may pass it
        units, _ = place_units(scenario.coaching)
        assert result.metrics["ips"]["max_caseload"] <= largest_caseload(scenario.coaching) / units


@pytest.mark.parametrize("name", PROGRAMMES)
def test_programme_headers_say_what_is_evidence_and_what_is_assumed(name):
    text = (SCENARIOS / f"{name}.yaml").read_text()
    header = text[:text.index("\nname:")]
    assert "From the evidence:" in header and "ASSUMPTION (not in the evidence)" in header
    assert "Finnish rules" in header and "illustrative" in header
    scenario, _ = read_scenario_file(SCENARIOS / f"{name}.yaml")
    assert scenario.calibration == "../calibration/calibrated.yaml"


def _with_published(**item: object) -> dict:
    data = copy.deepcopy(SMALL)
    data["published"] = [{"metric": "ever_employed_by_horizon_share", "arm": "ips", "value": 0.5,
                          "source": "EMP-09", **item}]
    return data


def test_published_metric_must_be_a_summary_metric():
    with pytest.raises(ScenarioError) as info:
        parse_scenario(_with_published(metric="employment_rate"))
    message = str(info.value)
    assert "\n" not in message
    assert "published[0].metric: 'employment_rate' is not a summary.csv metric" in message
    assert "closest allowed: " in message and "ever_employed_by_horizon_share" in message
    assert len(message) < 600
    with pytest.raises(ScenarioError, match="closest allowed: ever_employed_competitive_by_horizon_share"):
        parse_scenario(_with_published(metric="ever_employed_competetive_by_horizon_share"))


def test_published_arm_must_have_the_metric():
    with pytest.raises(ScenarioError, match=r"published\[0\]\.arm: .*'mean_wait_days'.*allowed: ips$"):
        parse_scenario(_with_published(metric="mean_wait_days", arm="usual"))
    with pytest.raises(ScenarioError, match=r"published\[0\]\.metric: 'qalys_pv' needs"):
        parse_scenario(_with_published(metric="qalys_pv"))
    with pytest.raises(ScenarioError, match=r"published\[0\]\.arm: Input should be 'ips', 'usual' or"):
        parse_scenario(_with_published(arm="treatment"))


def test_bad_published_metric_on_the_command_line(tmp_path):
    path = write_yaml(tmp_path / "bad.yaml", _with_published(metric="employment_rate"))
    done = ipssim("validate", path, cwd=tmp_path)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "published[0].metric" in line and "allowed: " in line


def test_allowed_metrics_are_the_rows_of_summary_csv():
    """The names a published outcome may use are exactly the rows a run writes (QALYs on, so the
    optional rows exist too)."""
    scenario = parse_scenario({**copy.deepcopy(SMALL), "horizon_months": 6,
                               "economics": {"qaly": {"enabled": True}}})
    results = run_replications(scenario, 1, 2, 1)
    summary = summarise([r.metrics for r in results], net_effects(results))
    written = {(m, a) for m, a in zip(summary["metric"], summary["arm"], strict=True)}
    assert written == {(m, a) for a in ARMS for m in summary_metrics(a)}


def test_report_without_published_outcomes_has_no_section():
    scenario = parse_scenario(copy.deepcopy(SMALL))
    assert published_section(scenario, {c: [] for c in ("metric", "arm", "mean", "lo95", "hi95")}) == ""


def test_run_report_shows_published_beside_simulated(tmp_path):
    path = SCENARIOS / "denmark_ips_ma.yaml"
    scenario, _ = read_scenario_file(path)
    assert scenario.published
    out = tmp_path / "out"
    done = ipssim("run", path, "--replications", "2", "--seed", "3", "--workers", "1", "--out", out,
                  cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with open(out / "summary.csv") as handle:
        rows = {(r["metric"], r["arm"]): r for r in csv.DictReader(handle)}
    report = (out / "report.html").read_text()
    section = report[report.index("<h2>Published outcomes</h2>"):]
    section = section[:section.index("<h2>", 4)]
    for item in scenario.published:
        row = rows[(item.metric, item.arm)]
        simulated = _cell(float(row["mean"]))
        band = range_text(float(row["lo95"]), float(row["hi95"]))  # none where lo = hi
        expected = (f"<td>{item.metric}</td><td>{item.arm}</td><td>{_cell(item.value)}</td>"
                    f"<td>{simulated}</td><td>{band}</td>")
        assert expected in section
        assert item.source in section
    assert "0.444" in section and "0.378" in section
