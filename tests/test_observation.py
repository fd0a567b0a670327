"""Observation models against hand-built client and spell tables."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ipssim.calibration import observation as obs
from ipssim.vocabulary import MONTH_DAYS

NAN = math.nan
SIX, TWELVE = 6 * MONTH_DAYS, 12 * MONTH_DAYS
CLOSE = 1000.0


def tables():
    # 0: ended coaching at 300 (dropout)       -> evaluable, window to 300
    # 1: started at 100, still in at the close -> in IPS 900 d: window to the 12-month point
    # 2: started at 900, still in at the close -> 100 d < 6 months: excluded
    # 3: started at 700, still in at the close -> 300 d: window to the 6-month point
    # 4: never started (waiting)                -> excluded
    clients = {
        "client_id": np.arange(5),
        "referral_day": np.array([0.0, 50.0, 880.0, 690.0, 990.0]),
        "start_day": np.array([0.0, 100.0, 900.0, 700.0, NAN]),
        "exit_day": np.array([300.0, NAN, NAN, NAN, NAN]),
        "exit_reason": np.array(["dropout", "in_programme", "in_programme", "in_programme",
                                 "waiting"], dtype=object),
        "first_competitive_job_day": np.array([50.0, 400.0, NAN, 750.0, NAN]),
    }
    spells = {
        "client_id": np.array([0, 0, 1, 1, 2, 3]),
        "job_type": np.array(["other", "competitive", "subsidised", "competitive", "competitive",
                              "competitive"], dtype=object),
        "start_day": np.array([20.0, 250.0, 400.0, 100.0 + TWELVE + 5, 950.0, 750.0]),
        "end_day": np.array([80.0, NAN, 450.0, NAN, NAN, 990.0]),
    }
    return clients, spells


def test_documented_window():
    clients, _ = tables()
    evaluable, end = obs.documented_window(clients, CLOSE)
    np.testing.assert_array_equal(evaluable, [True, True, False, True, False])
    np.testing.assert_allclose(end[[0, 1, 3]], [300.0, 100.0 + TWELVE, 700.0 + SIX])
    assert np.isnan(end[[2, 4]]).all()


def test_spells_shares_and_time_to_first():
    clients, spells = tables()
    evaluable, end = obs.documented_window(clients, CLOSE)
    in_window = obs.spells_in_window(clients, spells, evaluable, end)
    # the spell after client 1's 12-month point and the excluded client's spell do not count
    np.testing.assert_array_equal(in_window, [True, True, True, False, False, True])
    assert obs.ever_share(clients, spells, evaluable, in_window, obs.PAID) == pytest.approx(1.0)
    assert obs.ever_share(clients, spells, evaluable, in_window, ("other",)) == pytest.approx(1 / 3)
    assert obs.ever_share(clients, spells, evaluable, in_window,
                          ("competitive",)) == pytest.approx(2 / 3)
    first_any = obs.first_transition_days(clients, spells, in_window,
                                          ("competitive", "subsidised", "other"))
    np.testing.assert_allclose(sorted(first_any), [20.0, 50.0, 300.0])
    first_paid = obs.first_transition_days(clients, spells, in_window, obs.PAID)
    np.testing.assert_allclose(sorted(first_paid), [50.0, 250.0, 300.0])
    assert obs.job_mix(spells, in_window) == {"competitive": 0.5, "subsidised": 0.25,
                                              "other": 0.25}
    # ended within the documentation: client 0's work trial (60 d) and client 1's job (50 d);
    # client 3's job ends after its 6-month window
    np.testing.assert_allclose(sorted(obs.ended_tenures(clients, spells, in_window, end)),
                               [50.0, 60.0])


def test_coaching_and_dropout():
    clients, _ = tables()
    np.testing.assert_allclose(obs.coaching_durations(clients, CLOSE), [300.0])
    assert obs.dropout_share(clients, CLOSE) == pytest.approx(1 / 4)
    assert obs.dropout_share(clients, 200.0) == 0.0  # the dropout came after this close


def test_trial_window_counts_new_unsubsidised_jobs_from_entry():
    clients, spells = tables()
    spells["at_entry"] = np.zeros(6, dtype=bool)
    # unsubsidised jobs, days from entry: client 0 250, client 1 ~420, client 2 70, client 3 60;
    # client 1 also has a subsidised job at 350; client 4 none
    assert obs.ever_in_work_within(clients, spells, 100.0) == pytest.approx(2 / 5)
    assert obs.ever_in_work_within(clients, spells, 300.0) == pytest.approx(3 / 5)
    assert obs.ever_in_work_within(clients, spells, 400.0, obs.PAID) == pytest.approx(4 / 5)
    # a job held at entry is not an outcome
    spells["at_entry"][5] = True
    assert obs.ever_in_work_within(clients, spells, 100.0) == pytest.approx(1 / 5)
    # usual services: client 1's job (~420 days from entry) is subsidised instead, so the arms
    # differ only in the long window (OUT-C5: IPS minus usual)
    usual = {**spells, "job_type": spells["job_type"].copy()}
    usual["job_type"][3] = "subsidised"
    stats = obs.trial_statistics((clients, spells), (clients, usual), 300.0, 500.0)
    assert stats == {"rct_ips_ever_competitive": pytest.approx(2 / 5),
                     "rct_usual_ever_competitive": pytest.approx(2 / 5),
                     "rct_long_ever_competitive_difference": pytest.approx(1 / 5)}


def test_finnish_statistics_names_every_target():
    clients, spells = tables()
    stats = obs.finnish_statistics(clients, spells, CLOSE)
    assert stats["fin_evaluable"] == 3
    assert stats["fin_days_to_first_paid_mean"] == pytest.approx(200.0)
    assert stats["fin_dropout_share"] == pytest.approx(0.25)


def test_jobs_08_and_09_on_a_documented_window():
    # one evaluable client, documented from day 0 to day 300 (ended coaching then)
    clients = {"client_id": np.arange(1), "referral_day": np.array([0.0]),
               "start_day": np.array([0.0]), "exit_day": np.array([300.0]),
               "exit_reason": np.array(["completed"], dtype=object)}
    spells = {
        "client_id": np.zeros(6, dtype=np.int64),
        "job_type": np.array(["competitive", "subsidised", "other", "competitive", "other",
                              "competitive"], dtype=object),
        # 20 d, 80 d, 150 d, ends one day before the end of documentation (ended, 199 d),
        # ends one day after it (running), runs past the horizon (NaN: running)
        "start_day": np.array([0.0, 20.0, 100.0, 100.0, 250.0, 280.0]),
        "end_day": np.array([20.0, 100.0, 250.0, 299.0, 301.0, NAN]),
    }
    evaluable, end = obs.documented_window(clients, CLOSE)
    in_window = obs.spells_in_window(clients, spells, evaluable, end)
    assert in_window.all()
    ended = obs.ended_spells(spells, in_window, end, obs.JOB_TYPES)
    np.testing.assert_array_equal(ended, [True, True, True, True, False, False])
    # ended, all types: 20, 80, 150, 199 days
    assert obs.ended_share_under(spells, in_window, end, obs.JOB_TYPES, 1) == pytest.approx(1 / 4)
    assert obs.ended_share_under(spells, in_window, end, obs.JOB_TYPES, 3) == pytest.approx(2 / 4)
    assert obs.ended_share_under(spells, in_window, end, obs.JOB_TYPES, 6) == pytest.approx(3 / 4)
    # ended paid jobs: 20, 80, 199 days
    assert obs.ended_share_under(spells, in_window, end, obs.PAID, 1) == pytest.approx(1 / 3)
    assert obs.ended_share_under(spells, in_window, end, obs.PAID, 3) == pytest.approx(2 / 3)
    # running at the end of the documentation: the one ending a day after it and the open one
    assert obs.running_share(spells, in_window, end) == pytest.approx(2 / 6)
    stats = obs.finnish_statistics(clients, spells, CLOSE)
    assert stats["fin_running_share"] == pytest.approx(2 / 6)
    assert stats["fin_ended_under_1m_paid"] == pytest.approx(1 / 3)
    assert stats["fin_ended_under_6m_all"] == pytest.approx(3 / 4)
    # a spell ending exactly on the last documented day has ended
    spells["end_day"][4] = 300.0
    assert obs.running_share(spells, in_window, end) == pytest.approx(1 / 6)
