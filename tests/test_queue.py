"""The waiting list against queueing theory: with Poisson referrals, exponential time in the
programme, no dropout, no abandonment and no closure, the team is an M/M/c queue with
c = coaches x caseload_cap places, and the mean wait is the Erlang C formula."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ipssim.model.simulation import draw_cohort, simulate_arm
from ipssim.scenario.load import parse_scenario
from ipssim.vocabulary import MONTH_DAYS

COACHES, CAP = 2, 2
MEAN_STAY_DAYS = 60.0
LOAD = 0.75  # utilisation of the c = 4 places
REPLICATIONS = 400  # the per-replication mean wait is heavy-tailed; 400 gives an SE near 1 day
WARM_UP_MONTHS, LAST_REFERRAL_MONTH, HORIZON_MONTHS = 24, 228, 240


def erlang_c_mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean time in queue of an M/M/c queue (Erlang C)."""
    offered = arrival_rate / service_rate
    rho = offered / servers
    below = sum(offered**k / math.factorial(k) for k in range(servers))
    top = offered**servers / math.factorial(servers) / (1.0 - rho)
    return top / (below + top) / (servers * service_rate - arrival_rate)


@pytest.mark.slow
def test_mean_wait_matches_erlang_c():
    servers = COACHES * CAP
    service_rate = 1.0 / MEAN_STAY_DAYS  # per day
    arrival_rate = LOAD * servers * service_rate
    exit_rate_per_month = service_rate * MONTH_DAYS
    scenario = parse_scenario({
        "name": "mmc", "mode": "programme", "horizon_months": HORIZON_MONTHS,
        "regions": [{"name": "queue", "coaches": COACHES,
                     "referrals_per_month": arrival_rate * MONTH_DAYS,
                     "referral_months": [0, LAST_REFERRAL_MONTH], "employers": 5}],
        # Leaving at the same rate whether searching or working makes the stay exponential;
        # nobody is referred again, so arrivals stay Poisson.
        "coaching": {"caseload_cap": CAP, "engagement_days_mean": 0.0,
                     "dropout_rate_per_month": 0.0, "waiting_patience_days": None,
                     "re_referral_rate_per_month": 0.0,
                     "end_rate_searching_per_month": exit_rate_per_month,
                     "end_rate_working_per_month": exit_rate_per_month},
        # Nobody is offered a job or admitted to hospital to speak of: the queue does not need
        # them (the stay is the same either way), and each costs events for 20 years.
        "jobs": {"ips_offer_rate_per_month": 1e-4, "usual_offer_rate_per_month": 1e-4},
        "care": {"admission_rate_per_month": 0.0},
    })
    expected = erlang_c_mean_wait(servers, arrival_rate, service_rate)
    means = []
    for replication in range(REPLICATIONS):
        cohort = draw_cohort(scenario, 2024, replication)
        clients = simulate_arm(scenario, cohort, "ips", 2024, replication).clients
        steady = clients["referral_day"] >= WARM_UP_MONTHS * MONTH_DAYS
        assert not np.isnan(clients["start_day"][steady]).any()  # everyone was served
        means.append(np.mean(clients["start_day"][steady] - clients["referral_day"][steady]))
    # Replications are independent, so their means give an honest standard error.
    simulated, se = float(np.mean(means)), float(np.std(means, ddof=1) / math.sqrt(len(means)))
    print(f"mean wait {simulated:.2f} d (SE {se:.2f}), Erlang C {expected:.2f} d")
    assert se < 0.1 * expected, (se, expected)  # precise enough that a wrong queue would fail
    assert abs(simulated - expected) < 3.0 * se, (simulated, expected, se)
