"""Who benefits: results by subgroup of clients add up to the whole and come with intervals."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from conftest import small_scenario
from ipssim.accounts.subgroups import ADDITIVE, AGE_BANDS, GROUPINGS
from ipssim.api import run


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """Two regions (so the region subgroup has two levels), 4 replications, written."""
    scenario = small_scenario(regions=[
        {"name": "A", "coaches": 2, "team_leaders": 1, "referrals_per_month": 6.0,
         "employers": 20},
        {"name": "B", "coaches": 1, "team_leaders": 1, "referrals_per_month": 3.0,
         "employers": 10}])
    return run(scenario, replications=4, seed=8,
               out=tmp_path_factory.mktemp("subgroups") / "run")


@pytest.mark.parametrize("metric", ADDITIVE)
def test_each_grouping_adds_up_to_the_whole_programme(result, metric):
    rows = result.subgroups[(result.subgroups.arm == "difference")
                            & (result.subgroups.metric == metric)]
    if metric == "clients":
        whole = result.value("clients_referred", "ips")
    elif metric == "earnings_gained_eur_pv":  # not a summary row: from the trajectories
        t = result.trajectories
        discounted = t["earnings_eur"] * t["discount_factor"]
        per_arm = discounted.groupby(t["arm"]).sum() / len(result.replications)
        whole = per_arm["ips"] - per_arm["usual"]
    else:
        whole = result.value(metric)
    assert set(rows.subgroup) == set(GROUPINGS)
    for grouping, levels in rows.groupby("subgroup"):
        assert levels["mean"].sum() == pytest.approx(whole, rel=1e-9, abs=1e-6), grouping


def test_the_region_levels_are_the_regions_own_results(result):
    rows = result.subgroups[(result.subgroups.subgroup == "region")
                            & (result.subgroups.arm == "difference")
                            & (result.subgroups.metric == "benefits_saved_eur_pv")]
    regions = result.region_summary
    for name in ("A", "B"):
        own = regions[(regions.region == name) & (regions.arm == "difference")
                      & (regions.metric == "benefits_saved_eur_pv")]["mean"].iloc[0]
        assert rows[rows.level == name]["mean"].iloc[0] == pytest.approx(own, rel=1e-9)


def test_subgroups_are_formed_from_the_clients_attributes(result):
    clients = result.clients[(result.clients.arm == "ips") & (result.clients.replication == 0)]
    sizes = result.subgroups[(result.subgroups.metric == "clients")
                             & (result.subgroups.arm == "ips")]
    first = {row.level: row for row in sizes[sizes.subgroup == "age_band"].itertuples()}
    for low, high, name in AGE_BANDS:
        count = int(((clients.age >= low) & (clients.age < high)).sum())
        if count:
            assert name in first
    by_activity = sizes[sizes.subgroup == "main_activity"]
    assert set(by_activity.level) <= set(result.clients.main_activity)
    diagnosis = sizes[sizes.subgroup == "diagnosis"]
    assert set(diagnosis.level) <= {"psychosis", "other"}


def test_shares_and_intervals_are_given_per_subgroup(result):
    rows = result.subgroups[(result.subgroups.metric
                             == "ever_employed_competitive_by_horizon_share")
                            & (result.subgroups.arm == "ips")]
    assert ((rows["mean"] >= 0) & (rows["mean"] <= 1)).all()
    assert (rows["replications"] == 4).all()
    spread = result.subgroups[result.subgroups.arm == "difference"]["mc_se"].dropna()
    assert (spread > 0).any()


def test_the_run_writes_the_subgroup_table_and_the_report_shows_it(result):
    written = list(csv.DictReader((result.out / "summary_subgroups.csv").read_text()
                                  .splitlines()))
    assert list(written[0]) == ["subgroup", "level", "metric", "arm", "mean", "lo95", "hi95",
                                "mc_se", "replications"]
    assert len(written) == len(result.subgroups)
    means = np.array([float(row["mean"]) for row in written])
    assert np.allclose(means, result.subgroups["mean"].to_numpy(), equal_nan=True)
    report = (result.out / "report.html").read_text()
    assert "Who benefits" in report and "more people in competitive work" in report
