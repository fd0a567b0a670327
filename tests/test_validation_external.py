"""External validation: the figures load, their scenarios run, the table comes out in quick mode,
and the observation models count what they say on hand-built tables."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import ROOT
from ipssim.calibration import external

VALIDATION = ROOT / "calibration" / "validation.yaml"


def test_every_figure_has_a_band_a_fact_and_a_scenario_that_loads():
    spec = external.load_validation(VALIDATION)
    facts = {f.fact for f in spec.figures.values()}
    assert {"OUT-C5", "OUT-C3", "TTJ-04", "EMP-13", "EMP-03", "FIN-05", "CST-06",
            "EMP-09"} <= facts
    for name, figure in spec.figures.items():
        low, high = figure.band
        assert low < high, name
        scenario = external.validation_scenario(VALIDATION.parent / figure.scenario,
                                                figure.horizon_months, None)
        if figure.horizon_months is not None:
            assert scenario.horizon_months == figure.horizon_months
        window = figure.observation.window_months
        assert window <= scenario.horizon_months, name


def test_the_validation_table_in_quick_mode():
    rows = external.run_validation(VALIDATION, quick=True)
    spec = external.load_validation(VALIDATION)
    assert [r["figure"] for r in rows] == list(spec.figures)
    for r in rows:
        assert r["replications"] == spec.quick_replications
        assert isinstance(r["in_band"], bool)
        assert r["in_band"] == (r["band_low"] <= r["simulated"] <= r["band_high"])
        assert not math.isnan(r["simulated"]), r["figure"]


def _tables():
    clients = {"referral_day": np.array([0.0, 0.0, 0.0]), "start_day": np.array([0.0, 10.0, 5.0]),
               "exit_day": np.array([200.0, np.nan, 50.0])}
    spells = {"client_id": np.array([0, 0, 1, 2]),
              "job_type": np.array(["competitive", "subsidised", "other", "competitive"],
                                   dtype=object),
              "start_day": np.array([100.0, 300.0, 20.0, 60.0]),
              "end_day": np.array([200.0, np.nan, 40.0, 80.0]),
              "at_entry": np.zeros(4, dtype=bool)}
    return clients, spells


def test_observation_models_on_hand_built_tables():
    clients, spells = _tables()
    # first competitive job within 365 days: 100 and 60 days
    assert external.days_to_first_job(clients, spells, 365.0, ("competitive",)) == \
        pytest.approx(80.0)
    # steady workers within 400 days: client 0 works 100 + 100 of the 300 days from day 100
    # (>= 50%), client 2 works 20 of the 340 days from day 60 (< 50%)
    assert external.steady_worker_share(clients, spells, 400.0, 0.5) == pytest.approx(0.5)
    # programme: all three started before day 365; paid jobs during IPS: client 0 (both) and
    # client 1 has a work trial only; client 2's job starts after its exit at day 50
    assert external.programme_ever_paid(clients, spells, 365.0) == pytest.approx(1 / 3)
