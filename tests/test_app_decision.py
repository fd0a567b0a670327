"""The workbench as a decision, end to end in chromium: three budgets run on the page, ticked
side by side, give the verdict lines, the chart of the options with their ranges and the option
table as CSV; the scenario file of an 8 M EUR run is named and described as that run."""

from __future__ import annotations

import csv
import io
import re

import pytest
import yaml
from playwright.sync_api import expect
from test_app import browser, finish_run, page, served, server  # noqa: F401 (fixtures)

VERDICT = re.compile(
    r"^Run [123] \(total ([\d,]+) EUR a year\) has the highest expected net benefit for "
    r"(the public purse|the wellbeing services county|society) at 20,000 EUR per additional "
    r"person in competitive work "
    r"\(-?[\d,]+ EUR against usual services, discounted\), probability it is the best "
    r"(0\.\d\d|1\.00) over 4 replications; rough: only 4 replications; on money alone, "
    r"(usual services|Run [123] \(total [\d,]+ EUR a year\)) \(probability (0\.\d\d|1\.00)\)\.$")


@pytest.mark.slow
def test_three_budgets_side_by_side_give_a_verdict_a_chart_and_a_table(page, tmp_path):  # noqa: F811
    page.get_by_label("total budget a year, split by demand").check()
    for number, budget in enumerate(("600000", "1000000", "1600000"), start=1):
        page.fill("#budget_eur_per_year", "")
        served(page, False)
        page.fill("#budget_eur_per_year", budget)
        served(page, True)
        finish_run(page, number)
    icers = page.locator("#headline-panel .icer").all_inner_texts()
    assert [line.split(":")[0] for line in icers] == ["ICER, the public purse",
                                                       "ICER, the wellbeing services county",
                                                       "ICER, society"]
    assert all("IPS dominates" in line or "IPS is dominated" in line
               or "(no 95% range: only 4 replications, 40 needed)" in line for line in icers), icers
    # the last run's scenario file is the 1,600,000 EUR run's, by name and by description
    with page.expect_download() as download:
        page.click("#download-yaml")
    saved = tmp_path / "run3.yaml"
    download.value.save_as(saved)
    scenario = yaml.safe_load(saved.read_text())
    assert scenario["description"] == "finland_pilot, total 1,600,000 EUR a year"
    assert scenario["name"] == "finland_pilot_total_1600000_EUR_a_year"
    assert download.value.suggested_filename == "finland_pilot_total_1600000_EUR_a_year-run3.yaml"

    for number in (1, 2, 3):
        page.locator("#history input").nth(number - 1).check()
    panel = page.locator("#decision-panel")
    expect(panel.locator(".verdict").first).to_be_visible()
    verdicts = panel.locator(".verdict").all_inner_texts()
    found = [VERDICT.match(v) for v in verdicts]
    assert all(found), verdicts
    # the public purse and society, and the county between them where its money moves
    shown = [m.group(2) for m in found]
    assert shown in (["the public purse", "society"],
                     ["the public purse", "the wellbeing services county", "society"]), shown
    assert panel.locator("table tr").count() == 1 + 4 * len(shown)  # header, 4 options each

    with page.expect_download() as download:
        page.click("#download-decision")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    views = {"the public purse": "public", "the wellbeing services county": "wellbeing_county",
             "society": "society"}
    assert len(rows) == 4 * len(shown)
    for match in found:
        view = views[match.group(2)]
        best = [r for r in rows if r["perspective"] == view and r["best"] == "True"]
        assert len(best) == 1 and f"total {match.group(1)} EUR a year" in best[0]["option"]
        assert f"{float(best[0]['p_best']):.2f}" == match.group(3)

    # the chart: one panel per perspective, each option's expected net benefit with its range
    traces = page.evaluate("() => document.querySelector('#decision-chart .js-plotly-plot').data")
    assert len(traces) == len(shown)
    for trace, view in zip(traces, [views[s] for s in shown], strict=True):
        mine = [r for r in rows if r["perspective"] == view]
        assert trace["x"] == [r["option"] for r in mine]
        assert [round(y, 6) for y in trace["y"]] == [round(float(r["nmb_eur"]), 6) for r in mine]
        highs = [y + up for y, up in zip(trace["y"], trace["error_y"]["array"], strict=True)]
        assert [round(h, 6) for h in highs] == [round(float(r["nmb_hi95_eur"]), 6) for r in mine]
    expect(page.locator("#glossary")).to_contain_text("Public purse")
    assert page.locator("#glossary dt").all_text_contents() == [
        "Public purse", "Society", "Discounted", "Ever in work"]

    # the willingness to pay: at 0 the decision is on money alone, each verdict says so and the
    # best option by NMB is the one the verdict named "on money alone" at 20,000 EUR
    on_money = [re.search(r"on money alone, (.+?) \(probability", v).group(1) for v in verdicts]
    page.fill("#wtp", "0")
    page.press("#wtp", "Enter")
    expect(panel.locator(".verdict").first).to_contain_text("at 0 EUR per additional person")
    at_zero = panel.locator(".verdict").all_inner_texts()
    assert [v.split(" has the highest")[0] for v in at_zero] == on_money, (at_zero, on_money)
    page.fill("#wtp", "20000")
    page.press("#wtp", "Enter")
    expect(panel.locator(".verdict").first).to_contain_text("at 20,000 EUR per additional")
