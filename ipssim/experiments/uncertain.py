"""Parameter uncertainty inside a run: one draw of the uncertain parameters per replication.

With ``parameter_uncertainty`` a run (or a comparison) draws every parameter that has a
distribution in the scenario's ``uncertainty:`` (:mod:`ipssim.scenario.uncertainty`) once per
replication, through the same inverse CDFs as a PSA sweep (:mod:`ipssim.scenario.sampling`), and
runs replication ``r`` on the scenario with draw ``r``. So each replication carries both kinds of
luck: the parameters we do not know, and the clients' histories given them.

The draw of replication ``r`` comes from its own stream, keyed by the run seed and ``r`` alone
(:data:`PARAMETER_DRAWS`): never by the option, the worker or the number of workers. Options
compared side by side therefore see the same parameter values in the same replication (common
random numbers across options) as well as the same clients.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ipssim.scenario.edits import editable
from ipssim.scenario.load import parse_scenario, scoped_values
from ipssim.scenario.paths import apply_values, coerce, field_kind
from ipssim.scenario.sampling import Space, describe, parameter_space
from ipssim.scenario.schema import Scenario, ScenarioError
from ipssim.stats import RANGE_REPLICATIONS
from ipssim.validation import read_yaml

PARAMETER_DRAWS = 0x50
"""First word of the spawn key of replication ``r``'s parameter draw (``(PARAMETER_DRAWS, r)``
under the run seed): apart from every stream of the model (``model.streams``, keys 0 to 6)."""
SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
"""The bundled scenarios' folder: a scenario's ``calibration`` path is relative to it unless the
scenario's own folder is given (``ipssim run FILE`` gives it)."""


@dataclass(frozen=True)
class Draws:
    """The parameter values of every replication of a run, and the space they were drawn from."""

    space: Space
    values: list[dict[str, float]]
    """Per replication, in order: parameter path -> value."""

    def described(self) -> dict[str, str]:
        """Each factor's distribution and source, for the manifest and the reports."""
        out = {}
        for factor in self.space.factors:
            if factor.distribution is None:
                out[factor.name] = (f"rows of the calibrated sample ({len(self.space.rows)} "
                                    f"parameter sets): {', '.join(factor.paths)}")
            else:
                out[factor.name] = (f"{describe(factor.distribution)}; source: "
                                    f"{factor.distribution.source}")
        return out


def replication_unit(seed: int, replication: int, factors: int) -> np.ndarray:
    """Replication ``replication``'s point on the unit cube: ``factors`` uniforms from the
    stream keyed by the seed and the replication alone."""
    sequence = np.random.SeedSequence(seed, spawn_key=(PARAMETER_DRAWS, replication))
    return np.random.Generator(np.random.PCG64(sequence)).random(factors)


BUNDLED_CALIBRATION = SCENARIOS.parent / "calibration" / "calibrated.yaml"
"""The calibration file of the bundled scenarios: the sample drawn for a scenario that names no
calibration file of its own (one built by the workbench's levers, whose calibrated values are
already written into its fields)."""


def calibrated_rows(scenario: Scenario, folder: Path | None = None) -> list[dict[str, float]]:
    """The parameter sets of the calibrated sample of the scenario's calibration file (relative
    to ``folder``, default the bundled scenarios' folder; :data:`BUNDLED_CALIBRATION` if it
    names none), scoped as the scenario reads its values."""
    path = BUNDLED_CALIBRATION if scenario.calibration is None else \
        (folder or SCENARIOS) / scenario.calibration
    document = read_yaml(path, "calibration", ScenarioError)
    sets = (document.get("sample") or {}).get("sets") or []
    return [scoped_values(s["values"], scenario.calibration_scope) for s in sets]


def uncertainty_space(scenario: Scenario, folder: Path | None = None) -> Space:
    """The uncertain parameters of a scenario, or a one-line ScenarioError if it has none."""
    if scenario.uncertainty is None or not (scenario.uncertainty.parameters
                                            or scenario.uncertainty.calibrated_sample):
        raise ScenarioError(f"parameter_uncertainty: scenario {scenario.name} gives no "
                            "uncertainty.parameters to draw (see scenarios/"
                            "finland_pilot_uncertainty.yaml); run it without parameter "
                            "uncertainty or give its parameters distributions")
    needs_rows = scenario.uncertainty.calibrated_sample or any(
        d.dist == "calibrated" for d in scenario.uncertainty.parameters.values())
    rows = calibrated_rows(scenario, folder) if needs_rows else []
    return parameter_space(scenario.uncertainty, rows, where="uncertainty")


def draw_parameters(scenarios: list[Scenario], seed: int, replications: int,
                    folder: Path | None = None) -> Draws:
    """One draw of the uncertain parameters per replication, shared by every scenario (they
    must give the same distributions), each draw checked against every scenario so that a draw
    outside what a scenario allows is refused before anything runs."""
    space = uncertainty_space(scenarios[0], folder)
    for other in scenarios[1:]:
        if other.uncertainty != scenarios[0].uncertainty:
            raise ScenarioError(f"parameter_uncertainty: {other.name} gives other distributions "
                                f"than {scenarios[0].name} (uncertainty:); options compared "
                                "with parameter uncertainty must share them")
    unit = np.stack([replication_unit(seed, r, len(space.factors)) for r in range(replications)])
    values = [{path: coerce(field_kind(path), x) for path, x in drawn.items()}
              for drawn in space.values(unit)]
    for r, drawn in enumerate(values):
        for scenario in scenarios:
            drawn_scenario(scenario, drawn, r)
    return Draws(space, values)


def drawn_scenario(scenario: Scenario, values: dict[str, float], replication: int = 0
                   ) -> Scenario:
    """The scenario with one replication's drawn values (what a budget buys and the referrals
    eligible people give are derived again, as for any change)."""
    try:
        return parse_scenario(apply_values(editable(scenario), values), source=scenario.name)
    except ScenarioError as exc:
        raise ScenarioError(f"parameter_uncertainty: the draw of replication {replication} "
                            f"does not fit: {exc}") from None


def rough(replications: int) -> bool:
    """Whether a run's 95% ranges over replications are too few values to read as ranges."""
    return replications < RANGE_REPLICATIONS


def range_note(replications: int, drawn: int) -> str:
    """What a run's ranges include, in one sentence for its headline and report: parameter
    uncertainty or Monte Carlo variation only (``drawn`` parameters drawn, 0 for none), and
    whether there are enough replications to read a 95% range."""
    if drawn:
        what = (f"Ranges include parameter uncertainty: {drawn} uncertain parameter"
                f"{'s' if drawn != 1 else ''} drawn once per replication (parameters.csv), as "
                "well as the clients' luck.")
    else:
        what = ("Ranges are Monte Carlo variation only: the parameters are fixed at the "
                "scenario's values (run with parameter uncertainty to include what we do not "
                "know).")
    if rough(replications):
        what += (f" With {replications} replications (fewer than {RANGE_REPLICATIONS}) a 95% "
                 "range would be the spread of a few values, so none is shown: the bounds are "
                 "each mean's 95% interval (mean +/- 1.96 mc_se), and the run is rough.")
    return what
