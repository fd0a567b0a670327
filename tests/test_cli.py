"""The command line on real files: validation, bad input, and what a run writes."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest

from conftest import SCENARIOS, SMALL, ipssim, write_yaml
from ipssim._version import code_id


@pytest.mark.parametrize("name", ["finland_pilot", "europe_rct", "finland_pilot_cap15",
                                  "finland_expansion_2023", "norway", "belgium", "denmark_ips_ma",
                                  "sweden_sia"])
def test_bundled_scenarios_validate(name):
    done = ipssim("validate", SCENARIOS / f"{name}.yaml")
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout


def _region(**changes):
    return {**SMALL["regions"][0], **changes}


BAD = {
    "unknown field": ({**SMALL, "horizon_monthz": 12}, "horizon_monthz: unknown field",
                      "horizon_months"),
    "unknown nested field": ({**SMALL, "coaching": {"caseload_cop": 20}},
                             "coaching.caseload_cop: unknown field", "caseload_cap"),
    "wrong type": ({**SMALL, "horizon_months": "four years"}, "horizon_months", "integer"),
    "negative headcount": ({**SMALL, "regions": [_region(coaches=-3)]}, "regions[0].coaches",
                           "greater than or equal to 1"),
    "zero headcount": ({**SMALL, "regions": [_region(coaches=0)]}, "regions[0].coaches",
                       "greater than or equal to 1"),
    "caseload cap below 1": ({**SMALL, "coaching": {"caseload_cap": 0}}, "coaching.caseload_cap",
                             "greater than or equal to 1"),
    "unknown mode": ({**SMALL, "mode": "pilot"}, "mode", "'trial' or 'programme'"),
}


@pytest.mark.parametrize("case", BAD)
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_scenario_gives_one_line_exit_2_and_no_output(tmp_path, case, command):
    data, field, allowed = BAD[case]
    path = write_yaml(tmp_path / "bad.yaml", data)
    out = tmp_path / "out"
    args = ("run", path, "--replications", "2", "--out", out) if command == "run" else \
        ("validate", path)
    done = ipssim(*args, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert field in lines[0] and allowed in lines[0]
    assert "Traceback" not in done.stderr
    assert not out.exists() and not (tmp_path / "outputs").exists()


def test_missing_file(tmp_path):
    done = ipssim("run", tmp_path / "nowhere.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"ipssim: error: scenario file not found: {tmp_path / 'nowhere.yaml'}"]
    assert not (tmp_path / "outputs").exists()


@pytest.mark.parametrize("option,value", [("--replications", "0"), ("--workers", "-1"),
                                          ("--seed", "abc")])
def test_bad_option_gives_one_line(tmp_path, option, value):
    done = ipssim("run", SCENARIOS / "europe_rct.yaml", option, value, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and option in lines[0] and "integer" in lines[0]
    assert not (tmp_path / "outputs").exists()


def test_occupied_out_folder_is_refused_untouched(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    done = ipssim("run", SCENARIOS / "europe_rct.yaml", "--out", out, cwd=tmp_path)
    assert done.returncode == 2 and "--out" in done.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_run_writes_the_output_contract(tmp_path):
    path = write_yaml(tmp_path / "small.yaml", SMALL)
    done = ipssim("run", path, "--replications", "3", "--seed", "5", "--workers", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (out,) = (tmp_path / "outputs").iterdir()
    assert out.name.startswith("small-")
    # one headline: the workbench's, in its words (no second table of metric names)
    lines = done.stdout.splitlines()
    assert [line for line in lines if "headline" in line] == [
        "headline (IPS against usual services; money discounted):"]
    assert "  Additional people in competitive work: " in done.stdout
    assert not [line for line in lines if line.startswith(("metric ", "ever_employed"))]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["manifest.json", "trajectories.parquet", "trajectories.csv", "clients.parquet", "spells.parquet",
         "summary.csv", "net_effect.csv", "spending.csv", "regions.parquet", "summary_regions.csv",
         "report.html", "plotly.min.js", "summary_subgroups.csv", "stress_des.md", "cheers.md"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"scenario", "scenario_sha256", "seed", "replications", "ipssim_version", "created",
            "wall_seconds"} <= set(manifest) and manifest["ipssim_code_id"] == code_id
    assert manifest["seed"] == 5 and manifest["replications"] == 3
    traj = pq.read_table(out / "trajectories.parquet").to_pydict()
    assert len(traj["month"]) == 3 * 2 * 12
    assert {"replication", "arm", "month", "referred", "waiting", "enrolled", "employed",
            "employed_competitive", "ever_employed_competitive", "hours", "earnings_eur",
            "benefits_eur", "taxes_eur", "programme_cost_eur", "max_caseload"} <= set(traj)
    assert set(traj["arm"]) == {"ips", "usual"} and set(traj["month"]) == set(range(1, 13))
    clients = pq.read_table(out / "clients.parquet").column_names
    assert {"replication", "arm", "client_id", "referral_day", "start_day", "exit_day",
            "exit_reason", "first_job_day", "first_competitive_job_day", "age",
            "main_activity"} <= set(clients)
    spells = pq.read_table(out / "spells.parquet").to_pydict()
    assert {"replication", "arm", "client_id", "job_type", "start_day", "end_day",
            "hours_per_week", "hourly_wage_eur"} <= set(spells)
    assert set(spells["job_type"]) <= {"competitive", "subsidised", "other"}
    summary = (out / "summary.csv").read_text().splitlines()
    assert summary[0].startswith("metric,arm,window,unit,mean,lo95,hi95")
    assert {line.split(",")[1] for line in summary[1:]} == {"ips", "usual", "difference"}
    # the cumulative net effect at the horizon is the discounted net difference of the summary
    with open(out / "summary.csv") as handle:
        means = {(r["metric"], r["arm"]): float(r["mean"]) for r in csv.DictReader(handle)}
    with open(out / "net_effect.csv") as handle:
        final = {r["perspective"]: float(r["mean"]) for r in csv.DictReader(handle)
                 if r["month"] == "12"}
    for view in ("public", "society"):
        assert final[view] == pytest.approx(means[(f"net_{view}_eur_pv", "difference")])
    regions = pq.read_table(out / "regions.parquet")
    assert regions.column_names == ["replication", "arm", "region", *list(traj)[2:]]
    assert set(regions.column("region").to_pylist()) == {"A"} and regions.num_rows == 3 * 2 * 12
    with open(out / "summary_regions.csv") as handle:
        reader = csv.reader(handle)
        header, *rows = reader
    assert header == ["metric", "arm", "window", "unit", "region", "mean", "lo95", "hi95", "mc_se",
                      "replications"]
    # one region: its rows are the summary's, with the region's name
    assert [row[:4] + row[5:] for row in rows] == list(csv.reader(summary[1:]))
    assert {row[4] for row in rows} == {"A"}
    report = (out / "report.html").read_text()
    assert "<h2>Regions</h2>" in report and "id=\"regions\"" in report
    assert "plotly" in report and "cumulative net effect" in report
    assert "Money per payer" in report and "no break-even within" in report
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
