"""The whole economic account of IPS against usual services, beside the published cost figures:
prints a Markdown section (the one in docs/economics.md).

    python benchmarks/economic_account.py [--replications 40] [--seed 7] [--workers 2]

For ``europe_rct`` at 24, 60 and 120 months (the trial cohort recruited over 12 months, each
participant with IPS for the 24-month outcome window from entry, so the service closes at month
36) and ``finland_pilot`` at its 48 months, through the public API (``ipssim.run``,
``ipssim.with_changes``): per person referred and in total, with the 2.5th and 97.5th
percentiles over replications (the range a programme of this size could see),

- health and social care cost by arm and their difference (the county's and the clients' fees),
- the usual services' (the comparator's) cost by arm,
- the programme cost, and what was spent per person served (placed with a coach, not
  discounted: ``spending.csv``),
- the net effect of IPS against usual services for the public purse, the wellbeing services
  county and society, the break-even month of each (of the mean cumulative net effect, its range
  over replications and the share of replications that break even: ``never`` when the horizon
  ends first), and the gross benefit-cost ratio and the net return per euro of programme cost.
  A perspective's benefits are its net effect plus the programme cost it pays itself (the
  scenario's funders, ``economics.payers.programme``), so the county's gross ratio is what its
  care and usual services saved bring back per euro of the whole programme, whoever funds it;
  public purse and society pay all of it, and their ratio is 1 + the net return, as in
  ``summary.csv``.

Money is 2024 EUR discounted at 3% a year to month 1 (the scenarios' economics); the programme
cost per person served is what was spent, not discounted. Then the published figures (OUT-C2,
OUT-C3, OUT-C4, OUT-C5, CST-06) beside the model's nearest reading; their designs and the
validation bands are in ``calibration/validation.yaml``.
"""

from __future__ import annotations

import argparse
import datetime
import math
from pathlib import Path

import numpy as np

import ipssim
from ipssim.vocabulary import PUBLIC_PAYERS

ROOT = Path(__file__).resolve().parent.parent
CASES = (("europe_rct", 24), ("europe_rct", 60), ("europe_rct", 120), ("finland_pilot", 48))
VIEWS = (("public", "public purse"), ("wellbeing_county", "wellbeing services county"),
         ("society", "society"))
PUBLISHED = (
    ("OUT-C2", "Denmark, 18 months, society, 2016 EUR: total costs 9,543 EUR lower with IPS "
               "(about +10,500 in 2024 EUR at Finnish prices); net intervention cost 914 EUR",
     "net for society per person; programme cost less usual services saved per person "
     "(europe_rct 24 months)", ("europe_rct", 24, ("net_society", "intervention"))),
    ("OUT-C3", "EQOLISE, 18 months: IPS cheaper to health and social care in 5 of 6 sites",
     "care cost per person, IPS minus usual, europe_rct 24 months",
     ("europe_rct", 24, ("care_cost_eur_pv_difference",))),
    ("OUT-C4", "Norway, 4-year ROI model: 1.34 public purse, 4.76 society (read as gross "
               "ratios); payback about 3 years public, just over 1 year society",
     "gross ratio public / society; break-even month public / society (europe_rct 60 months)",
     ("europe_rct", 60, ("gross_public", "gross_society", "break_even_public",
                         "break_even_society"))),
    ("OUT-C5", "Bern, 5 years: intervention cost CHF 14,917 per participant; social ROI 132%",
     "programme cost per person served, europe_rct 60 months",
     ("europe_rct", 60, ("per_served",))),
    ("CST-06", "more direct costs than returns at first; over 4 years or longer the balance may "
               "turn positive", "public purse break-even month, europe_rct 120 months",
     ("europe_rct", 120, ("break_even_public",))),
)


def interval(values: np.ndarray, digits: int = 0) -> str:
    """Mean [2.5th, 97.5th percentile] over replications, with thousands separators."""
    lo, hi = np.percentile(values, [2.5, 97.5])
    return f"{np.mean(values):,.{digits}f} [{lo:,.{digits}f}, {hi:,.{digits}f}]"


def break_even(cumulative: np.ndarray) -> float:
    """First month from which a cumulative net effect stays >= 0 (infinity: never), as the
    summary's break_even_month."""
    if cumulative[-1] < 0:
        return math.inf
    negative = np.flatnonzero(cumulative < 0)
    return float(negative[-1] + 2) if len(negative) else 1.0


def month_words(month: float) -> str:
    return "never" if math.isinf(month) else f"{month:.0f}"


def account(result: ipssim.RunResult) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """The rows (line, per person, total) of one run, and the cells the published figures are
    set beside."""
    reps = result.replications
    referred = np.array([r.metrics["ips"]["clients_referred"] for r in reps])
    started = np.array([r.metrics["ips"]["clients_started"] for r in reps])

    def metric(name: str, arm: str = "difference") -> np.ndarray:
        return np.array([r.metrics[arm][name] for r in reps])

    rows: list[tuple[str, str, str]] = [
        ("People referred, each arm", "", interval(referred)),
        ("People served (placed with a coach)", "", interval(started)),
    ]
    cells: dict[str, str] = {}
    for column, words in (("care_cost_eur_pv", "Health and social care cost"),
                          ("usual_services_cost_eur_pv", "Usual services' cost")):
        for arm, arm_words in (("ips", "IPS arm"), ("usual", "usual services arm"),
                               ("difference", "IPS minus usual")):
            values = metric(column, arm)
            rows.append((f"{words}, {arm_words}", interval(values / referred), interval(values)))
            cells[f"{column}_{arm}"] = rows[-1][1]
    cost = metric("programme_cost_eur_pv", "ips")
    rows.append(("Programme cost (discounted)", interval(cost / referred), interval(cost)))
    spending = result.spending.set_index("figure")
    served = spending.loc["programme_cost_per_client_started_eur"]
    cells["per_served"] = f"{served['mean']:,.0f} [{served['lo95']:,.0f}, {served['hi95']:,.0f}]"
    rows.append(("Programme cost per person served (spent, not discounted)", cells["per_served"],
                 f"spent {spending.loc['spent_eur', 'mean']:,.0f}"))
    shares = result.scenario.economics.payers.programme_shares(result.scenario.horizon_months)
    horizon = result.scenario.horizon_months
    pays = {"public": np.sum([shares.get(p, np.zeros(horizon)) for p in PUBLIC_PAYERS], axis=0),
            "wellbeing_county": shares.get("wellbeing_county", np.zeros(horizon)),
            "society": np.ones(horizon)}
    for view, words in VIEWS:
        paid = np.array([np.sum((r.trajectories["ips"]["programme_cost_eur"]
                                 - r.trajectories["usual"]["programme_cost_eur"])
                                * r.trajectories["ips"]["discount_factor"] * pays[view])
                         for r in reps])
        if view != "society":
            rows.append((f"Programme cost paid by the {words}", interval(paid / referred),
                         interval(paid)))
        monthly = np.stack([(r.trajectories["ips"][f"net_{view}_eur"]
                             - r.trajectories["usual"][f"net_{view}_eur"])
                            * r.trajectories["ips"]["discount_factor"] for r in reps])
        cumulative = np.cumsum(monthly, axis=1)
        net = cumulative[:, -1]
        rows.append((f"Net effect, {words}", interval(net / referred), interval(net)))
        cells[f"net_{view}"] = rows[-1][1]
        months = np.array([break_even(c) for c in cumulative])
        lo, hi = np.percentile(months, [2.5, 97.5], method="inverted_cdf")
        mean_month = break_even(cumulative.mean(axis=0))
        rows.append((f"Break-even month, {words}",
                     f"{month_words(mean_month)} [{month_words(lo)}, {month_words(hi)}]",
                     f"{np.mean(np.isfinite(months)):.0%} of replications break even"))
        cells[f"break_even_{view}"] = rows[-1][1]
        rows.append((f"Gross benefit-cost ratio, {words} (its benefits / programme cost)",
                     interval((net + paid) / cost, 2), ""))
        cells[f"gross_{view}"] = rows[-1][1]
        rows.append((f"Net return per euro, {words} (net effect / programme cost)",
                     interval(net / cost, 2), ""))
    usual_saved = metric("usual_services_cost_eur_pv")
    cells["intervention"] = interval((cost + usual_saved) / referred)
    return rows, cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"Made {datetime.date.today().isoformat()} by `python benchmarks/economic_account.py "
          f"--replications {args.replications} --seed {args.seed} --workers {args.workers}` "
          f"(ipssim {ipssim.__version__}). Per person: per person referred (each arm has the "
          "same people); mean [2.5th, 97.5th percentile over replications]; 2024 EUR, "
          "discounted at 3% a year.\n")
    cells: dict[tuple[str, int], dict[str, str]] = {}
    for name, horizon in CASES:
        scenario = ipssim.load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        if scenario.horizon_months != horizon:
            scenario = ipssim.with_changes(scenario, {"horizon_months": horizon})
        result = ipssim.run(scenario, replications=args.replications, seed=args.seed,
                            workers=args.workers, tables="summary")
        rows, cells[(name, horizon)] = account(result)
        print(f"### `{name}`, {horizon} months\n")
        print("| line | per person | total |\n|---|---|---|")
        for line, person, total in rows:
            print(f"| {line} | {person} | {total} |")
        print()
    print("### Published figures beside the model\n")
    print("| fact | published | model's nearest reading | model |\n|---|---|---|---|")
    for fact, published, reading, (name, horizon, names) in PUBLISHED:
        model = "; ".join(cells[(name, horizon)][cell] for cell in names)
        print(f"| {fact} | {published} | {reading} | {model} |")


if __name__ == "__main__":
    main()
