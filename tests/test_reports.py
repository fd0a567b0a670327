"""What the reports and the console say: the window of each metric."""

from __future__ import annotations

import pytest

from conftest import SMALL, ipssim, write_yaml
from ipssim.vocabulary import SUMMARY_METRICS, WINDOWS, metric_window, summary_metrics


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """One real run of the small scenario through the command line: its output folder and
    console text."""
    where = tmp_path_factory.mktemp("run")
    path = write_yaml(where / "small.yaml", {**SMALL, "outcome_window_months": 6})
    out = where / "out"
    done = ipssim("run", path, "--replications", "2", "--seed", "5", "--workers", "1",
                  "--out", out, cwd=where)
    assert done.returncode == 0, done.stderr
    return out, done.stdout


@pytest.mark.parametrize("metric, window", [
    ("ever_employed_competitive_in_outcome_window_share", "in_outcome_window"),
    ("ever_employed_unsubsidised_in_outcome_window_share", "in_outcome_window"),
    ("ever_employed_competitive_by_horizon_share", "by_horizon"),
    ("months_employed_by_horizon_per_client", "by_horizon"),
    ("additional_employed_competitive_by_horizon", "by_horizon"),
    ("clients_waiting_at_horizon", "at_horizon"),
    ("net_public_eur_pv", "discounted"),
    ("break_even_month_public", "discounted"),
    ("cost_per_additional_employed_eur", "discounted"),
    ("roi_society", "discounted"),
    ("programme_cost_eur", "whole_run"),
    ("max_caseload", "whole_run"),
])
def test_metric_window(metric, window):
    assert metric_window(metric) == window


def test_every_per_client_and_ever_metric_names_its_window():
    """The ambiguous kinds (people ever employed, totals per client, additional people or
    months) say in their names whether they count to the horizon or in the outcome window."""
    names = {m for arm in SUMMARY_METRICS for m in summary_metrics(arm)}
    ambiguous = {m for m in names if m.startswith(("ever_", "additional_")) or "per_client" in m}
    assert len(ambiguous) >= 12
    assert all(metric_window(m) in ("in_outcome_window", "by_horizon") for m in ambiguous)
    assert {metric_window(m) for m in names} == set(WINDOWS)


def test_report_and_console_say_what_each_window_is(small_run):
    out, stdout = small_run
    report = (out / "report.html").read_text()
    assert "<th>window</th>" in report
    assert "the first 6 months after each client&#x27;s referral" in report
    assert "to the end of month 12" in report
    assert "<td class=\"text\">in_outcome_window</td>" in report
    assert "windows of the metrics:" in stdout
    assert "in_outcome_window: the first 6 months after each client's referral" in stdout
    assert "ever_employed_competitive_by_horizon_share" in stdout
