"""What a calibration fits: the targets file, the parameters file, and the scenarios they apply to.

The targets file (``calibration/targets.yaml``) names each published statistic with its value,
standard error and tolerance, and how the data were observed (the Finnish pilots' documentation
and the trials' window, on which scenario each). The parameters file
(``calibration/parameters.yaml``) names the scenario parameters to fit, with their bounds and
scale, and the evaluation effort. Both are read and checked like every input
(``ipssim.validation``): every problem reported in one line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from ipssim.scenario.load import parse_scenario, read_scenario_data, scoped_values, with_values
from ipssim.scenario.schema import Scenario, ScenarioError
from ipssim.validation import Strict, read_yaml, validate

TRIAL_SCOPE = "trial"
"""Parameters named ``trial:<path>`` apply only to the trial scenario (and to bundled scenarios
whose ``calibration_scope`` is ``trial``)."""


class Target(Strict):
    value: float
    se: float = Field(gt=0)
    tolerance: float = Field(gt=0)
    fact: str
    definition: str
    blocked: str = Field("", description="if the fit cannot meet it: the mechanism the data "
                         "would need and the experiment that shows it (shown when not fitted)")


class FinlandObservation(Strict):
    scenario: str
    data_close_month: float = Field(gt=0)
    min_months_in_ips: float = Field(ge=0)


class TrialObservation(Strict):
    """The trials' outcome windows from each participant's entry: ``window_months`` for each
    arm's ever-in-work share (EMP-01) and ``long_window_months`` for the difference between the
    arms (OUT-C5, Bern at 5 years). One simulation gives both: the calibration runs the trial
    scenario to the end of the last window of its last recruit (:func:`trial_horizon_months`),
    offering each participant IPS for ``service_months`` from entry, as the trial did (at least
    ``window_months``, so the shorter window's statistics do not depend on it)."""

    scenario: str
    window_months: float = Field(gt=0)
    long_window_months: float = Field(gt=0)
    service_months: int = Field(gt=0)

    @model_validator(mode="after")
    def _service_covers_window(self) -> TrialObservation:
        if self.service_months < self.window_months:
            raise ValueError(f"service_months: must be >= window_months ({self.window_months}; "
                             f"got {self.service_months})")
        return self


class Observation(Strict):
    finland: FinlandObservation
    trial: TrialObservation


class TargetFile(Strict):
    observation: Observation
    targets: dict[str, Target]


class Parameter(Strict):
    low: float
    high: float
    log: bool = False
    why: str = ""
    at_bound: dict[Literal["low", "high"], str] = Field(
        default_factory=dict, description="why the fit may leave it at that bound and why the "
        "bound stays (the experiment that shows it); the report flags a bound without one")


class Settings(Strict):
    """Evaluation effort: replications per evaluation in each stage and for the report."""

    design_share: float = Field(0.5, gt=0, lt=1)
    design_replications: int = Field(8, ge=1)
    refine_replications: int = Field(16, ge=1)
    report_replications: int = Field(200, ge=2)
    sample_max: int = Field(100, ge=1)


class ParameterFile(Strict):
    parameters: dict[str, Parameter]
    settings: Settings = Settings()
    quick: Settings = Settings(design_replications=2, refine_replications=2,
                               report_replications=4, sample_max=20)


@dataclass(frozen=True)
class Spec:
    """Targets, how they are observed, the scenarios they are observed on, and the parameters."""

    targets: dict[str, Target]
    observation: Observation
    parameters: dict[str, Parameter]
    settings: Settings
    quick: Settings
    scenario_data: dict[str, dict]

    @property
    def names(self) -> list[str]:
        return list(self.parameters)

    def to_unit(self, values: dict[str, float]) -> np.ndarray:
        return np.array([_to_unit(values[n], p) for n, p in self.parameters.items()])

    def from_unit(self, x: np.ndarray) -> dict[str, float]:
        x = np.clip(x, 0.0, 1.0)
        return {n: _from_unit(float(u), p) for u, (n, p) in zip(x, self.parameters.items(),
                                                                 strict=True)}

    def defaults(self) -> dict[str, float]:
        """Each parameter's value in its scenario before any fit, clipped to its bounds."""
        values = {}
        fin = parse_scenario(self.scenario_data["finland"], "finland")
        trial = parse_scenario(self.scenario_data["trial"], "trial")
        for name, p in self.parameters.items():
            scope, _, path = name.rpartition(":")
            node: Any = trial if scope == TRIAL_SCOPE else fin
            for part in path.split("."):
                node = getattr(node, part)
            values[name] = min(max(float(node), p.low), p.high)
        return values

    def scenarios(self, values: dict[str, float]) -> tuple[Scenario, Scenario]:
        """The Finnish and trial scenarios with these parameter values."""
        fin = parse_scenario(with_values(self.scenario_data["finland"],
                                         scoped_values(values, None)), "finland")
        trial = parse_scenario(with_values(self.scenario_data["trial"],
                                           scoped_values(values, TRIAL_SCOPE)), "trial")
        return fin, trial


def load_spec(targets_path: str | Path, parameters_path: str | Path) -> Spec:
    """Read and validate the target and parameter files (scenario paths are relative to the
    targets file)."""
    targets = validate(TargetFile, read_yaml(Path(targets_path), "calibration targets",
                                             ScenarioError), str(targets_path), ScenarioError)
    params = validate(ParameterFile, read_yaml(Path(parameters_path), "calibration parameters",
                                               ScenarioError), str(parameters_path), ScenarioError)
    root = Path(targets_path).parent
    data = {}
    for key, obs in (("finland", targets.observation.finland), ("trial", targets.observation.trial)):
        raw = dict(read_scenario_data(root / obs.scenario))
        raw.pop("calibration", None)  # fit from the defaults, never from an earlier fit
        data[key] = raw
    data["trial"]["horizon_months"] = trial_horizon_months(
        parse_scenario(data["trial"], "trial"), targets.observation.trial)
    data["trial"]["trial_service_months"] = targets.observation.trial.service_months
    for name in params.parameters:
        scope = name.rpartition(":")[0]
        if scope not in ("", TRIAL_SCOPE):
            raise ScenarioError(f"{parameters_path}: parameters.{name}: unknown scope {scope!r}; "
                                f"allowed: none or '{TRIAL_SCOPE}:'")
    spec = Spec(targets.targets, targets.observation, params.parameters, params.settings,
                params.quick, data)
    spec.scenarios(spec.from_unit(np.full(len(spec.names), 0.5)))  # every path must exist
    return spec


def trial_horizon_months(trial: Scenario, observation: TrialObservation) -> int:
    """The trial scenario's horizon, extended where it is shorter to the last month any window
    observes (the last recruit's entry plus the longest window), so that every participant is
    followed for every window; never shortened, so its outcome window and service still fit."""
    longest = max(observation.window_months, observation.long_window_months)
    last = math.ceil(trial.recruitment_months + longest)
    return max(trial.horizon_months, last)


def _to_unit(value: float, p: Parameter) -> float:
    if p.log:
        return (math.log(value) - math.log(p.low)) / (math.log(p.high) - math.log(p.low))
    return (value - p.low) / (p.high - p.low)


def _from_unit(u: float, p: Parameter) -> float:
    if p.log:
        return math.exp(math.log(p.low) + u * (math.log(p.high) - math.log(p.low)))
    return p.low + u * (p.high - p.low)
