"""Sensitivity sweeps: a design of parameter sets (points), independent runs, then analysis.

As in SALib, a sweep has three steps. **Design**: the sweep file's kind turns the scenario and its
parameter uncertainty into a numbered list of points, each a set of parameter values (one-way:
the base case, then each parameter at its low and its high value; grid: every combination;
PSA: draws from the distributions; global: a Sobol (Saltelli) or Morris design). **Run**: every
point runs ``replications`` replications of the scenario with its values, on a Dask cluster or
serially, and its per-replication metrics go to ``points/<index>.parquet`` the moment it
arrives. **Analysis**: tables and charts from the points (``ipssim.sweep.analysis``, and the
report the caller passes, ``ipssim.reports.sweep``), redone on every run, so a changed metric
list needs no new runs.

The modules, one job each: ``spec`` (the sweep file), ``evaluators`` (what a point runs),
``design`` (the points), ``backends`` (serial or Dask), ``store`` (the output folder),
``analysis`` (the tables) and ``run``, which runs a sweep through them.

Parameters are named by dotted paths into the scenario, as in the calibration
(``jobs.ips_offer_rate_per_month``, ``economics.costs.coach_salary_eur_per_year``); a region's
field by index, name or all regions (``regions[0].coaches``, ``regions[Helsinki city].coaches``,
``regions[*].fidelity``); a dictionary entry by its key
(``employability.work_history_multiplier.over_3y``). A point's values override the scenario's
own and its calibration's, and every point is validated by the scenario schema. Integer fields
take the value rounded to the nearest integer (halves up). A budget
(``regions[i].budget_eur_per_year``) takes one number, the budget of every year, and replaces
the region's headcount; a headcount replaces its budget.

Random numbers. A point's run seed is the sweep seed for every point (``streams: common``, the
default): every point then sees the same clients with the same luck (common random numbers), so
what differs between points is the parameters alone. That is what a tornado, a heat map and
variance-based indices need, and PSA draws take it too. ``streams: independent`` gives
point ``i`` the seed ``SeedSequence([seed, i])`` instead. Either way a point's results depend
only on the scenario, its values, its seed and the number of replications, never on which
worker ran it or when, so a sweep gives the same bits on any number of workers.

Resuming. ``sweep.json`` in the output folder records the sweep's SHA-256 (of the evaluator, the
scenario files' hash, the seed, the replications, the streams and every point's values). A
rerun into the same folder skips every point whose file holds that hash and computes the rest;
another sweep's folder is refused. Point files are written to a temporary name and renamed, so
an interrupted sweep never leaves a partial one (``ipssim.sweep.store``).
"""
