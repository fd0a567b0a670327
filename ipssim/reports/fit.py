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

from ipssim.calibration.result import (
    BOUND_MARGIN,
    CalibrationResult,
    bound_flags,
    chi_square,
    fit_table,
)
from ipssim.calibration.spec import Spec
from ipssim.reports.page import COLOURS, Cell, chart, records, section, table, write_page


def write_fit_report(path: Path, spec: Spec, result: CalibrationResult, provenance: dict,
                     seed: int | None = None, validation: list[dict] | None = None,
                     plotlyjs: str = "folder") -> None:
    """Write ``fit_report.html``, with a Validation section if ``validation`` rows are given
    (:func:`ipssim.calibration.external.run_validation`). ``seed`` is not used (the result
    carries what the charts need; the seed is in the ``provenance``); it stays for the callers
    that pass it."""
    rows = fit_table(spec, result)
    n_fitted = sum(r["fitted"] for r in rows)
    n_tolerance = sum(r["within_tolerance"] for r in rows)
    n_2se = sum(r["within_2se"] for r in rows)
    chi2 = chi_square(spec, result)
    intro = f"""<p>Simulated method of moments with common random numbers; {len(result.history)}
parameter sets evaluated; objective {result.best.objective:.2f} at the best set; the simulated
values below are the best set re-run on {result.report.replications} replications (95% Monte Carlo
intervals). <b>{n_fitted} of {len(rows)} targets fitted</b> (simulated mean within the tolerance
band: {n_tolerance}; within 2 published SEs: {n_2se}; fitted: either).
<b>Chi-square {chi2['chi_square']:.2f} on {chi2['df']} degrees of freedom ({len(rows)} targets
minus {len(spec.parameters)} fitted parameters), p = {chi2['p_value']:.3g}</b>: the objective of
the re-run, each target's squared distance over its published and Monte Carlo variance;
approximate, since the JOB-08 bands share spells (correlated errors) and several SEs rest on an
assumed n (targets.yaml). Provenance: {html.escape(str(provenance))}</p>"""
    targets = records([{k: v for k, v in r.items() if k not in ("within_tolerance",
                                                                  "within_2se", "fitted")}
                       | {"within tolerance": _yes(r["within_tolerance"]),
                          "within 2 SE": _yes(r["within_2se"]), "fitted": _yes(r["fitted"])}
                       for r in rows])
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_page(path, "ipssim calibration fit", "Calibration fit", [
        intro,
        chart(fit_figure(rows, result.days_to_first_transition, spec), "fit"),
        section("Targets", table(targets)),
        section("Targets not fitted", unfitted_section(spec, rows)),
        section("Parameters", parameter_section(spec, result)),
        section("Validation", validation_section(validation)) if validation is not None else "",
    ], plotlyjs=plotlyjs)


def write_validation_report(path: Path, rows: list[dict], calibrated: str) -> None:
    """Write ``validation_report.html``: the Validation section alone (``--validate-only``)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    intro = f"<p>Calibrated values from {html.escape(calibrated)}.</p>"
    write_page(path, "ipssim external validation", "External validation", [
        intro, section("Validation", validation_section(rows))], charts=False)


def _yes(value: bool) -> Cell:
    return Cell("yes") if value else Cell("no", "no")


def validation_section(rows: list[dict]) -> str:
    """Each external figure beside its simulated value and interval, in or out of the band set
    before the run (``calibration/validation.yaml``)."""
    if not rows:
        return "<p>No validation figures.</p>"
    inside = sum(r["in_band"] for r in rows)
    columns = records([{"figure": r["figure"], "fact": r["fact"],
                        "published": "direction only" if r["published"] is None
                        else r["published"],
                        "band low": r["band_low"], "band high": r["band_high"],
                        "simulated": r["simulated"], "lo95": r["lo95"], "hi95": r["hi95"],
                        "in band": _yes(r["in_band"]), "design": r["design"]} for r in rows])
    return (f"<p>Published figures the fit does not use, each simulated with the calibrated "
            f"values on the scenario and observation model of its design "
            f"({rows[0]['replications']} replications; 95% Monte Carlo intervals; for a "
            f"break-even month, the 2.5-97.5 percentiles over replications). The bands were "
            f"committed before the first run (calibration/validation.yaml). <b>{inside} of "
            f"{len(rows)} figures in band.</b> A figure out of band is a miss of the model, "
            f"reported as it is.</p>{table(columns, labels=2)}")


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
        from scipy import stats  # here, not at the top: it is a second of every command's start-up

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


def unfitted_section(spec: Spec, rows: list[dict]) -> str:
    """Each target the fit misses, with what the model would need to meet it (its ``blocked``
    note in the targets file) or a plain statement that none is recorded."""
    missed = [r for r in rows if not r["fitted"]]
    if not missed:
        return "<p>Every target is fitted.</p>"
    items = []
    for r in missed:
        note = spec.targets[r["target"]].blocked
        why = html.escape(note) if note else "<b>no mechanism recorded in targets.yaml</b>"
        items.append(f"<li><b>{html.escape(r['target'])}</b> ({html.escape(r['fact'])}): "
                     f"published {r['published']:.4g}, simulated {r['simulated']:.4g}. {why}</li>")
    return f"<ul>{''.join(items)}</ul>"


def parameter_section(spec: Spec, result: CalibrationResult) -> str:
    """Each fitted parameter: its bounds, best value, range over the calibrated sample, and a flag
    if it lies at or within 1% of its range of a bound, with the reason the parameters file
    states for that bound (a flag without one says so)."""
    flags = bound_flags(spec, result)
    columns: dict[str, list] = {c: [] for c in ("parameter", "low", "high", "best", "at bound",
                                                "sample min", "sample max", "why")}
    for name, p in spec.parameters.items():
        sample = [e.values[name] for e in result.sample]
        flag = Cell(flags[name], "no") if name in flags else Cell("")
        for column, value in zip(columns, (name, p.low, p.high, result.best.values[name], flag,
                                           min(sample), max(sample), p.why), strict=True):
            columns[column].append(value)
    flagged = ", ".join(f"{n} ({f})" for n, f in flags.items()) or "none"
    reasons = "".join(
        f"<li><b>{html.escape(n)}</b> at its {f} bound: "
        + (html.escape(spec.parameters[n].at_bound[f]) if f in spec.parameters[n].at_bound
           else "<b>no reason stated in parameters.yaml</b>") + "</li>"
        for n, f in flags.items())
    return (f"<p>The sample holds {len(result.sample)} sets within the 95% chi-square band of the"
            f" best objective. Parameters at or within {BOUND_MARGIN:.0%} of their search range of"
            f" a bound (on the search scale): <b>{html.escape(flagged)}</b>.</p>"
            + (f"<ul>{reasons}</ul>" if reasons else "") + table(columns, labels=1))
