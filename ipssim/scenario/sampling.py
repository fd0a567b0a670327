"""Parameter uncertainty: distributions as inverse CDFs of uniforms, and designs on the unit cube.

Every distribution maps a uniform ``u`` in [0, 1] to a value by its inverse CDF, so random draws,
Latin hypercubes and SALib's Sobol and Morris designs (all on the unit hypercube) go through the
same function. Distributions without two finite, plausible ends (gamma, lognormal, a normal not
truncated on both sides) are truncated at their 0.1st and 99.9th percentiles, so the ends of a
Morris grid (``u`` = 0 or 1) give finite values.

The calibrated sample is one factor: ``u`` picks a row (a parameter set) of the calibration
file's ``sample``, row ``floor(u * rows)``, and every parameter drawn from it takes that row's
value, so the correlations between calibrated parameters are kept. The rows are equally likely:
they are the sets within the 95% chi-square band of the best fit (``ipssim calibrate``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ipssim.scenario.schema import ScenarioError
from ipssim.scenario.uncertainty import (
    BetaDistribution,
    CalibratedDistribution,
    Distribution,
    GammaDistribution,
    LognormalDistribution,
    NormalDistribution,
    TriangularDistribution,
    Uncertainty,
    UniformDistribution,
)

CALIBRATED = "calibrated sample"
"""The name of the factor that draws rows of the calibrated sample."""
EDGE = 1e-3
"""Unbounded distributions are truncated at the EDGE and 1 - EDGE quantiles."""
DESIGN_STREAM = 0xD5
"""Second word of the seed sequence of a sweep's random design (the first is the sweep seed), so
the design never shares a stream with the simulation, whose streams derive from the seed alone."""


def ppf(distribution: Distribution, u: np.ndarray | float) -> np.ndarray:
    """The inverse CDF of a (non-calibrated) distribution at ``u``."""
    at = np.asarray(u, dtype=float)
    if unbounded(distribution):
        at = np.clip(at, EDGE, 1 - EDGE)
    return _ppf(distribution, at)


def unbounded(d: Distribution) -> bool:
    """Whether the distribution has an infinite or implausible end (gamma and lognormal at 0 and
    infinity, a normal not truncated on both sides): those are truncated at their 0.1st and
    99.9th percentiles, which matters at the ends of a Morris grid and almost never for draws."""
    if isinstance(d, NormalDistribution):
        return d.low is None or d.high is None
    return isinstance(d, GammaDistribution | LognormalDistribution)


def _ppf(d: Distribution, u: np.ndarray) -> np.ndarray:
    from scipy import stats  # here, not at the top: it is a second of every command's start-up

    if isinstance(d, UniformDistribution):
        return d.low + u * (d.high - d.low)
    if isinstance(d, TriangularDistribution):
        return stats.triang.ppf(u, (d.mode - d.low) / (d.high - d.low), loc=d.low,
                                scale=d.high - d.low)
    if isinstance(d, BetaDistribution):
        a, b = beta_shape(d)
        return d.low + (d.high - d.low) * stats.beta.ppf(u, a, b)
    if isinstance(d, GammaDistribution):
        shape, scale = gamma_shape(d)
        return stats.gamma.ppf(u, shape, scale=scale)
    if isinstance(d, LognormalDistribution):
        meanlog, sdlog = lognormal_shape(d)
        # math.exp, not np.exp: numpy's is chosen by CPU and may differ in the last bit
        # (see ipssim.money.rules.discount_factors); the draws must not depend on the machine.
        z = np.atleast_1d(meanlog + sdlog * stats.norm.ppf(u))
        return np.array([math.exp(value) for value in z]).reshape(np.shape(u))
    if isinstance(d, NormalDistribution):
        lo = stats.norm.cdf((d.low - d.mean) / d.sd) if d.low is not None else 0.0
        hi = stats.norm.cdf((d.high - d.mean) / d.sd) if d.high is not None else 1.0
        return d.mean + d.sd * stats.norm.ppf(lo + u * (hi - lo))
    raise TypeError(f"no inverse CDF for {d.dist}")  # the calibrated sample is not a function


def beta_shape(d: BetaDistribution) -> tuple[float, float]:
    """(alpha, beta), from the mean and sd by the method of moments if those are given."""
    if d.alpha is not None and d.beta is not None:
        return d.alpha, d.beta
    assert d.mean is not None and d.sd is not None  # validated: one pair or the other
    m = (d.mean - d.low) / (d.high - d.low)
    v = (d.sd / (d.high - d.low)) ** 2
    k = m * (1 - m) / v - 1
    return m * k, (1 - m) * k


def gamma_shape(d: GammaDistribution) -> tuple[float, float]:
    """(shape, scale), from the mean and sd if those are given."""
    if d.shape is not None and d.scale is not None:
        return d.shape, d.scale
    assert d.mean is not None and d.sd is not None  # validated: one pair or the other
    return (d.mean / d.sd) ** 2, d.sd**2 / d.mean


def lognormal_shape(d: LognormalDistribution) -> tuple[float, float]:
    """(meanlog, sdlog), from the mean and sd on the natural scale if those are given."""
    if d.meanlog is not None and d.sdlog is not None:
        return d.meanlog, d.sdlog
    assert d.mean is not None and d.sd is not None  # validated: one pair or the other
    sdlog = math.sqrt(math.log1p((d.sd / d.mean) ** 2))
    return math.log(d.mean) - sdlog**2 / 2, sdlog


def describe(d: Distribution) -> str:
    """A short text for reports: ``gamma(mean 40000, sd 4000)``."""
    fields = {k: v for k, v in d.model_dump().items() if k not in ("dist", "source")
              and v is not None}
    return f"{d.dist}({', '.join(f'{k} {v:g}' for k, v in fields.items())})"


@dataclass(frozen=True)
class Factor:
    """One dimension of the unit cube: a parameter with a distribution, or the calibrated sample
    (which sets every parameter in ``paths`` from one row)."""

    name: str
    distribution: Distribution | None
    paths: tuple[str, ...]


@dataclass(frozen=True)
class Space:
    """The uncertain parameters of a sweep: factors on the unit cube and the calibrated rows."""

    factors: tuple[Factor, ...]
    rows: tuple[dict[str, float], ...] = ()

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.factors]

    @property
    def paths(self) -> list[str]:
        """Every parameter the space sets, in factor order."""
        return [p for f in self.factors for p in f.paths]

    def values(self, unit: np.ndarray) -> list[dict[str, float]]:
        """Parameter values of each row of a design on the unit cube (points x factors)."""
        unit = np.atleast_2d(np.asarray(unit, dtype=float))
        if unit.shape[1] != len(self.factors):
            raise ValueError(f"design has {unit.shape[1]} columns for {len(self.factors)} factors")
        out: list[dict[str, float]] = [{} for _ in range(len(unit))]
        for j, factor in enumerate(self.factors):
            if factor.distribution is None:
                rows = np.minimum((unit[:, j] * len(self.rows)).astype(int), len(self.rows) - 1)
                for values, row in zip(out, rows, strict=True):
                    values.update({p: self.rows[row][p] for p in factor.paths})
            else:
                column = ppf(factor.distribution, unit[:, j])
                for values, x in zip(out, column, strict=True):
                    values[factor.name] = float(x)
        return out

    def quantile(self, path: str, q: float) -> float:
        """The ``q`` quantile of one parameter's marginal distribution (for a calibrated
        parameter: of its values in the sample)."""
        for factor in self.factors:
            if path in factor.paths:
                if factor.distribution is None:
                    return float(np.quantile([row[path] for row in self.rows], q))
                return float(ppf(factor.distribution, q))
        raise KeyError(path)

    def distribution_of(self, path: str) -> Distribution | None:
        for factor in self.factors:
            if path in factor.paths:
                return factor.distribution or CalibratedDistribution(dist="calibrated")
        return None


def merge(*layers: Uncertainty | None) -> Uncertainty:
    """Uncertainty layers merged in order: a later layer's distribution of a path wins."""
    parameters: dict[str, Distribution] = {}
    calibrated = False
    for layer in layers:
        if layer is not None:
            parameters |= layer.parameters
            calibrated = calibrated or layer.calibrated_sample
    return Uncertainty(parameters=parameters, calibrated_sample=calibrated)


def parameter_space(uncertainty: Uncertainty, rows: list[dict[str, float]] | None,
                    only: list[str] | None = None, where: str = "uncertainty") -> Space:
    """The factors of ``uncertainty`` (all, or the names in ``only``: parameter paths or
    ``calibrated sample``), with the calibrated parameters grouped into one factor drawing rows.

    With ``calibrated_sample`` every parameter of the sample is drawn from it, except those given
    a distribution of their own.
    """
    own = {p: d for p, d in uncertainty.parameters.items()
           if not isinstance(d, CalibratedDistribution)}
    calibrated = [p for p, d in uncertainty.parameters.items()
                  if isinstance(d, CalibratedDistribution)]
    if uncertainty.calibrated_sample:
        if not rows:
            raise ScenarioError(f"{where}.calibrated_sample: the scenario's calibration file has "
                                "no sample (give the scenario a calibration file with sample.sets)")
        calibrated += [p for p in rows[0] if p not in own and p not in calibrated]
    if calibrated:
        if not rows:
            raise ScenarioError(f"{where}.parameters[{calibrated[0]}]: dist calibrated needs a "
                                "calibration file with a sample (the scenario's calibration: field)")
        missing = [p for p in calibrated if p not in rows[0]]
        if missing:
            raise ScenarioError(f"{where}.parameters[{missing[0]}]: not in the calibrated sample; "
                                f"it has {', '.join(rows[0])}")
    factors = [Factor(p, d, (p,)) for p, d in own.items()]
    if calibrated:
        factors.append(Factor(CALIBRATED, None, tuple(calibrated)))
    if only is not None:
        names = [f.name for f in factors]
        unknown = [n for n in only if n not in names]
        if unknown:
            raise ScenarioError(f"parameters: {unknown[0]!r:.80} has no distribution; those with one: "
                                f"{', '.join(names) or 'none'}")
        factors = [f for f in factors if f.name in only]
    if not factors:
        raise ScenarioError(f"{where}: no parameter has a distribution; give "
                            "uncertainty.parameters in the scenario or the sweep file")
    return Space(tuple(factors), tuple(rows or ()))


def design_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, DESIGN_STREAM]))


def random_design(n: int, d: int, seed: int) -> np.ndarray:
    """n independent uniform points in [0, 1)^d."""
    return design_rng(seed).random((n, d))


def latin_hypercube(n: int, d: int, seed: int) -> np.ndarray:
    """A Latin hypercube of n points in [0, 1)^d (each margin hit once in each of n strata)."""
    rng = design_rng(seed)
    strata = np.stack([rng.permutation(n) for _ in range(d)], axis=1)
    return (strata + rng.random((n, d))) / n
