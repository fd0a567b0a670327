"""Running a sweep: design it, run the points not yet saved, combine, analyse, report.

:func:`run_sweep` only orchestrates: the design comes from ``ipssim.sweep.design``, the points
run on a backend of ``ipssim.sweep.backends``, every file goes through ``ipssim.sweep.store``,
the tables come from ``ipssim.sweep.analysis``, and the report from the writer the caller passes
(the command line passes ``ipssim.reports.sweep.write_sweep_report``). :func:`headline` gives the
terminal lines of the main findings.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ipssim._version import __version__, code_id
from ipssim.progress import Update
from ipssim.sweep import backends, store
from ipssim.sweep.analysis import Table, analyse
from ipssim.sweep.design import Design, build_design
from ipssim.sweep.evaluators import Evaluator
from ipssim.sweep.spec import Sweep

Report = Callable[[Path, Design, dict[str, Table], dict], None]
"""``report(path, design, tables, manifest)``: writes the sweep's report (``report.html``)."""


@dataclass
class SweepRun:
    """What one invocation did."""

    out: Path
    design: Design
    already: int
    computed: int
    wall_seconds: float
    tables: dict[str, Table] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.design.points)

    @property
    def complete(self) -> bool:
        return self.already + self.computed == self.total


def run_sweep(spec: Sweep, evaluator: Evaluator, out: Path, *, workers: int = 1,
              scheduler: str | None = None, serial: bool = False, progress: Update | None = None,
              sweep_file: str = "", report: Report | None = None) -> SweepRun:
    """Design, run the missing points (serially or on Dask), then analyse and, given a
    ``report`` writer, report.

    Everything that can be wrong with the input is found before anything is written. Each
    point's file is written as it arrives; if the run stops early (Ctrl-C, a killed process),
    what was saved stays, and the same call computes only the rest. ``progress(done, total)`` is
    called once the points are known, then as each is saved.
    """
    out = Path(out)
    design = build_design(spec, evaluator)
    store.check_folder(out, design.sha256)
    done = store.done_points(out, design.sha256)
    missing = [p for p in design.points if p.index not in done]
    with backends.backend(missing, serial=serial, workers=workers, scheduler=scheduler) as client:
        manifest = store.open_folder(out)
        manifest |= {
            "kind": spec.kind, "name": spec.name or Path(sweep_file or "sweep").stem,
            "sweep_file": sweep_file, "scenario_file": evaluator.source,
            "scenario_sha256": evaluator.digest, "evaluator": evaluator.name,
            "spec_sha256": design.sha256, "seed": spec.seed, "replications": spec.replications,
            "streams": spec.streams, "points": len(design.points), "ipssim_version": __version__,
            "ipssim_code_id": code_id,
            "spec": spec.model_dump(mode="json"),
        }
        run: dict[str, Any] = {"started": datetime.now(UTC).isoformat(timespec="seconds"),
                               "already_done": len(done), "computed": 0,
                               "workers": "serial" if serial else (scheduler or workers),
                               "wall_seconds": None, "interrupted": True}
        manifest["runs"].append(run)
        store.write_manifest(out, manifest, complete=False)
        store.write_design(out, design)
        clock = time.perf_counter()
        computed = 0
        if progress:
            progress(len(done), len(design.points))
        try:
            for point, columns in backends.results(client, evaluator, missing, spec.replications):
                store.write_point(out, point, columns, design.sha256)
                computed += 1
                if progress:
                    progress(len(done) + computed, len(design.points))
        finally:
            run |= {"computed": computed, "wall_seconds": round(time.perf_counter() - clock, 3),
                    "interrupted": len(done) + computed < len(design.points)}
            store.write_manifest(out, manifest, complete=not run["interrupted"])
        result = SweepRun(out, design, len(done), computed, run["wall_seconds"])
        result.tables = analyse(design, store.combine(out, design))
        store.write_tables(out, result.tables)
        if report:
            report(out / "report.html", design, result.tables, manifest)
        return result


def headline(result: SweepRun) -> list[str]:
    """A few lines for the terminal: the main finding of each charted metric."""
    spec, tables, lines = result.design.spec, result.tables, []
    first = spec.metrics[0]
    if spec.kind == "one_way":
        t = tables["tornado"]
        rows = [i for i, (m, a) in enumerate(zip(t["metric"], t["arm"], strict=True))
                if (m, a) == (first.metric, first.arm)]
        if rows:
            lines.append(f"{first.metric} ({first.arm}): base case {t['base'][rows[0]]:.4g}; "
                         "widest swings:")
            lines += [f"  {t['parameter'][i]:48} {t['at_low'][i]:>12.4g} to {t['at_high'][i]:<12.4g}"
                      for i in rows[:5]]
    elif spec.kind == "grid":
        t = tables["grid"]
        rows = [i for i, (m, a) in enumerate(zip(t["metric"], t["arm"], strict=True))
                if (m, a) == (first.metric, first.arm)]
        values = [t["mean"][i] for i in rows]
        if values:
            lines.append(f"{first.metric} ({first.arm}): from {np.nanmin(values):.4g} to "
                         f"{np.nanmax(values):.4g} over {len(rows)} grid points")
    elif spec.kind == "psa":
        s = tables["psa_summary"]
        for q, mean, lo, hi in zip(s["quantity"], s["mean"], s["lo95"], s["hi95"], strict=True):
            rng = f" [{lo:.4g}, {hi:.4g}]" if not math.isnan(lo) else ""
            lines.append(f"  {q:44} {mean:>12.4g}{rng}")
        c = tables["ceac"]
        for effect in dict.fromkeys(c["effect"]):
            rows = [i for i, e in enumerate(c["effect"]) if e == effect]
            mid = rows[len(rows) // 2]
            lines.append(f"  P(cost-effective) at {c['wtp_eur'][mid]:,.0f} EUR per {effect}: "
                         f"{c['p_cost_effective'][mid]:.2f}; EVPI {c['evpi_eur'][mid]:,.0f} EUR")
        e = tables["evppi"]
        single = [i for i, (g, p) in enumerate(zip(e["group"], e["parameters"], strict=True))
                  if g == p and e["trusted"][i]]
        if single:
            top = max(single, key=lambda i: e["evppi_eur"][i])
            lines.append(f"  largest EVPPI: {e['group'][top]}, {e['evppi_eur'][top]:,.0f} EUR at "
                         f"{e['wtp_eur'][top]:,.0f} EUR per {e['effect'][top]} (evppi.csv)")
    else:
        t = tables[spec.method]
        index = "ST" if spec.method == "sobol" else "mu_star"
        rows = [i for i, (m, a) in enumerate(zip(t["metric"], t["arm"], strict=True))
                if (m, a) == (first.metric, first.arm)]
        rows.sort(key=lambda i: -t[index][i] if not math.isnan(t[index][i]) else math.inf)
        lines.append(f"{first.metric} ({first.arm}), {index} (95% interval):")
        lines += [f"  {t['parameter'][i]:48} {t[index][i]:.3f} +- {t[index + '_conf'][i]:.3f}"
                  for i in rows]
    return lines

