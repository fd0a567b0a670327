"""The calibration fit report: every target against its simulated value with Monte Carlo
intervals, the simulated time to the first transition beside the published moments, and the
fitted parameters with the range of the calibrated sample.

It renders a finished calibration (``ipssim.calibration.result``) and runs nothing: the days to
the first transition come with the result.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from scipy import stats

from ipssim import files
from ipssim.calibration.result import CalibrationResult, fit_table
from ipssim.calibration.spec import Spec
from ipssim.reports.page import COLOURS, Cell, chart, page, records, section, table


def write_fit_report(path: Path, spec: Spec, result: CalibrationResult, provenance: dict,
                     seed: int | None = None) -> None:
    """Write ``fit_report.html``. ``seed`` is not used (the result carries what the charts need;
    the seed is in the ``provenance``); it stays for the callers that pass it."""
    rows = fit_table(spec, result)
    n_fitted = sum(r["fitted"] for r in rows)
    intro = f"""<p>Simulated method of moments with common random numbers; {len(result.history)}
parameter sets evaluated; objective {result.best.objective:.2f} at the best set; the simulated
values below are the best set re-run on {result.report.replications} replications (95% Monte Carlo
intervals). <b>{n_fitted} of {len(rows)} targets fitted</b> (simulated mean within the tolerance
band). Provenance: {html.escape(str(provenance))}</p>"""
    targets = records([r | {"fitted": Cell("yes") if r["fitted"] else Cell("no", "no")}
                       for r in rows])
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    files.write_text(path, page("ipssim calibration fit", "Calibration fit", [
        intro,
        chart(fit_figure(rows, result.days_to_first_transition, spec), "fit"),
        section("Targets", table(targets)),
        section("Parameters", parameter_section(spec, result)),
    ]))


def fit_figure(rows: list[dict], days: np.ndarray, spec: Spec) -> go.Figure:
    """Each target against its simulated mean (relative to the published value), and the
    histogram of the simulated days to the first transition beside a gamma distribution with the
    published mean and SD (if the targets give them)."""
    figure = make_subplots(rows=2, cols=1, vertical_spacing=0.12, subplot_titles=(
        "Each target: published value +/- 1.96 SE (grey) and simulated mean with 95% MC interval",
        "Days from IPS start to first transition: simulated vs gamma with the published moments "
        "(TTJ-01)"))
    names = [r["target"] for r in rows]
    # standardise by the published value so shares and days share one axis
    scale = np.array([abs(r["published"]) or 1.0 for r in rows])
    published = np.array([r["published"] for r in rows]) / scale
    figure.add_trace(go.Scatter(
        x=names, y=published, mode="markers", name="published",
        marker={"color": "grey", "size": 10, "symbol": "line-ew-open"},
        error_y={"type": "data", "array": 1.96 * np.array([r["se"] for r in rows]) / scale}),
        row=1, col=1)
    simulated = np.array([r["simulated"] for r in rows]) / scale
    colors = [COLOURS[0] if r["fitted"] else COLOURS[1] for r in rows]
    figure.add_trace(go.Scatter(
        x=names, y=simulated, mode="markers", name="simulated (red: not fitted)",
        marker={"color": colors, "size": 9},
        error_y={"type": "data", "array": (np.array([r["hi95"] for r in rows]) / scale
                                           - simulated)}), row=1, col=1)
    figure.update_yaxes(title_text="relative to the published value", row=1, col=1)
    figure.add_trace(go.Histogram(x=days, histnorm="probability density", name="simulated",
                                  xbins={"start": 0, "size": 15}, marker_color=COLOURS[0],
                                  opacity=0.6), row=2, col=1)
    mean_target = spec.targets.get("fin_days_to_first_transition_mean")
    sd_target = spec.targets.get("fin_days_to_first_transition_sd")
    if mean_target is not None and sd_target is not None:  # a targets file may leave them out
        target_mean, target_sd = mean_target.value, sd_target.value
        shape = (target_mean / target_sd) ** 2
        x = np.linspace(1, max(500.0, float(np.max(days, initial=0))), 200)
        figure.add_trace(go.Scatter(x=x, y=stats.gamma.pdf(x, shape, scale=target_mean / shape),
                                    name=f"gamma, mean {target_mean:.0f} SD {target_sd:.0f}",
                                    line={"color": "black"}), row=2, col=1)
        figure.add_vline(x=target_mean, line_dash="dash", row=2, col=1,
                         annotation_text="published mean")
    if len(days):
        figure.add_vline(x=float(np.mean(days)), line_dash="dot", line_color=COLOURS[0], row=2,
                         col=1, annotation_text="simulated mean")
    figure.update_xaxes(title_text="days", row=2, col=1)
    figure.update_layout(height=1000, template="plotly_white")
    return figure


def parameter_section(spec: Spec, result: CalibrationResult) -> str:
    """Each fitted parameter: its bounds, best value and range over the calibrated sample."""
    columns: dict[str, list] = {c: [] for c in ("parameter", "low", "high", "best", "sample min",
                                                "sample max", "why")}
    for name, p in spec.parameters.items():
        sample = [e.values[name] for e in result.sample]
        for column, value in zip(columns, (name, p.low, p.high, result.best.values[name],
                                           min(sample), max(sample), p.why), strict=True):
            columns[column].append(value)
    return (f"<p>The sample holds {len(result.sample)} sets within the 95% chi-square band of the"
            f" best objective.</p>{table(columns, labels=1)}")
