"""The public API: the README's example runs as written, and the API gives the same numbers as
the command line (it is the same path)."""

from __future__ import annotations

import contextlib
import io
import re

import pandas as pd
import pytest

import ipssim
from conftest import ROOT, SMALL, write_yaml
from conftest import ipssim as cli


def readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Using ipssim from Python"):]
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
    assert "ever_employed_competitive_by_horizon_share" in printed.getvalue()


def test_api_names_are_the_public_ones():
    assert sorted(ipssim.__all__) == sorted(set(ipssim.__all__))
    for name in ipssim.__all__:
        assert getattr(ipssim, name) is not None
    with pytest.raises(AttributeError):
        ipssim.not_a_name  # noqa: B018


def test_api_and_command_line_write_the_same_summary(tmp_path):
    scenario = ipssim.load_scenario(SMALL)
    result = ipssim.run(scenario, replications=3, seed=4, workers=2)
    result.write(tmp_path / "api")
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
