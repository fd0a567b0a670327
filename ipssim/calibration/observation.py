"""Observation models: each published statistic computed from simulated tables the way the data
were collected (facts.md section 16), never from raw simulated lifetimes.

The Finnish pilots (S003) documented each client from IPS start to the latest of the 6-month,
12-month and end-of-coaching documentation points before the data close; clients still in
coaching at the close with less than 6 months in IPS were excluded (n = 49); only spells that
ended during data collection give tenures (JOB-07). The European trials (EMP-01) counted anyone
with a competitive job (open market, no wage subsidy) at some point in a fixed window from
randomisation, and Bern (OUT-C5) the same at 5 years.

Every function takes the columnar client and spell tables of one arm (``ArmHistory.clients`` and
``.spells``) and returns plain numbers or arrays, so each can be checked on hand-built tables.
"""

from __future__ import annotations

import math

import numpy as np

from ipssim.vocabulary import MONTH_DAYS

Table = dict[str, np.ndarray]
PAID = ("competitive", "subsidised")
JOB_TYPES = ("competitive", "subsidised", "other")


def documented_window(clients: Table, data_close_day: float,
                      min_days_in_ips: float = 6 * MONTH_DAYS) -> tuple[np.ndarray, np.ndarray]:
    """Who is in the employment analysis, and where each client's documentation ends.

    Evaluable: started IPS before the close and either ended coaching before it or had been in
    IPS for at least ``min_days_in_ips`` at the close. The window ends at the exit if coaching
    ended before the close, otherwise at the latest 6- or 12-month point before the close.
    """
    start, exit_day = clients["start_day"], clients["exit_day"]
    started = start < data_close_day  # NaN compares False
    ended = started & (exit_day < data_close_day)
    in_ips_at_close = data_close_day - start
    evaluable = ended | (started & (in_ips_at_close >= min_days_in_ips))
    six, twelve = start + 6 * MONTH_DAYS, start + 12 * MONTH_DAYS
    latest_point = np.where(twelve <= data_close_day, twelve, six)
    window_end = np.where(ended, exit_day, latest_point)
    return evaluable, np.where(evaluable, window_end, np.nan)


def spells_in_window(clients: Table, spells: Table, evaluable: np.ndarray,
                     window_end: np.ndarray) -> np.ndarray:
    """Mask of spells that started during a documented window (from IPS start to its end)."""
    who = spells["client_id"]
    start = clients["start_day"][who]
    return evaluable[who] & (spells["start_day"] >= start) & (spells["start_day"] <= window_end[who])


def first_transition_days(clients: Table, spells: Table, in_window: np.ndarray,
                          job_types: tuple[str, ...]) -> np.ndarray:
    """Per client with one: days from IPS start to the first documented spell of these types."""
    mask = in_window & np.isin(spells["job_type"], job_types)
    first = np.full(len(clients["start_day"]), np.inf)
    np.minimum.at(first, spells["client_id"][mask], spells["start_day"][mask])
    has = np.isfinite(first)
    return first[has] - clients["start_day"][has]


def ever_share(clients: Table, spells: Table, evaluable: np.ndarray, in_window: np.ndarray,
               job_types: tuple[str, ...]) -> float:
    """Share of evaluable clients with at least one documented spell of these types."""
    mask = in_window & np.isin(spells["job_type"], job_types)
    movers = np.unique(spells["client_id"][mask])
    return _ratio(len(movers), int(evaluable.sum()))


def job_mix(spells: Table, in_window: np.ndarray) -> dict[str, float]:
    """Shares of documented new spells by type (JOB-02 counts spells, not persons)."""
    types = spells["job_type"][in_window]
    return {t: _ratio(int((types == t).sum()), len(types)) for t in
            ("competitive", "subsidised", "other")}


def ended_tenures(clients: Table, spells: Table, in_window: np.ndarray,
                  window_end: np.ndarray) -> np.ndarray:
    """Durations of documented spells that also ended within the documentation (JOB-07)."""
    end = spells["end_day"]
    ended = in_window & (end <= window_end[spells["client_id"]])  # NaN (ongoing) compares False
    return end[ended] - spells["start_day"][ended]


def ended_spells(spells: Table, in_window: np.ndarray, window_end: np.ndarray,
                 job_types: tuple[str, ...]) -> np.ndarray:
    """Mask of documented spells of these types that ended by the end of their client's
    documentation (a spell ending on that day has ended; one ending after it is running)."""
    end = spells["end_day"]
    return in_window & np.isin(spells["job_type"], job_types) & \
        (end <= window_end[spells["client_id"]])  # NaN (running at the horizon) compares False


def ended_share_under(spells: Table, in_window: np.ndarray, window_end: np.ndarray,
                      job_types: tuple[str, ...], months: float) -> float:
    """JOB-08: share of the ended documented spells of these types that lasted less than
    ``months`` (of MONTH_DAYS days)."""
    ended = ended_spells(spells, in_window, window_end, job_types)
    tenure = spells["end_day"][ended] - spells["start_day"][ended]
    return _ratio(int((tenure < months * MONTH_DAYS).sum()), len(tenure))


def running_share(spells: Table, in_window: np.ndarray, window_end: np.ndarray,
                  job_types: tuple[str, ...] = JOB_TYPES) -> float:
    """JOB-09: share of the documented spells still running at the end of their client's
    documentation (the exit from coaching, or the last documentation point)."""
    documented = in_window & np.isin(spells["job_type"], job_types)
    ended = ended_spells(spells, in_window, window_end, job_types)
    return _ratio(int(documented.sum() - ended.sum()), int(documented.sum()))


def coaching_durations(clients: Table, data_close_day: float) -> np.ndarray:
    """Durations of coaching relationships that ended before the data close (COA-01)."""
    ended = clients["exit_day"] < data_close_day
    ended &= ~np.isnan(clients["start_day"])
    return clients["exit_day"][ended] - clients["start_day"][ended]


def dropout_share(clients: Table, data_close_day: float) -> float:
    """Dropouts before the close among everyone who started IPS before it (COA-05: 49/310)."""
    started = clients["start_day"] < data_close_day
    dropped = started & (clients["exit_day"] < data_close_day) & \
        (clients["exit_reason"] == "dropout")
    return _ratio(int(dropped.sum()), int(started.sum()))


def ever_in_work_within(clients: Table, spells: Table, window_days: float,
                        job_types: tuple[str, ...] = ("competitive",)) -> float:
    """Trial outcome (EMP-01): share of the cohort starting a job of these types within the window
    from entry. Jobs held at entry do not count (a new job is the outcome)."""
    who = spells["client_id"]
    delay = spells["start_day"] - clients["referral_day"][who]
    found = np.isin(spells["job_type"], job_types) & ~spells["at_entry"] & (delay < window_days)
    return _ratio(len(np.unique(who[found])), len(clients["referral_day"]))


def finnish_statistics(clients: Table, spells: Table, data_close_day: float) -> dict[str, float]:
    """Every Finnish-pilot target statistic from one IPS arm, observed as S003 observed it."""
    evaluable, window_end = documented_window(clients, data_close_day)
    in_window = spells_in_window(clients, spells, evaluable, window_end)
    any_type = ("competitive", "subsidised", "other")
    first_any = first_transition_days(clients, spells, in_window, any_type)
    first_paid = first_transition_days(clients, spells, in_window, PAID)
    tenures = ended_tenures(clients, spells, in_window, window_end)
    durations = coaching_durations(clients, data_close_day)
    mix = job_mix(spells, in_window)
    return {
        "fin_any_transition_share": ever_share(clients, spells, evaluable, in_window, any_type),
        "fin_competitive_share": ever_share(clients, spells, evaluable, in_window, PAID),
        "fin_unsubsidised_share": ever_share(clients, spells, evaluable, in_window,
                                             ("competitive",)),
        "fin_days_to_first_transition_mean": _mean(first_any),
        "fin_days_to_first_transition_sd": _sd(first_any),
        "fin_days_to_first_paid_mean": _mean(first_paid),
        "fin_days_to_first_paid_sd": _sd(first_paid),
        "fin_mix_competitive": mix["competitive"],
        "fin_mix_subsidised": mix["subsidised"],
        "fin_mix_other": mix["other"],
        "fin_ended_tenure_mean": _mean(tenures),
        "fin_ended_tenure_sd": _sd(tenures),
        "fin_coaching_days_mean": _mean(durations),
        "fin_coaching_days_sd": _sd(durations),
        "fin_dropout_share": dropout_share(clients, data_close_day),
        "fin_ended_under_1m_all": ended_share_under(spells, in_window, window_end, any_type, 1),
        "fin_ended_under_3m_all": ended_share_under(spells, in_window, window_end, any_type, 3),
        "fin_ended_under_6m_all": ended_share_under(spells, in_window, window_end, any_type, 6),
        "fin_ended_under_1m_paid": ended_share_under(spells, in_window, window_end, PAID, 1),
        "fin_ended_under_3m_paid": ended_share_under(spells, in_window, window_end, PAID, 3),
        "fin_running_share": running_share(spells, in_window, window_end),
        "fin_evaluable": float(evaluable.sum()),
    }


def trial_statistics(ips: tuple[Table, Table], usual: tuple[Table, Table],
                     window_days: float, long_window_days: float) -> dict[str, float]:
    """The EMP-01 outcome in both arms of a trial within ``window_days`` of entry, and the
    difference between the arms (IPS minus usual services) within ``long_window_days`` (OUT-C5,
    Bern at 5 years), from each arm's (clients, spells) of one simulation followed to the end of
    both windows.

    "Competitive" is read as the IPS definition, an open-market job without wage subsidy: S003
    compares its unsubsidised share (FIN-04, 36%) with this 37%, and subsidised jobs are set aside
    by the subsidy rather than open to anyone on the same terms.
    """
    return {"rct_ips_ever_competitive": ever_in_work_within(*ips, window_days),
            "rct_usual_ever_competitive": ever_in_work_within(*usual, window_days),
            "rct_long_ever_competitive_difference": ever_in_work_within(*ips, long_window_days)
            - ever_in_work_within(*usual, long_window_days)}


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else math.nan


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def _sd(values: np.ndarray) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else math.nan
