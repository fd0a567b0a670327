"""The sweep file: its kinds (one-way, grid, PSA, global), read and validated as a scenario is.

Every problem with a sweep file is reported at once, in one line naming the file and each field
(:func:`ipssim.validation.validate`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from ipssim.scenario.schema import ScenarioError
from ipssim.scenario.uncertainty import Uncertainty
from ipssim.validation import Strict, read_yaml, validate
from ipssim.vocabulary import DEFAULT_SEED

DEFAULT_METRICS = (("ever_employed_competitive_by_horizon_share", "difference"),
                   ("months_employed_by_horizon_per_client", "difference"),
                   ("net_public_eur_pv", "difference"),
                   ("programme_cost_eur_pv", "ips"),
                   ("mean_wait_days", "ips"))


MAX_POINTS = 100_000
"""The most points of one sweep (a Sobol design of 4,096 base samples over 20 parameters has
90,112): a design beyond it is refused before any point is built. The clients the points
simulate have the budget of one run besides
(:data:`ipssim.experiments.workload.MAX_CLIENT_REPLICATIONS`)."""


class SweepError(ScenarioError):
    """A sweep that cannot be run as given; the message is one line."""


# -- the sweep file ---------------------------------------------------------------------------------

class MetricRef(Strict):
    """An output metric of ``summary.csv`` and its arm."""

    metric: str
    arm: Literal["ips", "usual", "difference"] = "difference"


class Range(Strict):
    low: float
    high: float


class _Sweep(Strict):
    scenario: str = Field(description="scenario file, relative to the sweep file")
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=80)] | None = Field(
        None, description="default: the sweep file's name")
    seed: Annotated[int, Field(ge=0)] = DEFAULT_SEED
    replications: Annotated[int, Field(ge=1)] = 10
    streams: Literal["common", "independent"] = "common"
    uncertainty: Uncertainty | None = Field(
        None, description="distributions added to (or replacing, path by path) the scenario's")
    metrics: Annotated[list[MetricRef], Field(min_length=1)] = Field(
        default_factory=lambda: [MetricRef(metric=m, arm=a) for m, a in DEFAULT_METRICS],
        description="metrics charted in the report (the tables have every metric)")


class OneWaySweep(_Sweep):
    """The base case, then each parameter alone at its low and at its high value."""

    kind: Literal["one_way"]
    parameters: Annotated[dict[str, Range | None], Field(min_length=1)] = Field(
        description="path: {low, high}; or path: null for the percentiles of its distribution")
    percentiles: tuple[Annotated[float, Field(gt=0, lt=1)], Annotated[float, Field(gt=0, lt=1)]] \
        = (0.025, 0.975)


class GridSweep(_Sweep):
    """Every combination of the parameters' values (the first parameter varies slowest)."""

    kind: Literal["grid"]
    parameters: Annotated[dict[str, Annotated[list[float], Field(min_length=1)]],
                          Field(min_length=1)]

    @model_validator(mode="after")
    def _size(self) -> GridSweep:
        check_size(self, 0)
        return self


class PsaSweep(_Sweep):
    """Probabilistic sensitivity analysis: draws from the parameters' distributions."""

    kind: Literal["psa"]
    draws: Annotated[int, Field(ge=2, le=MAX_POINTS)]
    sampling: Literal["random", "latin_hypercube"] = "random"
    parameters: list[str] | None = Field(
        None, description="the factors to draw (paths, or 'calibrated sample'); default: all "
        "with a distribution")
    cost: Literal["programme", "public", "society"] = Field(
        "public", description="incremental cost: programme cost, or net cost to the public purse "
        "or to society (programme cost less what IPS gives back), discounted")
    wtp_per_employed_eur: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=2)] = \
        Field(default_factory=lambda: [float(x) for x in np.linspace(0, 200_000, 41)])
    wtp_per_qaly_eur: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=2)] = \
        Field(default_factory=lambda: [float(x) for x in np.linspace(0, 100_000, 41)])


class GlobalSweep(_Sweep):
    """Variance-based (Sobol) indices or Morris screening over the parameters' distributions."""

    kind: Literal["global"]
    method: Literal["sobol", "morris"] = "sobol"
    samples: Annotated[int, Field(ge=2, le=MAX_POINTS)] = Field(
        description="sobol: base samples N, a power of 2 (N x (factors + 2) points); morris: "
        "trajectories (r x (factors + 1) points)")
    levels: Annotated[int, Field(ge=2)] = 4
    parameters: list[str] | None = None
    bootstrap: Annotated[int, Field(ge=10)] = 1000
    convergence: Annotated[list[Annotated[float, Field(gt=0, le=1)]], Field(min_length=1)] = \
        Field(default_factory=lambda: [0.25, 0.5, 1.0],
              description="shares of the samples at which the indices are recomputed")

    @model_validator(mode="after")
    def _sizes(self) -> GlobalSweep:
        if self.method == "sobol" and self.samples & (self.samples - 1):
            raise ValueError(f"samples: Sobol needs a power of 2 (got {self.samples})")
        if self.method == "morris" and self.levels % 2:
            raise ValueError(f"levels: Morris needs an even number of levels (got {self.levels})")
        return self


def points(spec: OneWaySweep | GridSweep | PsaSweep | GlobalSweep, factors: int) -> int:
    """How many points the design of ``spec`` has, ``factors`` the number of parameters drawn
    (PSA and global sweeps)."""
    if spec.kind == "one_way":
        return 1 + 2 * len(spec.parameters)
    if spec.kind == "grid":
        return math.prod(len(values) for values in spec.parameters.values())
    if spec.kind == "psa":
        return spec.draws
    return spec.samples * (factors + 2 if spec.method == "sobol" else factors + 1)


def check_size(spec: OneWaySweep | GridSweep | PsaSweep | GlobalSweep, factors: int) -> int:
    """The points of ``spec`` (:func:`points`), refused beyond :data:`MAX_POINTS` with a
    ValueError naming how they come about."""
    count = points(spec, factors)
    if count <= MAX_POINTS:
        return count
    if spec.kind == "grid":
        sizes = [len(values) for values in spec.parameters.values()]
        how = f"parameters: a grid of {' x '.join(f'{n:,}' for n in sizes[:10])}"
        how += " x ..." if len(sizes) > 10 else ""
    elif spec.kind == "global":
        how = (f"samples: {spec.samples:,} x ({factors} parameters + "
               f"{2 if spec.method == 'sobol' else 1})")
    else:
        how = f"parameters: 1 + 2 x {len(spec.parameters):,}" if spec.kind == "one_way" else \
            "draws"
    raise ValueError(f"{how} = {count:,} points; a sweep has at most {MAX_POINTS:,}")


Sweep = Annotated[OneWaySweep | GridSweep | PsaSweep | GlobalSweep, Field(discriminator="kind")]
KINDS: dict[str, type[OneWaySweep | GridSweep | PsaSweep | GlobalSweep]] = {
    "one_way": OneWaySweep, "grid": GridSweep, "psa": PsaSweep, "global": GlobalSweep}


def parse_sweep(data: object, source: str = "sweep") -> Sweep:
    """The sweep of ``data`` (a sweep file's mapping), checked against the schema of its kind;
    every problem in one line, prefixed with ``source``."""
    if not isinstance(data, dict):
        raise SweepError(f"{source}: must be a YAML mapping of fields")
    if "kind" not in data:
        raise SweepError(f"{source}: kind: missing; allowed: {', '.join(KINDS)}")
    schema = KINDS.get(data["kind"]) if isinstance(data["kind"], str) else None
    if schema is None:
        raise SweepError(f"{source}: kind: {data['kind']!r:.80} is not a kind of sweep; allowed: "
                         f"{', '.join(KINDS)}")
    return validate(schema, data, source, SweepError)


def load_sweep(path: str | Path) -> tuple[Sweep, Path]:
    """The sweep file and the path of its scenario file (relative to the sweep file)."""
    path = Path(path)
    spec = parse_sweep(read_yaml(path, "sweep", SweepError), str(path))
    return spec, path.parent / spec.scenario
