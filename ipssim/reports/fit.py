"""Calibration outputs: ``calibrated.yaml`` (values, provenance, fit, sample) and the HTML fit
report (every target against its simulated value with Monte Carlo intervals, and the simulated
time-to-first-job distribution beside the published moments)."""

from __future__ import annotations

import html
import math
import os
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import yaml
from plotly.subplots import make_subplots
from scipy import stats

from ipssim.calibration.fit import CalibrationResult, Spec, fitted
from ipssim.calibration.observation import documented_window, first_transition_days, spells_in_window
from ipssim.model.simulation import draw_cohort, simulate_arm
from ipssim.vocabulary import MONTH_DAYS

ANY_TYPE = ("competitive", "subsidised", "other")


def fit_table(spec: Spec, result: CalibrationResult) -> list[dict]:
    """Per target: published value and SE, simulated mean with its 95% MC interval, fitted or not."""
    report = result.report
    rows = []
    for name, target in spec.targets.items():
        mean, se = report.mean.get(name, math.nan), report.mc_se.get(name, math.nan)
        rows.append({
            "target": name, "fact": target.fact, "published": target.value, "se": target.se,
            "simulated": mean, "lo95": mean - 1.96 * se, "hi95": mean + 1.96 * se,
            "tolerance": target.tolerance, "fitted": fitted(target, mean),
        })
    return rows


def write_calibrated(path: Path, spec: Spec, result: CalibrationResult, provenance: dict) -> None:
    """Write the calibrated values with provenance, fit and sample, atomically."""
    document = {
        "provenance": provenance | {"objective": round(result.best.objective, 4),
                                    "report_replications": result.report.replications},
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
    text = ("# Written by `ipssim calibrate`; do not edit by hand (rerun the calibration).\n"
            + yaml.safe_dump(document, sort_keys=False, width=100))
    _atomic_write(path, text)


def write_fit_report(path: Path, spec: Spec, result: CalibrationResult, provenance: dict,
                     seed: int) -> None:
    rows = fit_table(spec, result)
    days = _days_to_first(spec, result, seed)
    figure = _figure(rows, days, spec)
    chart = pio.to_html(figure, include_plotlyjs=True, full_html=False, div_id="fit")
    n_fitted = sum(r["fitted"] for r in rows)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ipssim calibration fit</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1300px}}table{{border-collapse:collapse}}
td,th{{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}}
td:first-child{{text-align:left}}.no{{color:#b00;font-weight:bold}}</style></head><body>
<h1>Calibration fit</h1>
<p>Simulated method of moments with common random numbers; {len(result.history)} parameter sets
evaluated; objective {result.best.objective:.2f} at the best set; the simulated values below are
the best set re-run on {result.report.replications} replications (95% Monte Carlo intervals).
<b>{n_fitted} of {len(rows)} targets fitted</b> (simulated mean within the tolerance band).
Provenance: {html.escape(str(provenance))}</p>
{chart}
<h2>Targets</h2>{_table(rows)}
<h2>Parameters</h2>{_parameter_table(spec, result)}
</body></html>
"""
    _atomic_write(path, page)


def _days_to_first(spec: Spec, result: CalibrationResult, seed: int) -> np.ndarray:
    """Pooled simulated days to the first transition (Finnish observation), for the histogram."""
    fin, _ = spec.scenarios(result.best.values)
    close = spec.observation.finland.data_close_month * MONTH_DAYS
    days = []
    for k in range(min(result.report.replications, 20)):
        history = simulate_arm(fin, draw_cohort(fin, seed, k), "ips", seed, k)
        evaluable, end = documented_window(history.clients, close)
        in_window = spells_in_window(history.clients, history.spells, evaluable, end)
        days.append(first_transition_days(history.clients, history.spells, in_window, ANY_TYPE))
    return np.concatenate(days)


def _figure(rows: list[dict], days: np.ndarray, spec: Spec) -> go.Figure:
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
    colors = ["#1f77b4" if r["fitted"] else "#d62728" for r in rows]
    figure.add_trace(go.Scatter(
        x=names, y=simulated, mode="markers", name="simulated (red: not fitted)",
        marker={"color": colors, "size": 9},
        error_y={"type": "data", "array": (np.array([r["hi95"] for r in rows]) / scale
                                           - simulated)}), row=1, col=1)
    figure.update_yaxes(title_text="relative to the published value", row=1, col=1)
    figure.add_trace(go.Histogram(x=days, histnorm="probability density", name="simulated",
                                  xbins={"start": 0, "size": 15}, marker_color="#1f77b4",
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
        figure.add_vline(x=float(np.mean(days)), line_dash="dot", line_color="#1f77b4", row=2,
                         col=1, annotation_text="simulated mean")
    figure.update_xaxes(title_text="days", row=2, col=1)
    figure.update_layout(height=1000, template="plotly_white")
    return figure


def _table(rows: list[dict]) -> str:
    head = "".join(f"<th>{c}</th>" for c in rows[0])
    body = []
    for row in rows:
        cells = []
        for key, value in row.items():
            if key == "fitted":
                cells.append("<td>yes</td>" if value else '<td class="no">no</td>')
            elif isinstance(value, float):
                cells.append(f"<td>{value:.4g}</td>")
            else:
                cells.append(f"<td>{html.escape(str(value))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _parameter_table(spec: Spec, result: CalibrationResult) -> str:
    rows = []
    for name, p in spec.parameters.items():
        sample = [e.values[name] for e in result.sample]
        rows.append(f"<tr><td>{html.escape(name)}</td><td>{p.low:g}</td><td>{p.high:g}</td>"
                    f"<td>{result.best.values[name]:.4g}</td><td>{min(sample):.4g}</td>"
                    f"<td>{max(sample):.4g}</td><td>{html.escape(p.why)}</td></tr>")
    head = ("<tr><th>parameter</th><th>low</th><th>high</th><th>best</th>"
            "<th>sample min</th><th>sample max</th><th>why</th></tr>")
    return (f"<p>The sample holds {len(result.sample)} sets within the 95% chi-square band of the"
            f" best objective.</p><table>{head}{''.join(rows)}</table>")


def _round(value: float) -> float:
    return float(f"{value:.6g}")


def _atomic_write(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
