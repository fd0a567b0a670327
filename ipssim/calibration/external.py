"""External validation: published figures the calibration does not use, each reproduced by a
scenario and an observation model of its design, against an acceptance band set before the run
(``calibration/validation.yaml``).

Runs with the values of a ``calibrated.yaml`` (by default the one the scenarios name), so
``ipssim calibrate`` validates the fit it has just made and ``ipssim calibrate --validate-only``
validates the current one. A figure outside its band is reported as a miss.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from ipssim.calibration.observation import PAID, ever_in_work_within
from ipssim.experiments.runner import run_replication
from ipssim.money import rules
from ipssim.parallel import ordered_map
from ipssim.scenario.load import parse_scenario, read_scenario_data, scoped_values, with_values
from ipssim.scenario.schema import Scenario, ScenarioError
from ipssim.stats import band95, describe
from ipssim.validation import Strict, read_yaml, validate
from ipssim.vocabulary import MONTH_DAYS

Table = dict[str, np.ndarray]


class Observation(Strict):
    kind: Literal["ever_in_work", "days_to_first_job", "steady_workers", "programme_ever_paid",
                  "break_even_month", "admitted", "admissions", "inpatient_days",
                  "net_per_client", "gross_ratio", "care_cost_per_client",
                  "intervention_cost_per_client"]
    arm: Literal["ips", "usual", "difference", "ratio"] = "ips"
    window_months: float = Field(24.0, gt=0)
    # mypy reads the lambda's item as a str, against pydantic's union of factories
    job_types: list[Literal["competitive", "subsidised", "other"]] = Field(
        default_factory=lambda: ["competitive"])  # type: ignore[arg-type]
    min_share: float = Field(0.5, gt=0, le=1)
    data_close_month: float = Field(36.0, gt=0)
    perspective: Literal["public", "society"] = "public"


class Figure(Strict):
    fact: str
    published: float | None
    """The published value; null where the source gives only a direction (the band says
    which)."""
    band: tuple[float, float]
    scenario: str
    horizon_months: int | None = Field(None, ge=1, le=600)
    changes: dict[str, int | float] = Field(default_factory=dict)
    """Top-level scenario fields set for the study's design (``recruitment_months: 0`` for a
    cohort entering on day 0), over the scenario's own."""
    observation: Observation
    design: str


class ValidationFile(Strict):
    seed: int = Field(ge=0)
    replications: int = Field(ge=2)
    quick_replications: int = Field(ge=1)
    figures: dict[str, Figure]


def load_validation(path: str | Path) -> ValidationFile:
    """Read and check ``validation.yaml``; every problem in one line."""
    return validate(ValidationFile, read_yaml(Path(path), "validation figures", ScenarioError),
                    str(path), ScenarioError)


def validation_scenario(path: Path, horizon: int | None, calibrated: Path | None,
                        changes: Mapping[str, int | float] | None = None) -> Scenario:
    """The scenario file with the calibrated values (``calibrated``, or the file it names), the
    figure's design ``changes`` and its horizon."""
    data = dict(read_scenario_data(path))
    named = data.pop("calibration", None)
    source = calibrated if calibrated is not None else (path.parent / named if named else None)
    if source is not None:
        values = read_yaml(Path(source), "calibration", ScenarioError).get("values") or {}
        data = with_values(data, scoped_values(values, data.get("calibration_scope")))
    data |= dict(changes or {})
    if horizon is not None:
        data["horizon_months"] = horizon
    return parse_scenario(data, str(path))


# -- observation models ---------------------------------------------------------------------------

def days_to_first_job(clients: Table, spells: Table, window_days: float,
                      job_types: tuple[str, ...]) -> float:
    """Mean days from entry to the first new job of these types, among clients with one within
    the window (jobs held at entry do not count)."""
    who = spells["client_id"]
    delay = spells["start_day"] - clients["referral_day"][who]
    found = np.isin(spells["job_type"], job_types) & ~spells["at_entry"] & (delay < window_days)
    first = np.full(len(clients["referral_day"]), np.inf)
    np.minimum.at(first, who[found], delay[found])
    first = first[np.isfinite(first)]
    return float(first.mean()) if len(first) else math.nan


def steady_worker_share(clients: Table, spells: Table, window_days: float,
                        min_share: float) -> float:
    """Among clients with a new paid job within the window from entry, the share in paid work on
    at least ``min_share`` of the days from the first such job to the end of the window."""
    who = spells["client_id"]
    referral = clients["referral_day"][who]
    paid = np.isin(spells["job_type"], PAID) & ~spells["at_entry"]
    new = paid & (spells["start_day"] - referral < window_days)
    first = np.full(len(clients["referral_day"]), np.inf)
    np.minimum.at(first, who[new], spells["start_day"][new])
    workers = np.flatnonzero(np.isfinite(first))
    if not len(workers):
        return math.nan
    window_end = clients["referral_day"] + window_days
    end = np.where(np.isnan(spells["end_day"]), np.inf, spells["end_day"])
    lo = np.maximum(spells["start_day"], first[who])
    hi = np.minimum(end, window_end[who])
    worked = np.zeros(len(first))
    np.add.at(worked, who[paid], np.clip(hi - lo, 0.0, None)[paid])
    span = window_end[workers] - first[workers]
    return float(np.mean(worked[workers] >= min_share * span))


def programme_ever_paid(clients: Table, spells: Table, data_close_day: float) -> float:
    """Share of everyone who started IPS before the data close with a paid job started between
    IPS start and exit (or the close)."""
    start = clients["start_day"]
    started = start < data_close_day
    stop = np.fmin(clients["exit_day"], data_close_day)
    who = spells["client_id"]
    during = (np.isin(spells["job_type"], PAID) & started[who]
              & (spells["start_day"] >= start[who]) & (spells["start_day"] <= stop[who]))
    n = int(started.sum())
    return len(np.unique(who[during])) / n if n else math.nan


def care_use(kind: str, clients: Table, window_days: float) -> float:
    """``admitted``: share of the cohort admitted to psychiatric hospital at least once within
    the window from entry; ``admissions`` and ``inpatient_days``: admissions and hospital days
    per client by the horizon (the figure's horizon is then its window)."""
    if kind == "admitted":
        return float(np.mean(clients["first_admission_day"] - clients["referral_day"]
                             < window_days))
    return float(np.mean(clients[kind]))


MONEY = ("net_per_client", "gross_ratio", "care_cost_per_client", "intervention_cost_per_client")
"""The observation kinds read from the summary metrics (:func:`money`)."""


def money(obs: Observation, metrics: Mapping[str, Mapping[str, float]]) -> float:
    """A money figure from one replication's summary metrics, discounted, per client referred:
    ``net_per_client`` the net effect of IPS against usual services for the perspective;
    ``gross_ratio`` its benefits over the programme cost (1 + net return); ``care_cost_per_client``
    the health and social care cost of the arm (or IPS minus usual); and
    ``intervention_cost_per_client`` the programme cost less the usual services it replaces."""
    difference = metrics["difference"]
    n = metrics["ips"]["clients_referred"]
    if obs.kind == "net_per_client":
        return difference[f"net_{obs.perspective}_eur_pv"] / n
    if obs.kind == "gross_ratio":
        return 1.0 + difference[f"roi_{obs.perspective}"]
    if obs.kind == "care_cost_per_client":
        return metrics[obs.arm]["care_cost_eur_pv"] / n
    return (difference["programme_cost_eur_pv"] + difference["usual_services_cost_eur_pv"]) / n


def observe(obs: Observation, clients: Mapping[str, Table], spells: Mapping[str, Table],
            metrics: Mapping[str, Mapping[str, float]]) -> float:
    """One figure's statistic from one replication's tables and summary metrics of both arms."""
    if obs.kind in MONEY:
        return money(obs, metrics)
    window = obs.window_months * MONTH_DAYS
    types = tuple(obs.job_types)
    if obs.kind == "ever_in_work":
        value = {arm: ever_in_work_within(clients[arm], spells[arm], window, types)
                 for arm in ("ips", "usual")}
        return value["ips"] - value["usual"] if obs.arm == "difference" else value[obs.arm]
    if obs.kind == "days_to_first_job":
        value = {arm: days_to_first_job(clients[arm], spells[arm], window, types)
                 for arm in ("ips", "usual")}
        return value["usual"] / value["ips"] if obs.arm == "ratio" else value[obs.arm]
    if obs.kind == "steady_workers":
        return steady_worker_share(clients["ips"], spells["ips"], window, obs.min_share)
    if obs.kind in ("admitted", "admissions", "inpatient_days"):
        value = {arm: care_use(obs.kind, clients[arm], window) for arm in ("ips", "usual")}
        return value["ips"] - value["usual"] if obs.arm == "difference" else value[obs.arm]
    if obs.kind == "programme_ever_paid":
        return programme_ever_paid(clients["ips"], spells["ips"], obs.data_close_month * MONTH_DAYS)
    raise ValueError(f"observe: {obs.kind} is computed from the net effect")


def _replication(scenario: Scenario, seed: int, replication: int,
                 figures: dict[str, Observation]) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    result = run_replication(scenario, seed, replication)
    values = {name: observe(obs, result.clients, result.spells, result.metrics)
              for name, obs in figures.items()
              if obs.kind != "break_even_month"}
    return values, result.net_effect


# -- the validation -------------------------------------------------------------------------------

def run_validation(path: str | Path, calibrated: Path | None = None, quick: bool = False,
                   pool=None) -> list[dict]:
    """Every figure of the validation file: published value, band, simulated mean with its 95%
    Monte Carlo interval, in band or not. Figures on the same scenario, design and horizon share runs."""
    path = Path(path)
    spec = load_validation(path)
    replications = spec.quick_replications if quick else spec.replications
    groups: dict[tuple[str, int | None, tuple], dict[str, Figure]] = {}
    for name, figure in spec.figures.items():
        design = tuple(sorted(figure.changes.items()))
        groups.setdefault((figure.scenario, figure.horizon_months, design), {})[name] = figure
    simulated: dict[str, tuple[float, float, float]] = {}
    for (scenario_path, horizon, design), figures in groups.items():
        scenario = validation_scenario(path.parent / scenario_path, horizon, calibrated,
                                       dict(design))
        observations = {name: f.observation for name, f in figures.items()}
        runs = list(ordered_map(_replication, [scenario] * replications, [spec.seed] * replications,
                                range(replications), [observations] * replications, pool=pool))
        for name, obs in observations.items():
            if obs.kind == "break_even_month":
                monthly = np.stack([net[obs.perspective] for _, net in runs])
                mean = rules.break_even_month(np.cumsum(monthly.mean(axis=0)))
                each = [rules.break_even_month(np.cumsum(m)) for m in monthly]
                lo, hi = band95(each, censored=True) if len(each) > 1 else (mean, mean)
                simulated[name] = (mean, float(lo), float(hi))
            else:
                d = describe([values[name] for values, _ in runs])
                half = 1.96 * d.mc_se if not math.isnan(d.mc_se) else math.nan
                simulated[name] = (d.mean, d.mean - half, d.mean + half)
    rows = []
    for name, figure in spec.figures.items():
        mean, lo, hi = simulated[name]
        low, high = figure.band
        rows.append({"figure": name, "fact": figure.fact, "published": figure.published,
                     "band_low": low, "band_high": high, "simulated": mean, "lo95": lo,
                     "hi95": hi, "in_band": bool(low <= mean <= high), "replications": replications,
                     "observation": figure.observation.kind, "design": figure.design})
    return rows
