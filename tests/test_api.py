"""The public API: one list of names (``ipssim.__all__``), the same as the reference page, with
the code's signatures; every ``ipssim.X`` the README and docs name exists; the README's example
runs as written; the API gives the same numbers as the command line (it is the same path)."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import re
import subprocess
import sys

import pandas as pd
import pytest

import ipssim
from conftest import ROOT, SMALL, write_yaml
from conftest import ipssim as cli

REFERENCE = ROOT / "docs" / "reference.md"


def reference_entries() -> dict[str, str]:
    """Each name the reference page documents, with the first line of its code block."""
    return dict(re.findall(r"^### `([^`]+)`\n\n```text\n(.*)\n", REFERENCE.read_text(), re.M))


def signature(function) -> str:
    """``name(a, b=1, c='folder') -> Type``, as the reference page writes it."""
    shown = inspect.signature(function)
    parameters = [p.name if p.default is p.empty else f"{p.name}={p.default!r}"
                  for p in shown.parameters.values()]
    return f"{function.__name__}({', '.join(parameters)}) -> {shown.return_annotation}"


def test_all_is_the_reference_page_and_its_signatures_are_the_code():
    entries = reference_entries()
    assert len(entries) == len(ipssim.__all__) == len(set(ipssim.__all__))
    assert sorted(entries) == sorted(ipssim.__all__)
    for name, line in entries.items():
        value = getattr(ipssim, name)
        if inspect.isfunction(value):
            assert line == signature(value), name
        elif inspect.isclass(value) and issubclass(value, Exception):
            assert line == f"class {name}({value.__bases__[0].__name__})", name
        elif inspect.isclass(value):
            assert line == f"class {name}", name
        elif "=" in line:
            assert line == f"{name} = {value!r}", name
        else:
            assert line == f"{name}: {type(value).__name__}", name


def documented_modules() -> set[str]:
    """The modules the reference page names on purpose (its "Modules" section)."""
    section = REFERENCE.read_text().split("\n## Modules\n", 1)[1]
    return set(re.findall(r"^- `ipssim\.([a-z_]+)`", section, re.M))


def test_every_ipssim_name_in_the_readme_and_docs_exists():
    modules = documented_modules()
    assert modules == {"api", "vocabulary"}
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    seen = set()
    for page in pages:
        for match in re.finditer(r"\bipssim((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", page.read_text()):
            first, *rest = match[1][1:].split(".")
            if first in ipssim.__all__ or first == "__all__":
                value = getattr(ipssim, first)
            else:
                assert first in modules, f"{page.name}: ipssim.{first} is not in ipssim.__all__"
                value = importlib.import_module(f"ipssim.{first}")
            for part in rest:
                assert hasattr(value, part), f"{page.name}: {match[0]} does not exist"
                value = getattr(value, part)
            seen.add(first)
    assert {"run", "load_scenario", "api"} <= seen  # the scan reads the pages


def test_ipssim_sweep_is_the_function_even_after_its_package_is_imported():
    done = subprocess.run([sys.executable, "-c", "import ipssim.sweep.spec, ipssim; "
                           "print(ipssim.sweep.__module__, callable(ipssim.sweep))"],
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["ipssim.api.studies", "True"], done.stderr


def readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## From Python"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_example_runs(monkeypatch):
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(readme_example(), "README.md", "exec"), namespace)
    result, both = namespace["result"], namespace["both"]
    assert isinstance(result.summary, pd.DataFrame) and isinstance(both.table, pd.DataFrame)
    assert set(result.summary.arm) == {"ips", "usual", "difference"}
    assert (result.summary.replications[result.summary.metric == "programme_cost_eur"] == 4).all()
    effect = result.value("ever_employed_competitive_by_horizon_share")
    assert 0 < effect < 0.6  # IPS raises employment on the pilots (EMP-01 direction)
    assert set(both.table.reference) == {"none", "usual_services", "finland_pilot"}
    assert set(result.trajectories.arm) == {"ips", "usual"}


def test_api_names_are_the_public_ones():
    assert sorted(ipssim.__all__) == sorted(set(ipssim.__all__))
    assert {"load_scenario", "with_changes", "run", "compare", "size", "capacity", "sweep",
            "calibrate", "Levers", "planned_scenario", "budget_split", "InputError",
            "ScenarioError", "OutputError"} <= set(ipssim.__all__)
    for name in ipssim.__all__:
        assert getattr(ipssim, name) is getattr(ipssim.api, name)
    with pytest.raises(AttributeError):
        ipssim.not_a_name  # noqa: B018


def test_api_and_command_line_write_the_same_summary(tmp_path):
    scenario = ipssim.load_scenario(SMALL)
    result = ipssim.run(scenario, replications=3, seed=4, workers=2, out=tmp_path / "api")
    assert result.out == tmp_path / "api"
    path = write_yaml(tmp_path / "small.yaml", SMALL)
    done = cli("run", path, "--replications", "3", "--seed", "4", "--workers", "1",
               "--out", tmp_path / "cli")
    assert done.returncode == 0, done.stderr
    for name in ("summary.csv", "trajectories.parquet", "clients.parquet"):
        assert (tmp_path / "api" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes()


def test_with_changes_revalidates_and_keeps_budgets_consistent():
    base = ipssim.load_scenario({**SMALL, "regions": [
        {"name": "A", "budget_eur_per_year": [300_000], "referrals_per_month": 6.0}]})
    richer = ipssim.with_changes(base, {"regions[A].budget_eur_per_year": 600_000})
    assert richer.regions[0].coaches > base.regions[0].coaches
    capped = ipssim.with_changes(base, {"coaching.caseload_cap": 12}, name="capped")
    assert capped.coaching.caseload_cap == 12 and capped.name == "capped"
    assert capped.regions[0].coaches == base.regions[0].coaches
    with pytest.raises(ipssim.ScenarioError, match="caseload_cap"):
        ipssim.with_changes(base, {"coaching.caseload_cap": 0})
    with pytest.raises(ipssim.InputError, match="no regions entry named 'B'"):
        ipssim.with_changes(base, {"regions[B].coaches": 3})


def test_compare_refuses_the_same_name_twice():
    scenario = ipssim.load_scenario(SMALL)
    with pytest.raises(ipssim.ScenarioError, match="names must differ"):
        ipssim.compare([scenario, scenario], replications=2)


def test_workers_do_not_change_results():
    scenario = ipssim.load_scenario(SMALL)
    one = ipssim.run(scenario, replications=3, seed=9, workers=1).summary
    two = ipssim.run(scenario, replications=3, seed=9, workers=2).summary
    pd.testing.assert_frame_equal(one, two)


def test_a_run_claims_its_folder_before_the_work_and_refuses_an_occupied_one(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    scenario = ipssim.load_scenario(SMALL)
    calls = []
    with pytest.raises(ipssim.OutputError, match="already exists and is not an empty folder"):
        ipssim.run(scenario, replications=2, out=tmp_path / "taken",
                   progress=lambda done, total: calls.append(done))
    assert calls == [] and [p.name for p in (tmp_path / "taken").iterdir()] == ["keep.txt"]


def test_the_total_budget_split_is_the_planners(tmp_path):
    base = ipssim.load_scenario({**SMALL, "regions": [
        {**SMALL["regions"][0], "name": "A", "referrals_per_month": 6.0},
        {**SMALL["regions"][0], "name": "B", "referrals_per_month": 2.0}]})
    split = ipssim.budget_split(base, 1_000_000)
    assert split == pytest.approx({"A": 750_000, "B": 250_000})
    planned = ipssim.planned_scenario(base, ipssim.Levers(budget_mode="total",
                                                          budget_eur_per_year=1_000_000))
    assert {r.name: r.budget_eur_per_year[0] for r in planned.regions} == split
    with pytest.raises(ipssim.InputError, match="total_eur_per_year: must be a total"):
        ipssim.budget_split(base, -1)


def test_sweep_from_python_and_again_into_the_same_folder(tmp_path):
    sweep_file = ROOT / "tests" / "golden" / "sweep.yaml"
    seen = []
    first = ipssim.sweep(sweep_file, out=tmp_path / "s", serial=True,
                         progress=lambda done, total: seen.append((done, total)))
    assert (first.total, first.already, first.computed, first.where) == (5, 0, 5, "serially")
    assert seen[0] == (0, 5) and seen[-1] == (5, 5)
    assert set(first.tables["tornado"].parameter) == {"coaching.caseload_cap",
                                                      "economics.discount_rate_per_year"}
    assert first.headline()[0].startswith("net_public_eur_pv (difference): base case")
    again = ipssim.sweep(str(sweep_file), out=tmp_path / "s", serial=True)
    assert (again.already, again.computed) == (5, 0)
    sys.path.insert(0, str(ROOT / "tests" / "golden"))
    import regenerate  # the version column follows git: pinned as the golden file pins it

    regenerate.pin_version(tmp_path / "s" / "results.parquet")
    assert (tmp_path / "s" / "results.parquet").read_bytes() == \
        (ROOT / "tests" / "golden" / "sweep" / "results.parquet").read_bytes()


@pytest.mark.parametrize("call, message", [
    (lambda t: ipssim.sweep(None), "sweep_file: must be a file path"),
    (lambda t: ipssim.sweep(t / "nowhere.yaml", serial=1), "serial: must be True or False"),
    (lambda t: ipssim.sweep(t / "nowhere.yaml", out=t / "o", serial=True),
     "sweep file not found"),
    (lambda t: ipssim.sweep(t, scheduler="nowhere"), "scheduler: 'nowhere' is not a Dask"),
    (lambda t: ipssim.calibrate(budget=3, out=t), "budget: must be a whole number >= 4"),
    (lambda t: ipssim.calibrate(seed=-2, out=t), "seed: must be a whole number from 0"),
    (lambda t: ipssim.calibrate(targets=t / "none.yaml", out=t / "o"),
     "calibration targets file not found"),
    (lambda t: ipssim.calibrate(quick="yes", out=t), "quick: must be True or False"),
    (lambda t: ipssim.validate_calibration(out=t, workers=0), "workers: must be a whole"),
    (lambda t: ipssim.validate_calibration(out=t / "none"), "none/calibrated.yaml not found"),
])
def test_sweep_and_calibrate_refuse_wrong_arguments_before_any_work(tmp_path, call, message):
    with pytest.raises((ipssim.InputError, ipssim.OutputError), match=re.escape(message)):
        call(tmp_path)
    assert not (tmp_path / "o").exists()
