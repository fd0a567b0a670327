"""What the reports and the console say: the window of each metric, and where a report's
plotly.js comes from (one file per folder that opens offline, or the CDN)."""

from __future__ import annotations

import csv
import shutil

import pytest
from plotly.offline import get_plotlyjs

from conftest import SMALL, ipssim, write_yaml
from ipssim.experiments.compare import BOUGHT, SPENT
from ipssim.scenario.budgets import bought_by_year, funding_table
from ipssim.scenario.load import parse_scenario
from ipssim.vocabulary import HEADLINE, SUMMARY_METRICS, WINDOWS, metric_window, summary_metrics

BUNDLE_START = get_plotlyjs()[:300]
"""The start of plotly.js: a page that embeds the library contains it."""


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


FUNDED = {**SMALL, "name": "funded", "horizon_months": 24, "regions": [
    {**SMALL["regions"][0], "name": "North", "coaches": None, "team_leaders": None,
     "budget_eur_per_year": [300_000.0, 600_000.0]},
    {**SMALL["regions"][0], "name": "South", "coaches": None, "team_leaders": None,
     "budget_eur_per_year": [400_000.0], "operating_months": 12}]}


HEADCOUNT = {**SMALL, "name": "headcount", "horizon_months": 24}


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """``ipssim compare`` of a headcount scenario (the reference) and a budget-funded one, with
    plotly.js from the CDN: its output folder and console text."""
    where = tmp_path_factory.mktemp("compare")
    a = write_yaml(where / "headcount.yaml", HEADCOUNT)
    b = write_yaml(where / "funded.yaml", FUNDED)
    out = where / "out"
    done = ipssim("compare", a, b, "--replications", "3", "--seed", "5", "--workers", "1",
                  "--out", out, "--plotlyjs", "cdn", cwd=where)
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
    assert "  Additional people in competitive work: " in stdout  # the headline, in words


def test_the_report_shows_the_headline_of_each_region(small_run):
    out, _ = small_run
    report = (out / "report.html").read_text()
    section = report[report.index("<h2>Regions</h2>"):]
    section = section[:section.index("</table>")]
    labels = [label for metric, arm, label, _ in HEADLINE]
    assert all(f"<td>{label}</td>" in section for label in labels)
    assert [section.index(f"<td>{label}</td>") for label in labels] == sorted(
        section.index(f"<td>{label}</td>") for label in labels)


def test_a_run_folder_holds_plotlyjs_once_and_its_report_loads_it(small_run):
    out, _ = small_run
    assert (out / "plotly.min.js").read_text(encoding="utf-8") == get_plotlyjs()
    pages = list(out.glob("*.html"))
    assert pages
    for path in pages:
        text = path.read_text(encoding="utf-8")
        assert BUNDLE_START not in text and len(text) < 1_000_000
        assert '<script type="text/javascript" src="plotly.min.js"' in text


def test_cdn_writes_no_plotlyjs_file(compared):
    out, _ = compared
    assert not list(out.glob("*.js"))
    report = (out / "report.html").read_text(encoding="utf-8")
    assert BUNDLE_START not in report
    assert 'src="https://cdn.plot.ly/plotly-' in report


def test_bad_plotlyjs_value_is_one_line_and_writes_nothing(tmp_path):
    path = write_yaml(tmp_path / "small.yaml", SMALL)
    done = ipssim("run", path, "--plotlyjs", "inline", "--out", tmp_path / "out", cwd=tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "--plotlyjs" in done.stderr
    assert "folder" in done.stderr and "cdn" in done.stderr
    assert not (tmp_path / "out").exists()


def test_the_report_renders_its_charts_offline_from_the_folder(small_run):
    """Debian's headless chromium opens report.html from file:// with every other request
    refused: the charts are drawn from the folder's plotly.min.js alone."""
    from playwright.sync_api import sync_playwright

    out, _ = small_run
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    assert executable, "Debian's chromium is missing: apt-get install -y chromium (.ci/run does)"
    refused: list[str] = []

    def offline(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.route("**/*", offline)
            page.goto((out / "report.html").as_uri())
            page.wait_for_selector("#net_effect .main-svg", timeout=30_000)
            assert page.evaluate("typeof window.Plotly") == "object"
            assert page.locator(".js-plotly-plot").count() >= 4
            assert page.locator("#net_effect .scatterlayer .trace").count() >= 2
        finally:
            browser.close()
    assert refused == []


def test_the_budgets_are_one_line_per_region_with_the_years_in_columns(tmp_path):
    path = write_yaml(tmp_path / "funded.yaml", FUNDED)
    scenario = parse_scenario(FUNDED)
    rows = bought_by_year(scenario)
    table = funding_table(rows)
    assert list(table) == ["region", "year 1", "year 2"]
    assert table["region"] == ["North", "South"]
    north = [r for r in rows if r["region"] == "North"]
    assert table["year 2"][0] == (f"600,000 / {north[1]['coaches']} / {north[1]['team_leaders']}"
                                  f" / {north[1]['places']}")
    assert north[1]["places"] == north[1]["coaches"] * scenario.coaching.caseload_cap
    assert table["year 2"][1] == "-"  # South runs for 12 months only
    done = ipssim("run", path, "--replications", "2", "--seed", "5", "--workers", "1", "--out",
                  tmp_path / "out", "--plotlyjs", "cdn", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    start = lines.index("what the budgets buy (each year: budget EUR 2024 / coaches / team leaders / "
                        "places):")
    assert lines[start + 1].split() == ["region", "year", "1", "year", "2"]
    assert lines[start + 2].split()[0] == "North" and table["year 2"][0] in lines[start + 2]
    assert lines[start + 3].split()[0] == "South" and lines[start + 3].endswith("  -")
    assert "EUR buys" not in done.stdout
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    section = report[report.index("<h2>What the budgets buy</h2>"):]
    section = section[:section.index("</table>")]
    assert section.count("<tr>") == 3  # the header and one row per region
    assert f"<td>{table['year 1'][0]}</td>" in section


def test_compare_shows_what_each_scenario_bought_on_screen_and_in_its_files(compared):
    out, stdout = compared
    funded = parse_scenario(FUNDED)
    bought = bought_by_year(funded)
    budget = sum(r["budget_eur"] for r in bought) / 2  # two programme years
    assert budget == (300_000 + 600_000 + 400_000) / 2
    with open(out / "comparison.csv") as handle:
        rows = [r for r in csv.DictReader(handle) if r["reference"] == "none"]
    own = {(r["metric"], r["scenario"]): r for r in rows}
    assert {m for m, _ in own} == {*BOUGHT, *SPENT} and all(r["arm"] == "ips" for r in rows)
    assert float(own[("budget_eur_per_year", "funded")]["mean"]) == budget
    assert own[("budget_eur_per_year", "headcount")]["mean"] == "nan"
    assert float(own[("coaches", "funded")]["mean"]) == sum(r.posts for r in funded.regions)
    assert float(own[("coaches", "headcount")]["mean"]) == 2
    # the places and the people served are the summary's, scenario by scenario
    for name in ("headcount", "funded"):
        with open(out / f"summary-{name}.csv") as handle:
            summary = {(r["metric"], r["arm"]): r for r in csv.DictReader(handle)}
        for metric in ("places", "clients_referred", "clients_started"):
            for column in ("mean", "lo95", "hi95"):
                assert own[(metric, name)][column] == summary[(metric, "ips")][column]
    assert float(own[("places", "funded")]["mean"]) == \
        sum(r.posts for r in funded.regions) * funded.coaching.caseload_cap
    # what each spent is its programme cost (spending.csv's figures, undiscounted)
    for name in ("headcount", "funded"):
        with open(out / f"summary-{name}.csv") as handle:
            cost = next(r for r in csv.DictReader(handle)
                        if (r["metric"], r["arm"]) == ("programme_cost_eur", "ips"))
        assert float(own[("spent_eur", name)]["mean"]) == pytest.approx(float(cost["mean"]))
    # the wide file and the screen: the same rows under the same column names
    with open(out / "comparison_wide.csv") as handle:
        wide = [r for r in csv.DictReader(handle) if r["reference"] == "none"]
    assert [w["metric"] for w in wide] == [*BOUGHT, *SPENT]
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("metric"))
    assert lines[header].split() == ["metric", "arm", "reference", "headcount", "funded"]
    screen = [line.split() for line in lines[header + 1:header + 1 + len(BOUGHT) + len(SPENT)]]
    assert [cells[:3] for cells in screen] == [[m, "ips", "none"] for m in (*BOUGHT, *SPENT)]
    assert screen[0][3:] == ["-", f"{budget:,.0f}"]
    assert [float(c) for c in screen[1][3:]] == [2, sum(r.posts for r in funded.regions)]
    own_rows = len(BOUGHT) + len(SPENT)
    assert lines[header + 1 + own_rows].split()[2] == "usual_services"  # then the headline
    shown = [tuple(line.split()[:3]) for line in lines[header + 1 + own_rows:]
             if len(line.split()) >= 3]
    assert [m for m, _, reference in shown if reference == "usual_services"] == \
        [m for m, arm, *_ in HEADLINE if arm == "difference"]
    assert [(m, a) for m, a, reference in shown if reference == "headcount"] == \
        [(m, a) for m, a, *_ in HEADLINE if not m.startswith("break_even_month_")]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "<h2>What each scenario bought</h2>" in report
