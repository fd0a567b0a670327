"""Running the calibration: fit the behavioural parameters to the published targets.

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

What is fitted and to what: ``ipssim.calibration.spec``; what comes out:
``ipssim.calibration.result``; the ``calibrated.yaml`` file: ``ipssim.calibration.calibrated``.
"""

from __future__ import annotations

import math
from multiprocessing.pool import Pool

import numpy as np

from ipssim.calibration.observation import (
    documented_window,
    finnish_statistics,
    first_transition_days,
    spells_in_window,
    trial_statistics,
)
from ipssim.calibration.result import CalibrationResult, Evaluation
from ipssim.calibration.spec import Spec
from ipssim.model.simulation import draw_cohort, simulate_arm
from ipssim.parallel import ordered_map, worker_pool
from ipssim.progress import Update
from ipssim.stats import describe
from ipssim.vocabulary import JOB_TYPES, MONTH_DAYS

SIMPLEX_STEP = 0.1
"""Size of the first Nelder-Mead simplex on the unit cube: a tenth of every parameter's range."""
MISSING_STATISTIC = 100.0
"""What a target statistic the simulation could not compute adds to the objective."""
DAYS_REPLICATIONS = 20
"""The report replications whose days to the first transition the fit report's histogram pools
(enough for its shape; the page embeds every value)."""


# -- simulation of the target statistics ----------------------------------------------------------

def simulate_statistics(spec: Spec, values: dict[str, float], seed: int, replication: int,
                        days: bool = False) -> tuple[dict[str, float], np.ndarray]:
    """Every target statistic from one replication of both observation scenarios, and, if
    ``days``, the Finnish clients' days from IPS start to their first documented transition
    (otherwise an empty array)."""
    fin, trial = spec.scenarios(values)
    obs = spec.observation
    close = obs.finland.data_close_month * MONTH_DAYS
    cohort = draw_cohort(fin, seed, replication)
    ips = simulate_arm(fin, cohort, "ips", seed, replication)
    out = finnish_statistics(ips.clients, ips.spells, close)
    first = days_to_first_transition(ips.clients, ips.spells, close) if days else np.empty(0)
    cohort = draw_cohort(trial, seed, replication)
    arms = [simulate_arm(trial, cohort, arm, seed, replication) for arm in ("ips", "usual")]
    ips_tables, usual_tables = [(history.clients, history.spells) for history in arms]
    out |= trial_statistics(ips_tables, usual_tables, obs.trial.window_months * MONTH_DAYS,
                            obs.trial.long_window_months * MONTH_DAYS)
    return out, first


def days_to_first_transition(clients: dict[str, np.ndarray], spells: dict[str, np.ndarray],
                             data_close_day: float) -> np.ndarray:
    """Days from IPS start to the first documented transition of any type, per evaluable client
    with one (the Finnish observation of TTJ-01)."""
    evaluable, end = documented_window(clients, data_close_day)
    in_window = spells_in_window(clients, spells, evaluable, end)
    return first_transition_days(clients, spells, in_window, JOB_TYPES)


def summarise_statistics(spec: Spec, values: dict[str, float],
                         runs: list[dict[str, float]]) -> Evaluation:
    """A parameter set's statistics over its replications (:func:`ipssim.stats.describe`) and
    its objective."""
    described = {name: describe([r[name] for r in runs]) for name in runs[0]}
    mean = {name: d.mean for name, d in described.items()}
    mc_se = {name: d.mc_se for name, d in described.items()}
    return Evaluation(values, len(runs), mean, mc_se, objective(spec, mean, mc_se), runs)


def objective(spec: Spec, mean: dict[str, float], mc_se: dict[str, float]) -> float:
    """Sum of squared standardised distances; a missing statistic counts as a large misfit."""
    total = 0.0
    for name, target in spec.targets.items():
        sim = mean.get(name, math.nan)
        if math.isnan(sim):
            total += MISSING_STATISTIC
            continue
        se = mc_se.get(name, math.nan)
        # One replication gives no estimate of the Monte Carlo error (NaN): it counts as none, as
        # it always has here, so a one-replication stage weighs by the published SE alone and
        # the calibrated values do not change.
        if math.isnan(se):
            se = 0.0
        total += (sim - target.value) ** 2 / (target.se**2 + se**2)
    return total


class Evaluator:
    """Runs parameter sets on a fixed set of replications (common random numbers), on ``pool``
    (an open :func:`ipssim.parallel.worker_pool`, or ``None``: in this process)."""

    def __init__(self, spec: Spec, seed: int, pool: Pool | None = None):
        self.spec = spec
        self.seed = seed
        self.pool = pool
        self.history: list[Evaluation] = []

    def evaluate(self, points: list[dict[str, float]], replications: int) -> list[Evaluation]:
        """Each set on replications 0..n-1; recorded in :attr:`history`."""
        out = [summarise_statistics(self.spec, values, [statistics for statistics, _ in runs])
               for values, runs in zip(points, self._runs(points, replications, 0), strict=True)]
        self.history.extend(out)
        return out

    def report(self, values: dict[str, float], replications: int,
               days_replications: int) -> tuple[Evaluation, np.ndarray]:
        """One set on replications 0..n-1, not recorded in the history, with the days to the
        first transition pooled over the first ``days_replications``."""
        (runs,) = self._runs([values], replications, days_replications)
        evaluation = summarise_statistics(self.spec, values, [statistics for statistics, _ in runs])
        return evaluation, np.concatenate([days for _, days in runs])

    def _runs(self, points: list[dict[str, float]], replications: int,
              days_replications: int) -> list[list[tuple[dict[str, float], np.ndarray]]]:
        tasks = [(values, k) for values in points for k in range(replications)]
        results = list(ordered_map(
            simulate_statistics, [self.spec] * len(tasks), [values for values, _ in tasks],
            [self.seed] * len(tasks), [k for _, k in tasks],
            [k < days_replications for _, k in tasks], pool=self.pool))
        return [results[i * replications:(i + 1) * replications] for i in range(len(points))]


def calibrate(spec: Spec, seed: int, budget: int, workers: int, quick: bool = False,
              progress: Update | None = None,
              start: dict[str, float] | None = None) -> CalibrationResult:
    """Space-filling design, then Nelder-Mead from the best point, then a precise final run.

    ``start`` (a warm start, e.g. an earlier fit's values) joins the design beside the defaults;
    parameters it does not name take their defaults, and values outside the bounds are clipped.
    """
    from scipy import optimize, stats  # here, not at the top: a second of every start-up
    from scipy.stats import qmc

    settings = spec.quick if quick else spec.settings
    dims = len(spec.names)
    n_design = max(2, round(budget * settings.design_share))
    n_refine = max(0, budget - n_design)
    with worker_pool(workers) as pool:
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
        best_design = min(evaluator.history, key=lambda e: e.objective)

        def f(x: np.ndarray) -> float:
            (ev,) = evaluator.evaluate([spec.from_unit(x)], settings.refine_replications)
            if progress:
                progress(len(evaluator.history), budget)
            return ev.objective

        # Nelder-Mead from the best point so far, restarted with a fresh simplex while budget is
        # left and the last run improved (a collapsed simplex stalls on a rough objective).
        x0, best_value, left = spec.to_unit(best_design.values), math.inf, n_refine
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
        report, days = evaluator.report(best.values, settings.report_replications,
                                        min(settings.report_replications, DAYS_REPLICATIONS))
    history = evaluator.history
    threshold = best.objective + float(stats.chi2.ppf(0.95, dims))
    sample = sorted((e for e in history if e.objective <= threshold), key=lambda e: e.objective)
    return CalibrationResult(best, report, sample[:settings.sample_max], history, threshold,
                             settings, days)


def initial_simplex(x0: np.ndarray, step: float = SIMPLEX_STEP) -> np.ndarray:
    """x0 and one vertex ``step`` away along each axis (towards the interior of the unit cube).

    SciPy's default simplex moves each coordinate by 5% of its value, a step so small that, with
    common random numbers, the objective barely changes and the search stalls where it started.
    """
    vertices = np.tile(x0, (len(x0) + 1, 1))
    for i, x in enumerate(x0):
        vertices[i + 1, i] = x + step if x + step <= 1.0 else x - step
    return vertices
