"""Calibration: fit the behavioural parameters to the published targets.

Method: simulated method of moments (SMM) with common random numbers. For a parameter vector the
model is run on the same replications (same seed, same client luck) and every target statistic
is computed by its observation model; the objective is the sum over targets of
((simulated - published) / sqrt(se_published^2 + se_monte_carlo^2))^2.

Why SMM and not ABC: the targets are a handful of published moments with standard errors, which
is exactly what SMM weighs; with common random numbers the objective is a deterministic,
nearly smooth function of the parameters, so a space-filling design followed by Nelder-Mead finds
its minimum in a few hundred evaluations, where rejection ABC would need tens of thousands of
runs for the same precision. Uncertainty is kept: every evaluated parameter set whose objective
is within the 95% chi-square band of the best (best + chi2_0.95(number of parameters)) is saved
as the calibrated sample.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from scipy import optimize, stats
from scipy.stats import qmc

from ipssim.calibration.observation import finnish_statistics, trial_statistics
from ipssim.model.simulation import draw_cohort, simulate_arm
from ipssim.parallel import worker_pool
from ipssim.scenario.load import parse_scenario, read_scenario_data, scoped_values, with_values
from ipssim.scenario.schema import Scenario, ScenarioError
from ipssim.vocabulary import MONTH_DAYS

# Parameters named "trial:<path>" apply only to the trial scenario (and to bundled scenarios
# whose calibration_scope is "trial").
TRIAL_SCOPE = "trial"
# Size of the first Nelder-Mead simplex on the unit cube: a tenth of every parameter's range.
SIMPLEX_STEP = 0.1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Strict):
    value: float
    se: float = Field(gt=0)
    tolerance: float = Field(gt=0)
    fact: str
    definition: str


class FinlandObservation(_Strict):
    scenario: str
    data_close_month: float = Field(gt=0)
    min_months_in_ips: float = Field(ge=0)


class TrialObservation(_Strict):
    scenario: str
    window_months: float = Field(gt=0)


class Observation(_Strict):
    finland: FinlandObservation
    trial: TrialObservation


class TargetFile(_Strict):
    observation: Observation
    targets: dict[str, Target]


class Parameter(_Strict):
    low: float
    high: float
    log: bool = False
    why: str = ""


class Settings(_Strict):
    """Evaluation effort: replications per evaluation in each stage and for the report."""

    design_share: float = Field(0.5, gt=0, lt=1)
    design_replications: int = Field(8, ge=1)
    refine_replications: int = Field(16, ge=1)
    report_replications: int = Field(200, ge=2)
    sample_max: int = Field(100, ge=1)


class ParameterFile(_Strict):
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
            node = trial if scope == TRIAL_SCOPE else fin
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
    targets = _validated(TargetFile, targets_path)
    params = _validated(ParameterFile, parameters_path)
    root = Path(targets_path).parent
    data = {}
    for key, obs in (("finland", targets.observation.finland), ("trial", targets.observation.trial)):
        raw = dict(read_scenario_data(root / obs.scenario))
        raw.pop("calibration", None)  # fit from the defaults, never from an earlier fit
        data[key] = raw
    for name in params.parameters:
        scope = name.rpartition(":")[0]
        if scope not in ("", TRIAL_SCOPE):
            raise ScenarioError(f"{parameters_path}: parameters.{name}: unknown scope {scope!r}; "
                                f"allowed: none or '{TRIAL_SCOPE}:'")
    spec = Spec(targets.targets, targets.observation, params.parameters, params.settings,
                params.quick, data)
    spec.scenarios(spec.from_unit(np.full(len(spec.names), 0.5)))  # every path must exist
    return spec


def load_start(path: str | Path, spec: Spec) -> dict[str, float]:
    """The ``values`` of an earlier ``calibrated.yaml`` that the spec fits (others are ignored)."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except FileNotFoundError:
        raise ScenarioError(f"--start: file not found: {path}") from None
    values = data.get("values") if isinstance(data, dict) else None
    if not isinstance(values, dict) or not all(isinstance(v, int | float)
                                               for v in values.values()):
        raise ScenarioError(f"--start: {path} has no 'values' mapping of parameter names to "
                            "numbers (give a calibrated.yaml)")
    return {name: float(v) for name, v in values.items() if name in spec.parameters}


def _validated(model: type[BaseModel], path: str | Path):
    try:
        data = yaml.safe_load(Path(path).read_text())
    except FileNotFoundError:
        raise ScenarioError(f"calibration file not found: {path}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ScenarioError(f"{path}: {loc}: {first['msg']}") from None


def _to_unit(value: float, p: Parameter) -> float:
    if p.log:
        return (math.log(value) - math.log(p.low)) / (math.log(p.high) - math.log(p.low))
    return (value - p.low) / (p.high - p.low)


def _from_unit(u: float, p: Parameter) -> float:
    if p.log:
        return math.exp(math.log(p.low) + u * (math.log(p.high) - math.log(p.low)))
    return p.low + u * (p.high - p.low)


# -- simulation of the target statistics ----------------------------------------------------------

def simulate_statistics(spec: Spec, values: dict[str, float], seed: int,
                        replication: int) -> dict[str, float]:
    """Every target statistic from one replication of both observation scenarios."""
    fin, trial = spec.scenarios(values)
    obs = spec.observation
    cohort = draw_cohort(fin, seed, replication)
    ips = simulate_arm(fin, cohort, "ips", seed, replication)
    out = finnish_statistics(ips.clients, ips.spells, obs.finland.data_close_month * MONTH_DAYS)
    cohort = draw_cohort(trial, seed, replication)
    arms = [simulate_arm(trial, cohort, arm, seed, replication) for arm in ("ips", "usual")]
    arms = [(history.clients, history.spells) for history in arms]
    out |= trial_statistics(*arms, obs.trial.window_months * MONTH_DAYS)
    return out


@dataclass
class Evaluation:
    """One parameter set: its statistics over replications and its objective."""

    values: dict[str, float]
    replications: int
    mean: dict[str, float]
    mc_se: dict[str, float]
    objective: float
    per_replication: list[dict[str, float]] = field(repr=False, default_factory=list)


def summarise_statistics(spec: Spec, values: dict[str, float],
                         runs: list[dict[str, float]]) -> Evaluation:
    mean, mc_se = {}, {}
    for name in runs[0]:
        x = np.array([r[name] for r in runs], dtype=float)
        x = x[~np.isnan(x)]
        mean[name] = float(x.mean()) if len(x) else math.nan
        mc_se[name] = float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else 0.0
    return Evaluation(values, len(runs), mean, mc_se, objective(spec, mean, mc_se), runs)


def objective(spec: Spec, mean: dict[str, float], mc_se: dict[str, float]) -> float:
    """Sum of squared standardised distances; a missing statistic counts as a large misfit."""
    total = 0.0
    for name, target in spec.targets.items():
        sim = mean.get(name, math.nan)
        if math.isnan(sim):
            total += 100.0
            continue
        total += (sim - target.value) ** 2 / (target.se**2 + mc_se.get(name, 0.0) ** 2)
    return total


class Evaluator:
    """Runs parameter sets on a fixed set of replications (common random numbers), in parallel."""

    def __init__(self, spec: Spec, seed: int, pool: Executor | None):
        self.spec = spec
        self.seed = seed
        self.pool = pool
        self.history: list[Evaluation] = []

    def evaluate(self, points: list[dict[str, float]], replications: int) -> list[Evaluation]:
        tasks = [(values, k) for values in points for k in range(replications)]
        runs = list(self._map(tasks))
        out = []
        for i, values in enumerate(points):
            evaluation = summarise_statistics(self.spec, values,
                                              runs[i * replications:(i + 1) * replications])
            out.append(evaluation)
            self.history.append(evaluation)
        return out

    def _map(self, tasks: list[tuple[dict[str, float], int]]) -> Iterator[dict[str, float]]:
        values = [t[0] for t in tasks]
        reps = [t[1] for t in tasks]
        args = ([self.spec] * len(tasks), values, [self.seed] * len(tasks), reps)
        if self.pool is None:
            return map(simulate_statistics, *args)
        return self.pool.map(simulate_statistics, *args)


@dataclass
class CalibrationResult:
    best: Evaluation
    report: Evaluation
    sample: list[Evaluation]
    history: list[Evaluation]
    threshold: float
    settings: Settings


def calibrate(spec: Spec, seed: int, budget: int, workers: int, quick: bool = False,
              progress=None, start: dict[str, float] | None = None) -> CalibrationResult:
    """Space-filling design, then Nelder-Mead from the best point, then a precise final run.

    ``start`` (a warm start, e.g. an earlier fit's values) joins the design beside the defaults;
    parameters it does not name take their defaults, and values outside the bounds are clipped.
    """
    settings = spec.quick if quick else spec.settings
    dims = len(spec.names)
    n_design = max(2, round(budget * settings.design_share))
    n_refine = max(0, budget - n_design)
    # Spawned (not forked) workers: the caller may be running a progress-display thread.
    pools = ExitStack()
    pool = pools.enter_context(worker_pool(workers))
    try:
        evaluator = Evaluator(spec, seed, pool)
        # The sourced defaults (the prior's centre) and a Latin hypercube around the whole box.
        lhs = qmc.LatinHypercube(d=dims, seed=np.random.default_rng([seed, 1]))
        known = [spec.to_unit(spec.defaults())]
        if start is not None:
            known.append(np.clip(spec.to_unit(spec.defaults() | start), 0.0, 1.0))
        design = np.vstack([*known, lhs.random(max(0, n_design - len(known)))])
        for chunk in np.array_split(design, max(1, n_design // 8)):
            evaluator.evaluate([spec.from_unit(x) for x in chunk], settings.design_replications)
            if progress:
                progress(len(evaluator.history), budget)
        start = min(evaluator.history, key=lambda e: e.objective)

        def f(x: np.ndarray) -> float:
            (ev,) = evaluator.evaluate([spec.from_unit(x)], settings.refine_replications)
            if progress:
                progress(len(evaluator.history), budget)
            return ev.objective

        # Nelder-Mead from the best point so far, restarted with a fresh simplex while budget is
        # left and the last run improved (a collapsed simplex stalls on a rough objective).
        x0, best_value, left = spec.to_unit(start.values), math.inf, n_refine
        while left > dims + 1:
            fit = optimize.minimize(f, x0, method="Nelder-Mead", bounds=[(0.0, 1.0)] * dims,
                                    options={"maxfev": left, "xatol": 1e-3, "fatol": 1e-2,
                                             "adaptive": True,
                                             "initial_simplex": initial_simplex(x0)})
            left -= fit.nfev
            if fit.fun >= best_value - 1e-2:
                break
            x0, best_value = fit.x, fit.fun
        refined = [e for e in evaluator.history if e.replications == settings.refine_replications]
        best = min(refined or evaluator.history, key=lambda e: e.objective)
        (report,) = evaluator.evaluate([best.values], settings.report_replications)
    finally:
        pools.close()
    history = evaluator.history[:-1]
    threshold = best.objective + float(stats.chi2.ppf(0.95, dims))
    sample = sorted((e for e in history if e.objective <= threshold), key=lambda e: e.objective)
    return CalibrationResult(best, report, sample[:settings.sample_max], history, threshold,
                             settings)


def initial_simplex(x0: np.ndarray, step: float = SIMPLEX_STEP) -> np.ndarray:
    """x0 and one vertex ``step`` away along each axis (towards the interior of the unit cube).

    SciPy's default simplex moves each coordinate by 5% of its value, a step so small that, with
    common random numbers, the objective barely changes and the search stalls where it started.
    """
    vertices = np.tile(x0, (len(x0) + 1, 1))
    for i, x in enumerate(x0):
        vertices[i + 1, i] = x + step if x + step <= 1.0 else x - step
    return vertices


def fitted(target: Target, mean: float) -> bool:
    """A target is fitted when the simulated mean lies within its tolerance band."""
    return not math.isnan(mean) and abs(mean - target.value) <= target.tolerance
