"""Output size: ``--tables summary`` (trajectories and summaries only) and compressed Parquet."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

import ipssim
from conftest import ROOT, SCENARIOS
from conftest import ipssim as cli
from ipssim.files import PARQUET_COMPRESSION
from ipssim.validation import InputError

GOLDEN_SCENARIO = ROOT / "tests" / "golden" / "scenario.yaml"
SHARED = ("summary.csv", "summary_regions.csv", "net_effect.csv", "spending.csv",
          "trajectories.parquet", "trajectories.csv", "regions.parquet")


def test_summary_tables_are_the_all_run_without_the_long_tables(tmp_path):
    """The same run with ``--tables summary`` (and another worker count) writes the trajectories
    and summaries of the ``all`` run byte for byte, prints the same headline, and writes no
    client or spell table."""
    common = ("run", GOLDEN_SCENARIO, "--replications", "3", "--seed", "5")
    every = cli(*common, "--workers", "1", "--out", tmp_path / "all")
    summary = cli(*common, "--workers", "2", "--tables", "summary", "--out", tmp_path / "summary")
    assert every.returncode == 0 and summary.returncode == 0, summary.stderr
    assert every.stdout.replace("all/", "summary/") == summary.stdout
    for name in SHARED:
        assert (tmp_path / "all" / name).read_bytes() == \
            (tmp_path / "summary" / name).read_bytes(), name
    assert {p.name for p in (tmp_path / "summary").iterdir()} == \
        {p.name for p in (tmp_path / "all").iterdir()} - {"clients.parquet", "spells.parquet"}


def test_every_parquet_output_is_compressed(tmp_path):
    done = cli("run", GOLDEN_SCENARIO, "--replications", "2", "--workers", "1", "--out",
               tmp_path / "run")
    assert done.returncode == 0, done.stderr
    written = sorted((tmp_path / "run").glob("*.parquet"))
    assert len(written) == 4
    for path in written:
        metadata = pq.ParquetFile(path).metadata
        for group in range(metadata.num_row_groups):
            for column in range(metadata.num_columns):
                codec = metadata.row_group(group).column(column).compression
                assert codec == PARQUET_COMPRESSION.upper(), (path.name, codec)


def test_a_summary_run_has_no_client_tables_and_says_so():
    scenario = ipssim.load_scenario(GOLDEN_SCENARIO)
    result = ipssim.run(scenario, replications=2, seed=5, tables="summary")
    assert not result.replications[0].clients
    with pytest.raises(InputError, match="--tables summary"):
        result.clients  # noqa: B018 (the property reads the tables)
    assert result.headline()  # the wait quantile comes without the client tables
    with pytest.raises(InputError, match="tables: must be one of all, summary"):
        ipssim.run(scenario, replications=2, tables="some")


def test_bad_tables_option_is_one_line(tmp_path):
    done = cli("run", GOLDEN_SCENARIO, "--tables", "some", cwd=tmp_path)
    assert done.returncode == 2
    assert "--tables" in done.stderr and "summary" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "outputs").exists()


@pytest.mark.slow
def test_national_scenario_validates_and_runs_with_summary_tables(tmp_path):
    """``scenarios/finland_national.yaml`` (every wellbeing services county and Helsinki, about
    40,000 clients a replication) validates, and runs 2 replications through the command line
    over its first year (a scenario extending it; the four years cost four times the CPU and test
    nothing more here: benchmarks/bench_engine.py times the whole)."""
    national = SCENARIOS / "finland_national.yaml"
    checked = cli("validate", national)
    assert checked.returncode == 0, checked.stderr
    assert "22 regions" in checked.stdout
    first_year = tmp_path / "national_first_year.yaml"
    first_year.write_text(f"extends: {national}\nname: national_first_year\nhorizon_months: 12\n")
    done = cli("run", first_year, "--replications", "2", "--workers", "2", "--tables", "summary",
               "--out", tmp_path / "national")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "national"
    assert not (out / "clients.parquet").exists() and not (out / "spells.parquet").exists()
    regions = pq.read_table(out / "regions.parquet", columns=["region", "replication"])
    assert len(set(regions.column("region").to_pylist())) == 22
    assert set(regions.column("replication").to_pylist()) == {0, 1}
    assert "clients_referred" in (out / "summary.csv").read_text()
