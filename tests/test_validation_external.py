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
            "EMP-09", "OUT-H1", "OUT-H2", "OUT-C2", "OUT-C4"} <= facts
    kinds = {f.observation.kind for f in spec.figures.values()}
    assert set(external.MONEY) <= kinds
    for name, figure in spec.figures.items():
        low, high = figure.band
        assert low < high, name
        scenario = external.validation_scenario(VALIDATION.parent / figure.scenario,
                                                figure.horizon_months, None, figure.changes)
        if figure.horizon_months is not None:
            assert scenario.horizon_months == figure.horizon_months
        for field, value in figure.changes.items():
            assert getattr(scenario, field) == value, name
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


def test_money_observations_on_hand_built_metrics():
    metrics = {"ips": {"clients_referred": 10.0, "care_cost_eur_pv": 3000.0},
               "usual": {"clients_referred": 10.0, "care_cost_eur_pv": 5000.0},
               "difference": {"net_public_eur_pv": -2000.0, "net_society_eur_pv": 4000.0,
                              "roi_public": -0.25, "roi_society": 0.5,
                              "programme_cost_eur_pv": 8000.0,
                              "usual_services_cost_eur_pv": -1500.0,
                              "care_cost_eur_pv": -2000.0}}

    def seen(**observation):
        return external.observe(external.Observation(**observation), {}, {}, metrics)

    assert seen(kind="net_per_client", perspective="society") == pytest.approx(400.0)
    assert seen(kind="net_per_client", perspective="public") == pytest.approx(-200.0)
    # gross: benefits over cost, 1 + net return
    assert seen(kind="gross_ratio", perspective="public") == pytest.approx(0.75)
    assert seen(kind="gross_ratio", perspective="society") == pytest.approx(1.5)
    assert seen(kind="care_cost_per_client", arm="difference") == pytest.approx(-200.0)
    assert seen(kind="care_cost_per_client", arm="usual") == pytest.approx(500.0)
    # programme cost 8,000 less 1,500 of usual services replaced, over 10 clients
    assert seen(kind="intervention_cost_per_client") == pytest.approx(650.0)
