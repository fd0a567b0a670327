"""The page's parts without a browser: what an upload may read, the checks of the values a
callback receives, the server-wide queue of runs, and the headline and side-by-side panels of
real (small) runs.
"""

from __future__ import annotations

import base64
import time

import pytest
import yaml

from conftest import ROOT
from ipssim import api
from ipssim.app import values
from ipssim.app.page import headline_panel, places, run_yaml, side_by_side
from ipssim.app.runs import Refused, Run, RunStore
from ipssim.app.uploads import MAX_UPLOAD, load_upload, shown_name

ONE_TEAM = ("name: one_team\ndescription: One uploaded team\ncalibration: calibrated.yaml\n"
            "mode: programme\nhorizon_months: 48\nregions:\n  - {name: Team, coaches: 3, "
            "eligible_people: 2000, uptake_per_year: 0.03}\n")
SECRET = "hunter2-secret-line"


def encoded(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def upload(**fields: object) -> str:
    """A small upload (one region) with ``fields`` added."""
    body = {"name": "probe", "mode": "programme",
            "regions": [{"name": "A", "coaches": 2, "referrals_per_month": 3}], **fields}
    return encoded(yaml.safe_dump(body))


@pytest.fixture(scope="module")
def outside(tmp_path_factory) -> dict[str, str]:
    """Paths outside the project: files that exist (a YAML with values, a CSV, with a secret
    inside), one that does not, a special file, a folder, and a climb out of the scenarios."""
    folder = tmp_path_factory.mktemp("outside")
    values_file = folder / "values.yaml"
    values_file.write_text(f"values:\n  jobs.x: {SECRET}\n{SECRET}: 1\n")
    table = folder / "table.csv"
    table.write_text(f"name,coaches\n{SECRET},2\n")
    return {"existing yaml": str(values_file), "existing csv": str(table),
            "missing": str(folder / "missing.yaml"), "passwd": "/etc/passwd",
            "zero": "/dev/zero", "folder": str(folder), "climb": "../../something",
            "climb to a real file": f"../../../../../../../..{values_file}",
            "relative outside": "../README.md", "a mapping": {"path": "/etc/passwd"}}


@pytest.mark.parametrize("key", ["extends", "calibration", "regions_table"])
def test_an_upload_names_no_path_and_the_refusal_reveals_nothing(outside, key):
    """Whatever an upload's path field names, the line is the same: it names the field and
    what is allowed, never whether the path exists, never any of its content."""
    lines = {what: load_upload("probe.yaml", upload(**{key: path}))
             for what, path in outside.items()}
    assert all(isinstance(line, str) for line in lines.values()), lines
    assert len(set(lines.values())) == 1, lines  # no existence (or type) oracle
    line = next(iter(lines.values()))
    assert line.startswith(f"probe.yaml: {key}: ") and "bundled" in line, line
    assert "\n" not in line and SECRET not in line and "root" not in line
    assert "/etc" not in line and "values" not in line.lower().replace("values:", "")


def test_an_upload_may_name_the_bundled_files_by_name():
    by_name = load_upload("variant.yaml", encoded(
        "extends: finland_pilot\nname: variant\ndescription: Pilots at a cap of 12\n"
        "coaching: {caseload_cap: 12}\n"))
    assert not isinstance(by_name, str), by_name
    assert by_name.name == "variant" and by_name.coaching.caseload_cap == 12
    pilot = api.load_scenario(ROOT / "scenarios" / "finland_pilot.yaml")
    assert [r.name for r in by_name.regions] == [r.name for r in pilot.regions]
    assert by_name.jobs == pilot.jobs  # the bundled calibration came with the base
    with_suffix = load_upload("v.yaml", encoded("extends: finland_pilot.yaml\nname: v\n"))
    assert not isinstance(with_suffix, str), with_suffix
    one_team = load_upload("one_team.yaml", encoded(ONE_TEAM))
    assert not isinstance(one_team, str) and one_team.jobs == pilot.jobs, one_team
    # the spelling of the bundled scenarios works too: it is a name here, not a path
    spelled = load_upload("t.yaml", encoded(ONE_TEAM.replace(
        "calibration: calibrated.yaml", "calibration: ../calibration/calibrated.yaml")))
    assert not isinstance(spelled, str) and spelled.jobs == pilot.jobs, spelled
    table = load_upload("counties.yaml", upload(regions_table="finland_ten_counties.csv",
                                               calibration="calibrated.yaml",
                                               region_defaults={"uptake_per_year": 0.03}))
    assert not isinstance(table, str), table
    assert len(table.regions) == 11  # ten counties from the bundled table and the upload's own


def test_an_upload_file_name_is_only_a_label():
    """A crafted file name neither moves where the bundled names are looked up nor reaches the
    messages as anything but a plain name."""
    assert shown_name("../../etc/passwd") == "passwd"
    assert shown_name("..\\..\\x.yaml") == "x.yaml"
    assert shown_name("...") == "upload.yaml" and shown_name(None) == "upload.yaml"
    assert shown_name("a b\x00\n.yaml") == "a_b__.yaml"
    loaded = load_upload("../../../../tmp/one_team.yaml", encoded(ONE_TEAM))
    assert not isinstance(loaded, str), loaded


def test_an_upload_over_the_size_limit_or_not_base64_is_refused():
    big = encoded(b"#" * (MAX_UPLOAD + 10))
    assert load_upload("big.yaml", big) == "upload: a scenario file of at most 1 MB is allowed"
    assert load_upload("x.yaml", "not base64 at all!") == (
        "upload: the file could not be read; upload a scenario YAML file")
    assert load_upload("x.yaml", {"contents": 1}).startswith("upload: ")
    assert load_upload("x.yaml", encoded(b"a: \xc3\x28")).startswith("x.yaml: not ")


@pytest.mark.parametrize(("check", "value"), [
    (values.replications, 0), (values.replications, -5), (values.replications, 100_000),
    (values.replications, "abc"), (values.replications, None), (values.replications, 2.5),
    (values.replications, True), (values.replications, [4]),
    (values.seed, -1), (values.seed, 2.5), (values.seed, "7"), (values.seed, 2**60),
    (values.seed, True), (values.seed, None),
    (values.ticks, "1"), (values.ticks, [True]), (values.ticks, [1.5]), (values.ticks, {"a": 1}),
    (values.ticks, list(range(1000))),
    (lambda v: values.switch(v, "uncertainty"), "on"), (lambda v: values.switch(v, "uncertainty"), True),
    (lambda v: values.switch(v, "uncertainty"), ["on", "off"]),
    (lambda v: values.switch(v, "uncertainty"), {"a": 1}),
])
def test_a_crafted_value_is_refused_in_one_line(check, value):
    with pytest.raises(values.Invalid) as refused:
        check(value)
    assert "\n" not in str(refused.value) and len(str(refused.value)) < 200


def test_numbers_and_choices_take_only_what_their_control_can_hold():
    for bad in (float("nan"), float("inf"), -float("inf"), "12", True, [1], {"a": 1}):
        with pytest.raises(values.Invalid, match="caseload_cap: give a number"):
            values.number(bad, "caseload_cap")
    assert values.number(None, "x") is None and values.number(2.5, "x") == 2.5
    for bad in ("bogus", None, 1, ["total"], {"a": 1}, True):
        with pytest.raises(values.Invalid, match="budget_mode: pick one of scenario, total"):
            values.choice(bad, values.BUDGET_MODES, "budget_mode")


def test_the_regions_table_must_be_the_scenarios_own():
    pilot = api.load_scenario(ROOT / "scenarios" / "finland_pilot.yaml")
    good = [{"name": r.name, "referrals": 12.0, "eligible": None, "uptake": "", "budget": None,
             "coaches": 3} for r in pilot.regions]
    assert values.rows(good, pilot) == good
    crafted = [None, "rows", {}, [], good[:1], [*good, good[0]], [dict(good[0], name="X"), *good[1:]],
               [dict(good[0], referrals="12"), *good[1:]], [dict(good[0], coaches=[1]), *good[1:]],
               [dict(good[0], extra=1), *good[1:]], [1, *good[1:]],
               [dict(good[0], budget=float("nan")), *good[1:]]]
    for rows in crafted:
        with pytest.raises(values.Invalid, match=r"^regions: "):
            values.rows(rows, pilot)


@pytest.fixture(scope="module")
def one_team() -> api.Scenario:
    scenario = load_upload("one_team.yaml", encoded(ONE_TEAM))
    assert not isinstance(scenario, str), scenario
    return scenario


def wait_for(condition, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_one_queue_for_every_session(one_team):
    """At most ``at_once`` runs go at a time server-wide and ``waiting`` more wait, in order;
    beyond that a run is refused with a message; a session has one run at a time; an id the
    store did not hand out is refused; a waiting run can be cancelled before it starts."""
    store = RunStore(workers=1, at_once=1, waiting=2)
    sessions = [store.new_session() for _ in range(4)]
    pilot = api.load_scenario(ROOT / "scenarios" / "finland_pilot.yaml")
    runs = [store.start(sessions[0], pilot, 40, 1, "long")]  # seconds a replication
    runs += [store.start(s, one_team, 2, 1, "short") for s in sessions[1:3]]
    with pytest.raises(Refused, match=r"^The server is busy: 3 runs queued; try again later\.$"):
        store.start(sessions[3], one_team, 2, 1, "refused")
    with pytest.raises(Refused, match="A run is still going"):
        store.start(sessions[1], one_team, 2, 1, "again")
    with pytest.raises(Refused, match="session has expired"):
        store.start("0" * 32, one_team, 2, 1, "stranger")
    assert not store.known("0" * 32) and store.known(sessions[0])
    wait_for(lambda: runs[0].state == "running")
    assert [store.position(r) for r in runs] == [None, 1, 2]
    store.cancel(sessions[2])
    assert runs[2].state == "cancelled" and runs[2].message == "cancelled before it started"
    store.cancel(sessions[0])
    wait_for(lambda: runs[1].state == "finished")
    assert runs[0].state == "cancelled" and runs[0].done < 40
    assert len(runs[1].result.replications) == 2
    later = store.start(sessions[3], one_team, 2, 1, "later")  # room again
    wait_for(lambda: later.state == "finished")


@pytest.fixture(scope="module")
def two_runs(one_team) -> list[Run]:
    """Two real runs of one team, the second with twice the coaches (twice the places)."""
    bigger = api.with_changes(one_team, {"regions[Team].coaches": 6}, name="one_team")
    out = []
    for number, (scenario, about) in enumerate(((one_team, "one team, 3 coaches"),
                                                (bigger, "one team, 6 coaches")), start=1):
        described = scenario.model_copy(update={"description": about})
        run = Run(number, described, 2, 5, about)
        run.result, run.state = api.run(described, 2, 5), "finished"
        out.append(run)
    return out


def test_the_headline_says_the_places_from_the_numbers(two_runs):
    for run in two_runs:
        offered = places(run.result)
        assert offered == run.scenario.regions[0].coaches * run.scenario.coaching.caseload_cap
        words = str(headline_panel(run).children[2].children)
        assert f"coaches offer {offered:,.0f} places." in words, words


def test_each_run_shows_its_own_places_side_by_side(two_runs):
    table = side_by_side(two_runs).children[0]
    rows = {str(row.children[0].children): [str(cell.children) for cell in row.children[1:]]
            for row in table.children[2:]}
    used = next(cells for label, cells in rows.items() if label.startswith("Places used"))
    offered = [places(run.result) for run in two_runs]
    assert offered[0] != offered[1]
    assert [cell.rsplit(" of ", 1)[1] for cell in used] == [f"{p:,.0f}" for p in offered], used


def test_the_yaml_of_a_run_describes_that_run(two_runs):
    for run in two_runs:
        text = run_yaml(run)
        assert text.startswith(f"# {run.name}: {run.description}\n")
        assert yaml.safe_load(text)["description"] == run.description


def test_break_even_labels_of_several_runs_do_not_print_over_each_other():
    """Three runs that all break even in the same months: each label of a panel on its own line."""
    import numpy as np

    from ipssim.reports.run import net_effect_figure

    monthly = np.tile(np.r_[-np.ones(10), 2 * np.ones(14)], (3, 1))  # breaks even in month 15
    effects = {name: {"public": monthly + shift, "society": monthly + shift}
               for name, shift in (("a", 0.0), ("b", 0.01), ("c", 0.02))}
    figure = net_effect_figure(effects)
    labels = [a for a in figure.layout.annotations if a.text.startswith("break-even month")]
    assert len(labels) == 6
    for axis in ("x", "x2"):
        panel = [a for a in labels if a.xref == axis]
        assert len(panel) == 3
        assert len({(a.y, a.yref, a.yshift or 0) for a in panel}) == 3, panel
