"""The long run of the trial scenario: employed and ever employed by month since entry, to 120
months, both arms; prints one JSON line of the figures and draws ``docs/long_run.png``.

    python benchmarks/long_run.py [--replications 30] [--seed 7] [--workers 2] [--out docs/long_run.png]

``europe_rct`` (its cohort recruited over its ``recruitment_months``, IPS for as long as the
scenario's trial offered it) is run to the last participant's month 120 through the public API
(``ipssim.run``, ``ipssim.with_changes``). From the client and spell tables, per arm and month
since each participant's entry: the share in a competitive job (open market, with or without
wage subsidy) at that month, and the share ever in an open-market job (without wage subsidy, the
trials' outcome: EMP-01) by that month; jobs held at entry do not count. The figures: the
ever-in-open-market-work gap at 24, 60 and 120 months and the employed share at 60 and 120
months, the means over replications with their 2.5th and 97.5th percentiles. Bern's 5-year
trial kept 65% against 33% in competitive work (OUT-C5): its difference is a calibration target
(read with IPS on offer for all 60 months, as in Bern), its two arms validation figures; the
scenario here keeps ``europe_rct``'s own service, 24 months. matplotlib comes with SALib (a core dependency).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import ipssim
from ipssim.vocabulary import MONTH_DAYS

ROOT = Path(__file__).resolve().parent.parent
MONTHS = 120
ARMS = ("ips", "usual")


def curves(result: ipssim.RunResult) -> dict[str, dict[str, np.ndarray]]:
    """Per arm: (replications, months 1..MONTHS) arrays of the employed and ever-employed shares."""
    clients, spells = result.clients, result.spells
    months = np.arange(1, MONTHS + 1) * MONTH_DAYS
    out: dict[str, dict[str, np.ndarray]] = {}
    for arm in ARMS:
        employed, ever = [], []
        for replication, group in clients[clients.arm == arm].groupby("replication"):
            entry = dict(zip(group.client_id, group.referral_day, strict=True))
            first = (group.first_unsubsidised_job_day - group.referral_day).to_numpy()
            ever.append([(first <= m).mean() for m in months])  # NaN (never) counts as no
            jobs = spells[(spells.arm == arm) & (spells.replication == replication)
                          & (spells.job_type != "other") & ~spells.at_entry]
            offset = jobs.client_id.map(entry).to_numpy()
            start = jobs.start_day.to_numpy() - offset
            end = np.nan_to_num(jobs.end_day.to_numpy(), nan=np.inf) - offset  # NaN: running
            employed.append([((start <= m) & (m < end)).sum() / len(group) for m in months])
        out[arm] = {"employed": np.array(employed), "ever": np.array(ever)}
    return out


def figures(lines: dict[str, dict[str, np.ndarray]]) -> dict[str, float]:
    """The gap in ever employed at 24, 60 and 120 months; the employed shares at 60 and 120."""
    out: dict[str, float] = {}
    for month in (24, 60, 120):
        gap = lines["ips"]["ever"][:, month - 1] - lines["usual"]["ever"][:, month - 1]
        for arm in ARMS:
            out[f"ever_open_market_{arm}_{month}m"] = round(float(lines[arm]["ever"][:, month - 1].mean()), 3)
        out[f"ever_open_market_gap_{month}m"] = round(float(gap.mean()), 3)
        out[f"ever_open_market_gap_{month}m_lo95"] = round(float(np.percentile(gap, 2.5)), 3)
        out[f"ever_open_market_gap_{month}m_hi95"] = round(float(np.percentile(gap, 97.5)), 3)
    for month in (24, 60, 120):
        for arm in ARMS:
            out[f"employed_{arm}_{month}m"] = round(float(lines[arm]["employed"][:, month - 1].mean()), 3)
    return out


def draw(lines: dict[str, dict[str, np.ndarray]], scenario: ipssim.Scenario, replications: int,
         path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    month = np.arange(1, MONTHS + 1)
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    titles = {"employed": "In a competitive job at the month",
              "ever": "Ever in an open-market job by the month"}
    colours = {"ips": "#1f77b4", "usual": "#ff7f0e"}
    labels = {"ips": "IPS", "usual": "usual services"}
    for axis, key in zip(axes, titles, strict=True):
        for arm in ARMS:
            values = lines[arm][key]
            axis.plot(month, values.mean(axis=0), color=colours[arm], label=labels[arm])
            axis.fill_between(month, *np.percentile(values, [2.5, 97.5], axis=0),
                              color=colours[arm], alpha=0.2, linewidth=0)
        axis.set_title(titles[key], fontsize=10)
        axis.set_xlabel("months since entry")
        axis.set_xticks(range(0, MONTHS + 1, 12))
        axis.grid(alpha=0.3)
    axes[0].set_ylabel("share of participants")
    axes[0].legend(loc="upper left", fontsize=9)
    figure.suptitle(f"{scenario.name}: the long run ({replications} replications; mean and "
                    "95% range)", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "long_run.png")
    args = parser.parse_args()
    base = ipssim.load_scenario(ROOT / "scenarios" / "europe_rct.yaml")
    horizon = MONTHS + int(np.ceil(base.recruitment_months))
    scenario = ipssim.with_changes(base, {"horizon_months": horizon})
    result = ipssim.run(scenario, args.replications, args.seed, workers=args.workers)
    lines = curves(result)
    draw(lines, scenario, args.replications, args.out)
    print(json.dumps({"scenario": scenario.name, "horizon_months": horizon,
                      "replications": args.replications, "seed": args.seed,
                      **figures(lines), "figure": str(args.out)}))


if __name__ == "__main__":
    main()
