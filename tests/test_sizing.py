"""`ipssim size` against queueing theory, its economy, and its bad input."""

from __future__ import annotations

import csv
import math

import pytest

from conftest import SMALL, ipssim, small_scenario, write_yaml
from ipssim.experiments.runner import run_replications
from ipssim.experiments.sizing import size, waits
from ipssim.money.funding import yearly_cost
from ipssim.money.parameters import Economics
from ipssim.scenario.load import parse_scenario
from ipssim.vocabulary import MONTH_DAYS

MEAN_STAY_DAYS = 60.0
OFFERED = 3.0  # arrivals per mean stay: at least 4 places for a stable queue
QUANTILE, MAX_WAIT = 0.9, 50.0


def erlang_c(servers: int, offered: float) -> float:
    """Probability that an arrival waits in an M/M/c queue."""
    below = sum(offered**k / math.factorial(k) for k in range(servers))
    top = offered**servers / math.factorial(servers) * servers / (servers - offered)
    return top / (below + top)


def wait_quantile(servers: int, offered: float, service_rate: float, q: float) -> float:
    """The q-quantile of the wait in an FCFS M/M/c queue: P(W > t) = C exp(-(c mu - lambda) t)."""
    if servers <= offered:
        return math.inf
    c = erlang_c(servers, offered)
    return 0.0 if c <= 1 - q else math.log(c / (1 - q)) / ((servers - offered) * service_rate)


def mmc_data(coaches: int) -> dict:
    """A region that is an exact M/M/c queue with c = coaches (one place each); see test_queue."""
    service_rate = 1.0 / MEAN_STAY_DAYS
    exit_rate = service_rate * MONTH_DAYS
    return {
        "name": "mmc", "mode": "programme", "horizon_months": 120,
        "regions": [{"name": "queue", "coaches": coaches, "employers": 5,
                     "referrals_per_month": OFFERED * service_rate * MONTH_DAYS}],
        "coaching": {"caseload_cap": 1, "engagement_days_mean": 0.0,
                     "re_referral_rate_per_month": 0.0,  # nobody returns: Poisson arrivals
                     "dropout_rate_per_month": 0.0, "end_rate_searching_per_month": exit_rate,
                     "end_rate_working_per_month": exit_rate},
        # no jobs or hospital stays to speak of: the queue does not need them (see test_queue)
        "jobs": {"ips_offer_rate_per_month": 1e-4, "usual_offer_rate_per_month": 1e-4},
        "care": {"admission_rate_per_month": 0.0},
    }


def test_the_analytic_answer_is_clear_cut():
    quantiles = [wait_quantile(c, OFFERED, 1 / MEAN_STAY_DAYS, QUANTILE) for c in (4, 5)]
    assert quantiles[0] > 1.8 * MAX_WAIT and quantiles[1] < 0.6 * MAX_WAIT  # 97.6 d, 25.8 d


@pytest.mark.slow
def test_size_finds_the_smallest_mmc_team_in_few_evaluations():
    options, sure, point = size(parse_scenario(mmc_data(2)), 0, MAX_WAIT, QUANTILE, 7, 20, 2)
    assert point is not None and point.coaches == 5  # the analytic answer, on the point estimate
    assert [o.feasible_point for o in options] == [o.coaches >= 5 for o in options]
    # the recommendation allows for the luck of 20 replications: the upper end of the 95%
    # interval of 5 coaches' wait quantile is above the maximum, so it takes one more
    assert sure is not None and sure.coaches == 6
    assert sure.wait_hi95 <= MAX_WAIT < point.wait_hi95
    assert [o.feasible for o in options] == [o.coaches >= 6 for o in options]
    # from 2: 2, 4, 8 (enough), then 6 and 5: five evaluations for both answers
    assert len(options) <= 2 * math.log2(5) + 3
    assert all(o.max_caseload <= 1 for o in options)
    by_size = {o.coaches: o for o in options}
    assert by_size[4].wait_quantile_days > MAX_WAIT > by_size[5].wait_quantile_days
    assert by_size[8].utilisation < by_size[5].utilisation < 1


@pytest.mark.slow
def test_size_command_writes_every_option_tried(tmp_path):
    path = write_yaml(tmp_path / "mmc.yaml", mmc_data(8))
    out = tmp_path / "size.csv"
    done = ipssim("size", path, "--region", "queue", "--max-wait-days", str(MAX_WAIT),
                  "--replications", "20", "--seed", "7", "--out", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "recommended: 6 coaches and 1 team leader in queue" in done.stdout
    assert "on the point estimate alone: 5 coaches and 1 team leader" in done.stdout
    assert "other regions" not in done.stdout  # one region: no note about others
    with open(out) as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["coaches"]) for r in rows] == sorted(int(r["coaches"]) for r in rows)
    assert {"coaches", "team_leaders", "wait_quantile_days", "wait_lo95", "wait_hi95",
            "waited_share", "utilisation", "mean_caseload", "max_caseload", "cost_eur_per_year",
            "additional_employed", "net_public_eur_pv", "feasible", "feasible_point"} == rows[0].keys()
    assert len(rows) == done.stdout.count("\n") - 4  # header lines, table, the two answers
    econ = Economics()
    for row in rows:  # the region's cost a year: its staff, its training spread over 10 years
        coaches = int(row["coaches"])
        assert float(row["mean_caseload"]) == pytest.approx(float(row["utilisation"]) * 1)
        expected = yearly_cost(coaches, 0, 100, econ) + \
            coaches * econ.costs.training_eur_per_new_coach / 10
        assert float(row["cost_eur_per_year"]) == pytest.approx(expected, rel=0.005)


def test_size_says_so_when_the_most_a_region_can_fund_is_not_enough(tmp_path):
    path = write_yaml(tmp_path / "mmc.yaml", mmc_data(2))
    out = tmp_path / "size.csv"
    done = ipssim("size", path, "--region", "queue", "--max-wait-days", str(MAX_WAIT),
                  "--replications", "20", "--seed", "7", "--max-coaches", "4", "--out", out,
                  cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "no headcount up to 4 coaches keeps the wait under 50 d" in done.stdout
    with open(out) as handle:
        rows = list(csv.DictReader(handle))
    assert [(int(r["coaches"]), r["feasible"]) for r in rows] == [(2, "False"), (4, "False")]


def test_referrals_after_the_close_are_not_counted_as_short_waits():
    scenario = small_scenario(regions=[{**SMALL["regions"][0], "coaches": 1,
                                        "operating_months": 6}])
    results = run_replications(scenario, 3, 2, 1)
    close = 6 * MONTH_DAYS
    per_replication = waits(results, scenario, 0)
    for result, wait in zip(results, per_replication, strict=True):
        referred = result.clients["ips"]["referral_day"]
        assert (referred >= close).sum() > 0  # referrals go on to the horizon by default
        assert len(wait) == (referred < close).sum()


@pytest.mark.parametrize("args,message", [
    (("--region", "nowhere", "--max-wait-days", "30"),
     "ipssim: error: --region: unknown region 'nowhere'; allowed: A"),
    (("--region", "A", "--max-wait-days", "-1"),
     "ipssim size: error: argument --max-wait-days: --max-wait-days must be a number >= 0"),
    (("--region", "A", "--max-wait-days", "30", "--max-coaches", "0"),
     "ipssim size: error: argument --max-coaches: --max-coaches must be an integer >= 1"),
    (("--region", "A", "--max-wait-days", "30", "--quantile", "1.5"),
     "ipssim size: error: argument --quantile: --quantile must be a number between 0 and 1"),
])
def test_bad_size_input_gives_one_line_and_writes_nothing(tmp_path, args, message):
    path = write_yaml(tmp_path / "small.yaml", SMALL)
    done = ipssim("size", path, *args, "--out", tmp_path / "size.csv", cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), done.stderr
    assert not (tmp_path / "size.csv").exists() and not (tmp_path / "outputs").exists()


def test_trial_mode_has_no_waiting_list_to_size(tmp_path):
    trial = {**SMALL, "mode": "trial", "regions": [{**SMALL["regions"][0], "cohort_size": 10}]}
    path = write_yaml(tmp_path / "trial.yaml", trial)
    done = ipssim("size", path, "--region", "A", "--max-wait-days", "30", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == ("ipssim: error: size: only programme mode has a waiting list "
                                   "to size (got mode 'trial')")


def test_size_of_one_region_of_several_reports_that_region(tmp_path):
    two = {**SMALL, "regions": [SMALL["regions"][0], {**SMALL["regions"][0], "name": "B",
                                                        "coaches": 6, "referrals_per_month": 30.0}]}
    path = write_yaml(tmp_path / "two.yaml", two)
    out = tmp_path / "size.csv"
    done = ipssim("size", path, "--region", "A", "--max-wait-days", "1000", "--replications", "2",
                  "--seed", "3", "--out", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "are the region's; the other regions are the same in every option." in done.stdout
    with open(out) as handle:
        rows = {int(r["coaches"]): r for r in csv.DictReader(handle)}
    # region A alone: B's 6 coaches would cost about 400,000 EUR a year more
    assert all(float(r["cost_eur_per_year"]) < 100_000 * (c + 1) for c, r in rows.items())
    scenario = small_scenario(regions=two["regions"])
    whole = run_replications(scenario, 3, 2, 1)
    assert float(rows[2]["net_public_eur_pv"]) == pytest.approx(
        sum(r.regions[0].metrics["difference"]["net_public_eur_pv"] for r in whole) / 2)
