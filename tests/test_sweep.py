"""Sensitivity sweeps: distributions, designs, Dask against serial, resuming after a real
interruption, Sobol indices of a function with known answers, and directions on the real model."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from scipy import stats

from conftest import ROOT, SMALL, ipssim, write_yaml
from ipssim.reports.sweep import write_sweep_report
from ipssim.scenario.sampling import CALIBRATED, latin_hypercube, parameter_space
from ipssim.scenario.uncertainty import Uncertainty
from ipssim.sweep.analysis import Cube, evpi, psa_tables, sobol_indices
from ipssim.sweep.design import build_design
from ipssim.sweep.evaluators import FunctionEvaluator, ScenarioEvaluator
from ipssim.sweep.run import run_sweep
from ipssim.sweep.spec import SweepError, load_sweep, parse_sweep
from ipssim.sweep.store import read_progress

DISTRIBUTIONS = {
    "beta": ({"dist": "beta", "mean": 0.3, "sd": 0.05}, 0.3, 0.05),
    "scaled beta": ({"dist": "beta", "alpha": 2, "beta": 3, "low": 10, "high": 20}, 14.0,
                    10 * math.sqrt(6 / (25 * 6))),
    "gamma": ({"dist": "gamma", "mean": 40_000, "sd": 4_000}, 40_000, 4_000),
    "gamma shape": ({"dist": "gamma", "shape": 4, "scale": 2}, 8.0, 4.0),
    "lognormal": ({"dist": "lognormal", "mean": 13.5, "sd": 1.5}, 13.5, 1.5),
    "normal": ({"dist": "normal", "mean": 1.0, "sd": 0.2}, 1.0, 0.2),
    "uniform": ({"dist": "uniform", "low": 0.2, "high": 0.8}, 0.5, 0.6 / math.sqrt(12)),
    "triangular": ({"dist": "triangular", "low": 1, "mode": 2.5, "high": 6}, 9.5 / 3,
                   math.sqrt((1 + 6.25 + 36 - 2.5 - 6 - 15) / 18)),
}


@pytest.mark.parametrize("name", DISTRIBUTIONS)
def test_distributions_have_their_moments(name):
    given, mean, sd = DISTRIBUTIONS[name]
    space = parameter_space(Uncertainty.model_validate({"parameters": {"x": given}}), None)
    x = np.array([v["x"] for v in space.values(latin_hypercube(20_000, 1, seed=3))])
    assert x.mean() == pytest.approx(mean, rel=0.01)
    assert x.std() == pytest.approx(sd, rel=0.03)


def test_truncated_normal_stays_in_bounds_and_calibrated_rows_are_drawn_whole():
    uncertainty = Uncertainty.model_validate({"parameters": {
        "t": {"dist": "normal", "mean": 0.0, "sd": 1.0, "low": 0.0},
        "a": {"dist": "calibrated"}, "b": {"dist": "calibrated"}}})
    rows = [{"a": float(i), "b": 10.0 * i} for i in range(7)]
    space = parameter_space(uncertainty, rows)
    assert space.names == ["t", CALIBRATED]
    values = space.values(latin_hypercube(7_000, 2, seed=1))
    t = np.array([v["t"] for v in values])
    assert t.min() >= 0 and t.mean() == pytest.approx(stats.halfnorm.mean(), rel=0.02)
    assert all(v["b"] == 10 * v["a"] for v in values)  # jointly, keeping the correlation
    assert np.bincount([int(v["a"]) for v in values]).tolist() == [1000] * 7  # rows equally likely


def test_bad_distribution_is_one_line_naming_the_parameter():
    with pytest.raises(ValueError, match=r"uncertainty.parameters\[jobs.x\]: gamma: give shape"):
        Uncertainty.model_validate({"parameters": {"jobs.x": {"dist": "gamma", "mean": 3}}})


def _small(tmp_path: Path, **changes) -> Path:
    return write_yaml(tmp_path / "small.yaml", {**SMALL, **changes})


def test_integer_fields_are_rounded_and_budgets_replace_headcounts(tmp_path):
    evaluator = ScenarioEvaluator(_small(tmp_path))
    spec = parse_sweep({"kind": "grid", "scenario": "small.yaml", "replications": 1, "parameters": {
        "coaching.caseload_cap": [12.4, 12.5], "regions[A].budget_eur_per_year": [150_000]}})
    design = build_design(spec, evaluator)
    assert [p.values["coaching.caseload_cap"] for p in design.points] == [12, 13]
    scenario = evaluator.scenario(design.points[1].values)
    assert scenario.coaching.caseload_cap == 13
    assert scenario.regions[0].budget_eur_per_year == [150_000]
    assert design.base_values["coaching.caseload_cap"] == 20


BAD_SWEEPS = {
    "unknown path": ({"coaching.caseload_cop": {"low": 1, "high": 2}}, "coaching.caseload_cop",
                     "caseload_cap"),
    "non-numeric field": ({"coaching.capacity_cut_policy": {"low": 1, "high": 2}},
                          "coaching.capacity_cut_policy", "not a numeric field"),
    "unknown region": ({"regions[Nowhere].coaches": {"low": 1, "high": 2}}, "Nowhere", "names: A"),
    "invalid value": ({"coaching.caseload_cap": {"low": 0, "high": 20}}, "coaching.caseload_cap",
                      "greater than or equal to 1"),
    "no distribution": ({"coaching.caseload_cap": None}, "coaching.caseload_cap",
                        "give low and high"),
}


@pytest.mark.parametrize("case", BAD_SWEEPS)
def test_bad_sweep_gives_one_line_exit_2_and_nothing_written(tmp_path, case):
    parameters, named, hint = BAD_SWEEPS[case]
    _small(tmp_path)
    write_yaml(tmp_path / "bad.yaml", {"kind": "one_way", "scenario": "small.yaml",
                                       "parameters": parameters})
    done = ipssim("sweep", tmp_path / "bad.yaml", "--serial", "--out", tmp_path / "out",
                  cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and hint in lines[0], done.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "outputs").exists()


def test_every_error_of_a_sweep_file_is_in_one_line(tmp_path):
    path = write_yaml(tmp_path / "bad.yaml", {
        "kind": "grid", "scenario": "small.yaml", "replications": 0, "colour": "red",
        "parameters": {"coaching.caseload_cap": []}, "metrics": [{"metric": "x", "arm": "both"}]})
    with pytest.raises(SweepError) as error:
        load_sweep(path)
    message = str(error.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    for named in ("replications: ", "colour: unknown field; allowed here: scenario, name",
                  "parameters.coaching.caseload_cap: ", "metrics[0].arm: "):
        assert named in message, message
    write_yaml(path, {"kind": "global", "scenario": "small.yaml", "samples": 6})
    with pytest.raises(SweepError, match=r"bad.yaml: samples: Sobol needs a power of 2 \(got 6\)$"):
        load_sweep(path)
    write_yaml(path, {"scenario": "small.yaml"})
    with pytest.raises(SweepError, match=r"kind: missing; allowed: one_way, grid, psa, global$"):
        load_sweep(path)


def _linear(values: dict[str, float], seed: int, replication: int) -> dict[str, dict[str, float]]:
    return {"ips": {"y": 2 * values["a"] + values["b"] + replication}}


def test_rerun_removes_stale_temporaries_and_computes_only_missing_points(tmp_path):
    """What a killed run leaves (hidden ``.partial-`` files, a missing point) is cleaned up and
    recomputed; progress is reported per point saved as (done, total)."""
    spec = parse_sweep({"kind": "grid", "scenario": "-", "replications": 2,
                        "parameters": {"a": [1, 2, 3], "b": [0, 10]},
                        "metrics": [{"metric": "y", "arm": "ips"}]})
    evaluator = FunctionEvaluator(_linear)
    out = tmp_path / "out"
    seen = []
    first = run_sweep(spec, evaluator, out, serial=True, progress=lambda *a: seen.append(a))
    assert seen == [(i, 6) for i in range(0, 7)] and first.complete  # the start, then each point
    assert read_progress(out) == (6, 6)
    results = (out / "results.parquet").read_bytes()
    (out / "points" / "000004.parquet").unlink()
    for stale in (out / "points" / ".000004.parquet.partial-99999", out / ".grid.csv.partial-1"):
        stale.write_text("half written")
    seen.clear()
    again = run_sweep(spec, evaluator, out, serial=True, progress=lambda *a: seen.append(a))
    assert (again.already, again.computed) == (5, 1) and seen == [(5, 6), (6, 6)]
    assert not [p for p in [*out.iterdir(), *(out / "points").iterdir()]
                if p.name.startswith(".")]
    assert (out / "results.parquet").read_bytes() == results
    assert again.tables["grid"]["mean"][:2] == [2.5, 12.5]
    assert not (out / "report.html").exists()  # no report writer given


def test_two_dask_workers_give_the_serial_bits(tmp_path):
    """The same PSA on a local Dask cluster of 2 worker processes and serially in this process:
    every point file and the combined results are the same bytes."""
    uncertainty = {"parameters": {
        "jobs.ips_offer_rate_per_month": {"dist": "gamma", "mean": 0.3, "sd": 0.06},
        "coaching.caseload_cap": {"dist": "triangular", "low": 4, "mode": 8, "high": 20}}}
    evaluator = ScenarioEvaluator(_small(tmp_path, uncertainty=uncertainty))
    spec = parse_sweep({"kind": "psa", "scenario": "small.yaml", "replications": 2, "draws": 6,
                        "streams": "independent", "wtp_per_employed_eur": [0, 50_000]})
    serial = run_sweep(spec, evaluator, tmp_path / "serial", serial=True)
    dask = run_sweep(spec, evaluator, tmp_path / "dask", workers=2)
    assert serial.computed == dask.computed == 6
    for point in serial.design.points:
        name = f"points/{point.index:06d}.parquet"
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()
    for name in ("results.parquet", "design.parquet", "psa_draws.csv", "ceac.csv"):
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()
    seeds = {p.seed for p in serial.design.points}
    assert len(seeds) == 6  # independent streams: each point its own seed


def _grid_sweep(tmp_path: Path, **changes) -> Path:
    _small(tmp_path)
    return write_yaml(tmp_path / "grid.yaml", {
        "kind": "grid", "scenario": "small.yaml", "replications": 5,
        "parameters": {"coaching.caseload_cap": [4, 6, 8, 10, 12, 14, 16, 18, 20, 22],
                       "regions[0].coaches": [1, 2, 3]}} | changes)


@pytest.mark.slow
def test_interrupted_sweep_computes_only_the_missing_points(tmp_path):
    """Ctrl-C (SIGINT to the whole process group, workers included) part-way through a real
    `ipssim sweep` on a local Dask cluster; the rerun computes only the missing points and the
    final results are those of an uninterrupted sweep."""
    sweep_file = _grid_sweep(tmp_path)
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "ipssim", "sweep", sweep_file, "--workers", "2", "--out", out],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    deadline = time.monotonic() + 120
    while len(list((out / "points").glob("*.parquet"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    saved = sorted(int(p.stem) for p in (out / "points").glob("*.parquet"))
    assert 3 <= len(saved) < 30, "interrupted too late to test resuming"
    assert stderr.strip().splitlines() == [
        f"ipssim: interrupted; {len(saved)} of 30 points saved in {out}/; run the same command "
        "again to compute the rest"]
    assert not [p for p in (out / "points").iterdir() if p.name.startswith(".")]
    for index in saved:
        assert pq.read_table(out / "points" / f"{index:06d}.parquet").num_rows > 0
    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["runs"][0]["interrupted"] and not manifest["complete"]

    done = ipssim("sweep", sweep_file, "--workers", "2", "--out", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"computed {30 - len(saved)} of 30 points ({len(saved)} already done)" in done.stdout
    manifest = json.loads((out / "sweep.json").read_text())
    assert [r["computed"] for r in manifest["runs"]] == [len(saved), 30 - len(saved)]
    assert manifest["complete"]

    spec = parse_sweep(yaml.safe_load(sweep_file.read_text()))
    reference = run_sweep(spec, ScenarioEvaluator(tmp_path / "small.yaml"), tmp_path / "reference",
                          serial=True)
    assert reference.computed == 30
    for name in [f"points/{i:06d}.parquet" for i in range(30)] + ["results.parquet", "grid.csv"]:
        assert (out / name).read_bytes() == (tmp_path / "reference" / name).read_bytes(), name

    # Another metric for the report reuses every point; another seed is another sweep.
    _grid_sweep(tmp_path, metrics=[{"metric": "clients_started", "arm": "ips"}])
    again = ipssim("sweep", sweep_file, "--out", out, cwd=tmp_path)
    assert "computed 0 of 30 points (30 already done)" in again.stdout, again.stderr
    _grid_sweep(tmp_path, seed=1)
    other = ipssim("sweep", sweep_file, "--out", out, cwd=tmp_path)
    assert other.returncode == 2 and "holds another sweep" in other.stderr
    assert len(other.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_scheduler_option_runs_on_an_existing_cluster(tmp_path):
    from distributed import LocalCluster

    sweep_file = write_yaml(tmp_path / "ow.yaml", {
        "kind": "one_way", "scenario": "small.yaml", "replications": 2,
        "parameters": {"coaching.caseload_cap": {"low": 5, "high": 25}}})
    _small(tmp_path)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        done = ipssim("sweep", sweep_file, "--scheduler", cluster.scheduler_address, "--out",
                      tmp_path / "remote", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"on {cluster.scheduler_address}" in done.stdout
    serial = ipssim("sweep", sweep_file, "--serial", "--out", tmp_path / "serial", cwd=tmp_path)
    assert serial.returncode == 0, serial.stderr
    assert (tmp_path / "remote/results.parquet").read_bytes() == \
        (tmp_path / "serial/results.parquet").read_bytes()
    assert 'src="plotly.min.js"' in (tmp_path / "remote/report.html").read_text()
    assert (tmp_path / "remote/plotly.min.js").stat().st_size > 1_000_000  # beside the report


# -- global sensitivity on a function with known indices ---------------------------------------------

A, B = 7.0, 0.1
ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)


def ishigami(values: dict[str, float], seed: int, replication: int) -> dict[str, dict[str, float]]:
    x1, x2, x3 = values["x1"], values["x2"], values["x3"]
    return {"ips": {"y": math.sin(x1) + A * math.sin(x2) ** 2 + B * x3**4 * math.sin(x1)}}


ISHIGAMI_INPUTS = Uncertainty.model_validate({"parameters": {
    x: {"dist": "uniform", "low": -math.pi, "high": math.pi} for x in ("x1", "x2", "x3")}})


def _global_spec(samples: int, method: str = "sobol") -> object:
    return parse_sweep({"kind": "global", "method": method, "scenario": "-", "samples": samples,
                        "replications": 1, "seed": 4, "metrics": [{"metric": "y", "arm": "ips"}]})


def test_sobol_plumbing_recovers_the_ishigami_indices():
    """The sweep's design (SALib's Saltelli sample on the unit cube through the distributions)
    and its analysis (SALib with bootstrap intervals) give the analytic indices."""
    evaluator = FunctionEvaluator(ishigami, ISHIGAMI_INPUTS)
    design = build_design(_global_spec(4096), evaluator)
    assert len(design.points) == 4096 * 5
    y = np.array([ishigami(p.values, 0, 0)["ips"]["y"] for p in design.points])
    full, *_ = sobol_indices(design.problem, y, [4096], bootstrap=500, seed=1)
    for j in range(3):
        # within the bootstrap 95% interval, widened by 0.01 where the interval is very tight
        assert abs(full["S1"][j] - ISHIGAMI_S1[j]) <= max(full["S1_conf"][j], 0.01), (j, full)
        assert abs(full["ST"][j] - ISHIGAMI_ST[j]) <= max(full["ST_conf"][j], 0.01), (j, full)
    # convergence: intervals shrink as the sample grows
    small, large = sobol_indices(design.problem, y, [256, 4096], bootstrap=200, seed=1)
    assert np.all(np.array(large["ST_conf"]) < np.array(small["ST_conf"]))


def test_global_sweep_end_to_end_on_a_python_function(tmp_path):
    """The same plumbing through run_sweep: points on disk, the table read back, the indices and
    their convergence table; and Morris screening ranks x3 (no main effect) last."""
    evaluator = FunctionEvaluator(ishigami, ISHIGAMI_INPUTS)
    result = run_sweep(_global_spec(64), evaluator, tmp_path / "sobol", serial=True,
                       report=write_sweep_report)
    table = result.tables["sobol"]
    assert table["parameter"] == ["x1", "x2", "x3"] and set(table["samples"]) == {64}
    design = result.design
    y = np.array([ishigami(p.values, 0, 0)["ips"]["y"] for p in design.points])
    (direct,) = sobol_indices(design.problem, y, [64], bootstrap=1000, seed=4)
    assert table["ST"] == direct["ST"]
    assert sorted(set(result.tables["sobol_convergence"]["samples"])) == [16, 32, 64]
    assert (tmp_path / "sobol/report.html").exists()
    morris = run_sweep(_global_spec(20, "morris"), evaluator, tmp_path / "morris",
                       serial=True).tables["morris"]
    mu_star = dict(zip(morris["parameter"], morris["mu_star"], strict=True))
    assert mu_star["x1"] > mu_star["x3"] and mu_star["x2"] > mu_star["x3"]


# -- PSA arithmetic ---------------------------------------------------------------------------------

def test_acceptability_and_evpi_by_hand():
    # three draws: one more person employed each, incremental public cost -1, 1 and 3 EUR
    keys = [("difference", "net_public_eur_pv"), ("difference", "net_society_eur_pv"),
            ("difference", "programme_cost_eur_pv"),
            ("ips", "ever_employed_competitive_by_horizon_share"), ("ips", "clients_referred"),
            ("usual", "ever_employed_competitive_by_horizon_share"), ("usual", "clients_referred")]
    rows = [[1.0, 0, 5, 0.6, 10, 0.5, 10], [-1.0, 0, 5, 0.6, 10, 0.5, 10],
            [-3.0, 0, 5, 0.6, 10, 0.5, 10]]
    cube = Cube(keys, np.array(rows)[:, None, :])
    points = [type("P", (), {"index": i, "values": {}})() for i in range(3)]
    tables = psa_tables(points, [], cube, "public", {"employed": [0.0, 2.0], "qaly": [0.0]})
    assert tables["psa_draws"]["incremental_cost_public_eur"] == [-1.0, 1.0, 3.0]
    assert tables["psa_draws"]["additional_employed"] == pytest.approx([1.0] * 3)
    ceac = tables["ceac"]
    assert ceac["p_cost_effective"] == pytest.approx([1 / 3, 2 / 3])  # NMB > 0
    assert ceac["evpi_eur"] == pytest.approx([1 / 3, 1 / 3])  # E[max(NMB, 0)] - max(E[NMB], 0)
    assert evpi(np.array([3.0, 1.0, -1.0])) == pytest.approx(4 / 3 - 1)
    # the frontier: usual services at WTP 0 (E[NMB of IPS] = -1), IPS at 2 (E = 1), although
    # IPS is best in a third of the draws at 0 and usual services in a third at 2
    ceaf = tables["ceaf"]
    assert ceaf["option"] == ["usual services", "IPS"] * 2
    assert ceaf["on_frontier"] == [True, False, False, True]
    assert ceaf["p_best"] == pytest.approx([2 / 3, 1 / 3, 1 / 3, 2 / 3])
    assert ceaf["expected_nmb_eur"] == pytest.approx([0.0, -1.0, 0.0, 1.0])
    assert tables["evppi"]["evppi_eur"] == []  # no parameter drawn


def test_evppi_of_the_parameter_that_decides_is_the_evpi():
    """IPS's public net cost is -x per draw (x drawn), y is drawn but changes nothing: knowing x
    removes all uncertainty (EVPPI(x) = EVPI), knowing y none. The regression on a linear truth
    is near exact; 200 draws."""
    rng = np.random.default_rng(4)
    x, y = rng.uniform(-2.0, 1.0, 200), rng.uniform(0.0, 1.0, 200)
    keys = [("difference", "net_public_eur_pv"), ("difference", "net_society_eur_pv"),
            ("difference", "programme_cost_eur_pv"),
            ("ips", "ever_employed_competitive_by_horizon_share"), ("ips", "clients_referred"),
            ("usual", "ever_employed_competitive_by_horizon_share"), ("usual", "clients_referred")]
    rows = [[xi, 0, 5, 0.6, 10, 0.5, 10] for xi in x]
    cube = Cube(keys, np.array(rows)[:, None, :])
    points = [type("P", (), {"index": i, "values": {"jobs.a": x[i], "jobs.b": y[i]}})()
              for i in range(200)]
    tables = psa_tables(points, ["jobs.a", "jobs.b"], cube, "public",
                        {"employed": [0.0, 1.0], "qaly": [0.0]})
    evppi_rows = tables["evppi"]
    at = {(w, g): v for w, g, v in zip(evppi_rows["wtp_eur"], evppi_rows["group"],
                                       evppi_rows["evppi_eur"], strict=True)}
    assert set(evppi_rows["group"]) == {"jobs.a", "jobs.b", "jobs (all drawn)", "all parameters"}
    assert all(evppi_rows["trusted"])  # 200 draws, at most a few degrees of freedom
    for w in (0.0, 1.0):
        total = evpi(x + w * 1.0)  # NMB of IPS: w x 1 more person - (-x)
        assert at[(w, "jobs.a")] == pytest.approx(total, rel=0.02)
        assert at[(w, "all parameters")] == pytest.approx(total, rel=0.02)
        assert total > 0.1 and at[(w, "jobs.b")] < 0.05 * total


# -- directions on the real model ------------------------------------------------------------------

def test_one_way_moves_outputs_in_the_documented_direction(tmp_path):
    """On a small programme with more referrals than places: a lower caseload cap or fewer
    coaches never raises capacity (clients started), never shortens the wait, and no caseload
    exceeds the lower cap; a higher job-offer rate raises employment."""
    _small(tmp_path, coaching={"caseload_cap": 8}, horizon_months=18)
    spec = parse_sweep({"kind": "one_way", "scenario": "small.yaml", "replications": 4,
                        "parameters": {"coaching.caseload_cap": {"low": 4, "high": 12},
                                       "regions[0].coaches": {"low": 1, "high": 3},
                                       "jobs.ips_offer_rate_per_month": {"low": 0.15, "high": 0.6}}})
    result = run_sweep(spec, ScenarioEvaluator(tmp_path / "small.yaml"), tmp_path / "out",
                       serial=True)
    t = result.tables["tornado"]
    row = {(t["metric"][i], t["arm"][i], t["parameter"][i]): i for i in range(len(t["metric"]))}

    def at(metric, arm, parameter):
        i = row[(metric, arm, parameter)]
        return t["at_low"][i], t["base"][i], t["at_high"][i]

    for parameter in ("coaching.caseload_cap", "regions[0].coaches"):
        low, base, high = at("clients_started", "ips", parameter)
        assert low <= base <= high and low < high
        low, base, high = at("mean_wait_days", "ips", parameter)
        assert low >= base >= high and low > high
    assert at("max_caseload", "ips", "coaching.caseload_cap")[0] <= 4 / 0.5  # returns at most
    low, base, high = at("ever_employed_competitive_by_horizon_share", "ips", "jobs.ips_offer_rate_per_month")
    assert low < base < high


@pytest.mark.parametrize("path", sorted((ROOT / "sweeps").glob("*.yaml")), ids=lambda p: p.stem)
def test_example_sweeps_are_valid(path):
    spec, scenario = load_sweep(path)
    design = build_design(spec, ScenarioEvaluator(scenario))
    assert len(design.points) >= 9
