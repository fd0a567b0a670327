"""Parameter uncertainty in a scenario: a typed distribution per parameter (``uncertainty:``).

Validated with the scenario; sampled by ``ipssim.scenario.sampling``; used by ``ipssim sweep``,
and by ``ipssim run`` and ``ipssim compare`` with ``--parameter-uncertainty`` (one draw per
replication, ``ipssim.experiments.uncertain``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ipssim.validation import Positive, Strict


class _Distribution(Strict):
    """A parameter's uncertainty (``uncertainty.parameters``), sampled by ``ipssim.scenario.sampling``."""

    source: str = Field("ASSUMPTION", description="fact IDs behind the distribution, or "
                        "ASSUMPTION with the reasoning")

    def check(self) -> None:
        """Raise ValueError if the parameters describe no distribution (called by Uncertainty,
        which names the parameter in the message)."""


def _one_pair(model: BetaDistribution | GammaDistribution | LognormalDistribution,
              first: tuple[str, str], second: tuple[str, str]) -> str:
    """Which of two alternative pairs of fields is given (exactly one must be)."""
    given = [pair for pair in (first, second)
             if all(getattr(model, f) is not None for f in pair)]
    partial = [f for f in (*first, *second) if getattr(model, f) is not None]
    if len(given) != 1 or len(partial) != 2:
        raise ValueError(f"{model.dist}: give {' and '.join(first)}, or {' and '.join(second)}")
    return given[0][0]


class BetaDistribution(_Distribution):
    """Beta(alpha, beta) rescaled to [low, high] (default [0, 1]); or by its mean and sd."""

    dist: Literal["beta"]
    alpha: Positive | None = None
    beta: Positive | None = None
    mean: float | None = None
    sd: Positive | None = None
    low: float = 0.0
    high: float = 1.0

    def check(self) -> None:
        if not self.low < self.high:
            raise ValueError(f"beta: low must be below high (got {self.low}, {self.high})")
        if _one_pair(self, ("alpha", "beta"), ("mean", "sd")) == "mean":
            assert self.mean is not None and self.sd is not None  # the pair given
            m = (self.mean - self.low) / (self.high - self.low)
            v = (self.sd / (self.high - self.low)) ** 2
            if not 0 < m < 1 or v >= m * (1 - m):
                raise ValueError(f"beta: mean {self.mean} and sd {self.sd} fit no beta "
                                 f"distribution on [{self.low}, {self.high}] (need sd^2 < "
                                 "(mean - low)(high - mean))")


class GammaDistribution(_Distribution):
    """Gamma(shape, scale); or by its mean and sd (as costs often are)."""

    dist: Literal["gamma"]
    shape: Positive | None = None
    scale: Positive | None = None
    mean: Positive | None = None
    sd: Positive | None = None

    def check(self) -> None:
        _one_pair(self, ("shape", "scale"), ("mean", "sd"))


class LognormalDistribution(_Distribution):
    """exp(Normal(meanlog, sdlog)); or by its mean and sd on the natural scale."""

    dist: Literal["lognormal"]
    meanlog: float | None = None
    sdlog: Positive | None = None
    mean: Positive | None = None
    sd: Positive | None = None

    def check(self) -> None:
        _one_pair(self, ("meanlog", "sdlog"), ("mean", "sd"))


class NormalDistribution(_Distribution):
    """Normal(mean, sd), optionally truncated to [low, high]."""

    dist: Literal["normal"]
    mean: float
    sd: Positive
    low: float | None = None
    high: float | None = None

    def check(self) -> None:
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"normal: low must be below high (got {self.low}, {self.high})")


class UniformDistribution(_Distribution):
    """Uniform on [low, high]."""

    dist: Literal["uniform"]
    low: float
    high: float

    def check(self) -> None:
        if not self.low < self.high:
            raise ValueError(f"uniform: low must be below high (got {self.low}, {self.high})")


class TriangularDistribution(_Distribution):
    """Triangular on [low, high] with its peak at mode."""

    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    def check(self) -> None:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(f"triangular: need low <= mode <= high and low < high (got "
                             f"{self.low}, {self.mode}, {self.high})")


class CalibratedDistribution(_Distribution):
    """The parameter's values in the calibrated sample (``sample`` of the scenario's calibration
    file). All parameters drawn this way take their values from the same row, jointly."""

    dist: Literal["calibrated"]
    source: str = "calibrated sample"


Distribution = Annotated[
    BetaDistribution | GammaDistribution | LognormalDistribution | NormalDistribution
    | UniformDistribution | TriangularDistribution | CalibratedDistribution,
    Field(discriminator="dist")]


class Uncertainty(Strict):
    """Parameter uncertainty for ``ipssim sweep`` (probabilistic and global sensitivity): a
    distribution for any numeric parameter, named by its dotted path (``jobs.x``,
    ``regions[0].coaches``, ``regions[Helsinki city].coaches``, ``regions[*].fidelity``). The paths
    are checked against the schema when the scenario is loaded; ``ipssim run`` uses this field
    only with ``--parameter-uncertainty`` (one draw per replication)."""

    parameters: dict[str, Distribution] = Field(default_factory=dict)
    calibrated_sample: bool = Field(
        False, description="draw every parameter of the calibration file's sample jointly, one "
        "row (parameter set) per draw, as if each were given dist: calibrated")

    @model_validator(mode="after")
    def _distributions(self) -> Uncertainty:
        for path, distribution in self.parameters.items():
            try:
                distribution.check()
            except ValueError as exc:
                raise ValueError(f"uncertainty.parameters[{path:.80}]: {exc}") from None
        return self
