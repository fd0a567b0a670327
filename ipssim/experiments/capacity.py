"""What each region's staff can serve against its demand, before anything runs.

A region's places are its coaches times the caseload cap. At a steady state (Little's law) the
places serve ``places x 365.25 / mean stay`` clients a year, where the mean stay in coaching is
counted in place-days (a day working with follow-along support counts at
``coaching.follow_along_weight``: :func:`place_days`) and is that of the scenario's own
(calibrated) behavioural parameters: it is measured on a simulated
cohort that starts coaching at once at full caseloads (trial mode, IPS arm only, fixed seed),
because the stay depends on how fast clients find work and how coaching ends, which the model
does not give in closed form. Against the referrals a year this says whether places will stand
idle or the waiting list will grow. The command line (``ipssim validate``), the web page and the
reports read these figures from here (:func:`capacity`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ipssim.model.coaches import follow_along_weight
from ipssim.model.simulation import draw_cohort, simulate_arm
from ipssim.money.funding import staff
from ipssim.scenario.load import parse_scenario
from ipssim.scenario.schema import Region, Scenario
from ipssim.vocabulary import DEFAULT_SEED, MONTH_DAYS

STAY_COHORT = 2000
"""Clients of the cohort whose mean stay in coaching is measured (standard error about 3 days)."""
STAY_HORIZON_MONTHS = 120
"""Long enough for every client of the cohort to leave coaching (anyone still in counts to it)."""
IDLE_UTILISATION = 0.6
"""Below this share of places used (referrals against what the places can serve, or on average
in a run while the programme is open) places stand idle."""


@dataclass(frozen=True)
class RegionCapacity:
    """One region: its staff, places, the clients a year they can serve, and its demand."""

    region: str
    coaches: int
    """The most coaches in post at once (the headcount, or what the largest budget buys)."""
    team_leaders: int
    places: int
    """Coaches x caseload cap."""
    clients_per_year: float
    """Clients a year the places can serve at the mean stay in coaching."""
    referrals_per_year: float
    budget_eur_per_year: float | None
    """The first year's budget (None: staff given as a headcount)."""

    @property
    def load(self) -> float:
        """Referrals a year over the clients a year the places can serve."""
        return self.referrals_per_year / self.clients_per_year

    @property
    def warning(self) -> str:
        """A plain warning when places stand idle or the waiting list grows; else empty."""
        if self.load > 1:
            return (f"demand exceeds capacity: {self.referrals_per_year - self.clients_per_year:,.0f}"
                    " more referrals a year than the places can serve, so the waiting list grows")
        if self.load < IDLE_UTILISATION:
            return (f"places exceed demand: the referrals fill about {self.load:.0%} of the "
                    "places, the rest stand idle")
        return ""


@dataclass(frozen=True)
class Capacity:
    """Every region's capacity against its demand, and the mean stay it assumes."""

    stay_days: float
    source: str
    """Where the mean stay comes from, in words."""
    regions: list[RegionCapacity]

    def lines(self) -> list[str]:
        """One line per region, then the assumption, for the console."""
        out = []
        for r in self.regions:
            bought = (f"{r.budget_eur_per_year:,.0f} EUR a year buys "
                      if r.budget_eur_per_year is not None else "")
            out.append(f"{r.region}: {bought}{staff(r.coaches, r.team_leaders)}, {r.places:,} "
                       f"places, {r.clients_per_year:,.0f} clients a year; demand "
                       f"{r.referrals_per_year:,.0f} referrals a year ({r.load:.0%} of capacity)"
                       + (f"; warning: {r.warning}" if r.warning else ""))
        out.append(f"(clients a year = places x 365.25 / {self.stay_days:,.0f} days, {self.source})")
        return out


def capacity(scenario: Scenario) -> Capacity | None:
    """What each region's staff can serve against its referrals (None in trial mode, which
    has a cohort and no waiting list)."""
    if scenario.mode != "programme":
        return None
    cap = scenario.coaching.caseload_cap
    stays = {}
    for region in scenario.regions:
        key = (region.fidelity, region.integrated)
        if key not in stays:
            alike = [r for r in scenario.regions if (r.fidelity, r.integrated) == key]
            per_place = sum(r.employers for r in alike) / sum(r.posts * cap for r in alike)
            stays[key] = mean_stay_days(_cohort_scenario(scenario, region, per_place))
    rows = [RegionCapacity(
        region=r.name, coaches=r.posts, team_leaders=_leaders(r), places=r.posts * cap,
        clients_per_year=r.posts * cap * 365.25 / stays[(r.fidelity, r.integrated)],
        referrals_per_year=r.referrals_per_month * 12,
        budget_eur_per_year=r.budget_eur_per_year[0] if r.budget_eur_per_year else None)
        for r in scenario.regions]
    values = sorted(set(stays.values()))
    shown = values[0] if len(values) == 1 else float(np.mean([stays[(r.fidelity, r.integrated)]
                                                              for r in scenario.regions]))
    source = ("mean stay in coaching in place-days (a day in work with the coach counting as "
              f"{follow_along_weight(scenario.coaching):g} of a place) of this scenario's "
              f"calibrated parameters, simulated for a cohort of {STAY_COHORT:,} clients at full "
              f"caseloads, seed {DEFAULT_SEED}"
              + ("" if len(values) == 1 else
                 f"; {min(values):,.0f}-{max(values):,.0f} days by fidelity and integration, "
                 "each region at its own"))
    return Capacity(shown, source, rows)


def _leaders(region: Region) -> int:
    return max([region.team_leaders, *(c.team_leaders or 0 for c in region.staffing)])


def _cohort_scenario(scenario: Scenario, region: Region, employers_per_place: float) -> Scenario:
    """The scenario's parameters with one region: a trial-mode cohort at full caseloads, the
    region's fidelity and integration, its employers per place."""
    data = scenario.model_dump(mode="python", exclude_none=True,
                               exclude={"regions", "published", "uncertainty", "calibration"})
    coaches = math.ceil(STAY_COHORT / scenario.coaching.caseload_cap)
    employers = round(employers_per_place * coaches * scenario.coaching.caseload_cap)
    data.update(mode="trial", horizon_months=STAY_HORIZON_MONTHS, outcome_window_months=24,
                regions=[{"name": "cohort", "cohort_size": STAY_COHORT, "coaches": coaches,
                          "fidelity": region.fidelity, "integrated": region.integrated,
                          "employers": min(max(employers, 1), 100_000)}])
    return parse_scenario(data, source="capacity")


def mean_stay_days(cohort: Scenario) -> float:
    """Mean place-days from the start of coaching to its end for the cohort scenario's clients
    (:func:`place_days`), a client referred again (``coaching.re_referral_rate_per_month``)
    counting the days of every round in IPS, so that the places a referral takes include its
    returns (a return's days at a whole place each: an ASSUMPTION that errs towards fewer
    clients a year)."""
    return _mean_stay(cohort.model_dump_json())


@lru_cache(maxsize=64)
def _mean_stay(cohort_json: str) -> float:
    cohort = Scenario.model_validate_json(cohort_json)
    history = simulate_arm(cohort, draw_cohort(cohort, DEFAULT_SEED, 0), "ips", DEFAULT_SEED, 0)
    horizon = STAY_HORIZON_MONTHS * MONTH_DAYS
    stays = place_days(history.clients, history.spells, follow_along_weight(cohort.coaching),
                       horizon)
    returns = history.returns
    again = np.where(np.isnan(returns[:, 3]), horizon, returns[:, 3]) - returns[:, 2]
    return float((np.nansum(stays) + np.nansum(again)) / np.count_nonzero(~np.isnan(stays)))


def place_days(clients: dict[str, np.ndarray], spells: dict[str, np.ndarray], weight: float,
               until: float) -> np.ndarray:
    """Each client's place-days on a coach's caseload before ``until`` (NaN if never placed): the
    days from the start of coaching to its end, a day in work counting at the follow-along
    ``weight``. (A client a cut post moved back to the waiting list counts as still placed.)"""
    start = clients["start_day"]
    started = ~np.isnan(start)
    end = np.minimum(np.where(np.isnan(clients["exit_day"]), until, clients["exit_day"]), until)
    stay = np.where(started, end - np.where(started, start, end), np.nan)
    if weight == 1.0 or not len(spells["client_id"]):
        return stay
    who = spells["client_id"].astype(np.int64)
    job_end = np.where(np.isnan(spells["end_day"]), until, spells["end_day"])
    overlap = (np.minimum(job_end, end[who])
               - np.maximum(spells["start_day"], np.where(started, start, end)[who]))
    working = np.bincount(who, weights=np.where(started[who], np.maximum(overlap, 0.0), 0.0),
                          minlength=len(start))
    return stay - (1.0 - weight) * working
