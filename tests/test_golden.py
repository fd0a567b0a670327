"""Golden back-test: a small scenario's run and a sweep give the files stored in tests/golden/.

Pinned: the run's summary tables, trajectories, spells and clients, and the sweep's
``results.parquet`` (its ``ipssim_version`` column, which follows git, set to the one stored:
``regenerate.pin_version``). A refactor must leave them byte-identical. Regenerate them only with
``python tests/golden/regenerate.py``, and only when a change is meant to move the numbers.
"""

from __future__ import annotations

import sys

import pyarrow
import pyarrow.parquet as pq
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "golden"))
import regenerate

GOLDEN = ROOT / "tests" / "golden"


def _same(produced, golden) -> None:
    if golden.suffix != ".parquet":
        assert produced.read_bytes() == golden.read_bytes(), golden.name
        return
    if pq.ParquetFile(golden).metadata.created_by.endswith(f"version {pyarrow.__version__}"):
        assert produced.read_bytes() == golden.read_bytes(), golden.name
    else:  # another pyarrow writes other bytes: the same schema and values (NaN equal to NaN)
        new, old = pq.read_table(produced), pq.read_table(golden)
        assert new.schema.equals(old.schema, check_metadata=True), golden.name
        assert new.to_pandas().equals(old.to_pandas()), golden.name


@pytest.fixture(scope="module")
def produced(tmp_path_factory):
    out = tmp_path_factory.mktemp("golden")
    regenerate.ipssim(*regenerate.RUN, "--out", out / "run")
    regenerate.ipssim(*regenerate.SWEEP, "--out", out / "sweep")
    for name in regenerate.SWEEP_FILES:
        regenerate.pin_version(out / "sweep" / name)
    return out


@pytest.mark.parametrize("name", regenerate.RUN_FILES)
def test_run_outputs_match_golden(produced, name):
    _same(produced / "run" / name, GOLDEN / "run" / name)


@pytest.mark.parametrize("name", regenerate.SWEEP_FILES)
def test_sweep_results_match_golden(produced, name):
    _same(produced / "sweep" / name, GOLDEN / "sweep" / name)
