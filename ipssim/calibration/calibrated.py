"""The ``calibrated.yaml`` file: written at the end of a calibration (values, provenance, fit and
sample), read back as the warm start of the next one (``ipssim calibrate --start``).

Scenarios name it in their ``calibration`` field; ``ipssim.scenario.load`` reads its values.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ipssim import files
from ipssim.calibration.result import CalibrationResult, bound_flags, chi_square, fit_table
from ipssim.calibration.spec import Spec
from ipssim.scenario.schema import ScenarioError
from ipssim.validation import read_yaml

HEADER = "# Written by `ipssim calibrate`; do not edit by hand (rerun the calibration).\n"


def write_calibrated(path: Path, spec: Spec, result: CalibrationResult, provenance: dict) -> None:
    """Write the calibrated values with provenance, fit and sample, atomically."""
    chi2 = chi_square(spec, result)
    document = {
        "provenance": provenance | {"objective": round(result.best.objective, 4),
                                    "report_replications": result.report.replications,
                                    "chi_square": round(chi2["chi_square"], 4),
                                    "degrees_of_freedom": chi2["df"],
                                    "p_value": _round(chi2["p_value"]),
                                    "at_bounds": bound_flags(spec, result)},
        "values": {k: _round(v) for k, v in result.best.values.items()},
        "fit": {row["target"]: {k: _round(v) if isinstance(v, float) else v
                                for k, v in row.items() if k != "target"}
                for row in fit_table(spec, result)},
        "sample": {
            "rule": f"objective <= best + chi2_0.95({len(spec.names)}) = {result.threshold:.3f}",
            "sets": [{"objective": round(e.objective, 4),
                      "values": {k: _round(v) for k, v in e.values.items()}}
                     for e in result.sample],
        },
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    files.write_text(path, HEADER + yaml.safe_dump(document, sort_keys=False, width=100))


def load_start(path: str | Path, spec: Spec) -> dict[str, float]:
    """The ``values`` of an earlier ``calibrated.yaml`` that the spec fits (others are ignored)."""
    data = read_yaml(Path(path), "--start:", ScenarioError)
    values = data.get("values")
    if not isinstance(values, dict) or not all(isinstance(v, int | float)
                                               for v in values.values()):
        raise ScenarioError(f"--start: {path} has no 'values' mapping of parameter names to "
                            "numbers (give a calibrated.yaml)")
    return {name: float(v) for name, v in values.items() if name in spec.parameters}


def _round(value: float) -> float:
    return float(f"{value:.6g}")
