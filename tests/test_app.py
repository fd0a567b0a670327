"""The planner's workbench end to end: ``ipssim serve`` as a real process, driven by Playwright in
Debian's headless chromium (``.ci/run`` installs it), the real model on the Finnish pilots.

The page's headline must equal what ``ipssim run`` prints for the scenario YAML the page offers
(same seed, same numbers); a bad value is refused beside its field and nothing runs; runs line up
side by side; Cancel stops a run; the zip is the folder ``ipssim run`` writes; two tabs keep
their own runs.

Every wait is on a condition with a generous deadline (the CI's two cores are busy): a text on
the page, a download, or the page's own answers to its ticks; never a fixed pause.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect, sync_playwright

from conftest import ipssim as cli
from conftest import serve, wait_until_answering

RUN_FILES = {"manifest.json", "trajectories.parquet", "trajectories.csv", "clients.parquet",
             "spells.parquet", "summary.csv", "regions.parquet", "summary_regions.csv",
             "net_effect.csv", "spending.csv", "report.html", "plotly.min.js",
             "summary_subgroups.csv", "stress_des.md", "cheers.md"}
RUN_TIMEOUT = 300_000  # ms: a quick run of the pilots takes seconds on 2 idle cores
expect.set_options(timeout=60_000)  # ms: any other change the page shows
IDLE = "No runs yet in this tab: move the levers and press Run."
PLACES: dict[int, str] = {}
"""Run number -> the places its headline says its coaches offer."""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real ``ipssim serve``. Its output (a line per request) goes to a file, not a pipe: a
    pipe nobody reads fills after some hundreds of requests, and the server's logging then
    blocks every request thread (the page froze mid-module under load)."""
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with open(log, "w") as output:
        process, url = serve(2, output)
    wait_until_answering(process, url, 180, log.read_text)
    yield url
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    assert "Traceback" not in log.read_text(), log.read_text()


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    assert executable, "Debian's chromium is missing: apt-get install -y chromium (.ci/run does)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page(server, browser):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1300, "height": 900})
    context.set_default_timeout(120_000)  # clicks, downloads, page loads
    page = context.new_page()
    page.goto(server)
    expect(page.locator("#scenario-about")).to_contain_text("Finnish")
    yield page
    context.close()


def finish_run(page, number: int) -> None:
    page.click("#run")
    expect(page.locator("#status")).to_contain_text(f"Run {number} finished", timeout=RUN_TIMEOUT)
    expect(page.locator("#headline-panel")).to_contain_text(f"Run {number}:")
    words = page.locator("#headline-panel p").first.inner_text()
    PLACES[number] = re.search(r"coaches offer ([\d,]+) places\.", words).group(1)


def served(page, shown: bool) -> None:
    """Wait until the panel of what the staff can serve is shown (the server has the levers
    and they make a scenario) or gone (they do not): the levers typed have reached the server."""
    table = page.locator("#capacity-table")
    if shown:
        expect(table).to_be_visible()
    else:
        expect(table).to_have_count(0)


def next_ticks(page, count: int = 3) -> None:
    """Wait until the page has had ``count`` more answers to its tick (what the server holds
    for this tab, as of after any request sent before)."""
    for _ in range(count):
        with page.expect_response(lambda r: "_dash-update-component" in r.url
                                  and "status.children" in (r.request.post_data or "")):
            pass


def shown_headline(page) -> dict[str, str]:
    """Label -> value text of the headline table on the page."""
    rows = page.locator("#headline-table tr").all()[1:]
    return {row.locator("td").nth(0).inner_text(): row.locator("td").nth(1).inner_text()
            for row in rows}


@pytest.mark.slow
def test_headline_equals_ipssim_run_on_the_downloaded_yaml(page, tmp_path):
    page.get_by_label("total budget a year, split by demand").check()
    served(page, False)  # no total yet
    page.fill("#budget_eur_per_year", "3000000")
    served(page, True)
    finish_run(page, 1)
    shown = shown_headline(page)
    assert shown["Additional people in competitive work"] and shown["Net effect for the public purse"]
    assert "EUR" in shown["Programme cost"] and "e+" not in "".join(shown.values())
    with page.expect_download() as download:
        page.click("#download-yaml")
    scenario = tmp_path / "run1.yaml"
    download.value.save_as(scenario)
    text = scenario.read_text()
    about = page.locator("#headline-panel").inner_text()
    description = yaml.safe_load(text)["description"]  # the run's own, not the scenario's
    assert description.startswith("finland_pilot, total 3,000,000 EUR a year"), description
    assert f"Run 1: {description};" in about
    seed = re.search(r"--seed (\d+) --replications (\d+)", text)
    assert seed, text[:300]
    done = cli("run", scenario, "--seed", seed.group(1), "--replications", seed.group(2),
               "--workers", "2", "--out", tmp_path / "cli")
    assert done.returncode == 0, done.stderr
    printed = dict(re.findall(r"^  ([^:\n]+): (.+?)(?:  \(95% (?:range|interval of the mean) .*\))?$",
                              done.stdout, re.M))
    for label, value in shown.items():
        assert printed.get(label) == value, (label, value, printed.get(label))
    # the output folder, zipped: the file contract of ipssim run
    with page.expect_download() as download:
        page.click("#download-zip")
    archive = tmp_path / "run1.zip"
    download.value.save_as(archive)
    with zipfile.ZipFile(archive) as zipped:
        names = {Path(n).name for n in zipped.namelist()}
        summary = next(n for n in zipped.namelist() if n.endswith("/summary.csv"))
        assert zipped.read(summary) == (tmp_path / "cli" / "summary.csv").read_bytes()
    assert names == RUN_FILES == {p.name for p in (tmp_path / "cli").iterdir()}


def test_a_bad_value_is_refused_beside_its_field_and_nothing_runs(page):
    before = page.locator("#history input").count()
    page.fill("#caseload_cap", "0")
    served(page, False)
    page.click("#run")
    expect(page.locator("#error-caseload_cap")).to_contain_text("caseload_cap: must be a whole number")
    next_ticks(page)  # a run started by the click would show by now
    expect(page.locator("#status")).to_contain_text("Run 1 finished")
    assert page.locator("#history input").count() == before
    assert "Traceback" not in page.content()
    page.fill("#caseload_cap", "15")
    served(page, True)
    page.get_by_label("budget per region (table below)").check()  # no budgets in the table yet
    served(page, False)
    page.click("#run")
    expect(page.locator("#error-regions")).to_contain_text("give a budget in EUR a year for HUS")
    expect(page.locator("#error-caseload_cap")).to_have_text("")
    next_ticks(page)
    expect(page.locator("#status")).to_contain_text("Run 1 finished")
    assert page.locator("#history input").count() == before
    page.get_by_label("total budget a year, split by demand").check()
    served(page, True)


def test_two_runs_side_by_side(page):
    finish_run(page, 2)
    expect(page.locator("#error-caseload_cap")).to_have_text("")
    for number in (1, 2):
        page.locator("#history input").nth(number - 1).check()
    table = page.locator("#side-by-side-table")
    expect(table.locator("tr").first).to_contain_text("Run 2")
    headers = table.locator("tr").first.locator("th").all_inner_texts()
    assert headers[1:] == ["Run 1", "Run 2"]
    expect(table).to_contain_text("cap 15")
    expect(table).to_contain_text("Net effect for the public purse")
    # each run's own places (a cap of 15 against the scenario's 20 on the same budget)
    used = table.locator('td[data-key="utilisation"]').all_inner_texts()
    assert [cell.rsplit(" of ", 1)[-1] for cell in used] == [PLACES[1], PLACES[2]], used
    assert PLACES[1] != PLACES[2]


def test_cancel_stops_a_run(page):
    page.get_by_label("standard").check()
    page.click("#run")
    expect(page.locator("#status")).to_contain_text("Run 3 running")
    page.click("#cancel")
    expect(page.locator("#status")).to_contain_text("Run 3 cancelled", timeout=RUN_TIMEOUT)
    assert "Run 2:" in page.locator("#headline-panel").inner_text()  # the last result stays
    page.get_by_label("quick").check()


def test_coaches_directly_as_a_lever(page):
    page.get_by_label("coaches per region (table below)").check()
    cell = page.locator('#regions td[data-dash-column="coaches"]').first
    cell.click()
    page.keyboard.type("12")
    page.keyboard.press("Enter")
    # before anything runs, the panel beside the levers says what they serve against demand
    capacity = page.locator("#capacity-table")
    expect(capacity.locator("tr").nth(1).locator("td").nth(1)).to_have_text(
        "180")  # places: 12 coaches x the cap of 15
    coaches = [int(c) for c in page.locator('#regions td[data-dash-column="coaches"]').all_inner_texts()]
    assert coaches[0] == 12
    finish_run(page, 4)
    assert shown_headline(page)["Coaches funded (most in post at once, all regions)"] == \
        f"{sum(coaches):,}"
    expect(page.locator("#headline-panel")).to_contain_text(f"{sum(coaches)} coaches")
    page.get_by_label("total budget a year, split by demand").check()


def test_an_uploaded_scenario_runs_and_a_bad_one_is_refused(page, tmp_path):
    before = page.locator("#history input").count()
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nmode: programme\nregions:\n  - {name: A, coaches: 2, "
                   "eligible_people: 500}\n")
    page.set_input_files("#upload input[type=file]", str(bad))
    expect(page.locator("#error-upload")).to_have_text(
        "bad.yaml: regions[A].uptake_per_year: give eligible_people and uptake_per_year "
        "together (or referrals_per_month alone)")
    assert "uploaded" not in page.locator("#scenario").inner_text()  # the pick stays
    prying = tmp_path / "prying.yaml"
    prying.write_text("name: prying\nmode: programme\nextends: /etc/passwd\n")
    page.set_input_files("#upload input[type=file]", str(prying))
    expect(page.locator("#error-upload")).to_have_text(
        "prying.yaml: extends: give a bundled scenario by name, as the scenario list shows "
        "(e.g. finland_pilot); an uploaded scenario reads no other file")
    good = tmp_path / "one_team.yaml"
    good.write_text("name: one_team\ndescription: One uploaded team\ncalibration: "
                    "calibrated.yaml\nmode: programme\nhorizon_months: 48\n"
                    "regions:\n  - {name: Team, coaches: 3, eligible_people: 2000, "
                    "uptake_per_year: 0.03}\n")
    page.set_input_files("#upload input[type=file]", str(good))
    expect(page.locator("#scenario-about")).to_contain_text("One uploaded team")
    expect(page.locator("#error-upload")).to_have_text("")
    expect(page.locator("#capacity-table")).to_contain_text("Team")
    page.get_by_label("as in the scenario", exact=True).first.check()
    assert page.locator("#history input").count() == before  # nothing ran of the bad file
    finish_run(page, 5)
    assert shown_headline(page)["People referred"]
    expect(page.locator("#headline-panel")).to_contain_text("one_team.yaml")


def test_at_most_four_runs_side_by_side(page):
    """Runs 1, 2, 4 and 5 finished (3 was cancelled); a sixth is refused a tick while four are
    ticked, and can be ticked once one is cleared."""
    finish_run(page, 6)
    boxes = page.locator("#history input")
    for number in (1, 2, 4, 5):
        boxes.nth(number - 1).check()  # no change to a box already ticked
    table = page.locator("#side-by-side-table")
    expect(table.locator("tr").first).to_contain_text("Run 5")
    assert table.locator("tr").first.locator("th").all_inner_texts()[1:] == [
        "Run 1", "Run 2", "Run 4", "Run 5"]
    expect(boxes.nth(5)).to_be_disabled()
    boxes.nth(0).uncheck()
    expect(boxes.nth(5)).to_be_enabled()
    boxes.nth(5).check()
    expect(table.locator("tr").first).to_contain_text("Run 6")
    assert table.locator("tr").first.locator("th").all_inner_texts()[1:] == [
        "Run 2", "Run 4", "Run 5", "Run 6"]


def test_another_tab_has_its_own_runs(server, browser):
    context = browser.new_context()
    context.set_default_timeout(120_000)
    other = context.new_page()
    other.goto(server)
    expect(other.locator("#scenario-about")).to_contain_text("Finnish")
    expect(other.locator("#status")).to_have_text(IDLE)  # the server's answer for this tab
    assert other.locator("#history input").count() == 0
    assert other.locator("#headline-panel").count() == 0
    context.close()


def test_serve_refuses_a_busy_port_in_one_line():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = cli("serve", "--port", port)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"ipssim: error: serve: cannot listen on 127.0.0.1:{port} (Address already in use); give "
        "another --host or --port"]
